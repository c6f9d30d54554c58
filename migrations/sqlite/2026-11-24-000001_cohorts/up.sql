-- Cohorts of a programme, their sessions, trainees, enrolments, attendance, and the stored
-- results of POSTs sent with an Idempotency-Key.

-- Why a change was made when the actor did not ask for it directly (a waitlist promotion).
ALTER TABLE audit_events ADD COLUMN reason TEXT;

CREATE TABLE cohorts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    program_id       INTEGER NOT NULL REFERENCES programs (id) ON DELETE RESTRICT,
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    sequence         INTEGER CHECK (sequence >= 1),
    -- A date known only to the month or year is stored as its first day, with its precision
    -- ('day', 'month', 'year') beside it; the API never shows the invented day.
    start_date       DATE,
    start_precision  TEXT,
    end_date         DATE,
    end_precision    TEXT,
    location_city    TEXT,
    location_country TEXT,
    -- NULL: no limit on enrolled trainees.
    capacity         INTEGER CHECK (capacity >= 0),
    status           TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    UNIQUE (program_id, code),
    CHECK ((start_date IS NULL) = (start_precision IS NULL)),
    CHECK ((end_date IS NULL) = (end_precision IS NULL))
);
CREATE INDEX cohorts_status ON cohorts (status);

CREATE TABLE sessions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id          INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE RESTRICT,
    title              TEXT NOT NULL,
    kind               TEXT NOT NULL,
    -- The local day at the venue, possibly known only to the month; derived from starts_at when
    -- the time is known.
    session_date       DATE NOT NULL,
    date_precision     TEXT NOT NULL,
    starts_at          TIMESTAMP,
    ends_at            TIMESTAMP,
    time_zone          TEXT NOT NULL,
    location           TEXT,
    speaker_name       TEXT,
    speaker_title      TEXT,
    speaker_partner_id INTEGER REFERENCES partners (id) ON DELETE RESTRICT,
    language           TEXT,
    description        TEXT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX sessions_cohort ON sessions (cohort_id, session_date);
CREATE INDEX sessions_speaker_partner ON sessions (speaker_partner_id);

CREATE TABLE trainees (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    full_name    TEXT NOT NULL,
    gender       TEXT,
    birth_year   INTEGER,
    position     TEXT,
    organisation TEXT,
    province     TEXT,
    email        TEXT,
    -- The email lower-cased, unique when given.
    email_key    TEXT UNIQUE,
    phone        TEXT,
    notes        TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);

-- The words of a trainee's name, organisation and position, for ?q=: each word lower-cased as
-- written (term_exact) and folded without diacritics (term_folded). A query word matches a prefix
-- of a term through a range on these B-tree indexes, the same way on both databases.
CREATE TABLE trainee_terms (
    trainee_id  INTEGER NOT NULL REFERENCES trainees (id) ON DELETE CASCADE,
    term_exact  TEXT NOT NULL,
    term_folded TEXT NOT NULL,
    PRIMARY KEY (trainee_id, term_exact)
);
CREATE INDEX trainee_terms_folded ON trainee_terms (term_folded, trainee_id);

CREATE TABLE enrollments (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id          INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE RESTRICT,
    trainee_id         INTEGER NOT NULL REFERENCES trainees (id) ON DELETE RESTRICT,
    status             TEXT NOT NULL,
    -- When the enrolment joined the waitlist: the longest-waiting is promoted first.
    waitlisted_at      TIMESTAMP,
    certificate_number TEXT UNIQUE,
    notes              TEXT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    UNIQUE (cohort_id, trainee_id)
);
CREATE INDEX enrollments_cohort_status ON enrollments (cohort_id, status, waitlisted_at);
CREATE INDEX enrollments_trainee ON enrollments (trainee_id);

CREATE TABLE attendance (
    session_id    INTEGER NOT NULL REFERENCES sessions (id) ON DELETE RESTRICT,
    enrollment_id INTEGER NOT NULL REFERENCES enrollments (id) ON DELETE RESTRICT,
    status        TEXT NOT NULL,
    note          TEXT,
    recorded_by   TEXT NOT NULL,
    recorded_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, enrollment_id)
);
CREATE INDEX attendance_enrollment ON attendance (enrollment_id);

-- A POST sent with an Idempotency-Key: the first result is kept for 24 hours and replayed to a
-- retry with the same key and body.
CREATE TABLE idempotency_keys (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    location        TEXT,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
