//! Converting each cost to the reporting currency: at the latest rate of the pair (the cost's
//! currency to the reporting one) dated on or before the cost's date, computed exactly and rounded
//! once to the reporting currency's minor unit, half away from zero (`money::ROUNDING`). The result
//! is stored with the cost and kept whenever the cost or a rate of its currency changes, so a
//! report sums stored integers and a report's total is the sum of its lines.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{CostRow, totals};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CostId, ExchangeRateId};
use crate::money::{Currency, Rate};
use crate::schema::{cost_settings, costs, exchange_rates};

/// The reporting currency the stored conversions are in.
pub fn reporting_currency(conn: &mut DbConnection) -> ApiResult<Currency> {
    let code: String = cost_settings::table
        .select(cost_settings::reporting_currency)
        .first(conn)?;
    Currency::parse(&code).map_err(|e| ApiError::internal(anyhow::anyhow!("cost_settings: {e}")))
}

/// What a cost with no rate is missing, and how to add it.
pub fn missing_rate(from: Currency, to: Currency, date: NaiveDate) -> String {
    format!(
        "no {from} to {to} exchange rate dated on or before {date}: add one with POST /api/v1/exchange-rates (base_currency {from}, quote_currency {to})"
    )
}

/// The rates of some currencies to the reporting currency, each currency's in date order.
pub struct Rates {
    reporting: Currency,
    by_currency: HashMap<Currency, Vec<(NaiveDate, ExchangeRateId, Rate)>>,
}

impl Rates {
    /// The rates of `currency` to `reporting`.
    pub fn for_currency(conn: &mut DbConnection, currency: Currency, reporting: Currency) -> ApiResult<Rates> {
        Rates::load(conn, Some(currency), reporting)
    }

    /// The rates of every currency to `reporting`.
    pub fn to(conn: &mut DbConnection, reporting: Currency) -> ApiResult<Rates> {
        Rates::load(conn, None, reporting)
    }

    fn load(conn: &mut DbConnection, currency: Option<Currency>, reporting: Currency) -> ApiResult<Rates> {
        let mut query = exchange_rates::table
            .filter(exchange_rates::quote_currency.eq(reporting.code()))
            .into_boxed();
        if let Some(currency) = currency {
            query = query.filter(exchange_rates::base_currency.eq(currency.code()));
        }
        let found: Vec<(ExchangeRateId, String, NaiveDate, String)> = query
            .order((exchange_rates::base_currency, exchange_rates::rate_date))
            .select((
                exchange_rates::id,
                exchange_rates::base_currency,
                exchange_rates::rate_date,
                exchange_rates::rate,
            ))
            .load(conn)?;
        let mut by_currency: HashMap<Currency, Vec<(NaiveDate, ExchangeRateId, Rate)>> = HashMap::new();
        for (id, base, date, rate) in found {
            let unreadable = |e: String| ApiError::internal(anyhow::anyhow!("exchange rate {id}: {e}"));
            let base = Currency::parse(&base).map_err(unreadable)?;
            let rate = Rate::parse(&rate).map_err(unreadable)?;
            by_currency.entry(base).or_default().push((date, id, rate));
        }
        Ok(Rates { reporting, by_currency })
    }

    /// The rate in force for `currency` on `date`: the latest dated on or before it.
    pub fn on(&self, currency: Currency, date: NaiveDate) -> Option<(ExchangeRateId, Rate)> {
        let rates = self.by_currency.get(&currency)?;
        let after = rates.partition_point(|(day, _, _)| *day <= date);
        after.checked_sub(1).map(|i| (rates[i].1, rates[i].2))
    }

    /// The date of `currency`'s first rate after `day`: from it on, a change on `day` moves nothing.
    fn next_after(&self, currency: Currency, day: NaiveDate) -> Option<NaiveDate> {
        let rates = self.by_currency.get(&currency)?;
        let after = rates.partition_point(|(date, _, _)| *date <= day);
        rates.get(after).map(|(date, _, _)| *date)
    }

    /// `(rate_id, reporting_minor)` for `minor` of `currency` dated `date`: the amount itself in
    /// the reporting currency, none without a rate; `Err` with the amount's problem when the
    /// converted amount is beyond what can be stored.
    pub fn convert(
        &self,
        minor: i64,
        currency: Currency,
        date: NaiveDate,
    ) -> Result<(Option<ExchangeRateId>, Option<i64>), String> {
        if currency == self.reporting {
            return Ok((None, Some(minor)));
        }
        match self.on(currency, date) {
            None => Ok((None, None)),
            Some((id, rate)) => match rate.convert(minor, currency, self.reporting) {
                Some(converted) => Ok((Some(id), Some(converted))),
                None => Err(format!(
                    "is too large to convert to {} at rate {rate} (exchange rate {id})",
                    self.reporting
                )),
            },
        }
    }

