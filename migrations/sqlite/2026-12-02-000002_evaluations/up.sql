-- Evaluations: questionnaires (instruments) and their revisions, evaluation rounds of a cohort,
-- the trainees invited to answer, the answers, a cohort's completion rule, and certificates.

-- A questionnaire revision. A published one never changes: editing makes the next revision
-- under the same code. Its items are stored with it as JSON, so that every answer stays tied to
-- exactly the items it answered.
CREATE TABLE instruments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL,
    revision    INTEGER NOT NULL CHECK (revision >= 1),
    title       TEXT NOT NULL,
    title_vi    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    status      TEXT NOT NULL,
    template    BOOLEAN NOT NULL DEFAULT FALSE,
    items       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (code, revision)
);

CREATE TABLE evaluation_rounds (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id        INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE RESTRICT,
    instrument_id    INTEGER NOT NULL REFERENCES instruments (id) ON DELETE RESTRICT,
    title            TEXT NOT NULL,
    subject          TEXT NOT NULL,
    session_id       INTEGER REFERENCES sessions (id) ON DELETE RESTRICT,
    respondent       TEXT NOT NULL,
    wave             TEXT NOT NULL,
    anonymity        TEXT NOT NULL,
    status           TEXT NOT NULL,
    opens_at         TIMESTAMP,
    closes_at        TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    CHECK ((subject = 'session') = (session_id IS NOT NULL)),
    CHECK (closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at)
);
CREATE INDEX evaluation_rounds_cohort ON evaluation_rounds (cohort_id, id);
CREATE INDEX evaluation_rounds_instrument ON evaluation_rounds (instrument_id);

-- Who was asked: one row per seated enrolment of a round that trainees answer. Only the hash of
-- the link's token is stored; `nonce` changes when a lost link is re-issued.
CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id      INTEGER NOT NULL REFERENCES evaluation_rounds (id) ON DELETE RESTRICT,
    enrollment_id INTEGER NOT NULL REFERENCES enrollments (id) ON DELETE RESTRICT,
    token_hash    TEXT NOT NULL UNIQUE,
    nonce         TEXT NOT NULL,
    status        TEXT NOT NULL,
    -- Who entered a paper form on the trainee's behalf.
    entered_by    INTEGER REFERENCES users (id) ON DELETE RESTRICT,
    issued_at     TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (round_id, enrollment_id)
);

-- What was answered. In an anonymous round, enrollment_id and entered_by are NULL, the id is
-- random and both times are the round's opening time: nothing in the row leads back to a person
-- or to the moment an invitation was used.
CREATE TABLE responses (
    id            INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES evaluation_rounds (id) ON DELETE RESTRICT,
    enrollment_id INTEGER REFERENCES enrollments (id) ON DELETE RESTRICT,
    answers       TEXT NOT NULL,
    entered_by    INTEGER REFERENCES users (id) ON DELETE RESTRICT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (round_id, enrollment_id)
);
CREATE INDEX responses_enrollment ON responses (enrollment_id);

-- What a trainee of the cohort must meet to complete it.
CREATE TABLE completion_rules (
    cohort_id           INTEGER PRIMARY KEY REFERENCES cohorts (id) ON DELETE CASCADE,
    min_attendance_rate DOUBLE PRECISION,
    required_rounds     TEXT NOT NULL,
    min_assessment_mean DOUBLE PRECISION,
    updated_at          TIMESTAMP NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);

-- A completed enrolment's certificate: its number (as on the enrolment) and a code that proves a
-- printed copy genuine.
CREATE TABLE certificates (
    enrollment_id  INTEGER PRIMARY KEY REFERENCES enrollments (id) ON DELETE RESTRICT,
    number         TEXT NOT NULL UNIQUE,
    code           TEXT NOT NULL,
    issued_at      TIMESTAMP NOT NULL,
    revoked_at     TIMESTAMP,
    revoked_reason TEXT,
    version        INTEGER NOT NULL DEFAULT 1
);
