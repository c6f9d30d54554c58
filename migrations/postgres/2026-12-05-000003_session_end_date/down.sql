ALTER TABLE sessions DROP COLUMN end_precision;
ALTER TABLE sessions DROP COLUMN end_date;
