-- The people at partner organisations (JICA Vietnam's deputy chief representative, GRIPS's
-- president), and the part each took in a cohort or a session (speaker, guest, delegation head).

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  INTEGER NOT NULL REFERENCES partners (id),
    -- As written, in the order the person's own usage puts it.
    full_name   TEXT NOT NULL,
    -- given_first (Hiroko Ota) or family_first (HIRAOKA Hisakazu, Vũ Thanh Sơn): how to print it.
    name_order  TEXT NOT NULL,
    name_native TEXT,
    title       TEXT,
    title_vi    TEXT,
    position    TEXT,
    position_vi TEXT,
    email       TEXT,
    phone       TEXT,
    notes       TEXT,
    -- Name, native name and positions folded (crate::text::search_text), which ?q= matches.
    search_text TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    source      TEXT,
    seed_key    TEXT,
    seed_data   TEXT
);
CREATE UNIQUE INDEX contacts_seed_key ON contacts (seed_key);
CREATE INDEX contacts_partner_full_name_id ON contacts (partner_id, full_name, id);
CREATE INDEX contacts_full_name_id ON contacts (full_name, id);
CREATE INDEX contacts_created_at_id ON contacts (created_at, id);
CREATE INDEX contacts_source ON contacts (source);

-- A contact's part in a cohort, or in one session of it (then cohort_id is the session's cohort,
-- so a cohort's people include those of its sessions).
CREATE TABLE participations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    cohort_id   INTEGER NOT NULL REFERENCES cohorts (id),
    session_id  INTEGER REFERENCES sessions (id),
    role        TEXT NOT NULL,
    notes       TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    source      TEXT,
    seed_key    TEXT,
    seed_data   TEXT
);
CREATE UNIQUE INDEX participations_seed_key ON participations (seed_key);
-- One part of a kind per contact and event; COALESCE because NULLs never collide in a unique index.
CREATE UNIQUE INDEX participations_once ON participations (contact_id, cohort_id, COALESCE(session_id, 0), role);
CREATE INDEX participations_contact_id ON participations (contact_id, id);
CREATE INDEX participations_cohort_id ON participations (cohort_id, id);
CREATE INDEX participations_session_id ON participations (session_id, id);
