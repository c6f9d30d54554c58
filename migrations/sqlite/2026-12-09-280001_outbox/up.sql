-- The outbox: every message the service sends is a row, written in the transaction of the change
-- that causes it (a round opened, a link reissued, a session moved), and delivered afterwards by
-- the sender, which claims due rows for a while (`claimed_until`) so that two app servers never
-- send the same row and a crashed one's claim runs out. `message_id` is the `Message-ID` header,
-- fixed when the row is written, so a receiver can count duplicates too.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'cancelled')),
    language        TEXT NOT NULL,
    recipient_role  TEXT NOT NULL,
    recipient_name  TEXT NOT NULL,
    recipient_email TEXT,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    calendar        TEXT,
    message_id      TEXT NOT NULL UNIQUE,
    program_id      BIGINT,
    cohort_id       BIGINT,
    round_id        BIGINT,
    trainee_id      BIGINT,
    session_id      BIGINT,
    user_id         BIGINT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until   TIMESTAMP,
    claimed_by      TEXT,
    error           TEXT,
    sent_at         TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
-- What the sender reads: queued rows by when they are due.
CREATE INDEX messages_due ON messages (next_attempt_at, id) WHERE state = 'queued';
-- The officers' filters, and the counts by state a round and a cohort show.
CREATE INDEX messages_by_round ON messages (round_id, state, id);
CREATE INDEX messages_by_cohort ON messages (cohort_id, state, id);
CREATE INDEX messages_by_trainee ON messages (trainee_id, id);
CREATE INDEX messages_by_state ON messages (state, id);

-- The language a trainee is written to in: `vi` (the default) or `en`.
ALTER TABLE trainees ADD COLUMN language TEXT NOT NULL DEFAULT 'vi';
