DROP INDEX enrollments_cohort_ended;
ALTER TABLE enrollments DROP COLUMN end_reason;
ALTER TABLE enrollments DROP COLUMN ended_at;
