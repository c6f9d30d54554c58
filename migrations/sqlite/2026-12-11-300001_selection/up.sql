-- Selection (issue 30, items 1 and 2): what a cohort asks of its nominees, the trainee's data it
-- is checked against, and the partner who accepts or declines the nominations.

-- The year the trainee entered the civil service, for a cohort's minimum years in service.
ALTER TABLE trainees ADD COLUMN service_start_year INTEGER;
-- The trainee's position level, one of the words the department uses (matched, folded, against
-- a cohort's accepted levels).
ALTER TABLE trainees ADD COLUMN position_level TEXT;

-- The partner of this link reviews the programme's nominations: a nomination must be accepted
-- by it (or by an officer for it) before it takes a seat.
ALTER TABLE program_partners ADD COLUMN reviews_nominations BOOLEAN NOT NULL DEFAULT FALSE;

-- A trainee's language certificates: a test taken, its score (higher is better) and its date.
CREATE TABLE language_certificates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    trainee_id  INTEGER NOT NULL REFERENCES trainees (id) ON DELETE CASCADE,
    -- ISO 639-1, lower case: en, ja, ko, fr.
    language    TEXT NOT NULL,
    -- The test, as the department names it: IELTS, TOEIC, JLPT-NAT.
    test        TEXT NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    taken_on    DATE NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX language_certificates_trainee ON language_certificates (trainee_id, id);

-- What a cohort asks of its nominees; each column left empty asks nothing.
CREATE TABLE eligibility_criteria (
    cohort_id           INTEGER PRIMARY KEY REFERENCES cohorts (id) ON DELETE CASCADE,
    min_service_years   INTEGER,
    max_age             INTEGER,
    -- A JSON array of the accepted position levels; empty: any level.
    position_levels     TEXT NOT NULL,
    language            TEXT,
    language_test       TEXT,
    min_language_score  DOUBLE PRECISION,
    nomination_deadline DATE,
    updated_at          TIMESTAMP NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
