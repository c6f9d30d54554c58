-- The record of disclosures without an index of every answer by trainee (issue 31: a liaison's
-- export at most 10 % slower for its record). `disclosures_trainee` took one entry per trainee
-- per answer in trainee order: every page of every export wrote into leaves all over that index
-- (an export of 4,500 trainees touched each of its leaves), which cost the export 28 % in
-- `benches/disclosures.rs`; without it the export cost 4-10 %.
-- What the trainee's lookups (the access export, `GET /disclosures?trainee_id=`) need instead:
-- - `disclosure_days`: that a partner was given the trainee's data on a day (UTC), once per
--   trainee, partner and day; a page that gives it again the same day writes nothing here.
-- - `disclosure_events.day` (the answer's UTC day), indexed with the partner: a trainee's answers
--   are those of the partners and days `disclosure_days` names that hold the trainee, read by
--   `disclosures`' key (answer, trainee).
ALTER TABLE disclosure_events ADD COLUMN day DATE NOT NULL DEFAULT '1970-01-01';
UPDATE disclosure_events SET day = date(occurred_at);
CREATE TABLE disclosure_days (
    trainee_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    day        DATE NOT NULL,
    PRIMARY KEY (trainee_id, partner_id, day)
) WITHOUT ROWID;
INSERT INTO disclosure_days (trainee_id, partner_id, day)
    SELECT DISTINCT d.trainee_id, e.partner_id, e.day FROM disclosures d JOIN disclosure_events e ON e.id = d.event_id;
CREATE INDEX disclosure_events_partner_day ON disclosure_events (partner_id, day);
DROP INDEX disclosures_trainee;
