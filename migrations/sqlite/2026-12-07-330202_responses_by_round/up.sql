-- An anonymous answer is written with a random handful of its round's other answers (responses::scatter),
-- found by a window of their random ids: this index finds the window without reading the round.
CREATE INDEX responses_round_id ON responses (round_id, id);
