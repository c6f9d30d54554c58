ALTER TABLE completion_rules DROP COLUMN min_post_test_score;
DROP INDEX evaluation_rounds_pre_round;
ALTER TABLE evaluation_rounds DROP COLUMN pre_round_id;
ALTER TABLE instruments DROP COLUMN equivalent_to;
