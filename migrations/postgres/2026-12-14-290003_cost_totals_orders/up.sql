-- The cost report sums the kept totals by programme and cohort and by what it groups by, in the
-- order of an index that holds every column it reads (an index-only scan, summed in order with
-- no hash table). The key's own order serves grouping by payer (then category, then year); these
-- two serve grouping by category (then year, payer) and by year (then payer, category). Every
-- combination of the three is a prefix of one of the three orders (see
-- `costs::report::key_columns`).
CREATE INDEX cost_totals_by_category
    ON cost_totals (program_id, cohort_key, category, year, payer_key)
    INCLUDE (planned, committed, paid, unconverted, entries);
CREATE INDEX cost_totals_by_year
    ON cost_totals (program_id, cohort_key, year, payer_key, category)
    INCLUDE (planned, committed, paid, unconverted, entries);
-- How many groups the key's columns make together. Without it the planner multiplies guesses,
-- expects a third of the 44,000 groups of programme, cohort and category, and chooses a hash
-- table that spills to disk (158 ms against 80 ms for the index's order, on the benchmark's
-- 139,400 rows). ANALYZE (autovacuum's, or below) fills it in.
CREATE STATISTICS cost_totals_groups (ndistinct) ON program_id, cohort_key, payer_key, category, year FROM cost_totals;
ANALYZE cost_totals;
