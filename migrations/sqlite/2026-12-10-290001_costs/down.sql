DROP TABLE cost_anomaly_candidates;
DROP TABLE cost_settings;
DROP TABLE cost_totals;
DROP TABLE costs;
DROP TABLE exchange_rates;
