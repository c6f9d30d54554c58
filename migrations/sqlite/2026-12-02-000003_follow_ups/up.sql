-- After return: each enrolment's action plan, its follow-up checkpoints, and a programme's
-- follow-up schedule.

-- One plan per enrolment. Its items (indicator, baseline, target, due date) are kept with it as
-- JSON. The trainee's single-use link is stored as its hash only; `link_nonce` changes when a
-- new link is issued.
CREATE TABLE action_plans (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    enrollment_id   INTEGER NOT NULL UNIQUE REFERENCES enrollments (id) ON DELETE RESTRICT,
    title           TEXT,
    problem         TEXT,
    items           TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    review_comments TEXT,
    approved_by     TEXT,
    approved_at     TIMESTAMP,
    link_hash       TEXT UNIQUE,
    link_nonce      TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX action_plans_status ON action_plans (status);

-- A report on a plan some months after the cohort ended.
CREATE TABLE checkpoints (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      INTEGER NOT NULL REFERENCES action_plans (id) ON DELETE RESTRICT,
    months       INTEGER NOT NULL CHECK (months >= 1),
    due_on       DATE NOT NULL,
    status       TEXT NOT NULL,
    progress     TEXT NOT NULL,
    barriers     TEXT,
    session_id   INTEGER REFERENCES sessions (id) ON DELETE RESTRICT,
    submitted_at TIMESTAMP,
    reviewed_by  TEXT,
    reviewed_at  TIMESTAMP,
    review_note  TEXT,
    link_hash    TEXT UNIQUE,
    link_nonce   TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (plan_id, months)
);
-- The officer's morning list: by state, then due date.
CREATE INDEX checkpoints_status_due ON checkpoints (status, due_on, id);
CREATE INDEX checkpoints_due ON checkpoints (due_on, id);

-- When a programme's checkpoints fall, in months after a cohort ends (default 3, 6 and 12).
CREATE TABLE follow_up_schedules (
    program_id INTEGER PRIMARY KEY REFERENCES programs (id) ON DELETE CASCADE,
    months     TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
);
