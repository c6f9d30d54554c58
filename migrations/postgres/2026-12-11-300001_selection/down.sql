DROP TABLE eligibility_criteria;
DROP TABLE language_certificates;
ALTER TABLE program_partners DROP COLUMN reviews_nominations;
ALTER TABLE trainees DROP COLUMN position_level;
ALTER TABLE trainees DROP COLUMN service_start_year;
