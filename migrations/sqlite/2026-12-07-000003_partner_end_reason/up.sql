-- What a partner's liaison reads as an enrolment's end_reason when that is less than the whole
-- reason: a completion run's reasons without the anonymous rounds a trainee did not answer, which
-- only the training department may know. NULL: the liaison reads end_reason itself.
ALTER TABLE enrollments ADD COLUMN partner_end_reason TEXT;
