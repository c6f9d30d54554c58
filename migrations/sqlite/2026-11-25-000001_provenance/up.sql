-- Provenance of seeded records, programme dates known only to the month or year, reported figures,
-- and a session speaker's affiliation.
--
-- source: the seed document a record's facts come from (a file name), shown by the API.
-- seed_key: set only on records `tpms seed` made; a later run updates exactly these, and never a
-- record a user made.
-- seed_data: the record as its seed file last stated it (JSON). A later run changes only the
-- fields the file has changed since, so edits users made to a seeded record are kept.

ALTER TABLE partners ADD COLUMN source TEXT;
ALTER TABLE partners ADD COLUMN seed_key TEXT;
ALTER TABLE partners ADD COLUMN seed_data TEXT;
CREATE UNIQUE INDEX partners_seed_key ON partners (seed_key);
CREATE INDEX partners_source ON partners (source);

ALTER TABLE programs ADD COLUMN source TEXT;
ALTER TABLE programs ADD COLUMN seed_key TEXT;
ALTER TABLE programs ADD COLUMN seed_data TEXT;
-- NULL precision on an existing date means a whole day, as every date was before.
ALTER TABLE programs ADD COLUMN start_precision TEXT;
ALTER TABLE programs ADD COLUMN end_precision TEXT;
ALTER TABLE programs ADD COLUMN agreement_precision TEXT;
-- Figures the sources report ("5 courses held", "about 100 trained"), as a JSON array.
ALTER TABLE programs ADD COLUMN figures TEXT NOT NULL DEFAULT '[]';
CREATE UNIQUE INDEX programs_seed_key ON programs (seed_key);
CREATE INDEX programs_source ON programs (source);

ALTER TABLE program_partners ADD COLUMN source TEXT;
ALTER TABLE program_partners ADD COLUMN seed_key TEXT;
ALTER TABLE program_partners ADD COLUMN seed_data TEXT;
CREATE UNIQUE INDEX program_partners_seed_key ON program_partners (seed_key);

ALTER TABLE cohorts ADD COLUMN source TEXT;
ALTER TABLE cohorts ADD COLUMN seed_key TEXT;
ALTER TABLE cohorts ADD COLUMN seed_data TEXT;
CREATE UNIQUE INDEX cohorts_seed_key ON cohorts (seed_key);
CREATE INDEX cohorts_source ON cohorts (source);

ALTER TABLE sessions ADD COLUMN speaker_affiliation TEXT;
ALTER TABLE sessions ADD COLUMN source TEXT;
ALTER TABLE sessions ADD COLUMN seed_key TEXT;
ALTER TABLE sessions ADD COLUMN seed_data TEXT;
CREATE UNIQUE INDEX sessions_seed_key ON sessions (seed_key);
CREATE INDEX sessions_source ON sessions (source);