    /// Set a cost's conversion; 422 naming `amount` when it cannot be stored converted.
    pub(crate) fn convert_row(&self, row: &mut CostRow) -> ApiResult<()> {
        let (rate, converted) = self
            .convert(row.amount_minor, row.currency, row.entry_date)
            .map_err(|problem| ApiError::invalid("amount", "too_large", problem))?;
        row.rate_id = rate;
        row.reporting_minor = converted;
        row.reporting_currency = self.reporting;
        Ok(())
    }
}

/// Convert again the costs in `currency` that a change of its rates dated `changed` can move,
/// after the change; returns how many conversions changed. Their totals move with them. The
/// costs' versions stay: their own fields did not change, only what they are worth in the
/// reporting currency.
///
/// A cost converts at the latest rate dated on or before it, so a rate added, changed or removed
/// on day D moves only the costs dated from D to the day before the next rate (as the rates now
/// stand); the later costs keep theirs, and are not read.
pub(crate) fn reconvert(conn: &mut DbConnection, currency: Currency, changed: &[NaiveDate]) -> ApiResult<usize> {
    let reporting = reporting_currency(conn)?;
    let rates = Rates::for_currency(conn, currency, reporting)?;
    let mut spans: Vec<(NaiveDate, Option<NaiveDate>)> = changed
        .iter()
        .map(|day| (*day, rates.next_after(currency, *day)))
        .collect();
    spans.sort();
    // Spans that meet are read once.
    let mut merged: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::with_capacity(spans.len());
    for (from, until) in spans {
        match merged.last_mut() {
            Some(last) if last.1.is_none_or(|end| from <= end) => {
                last.1 = match (last.1, until) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => merged.push((from, until)),
        }
    }
    let mut changed_rows = 0;
    for (from, until) in merged {
        let mut query = costs::table
            .filter(costs::currency.eq(currency.code()))
            .filter(costs::entry_date.ge(from))
            .into_boxed();
        if let Some(until) = until {
            query = query.filter(costs::entry_date.lt(until));
        }
        let rows: Vec<CostRow> = query.select(costs::all_columns).load(conn)?;
        changed_rows += reconvert_rows(conn, &rates, rows, true)?;
    }
    Ok(changed_rows)
}

/// Convert `rows` again at `rates`, storing and counting the ones whose conversion changed, and
/// moving their totals when `move_totals` (not when the caller rebuilds them all afterwards). A
/// cost too large to convert is left without a conversion (its report names it as missing a rate).
fn reconvert_rows(conn: &mut DbConnection, rates: &Rates, rows: Vec<CostRow>, move_totals: bool) -> ApiResult<usize> {
    let mut changed = 0;
    let mut deltas = totals::Deltas::default();
    for before in rows {
        let (rate, converted) = rates
            .convert(before.amount_minor, before.currency, before.entry_date)
            .unwrap_or((None, None));
        if rate == before.rate_id && converted == before.reporting_minor && before.reporting_currency == rates.reporting
        {
            continue;
        }
        let mut after = before.clone();
        after.rate_id = rate;
        after.reporting_minor = converted;
        after.reporting_currency = rates.reporting;
        diesel::update(costs::table.find(after.id))
            .set((
                costs::rate_id.eq(after.rate_id),
                costs::reporting_minor.eq(after.reporting_minor),
                costs::reporting_currency.eq(after.reporting_currency),
            ))
            .execute(conn)?;
        if move_totals {
            deltas.add(&before, -1);
            deltas.add(&after, 1);
        }
        changed += 1;
    }
    deltas.store(conn)?;
    Ok(changed)
}

/// Make `reporting` the currency every cost is converted to (`TPMS_REPORTING_CURRENCY`, at
/// start-up): when it differs from the one the stored conversions are in, convert every cost again,
/// a batch at a time, and rebuild the totals. Returns how many costs were converted again.
pub fn use_reporting_currency(conn: &mut DbConnection, reporting: Currency) -> ApiResult<usize> {
    if reporting_currency(conn)? == reporting {
        return Ok(0);
    }
    diesel::update(cost_settings::table)
        .set(cost_settings::reporting_currency.eq(reporting.code()))
        .execute(conn)?;
    let rates = Rates::to(conn, reporting)?;
    let mut after = CostId(0);
    let mut changed = 0;
    loop {
        let rows: Vec<CostRow> = costs::table
            .filter(costs::id.gt(after))
            .order(costs::id)
            .limit(BATCH)
            .select(costs::all_columns)
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        // The totals are made again from all the costs below, once, rather than moved batch by batch.
        changed += reconvert_rows(conn, &rates, rows, false)?;
    }
    totals::rebuild(conn)?;
    Ok(changed)
}

/// Costs read at a time when all are converted again.
const BATCH: i64 = 10_000;
