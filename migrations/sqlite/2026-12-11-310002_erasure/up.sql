-- Decree 13/2023: a trainee erased on request stays a row (so that counts hold), marked erased,
-- with when and why; a programme may keep free text and contact details for a limited time.
ALTER TABLE trainees ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE trainees ADD COLUMN erasure_reason TEXT;
-- Months after a cohort's end after which its trainees' free text and contact details are erased
-- (NULL: kept).
ALTER TABLE programs ADD COLUMN retention_months INTEGER;
