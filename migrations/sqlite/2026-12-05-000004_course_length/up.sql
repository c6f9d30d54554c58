-- How long each course of a programme lasts, as an ISO 8601 duration (`P1M`: one month), when the
-- source gives a length but not each cohort's end.
ALTER TABLE programs ADD COLUMN course_length TEXT;
