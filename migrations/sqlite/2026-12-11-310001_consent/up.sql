-- Personal data (issue 31, items 1 and 4): the consents a trainee gave, and a record of what a
-- partner's liaison read of a trainee's personal data (the transfer dossier's source).

-- A trainee's consent to one purpose: sharing contact details with a named partner
-- (`partner_contacts`, `partner_id` set), follow-up contact after return (`follow_up`), or the
-- department's own reporting (`department_reporting`, a legal duty: recorded, never withdrawn).
-- A withdrawn consent stays, with the day it was withdrawn; a new one is a new row.
CREATE TABLE consents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    trainee_id   INTEGER NOT NULL REFERENCES trainees (id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL,
    partner_id   INTEGER REFERENCES partners (id),
    -- How it was given: `paper`, `link` (the trainee's own page) or `import`.
    method       TEXT NOT NULL,
    given_at     TIMESTAMP NOT NULL,
    -- The account that recorded it; NULL when the trainee gave it through their link.
    recorded_by  INTEGER REFERENCES users (id),
    note         TEXT,
    withdrawn_at TIMESTAMP,
    withdrawn_by INTEGER REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX consents_trainee ON consents (trainee_id, id);
-- At most one standing consent per trainee, purpose and partner.
CREATE UNIQUE INDEX consents_standing ON consents (trainee_id, purpose, COALESCE(partner_id, 0))
    WHERE withdrawn_at IS NULL;
-- What the liaison's contact rule reads: a partner's standing contact consents.
CREATE INDEX consents_partner_contacts ON consents (partner_id, trainee_id)
    WHERE purpose = 'partner_contacts' AND withdrawn_at IS NULL;

-- One row per trainee whose personal data a liaison's request was answered with: which account,
-- which partner, which trainee, which fields (comma-separated names, sorted), what it read
-- (`what`: the record kind and how, e.g. `trainee`, `trainees`, `enrollments`), when.
-- No foreign keys: the record of what left outlives the records it names.
CREATE TABLE disclosures (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    user_id     INTEGER NOT NULL,
    partner_id  INTEGER NOT NULL,
    trainee_id  INTEGER NOT NULL,
    fields      TEXT NOT NULL,
    what        TEXT NOT NULL
);
CREATE INDEX disclosures_occurred ON disclosures (occurred_at, id);
CREATE INDEX disclosures_partner ON disclosures (partner_id, occurred_at);
CREATE INDEX disclosures_trainee ON disclosures (trainee_id, occurred_at);
