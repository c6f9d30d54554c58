-- Time-based work: one row per recurring job (`round_reminders`, `plan_reminders`,
-- `checkpoint_reminders`, `digest`), due at `run_at`. An app server claims a due job for a while
-- (`claimed_until`, `claimed_by`) so that of several servers one runs it, runs it, and sets the
-- next `run_at`; a server that stops mid-run leaves a claim that runs out. The rows are made at
-- start when missing.
CREATE TABLE jobs (
    name             TEXT PRIMARY KEY,
    run_at           TIMESTAMP NOT NULL,
    claimed_until    TIMESTAMP,
    claimed_by       TEXT,
    last_started_at  TIMESTAMP,
    last_finished_at TIMESTAMP,
    last_error       TEXT,
    runs             INTEGER NOT NULL DEFAULT 0
);

-- What was reminded, so that each reminder goes once, whichever server or retry runs the sweep:
-- `kind` (`round`, `plan`, `checkpoint`, `supervisor`, `digest`), the record (an invitation, a
-- plan, a checkpoint, an account) and the stage (`3d`, `before`, a day...).
CREATE TABLE reminders (
    kind       TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    stage      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, subject_id, stage)
);

-- An officer's (or admin's) choice to get the morning digest of what fell overdue.
ALTER TABLE users ADD COLUMN daily_digest BOOLEAN NOT NULL DEFAULT FALSE;

-- When a draft plan's link was last given to its trainee (issued, or the plan sent back), for
-- the reminder to submit it. Drafts that have a link count from their last change.
ALTER TABLE action_plans ADD COLUMN link_issued_at TIMESTAMP;
UPDATE action_plans SET link_issued_at = updated_at WHERE link_nonce IS NOT NULL;
-- What the plan reminders and the digest read: drafts by when their link was given.
CREATE INDEX action_plans_link_issued ON action_plans (link_issued_at) WHERE status = 'draft';
-- What the round reminders and the digest read: open rounds by when they close.
CREATE INDEX evaluation_rounds_closing ON evaluation_rounds (closes_at) WHERE status = 'open';
