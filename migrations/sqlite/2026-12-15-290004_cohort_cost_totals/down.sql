DROP TABLE cohort_cost_totals;
