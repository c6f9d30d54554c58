ALTER TABLE programs DROP COLUMN course_length;
