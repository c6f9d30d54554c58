-- Knowledge tests (issue 30): a questionnaire revision may be declared to score like an earlier
-- revision of the same code, so that a pre-test on one pairs with a post-test on the other; a
-- post-test round names its pre-test; a completion rule may ask a minimum post-test score.
-- An item's scoring (correct options, points, accepted range) is kept with the items' JSON.
ALTER TABLE instruments ADD COLUMN equivalent_to BIGINT REFERENCES instruments (id) ON DELETE RESTRICT;
ALTER TABLE evaluation_rounds ADD COLUMN pre_round_id BIGINT REFERENCES evaluation_rounds (id) ON DELETE RESTRICT;
CREATE INDEX evaluation_rounds_pre_round ON evaluation_rounds (pre_round_id);
-- The lowest post-test score that completes, as a share (0 to 1) of the test's points.
ALTER TABLE completion_rules ADD COLUMN min_post_test_score DOUBLE PRECISION;
