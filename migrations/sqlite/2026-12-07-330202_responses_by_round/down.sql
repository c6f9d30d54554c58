DROP INDEX responses_round_id;
