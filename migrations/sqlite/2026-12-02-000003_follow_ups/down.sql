DROP TABLE follow_up_schedules;
DROP TABLE checkpoints;
DROP TABLE action_plans;
