CREATE TABLE disclosures_by_trainee (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    user_id     INTEGER NOT NULL,
    partner_id  INTEGER NOT NULL,
    trainee_id  INTEGER NOT NULL,
    fields      TEXT NOT NULL,
    what        TEXT NOT NULL
);
INSERT INTO disclosures_by_trainee (occurred_at, user_id, partner_id, trainee_id, fields, what)
    SELECT e.occurred_at, e.user_id, e.partner_id, d.trainee_id, d.fields, e.what
    FROM disclosures d JOIN disclosure_events e ON e.id = d.event_id ORDER BY d.event_id, d.trainee_id;
DROP TABLE disclosures;
DROP TABLE disclosure_events;
ALTER TABLE disclosures_by_trainee RENAME TO disclosures;
CREATE INDEX disclosures_occurred ON disclosures (occurred_at, id);
CREATE INDEX disclosures_partner ON disclosures (partner_id, occurred_at);
CREATE INDEX disclosures_trainee ON disclosures (trainee_id, occurred_at);
