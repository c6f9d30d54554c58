ALTER TABLE invitations DROP COLUMN decline_reason;
