ALTER TABLE programs DROP COLUMN retention_months;
ALTER TABLE trainees DROP COLUMN erasure_reason;
ALTER TABLE trainees DROP COLUMN erased_at;
