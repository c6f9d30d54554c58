-- Back to one row of totals per status.
CREATE TABLE cost_totals_by_row (
    program_id  BIGINT NOT NULL,
    cohort_key  BIGINT NOT NULL,
    payer_key   BIGINT NOT NULL,
    category    TEXT NOT NULL,
    year        INTEGER NOT NULL,
    status      TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    unconverted BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    PRIMARY KEY (program_id, cohort_key, payer_key, category, year, status)
);
-- The per-status counts are not kept apart: made again from the costs.
INSERT INTO cost_totals_by_row (program_id, cohort_key, payer_key, category, year, status, amount, unconverted, entries)
SELECT program_id, COALESCE(cohort_id, 0), COALESCE(payer_id, 0), category, entry_year, status,
       COALESCE(SUM(reporting_minor), 0),
       SUM(CASE WHEN reporting_minor IS NULL THEN 1 ELSE 0 END), COUNT(*)
FROM costs
GROUP BY program_id, COALESCE(cohort_id, 0), COALESCE(payer_id, 0), category, entry_year, status;
DROP TABLE cost_totals;
ALTER TABLE cost_totals_by_row RENAME TO cost_totals;
