DROP TABLE cohort_attendance;
ALTER TABLE enrollments DROP COLUMN province;
ALTER TABLE enrollments DROP COLUMN position;
ALTER TABLE enrollments DROP COLUMN organisation;
