-- Why a trainee declined to answer, as they wrote it through the link; shown to staff.
ALTER TABLE invitations ADD COLUMN decline_reason TEXT;
