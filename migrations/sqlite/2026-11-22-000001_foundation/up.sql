-- Partners, programmes, the roles partners hold in programmes, and the audit trail.
-- AUTOINCREMENT: an id is never reused after a delete, so audit events keep pointing at one record.

CREATE TABLE partners (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    name_local  TEXT,
    kind        TEXT NOT NULL,
    country     TEXT NOT NULL,
    website     TEXT,
    notes       TEXT,
    search_text TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX partners_kind ON partners (kind);
CREATE INDEX partners_country ON partners (country);

CREATE TABLE programs (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    code                TEXT NOT NULL UNIQUE,
    title               TEXT NOT NULL,
    title_vi            TEXT,
    kind                TEXT NOT NULL,
    status              TEXT NOT NULL,
    start_date          DATE,
    end_date            DATE,
    agreement_signed_on DATE,
    planned_trainees    INTEGER CHECK (planned_trainees >= 0),
    planned_cohorts     INTEGER CHECK (planned_cohorts >= 0),
    focus_areas         TEXT NOT NULL DEFAULT '[]',
    description         TEXT,
    search_text         TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX programs_status ON programs (status);
CREATE INDEX programs_start_date ON programs (start_date);

CREATE TABLE program_partners (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    program_id INTEGER NOT NULL REFERENCES programs (id) ON DELETE RESTRICT,
    partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    roles      TEXT NOT NULL,
    notes      TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (program_id, partner_id)
);
CREATE INDEX program_partners_partner ON program_partners (partner_id);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    changes     TEXT NOT NULL,
    request_id  TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
