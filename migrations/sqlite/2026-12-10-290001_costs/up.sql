-- What programmes cost (issue 29): exchange rates, budget lines and expenses, and the totals the
-- cost reports read.

-- A rate recorded for a day: one unit of `base_currency` buys `rate` units of `quote_currency`
-- (both ISO 4217 codes). An amount dated D is converted at the pair's latest rate dated on or
-- before D. `rate` is an exact decimal string (crate::money::Rate), never a float.
CREATE TABLE exchange_rates (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    base_currency  TEXT NOT NULL,
    quote_currency TEXT NOT NULL,
    rate_date      DATE NOT NULL,
    rate           TEXT NOT NULL,
    -- Who published it: the State Bank of Vietnam, a funder's monthly rate.
    source         TEXT NOT NULL,
    note           TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (base_currency, quote_currency, rate_date)
);

-- Budget lines (status `planned`) and expenses (`committed`, then `paid`) in one table: they
-- have the same fields, and the reports set one against the other.
CREATE TABLE costs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    program_id         INTEGER NOT NULL REFERENCES programs (id),
    cohort_id          INTEGER REFERENCES cohorts (id),
    -- A trainee's own cost (an airfare, a per diem).
    enrollment_id      INTEGER REFERENCES enrollments (id),
    status             TEXT NOT NULL,
    category           TEXT NOT NULL,
    -- A partner of the programme that funds it; NULL: the department's own budget.
    payer_id           INTEGER REFERENCES partners (id),
    -- An exact count of the currency's minor unit (VND and JPY have none; USD and EUR cents).
    amount_minor       BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    entry_date         DATE NOT NULL,
    -- entry_date's year, which the totals are kept by (one column both databases read alike).
    entry_year         INTEGER NOT NULL,
    -- The days a per diem or a night's accommodation covers, for the overlap check.
    period_from        DATE,
    period_to          DATE,
    reference          TEXT,
    note               TEXT,
    -- Derived on every write and whenever a rate changes: the amount in the reporting currency,
    -- at the rate `rate_id`, rounded once; NULL when no rate applies.
    rate_id            INTEGER,
    reporting_currency TEXT NOT NULL,
    reporting_minor    BIGINT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    source             TEXT,
    sources            TEXT
);
CREATE INDEX costs_program_status_date_id ON costs (program_id, status, entry_date, id);
CREATE INDEX costs_cohort ON costs (cohort_id, status);
CREATE INDEX costs_enrollment ON costs (enrollment_id, status);
CREATE INDEX costs_payer ON costs (payer_id, status);
CREATE INDEX costs_currency_date ON costs (currency, entry_date);
CREATE INDEX costs_reference ON costs (reference, amount_minor);
-- The few costs no rate converts, by programme: the report names their missing rates from here
-- without reading its programmes' other costs (led by currency alone, a report over every
-- programme read all of them through the programme index instead: ~0.5 s at a million).
CREATE INDEX costs_unconverted ON costs (program_id, currency, entry_date) WHERE reporting_minor IS NULL;

-- The costs summed by everything a cost report groups by, kept in the transaction of every
-- change to a cost or a rate, so that a report reads thousands of rows, not millions.
-- cohort_key 0: programme-wide; payer_key 0: the department's own budget.
CREATE TABLE cost_totals (
    program_id  INTEGER NOT NULL,
    cohort_key  INTEGER NOT NULL,
    payer_key   INTEGER NOT NULL,
    category    TEXT NOT NULL,
    year        INTEGER NOT NULL,
    status      TEXT NOT NULL,
    -- In the reporting currency's minor unit, over the costs converted.
    amount      BIGINT NOT NULL,
    -- Costs with no rate to convert them, which `amount` leaves out.
    unconverted BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    PRIMARY KEY (program_id, cohort_key, payer_key, category, year, status)
);

-- Expenses that may form an anomaly (a trainee's overlapping allowances, an expense recorded
-- twice): each write of an expense looks up its own matches through the indexes and marks both, so
-- the checks read the few marked, not every expense. A mark is a hint; the checks test each pair
-- in full. No foreign key: a deleted expense's mark is removed with it, and ids are never reused.
CREATE TABLE cost_anomaly_candidates (
    cost_id INTEGER PRIMARY KEY
);

-- The currency the stored conversions are in (TPMS_REPORTING_CURRENCY when they were made); one
-- row. A start with another setting converts every cost again.
CREATE TABLE cost_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    reporting_currency TEXT NOT NULL
);
INSERT INTO cost_settings (id, reporting_currency) VALUES (1, 'VND');
CREATE INDEX exchange_rates_date_id ON exchange_rates (rate_date, id);
CREATE INDEX exchange_rates_created_at_id ON exchange_rates (created_at, id);
CREATE INDEX costs_program_status_created_at_id ON costs (program_id, status, created_at, id);
