-- The record of disclosures, split so that a liaison's page costs one row per trainee in ONE
-- B-tree more than before it is read (issue 31: at most 10 % on a list or an export):
-- - `disclosure_events`: one row per answer (or export page): when, which account, which
--   partner, what was read. Its indexes serve the `user_id`, `partner_id` and period filters of
--   `GET /disclosures` and the transfers report, at one index entry per answer, not per trainee.
-- - `disclosures`: one row per trainee per answer, the fields given; clustered by answer
--   (WITHOUT ROWID, the key is the row), and indexed by trainee for the trainee filter, the
--   access export and the transfers report's distinct people.
-- Each old row (one per trainee) becomes an answer of its own: the grouping was not kept.
CREATE TABLE disclosure_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    user_id     INTEGER NOT NULL,
    partner_id  INTEGER NOT NULL,
    what        TEXT NOT NULL
);
INSERT INTO disclosure_events (id, occurred_at, user_id, partner_id, what)
    SELECT id, occurred_at, user_id, partner_id, what FROM disclosures;
CREATE TABLE disclosures_by_answer (
    event_id   INTEGER NOT NULL,
    trainee_id INTEGER NOT NULL,
    fields     TEXT NOT NULL,
    PRIMARY KEY (event_id, trainee_id)
) WITHOUT ROWID;
INSERT INTO disclosures_by_answer (event_id, trainee_id, fields) SELECT id, trainee_id, fields FROM disclosures;
DROP TABLE disclosures;
ALTER TABLE disclosures_by_answer RENAME TO disclosures;
CREATE INDEX disclosures_trainee ON disclosures (trainee_id, event_id);
-- In SQLite an index ends with the rowid (here the id): each filter reads its answers newest first.
CREATE INDEX disclosure_events_partner ON disclosure_events (partner_id);
CREATE INDEX disclosure_events_user ON disclosure_events (user_id);
CREATE INDEX disclosure_events_occurred ON disclosure_events (occurred_at);
