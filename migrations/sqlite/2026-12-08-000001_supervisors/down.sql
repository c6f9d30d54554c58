DROP TABLE supervisor_ratings;
DROP TABLE supervisor_links;
DROP INDEX checkpoints_supervisor_due;
ALTER TABLE checkpoints DROP COLUMN supervisor_status;
ALTER TABLE action_plans DROP COLUMN supervisor_email;
ALTER TABLE action_plans DROP COLUMN supervisor_position;
ALTER TABLE action_plans DROP COLUMN supervisor_name;
