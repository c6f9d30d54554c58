-- The last day of a session that runs over several days (a seminar on the 16th and 17th);
-- NULL for a session held on its `session_date` alone. Kept with its precision, as every partial
-- date is.
ALTER TABLE sessions ADD COLUMN end_date DATE;
ALTER TABLE sessions ADD COLUMN end_precision TEXT;
