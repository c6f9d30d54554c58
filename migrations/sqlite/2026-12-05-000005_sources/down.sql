ALTER TABLE participations DROP COLUMN sources;
ALTER TABLE contacts DROP COLUMN sources;
ALTER TABLE sessions DROP COLUMN sources;
ALTER TABLE cohorts DROP COLUMN sources;
ALTER TABLE program_partners DROP COLUMN sources;
ALTER TABLE programs DROP COLUMN sources;
ALTER TABLE partners DROP COLUMN sources;
