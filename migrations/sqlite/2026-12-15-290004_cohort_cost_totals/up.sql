-- The kept cost totals once more, by programme, cohort and category alone (payers and years
-- added together): 44,239 rows where `cost_totals` holds 139,400, at the benchmark's million
-- costs. A report grouped by programme, cohort or category (and no payer or year) reads these;
-- one that groups by category reads them as they are, one row per line's share, with nothing for
-- the database to add up. Kept in the same transactions as `cost_totals`, by the same code
-- (`costs::totals`). WITHOUT ROWID: the table is its key's B-tree, so a report reads it in order
-- with every column at hand.
CREATE TABLE cohort_cost_totals (
    program_id  INTEGER NOT NULL,
    cohort_key  INTEGER NOT NULL,
    category    TEXT NOT NULL,
    planned     BIGINT NOT NULL,
    committed   BIGINT NOT NULL,
    paid        BIGINT NOT NULL,
    unconverted BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    PRIMARY KEY (program_id, cohort_key, category)
) WITHOUT ROWID;
INSERT INTO cohort_cost_totals (program_id, cohort_key, category, planned, committed, paid, unconverted, entries)
SELECT program_id, cohort_key, category, SUM(planned), SUM(committed), SUM(paid), SUM(unconverted), SUM(entries)
FROM cost_totals
GROUP BY program_id, cohort_key, category;
