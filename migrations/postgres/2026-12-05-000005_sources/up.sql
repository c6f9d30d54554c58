-- Every seed document a seeded record's facts come from, as a JSON array (`source` keeps the
-- first); NULL for records users made. `?source=` finds a record by any of them.
ALTER TABLE partners ADD COLUMN sources TEXT;
ALTER TABLE programs ADD COLUMN sources TEXT;
ALTER TABLE program_partners ADD COLUMN sources TEXT;
ALTER TABLE cohorts ADD COLUMN sources TEXT;
ALTER TABLE sessions ADD COLUMN sources TEXT;
ALTER TABLE contacts ADD COLUMN sources TEXT;
ALTER TABLE participations ADD COLUMN sources TEXT;
-- Records seeded before this column cite their one source.
UPDATE partners SET sources = json_build_array(source)::text WHERE source IS NOT NULL;
UPDATE programs SET sources = json_build_array(source)::text WHERE source IS NOT NULL;
UPDATE program_partners SET sources = json_build_array(source)::text WHERE source IS NOT NULL;
UPDATE cohorts SET sources = json_build_array(source)::text WHERE source IS NOT NULL;
UPDATE sessions SET sources = json_build_array(source)::text WHERE source IS NOT NULL;
UPDATE contacts SET sources = json_build_array(source)::text WHERE source IS NOT NULL;
UPDATE participations SET sources = json_build_array(source)::text WHERE source IS NOT NULL;
