DROP INDEX evaluation_rounds_closing;
DROP INDEX action_plans_link_issued;
ALTER TABLE action_plans DROP COLUMN link_issued_at;
ALTER TABLE users DROP COLUMN daily_digest;
DROP TABLE reminders;
DROP TABLE jobs;
