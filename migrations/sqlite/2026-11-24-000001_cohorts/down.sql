DROP TABLE idempotency_keys;
DROP TABLE attendance;
DROP TABLE enrollments;
DROP TABLE trainee_terms;
DROP TABLE trainees;
DROP TABLE sessions;
DROP TABLE cohorts;
ALTER TABLE audit_events DROP COLUMN reason;
