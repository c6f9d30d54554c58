CREATE INDEX disclosures_trainee ON disclosures (trainee_id, event_id);
DROP INDEX disclosure_events_partner_day;
DROP TABLE disclosure_days;
ALTER TABLE disclosure_events DROP COLUMN day;
