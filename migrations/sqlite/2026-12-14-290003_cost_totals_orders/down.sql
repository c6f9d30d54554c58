DROP INDEX cost_totals_by_year;
DROP INDEX cost_totals_by_category;
