DROP TABLE cohort_attendance;
ALTER TABLE enrollments DROP COLUMN cohort_year;
ALTER TABLE enrollments DROP COLUMN birth_year;
ALTER TABLE enrollments DROP COLUMN gender;
ALTER TABLE enrollments DROP COLUMN province;
ALTER TABLE enrollments DROP COLUMN position;
ALTER TABLE enrollments DROP COLUMN organisation;
