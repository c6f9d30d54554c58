ALTER TABLE enrollments DROP COLUMN partner_end_reason;
