//! The sums the cost reports read, kept in the transaction of every change to a cost or to its
//! conversion, with the planned, committed and paid amounts as columns:
//! - `cost_totals`: one row per programme, cohort, payer, category and year. A report over a
//!   million costs reads about a seventh as many rows, and each row carries all three figures it
//!   sets against each other.
//! - `cohort_cost_totals`: the same by programme, cohort and category alone, a third as many
//!   again, for the reports that group by none of payer and year (`report::Plan`).
//!
//! `rebuild` makes them again from the costs (after a bulk load, or a change of reporting currency).

use std::collections::HashMap;

use diesel::prelude::*;

use super::{CostCategory, CostRow, CostStatus};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::ProgramId;

/// What a row of totals is kept by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The programme.
    pub program_id: ProgramId,
    /// The cohort's id, 0 for a programme-wide cost.
    pub cohort_key: i64,
    /// The payer's id, 0 for the department's own budget.
    pub payer_key: i64,
    /// The category.
    pub category: CostCategory,
    /// The year of the cost's date.
    pub year: i32,
}

/// A change to one row of totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    /// Planned, in the reporting currency's minor unit, over converted costs.
    pub planned: i64,
    /// Committed, likewise.
    pub committed: i64,
    /// Paid, likewise.
    pub paid: i64,
    /// Costs without a conversion.
    pub unconverted: i64,
    /// Costs.
    pub entries: i64,
}

impl Key {
    fn of(row: &CostRow) -> Key {
        Key {
            program_id: row.program_id,
            cohort_key: row.cohort_id.map_or(0, |c| c.0),
            payer_key: row.payer_id.map_or(0, |p| p.0),
            category: row.category,
            year: row.entry_year,
        }
    }
}

/// Changes to several rows of totals, summed before they are written.
#[derive(Debug, Default)]
pub(crate) struct Deltas(HashMap<Key, Delta>);

impl Deltas {
    /// Count `row` in (`sign` 1) or out (`sign` -1).
    pub(crate) fn add(&mut self, row: &CostRow, sign: i64) {
        let delta = self.0.entry(Key::of(row)).or_default();
        match row.reporting_minor {
            Some(amount) => {
                let slot = match row.status {
                    CostStatus::Planned => &mut delta.planned,
                    CostStatus::Committed => &mut delta.committed,
                    CostStatus::Paid => &mut delta.paid,
                };
                *slot += sign * amount;
            }
            None => delta.unconverted += sign,
        }
        delta.entries += sign;
    }

    /// Write them to both tables of totals, each in key order and `cost_totals` first: two
    /// transactions moving the same rows lock them in the same order, so neither waits for the
    /// other in a circle.
    pub(crate) fn store(self, conn: &mut DbConnection) -> ApiResult<()> {
        let mut changes: Vec<(crate::db::dialect::CostTotalsKey<'static>, Delta)> = self
            .0
            .into_iter()
            .filter(|(_, delta)| *delta != Delta::default())
            .map(|(key, delta)| {
                let key = (
                    key.program_id,
                    key.cohort_key,
                    key.payer_key,
                    key.category.as_str(),
                    key.year,
                );
                (key, delta)
            })
            .collect();
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        // The same changes by cohort and category alone, payers and years added together.
        let mut by_cohort: std::collections::BTreeMap<crate::db::dialect::CohortCostTotalsKey<'static>, Delta> =
            std::collections::BTreeMap::new();
        for ((program, cohort, _, category, _), delta) in &changes {
            let sum = by_cohort.entry((*program, *cohort, category)).or_default();
            sum.planned += delta.planned;
            sum.committed += delta.committed;
            sum.paid += delta.paid;
            sum.unconverted += delta.unconverted;
            sum.entries += delta.entries;
        }
        let overflow = |e: diesel::result::Error| {
            if crate::error::is_numeric_overflow(&e) {
                too_large()
            } else {
                e.into()
            }
        };
        for (key, delta) in changes {
            crate::db::dialect::add_cost_totals(conn, key, delta.columns()).map_err(overflow)?;
        }
        for (key, delta) in by_cohort {
            if delta != Delta::default() {
                crate::db::dialect::add_cohort_cost_totals(conn, key, delta.columns()).map_err(overflow)?;
            }
        }
        Ok(())
    }
}

impl Delta {
    /// As the totals' columns: planned, committed, paid, unconverted, entries.
    fn columns(self) -> [i64; 5] {
        [self.planned, self.committed, self.paid, self.unconverted, self.entries]
    }
}

/// 422 naming `amount` when the totals it joins would pass 64 bits.
pub(crate) fn too_large() -> ApiError {
    ApiError::invalid(
        "amount",
        "too_large",
        "would take its programme's totals past 9,223,372,036,854,775,807 minor units of the reporting currency; \
         check the amount",
    )
}

/// Count one cost in (`sign` 1) or out (`sign` -1) of its totals.
pub(crate) fn apply(conn: &mut DbConnection, row: &CostRow, sign: i64) -> ApiResult<()> {
    let mut deltas = Deltas::default();
    deltas.add(row, sign);
    deltas.store(conn)
}

/// Make every total again from the costs: `cost_totals` from the costs, the totals by cohort and
/// category from `cost_totals`.
pub fn rebuild(conn: &mut DbConnection) -> ApiResult<()> {
    diesel::delete(crate::schema::cohort_cost_totals::table).execute(conn)?;
    diesel::delete(crate::schema::cost_totals::table).execute(conn)?;
    // One statement both databases read alike: the year is a column of its own for this.
    diesel::sql_query(
        "INSERT INTO cost_totals \
             (program_id, cohort_key, payer_key, category, year, planned, committed, paid, unconverted, entries) \
         SELECT program_id, COALESCE(cohort_id, 0), COALESCE(payer_id, 0), category, entry_year, \
                COALESCE(SUM(CASE WHEN status = 'planned' THEN reporting_minor END), 0), \
                COALESCE(SUM(CASE WHEN status = 'committed' THEN reporting_minor END), 0), \
                COALESCE(SUM(CASE WHEN status = 'paid' THEN reporting_minor END), 0), \
                SUM(CASE WHEN reporting_minor IS NULL THEN 1 ELSE 0 END), COUNT(*) \
         FROM costs \
         GROUP BY program_id, COALESCE(cohort_id, 0), COALESCE(payer_id, 0), category, entry_year",
    )
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO cohort_cost_totals \
             (program_id, cohort_key, category, planned, committed, paid, unconverted, entries) \
         SELECT program_id, cohort_key, category, SUM(planned), SUM(committed), SUM(paid), SUM(unconverted), \
                SUM(entries) \
         FROM cost_totals \
         GROUP BY program_id, cohort_key, category",
    )
    .execute(conn)?;
    Ok(())
}
