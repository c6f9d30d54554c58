-- The trainee's supervisor at home, who sees whether the plan is applied: named on the plan
-- (optional), and asked at each checkpoint through a single-use link of their own.
ALTER TABLE action_plans ADD COLUMN supervisor_name TEXT;
ALTER TABLE action_plans ADD COLUMN supervisor_position TEXT;
ALTER TABLE action_plans ADD COLUMN supervisor_email TEXT;

-- Where the supervisor's side of a checkpoint stands (none, awaited, confirmed, not_confirmed),
-- kept on the checkpoint by every write of its links so that the officer's list filters by it
-- and the summaries count it without reading the links.
ALTER TABLE checkpoints ADD COLUMN supervisor_status TEXT NOT NULL DEFAULT 'none';
CREATE INDEX checkpoints_supervisor_due ON checkpoints (supervisor_status, due_on, id);

-- Every link a supervisor was given for a checkpoint, one row per link: a reissue ends the open
-- one (`replaced`) and adds another, an answer ends it (`used`), so a spent link can be told
-- apart from one that never existed. Only the token's hash is stored; the nonce it is made from
-- is kept while the link is open (to show it again to officers) and dropped when it ends.
CREATE TABLE supervisor_links (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE RESTRICT,
    status        TEXT NOT NULL CHECK (status IN ('issued', 'used', 'replaced')),
    link_hash     TEXT NOT NULL UNIQUE,
    link_nonce    TEXT,
    confirmed     BOOLEAN,
    comment       TEXT,
    issued_at     TIMESTAMP NOT NULL,
    submitted_at  TIMESTAMP,
    ended_at      TIMESTAMP
);
-- At most one open link per checkpoint.
CREATE UNIQUE INDEX supervisor_links_open ON supervisor_links (checkpoint_id) WHERE status = 'issued';
CREATE INDEX supervisor_links_checkpoint ON supervisor_links (checkpoint_id, id);

-- A supervisor's rating of each item's observed application, with the answer (used link) it
-- belongs to.
CREATE TABLE supervisor_ratings (
    link_id INTEGER NOT NULL REFERENCES supervisor_links (id) ON DELETE CASCADE,
    item    INTEGER NOT NULL CHECK (item >= 1),
    rating  INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    PRIMARY KEY (link_id, item)
);
