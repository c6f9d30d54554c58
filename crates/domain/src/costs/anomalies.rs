//! Checks that catch waste audits find (`GET /api/v1/reports/costs/anomalies`): a trainee paid a
//! per diem or accommodation for overlapping days in two cohorts, and an expense recorded twice
//! (same payer, reference and amount). Budget lines are plans and are never checked.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CostCategory, CostRow, CostStatus};
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::{CohortId, CostId, ProgramId, TraineeId, text_enum};
use crate::money::{Currency, format_amount};
use crate::tabular::{Cell, Table};

text_enum!(
    /// Why two expenses are listed together.
    AnomalyReason {
        /// Per diems or accommodation of one trainee, in two cohorts, for overlapping days.
        OverlappingAllowances,
        /// Two expenses with the same payer, reference and amount.
        DuplicateExpense,
    }
);

/// The checks' parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams, Validate, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AnomalyParams {
    /// Only expenses of this programme (both of a pair, or either for an overlap across programmes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_id: Option<ProgramId>,
}

/// Two expenses that look wrong together.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Anomaly {
    /// Why.
    pub reason: AnomalyReason,
    /// The first expense (`GET /api/v1/expenses/{id}`).
    pub expense_id: CostId,
    /// The other.
    pub other_expense_id: CostId,
    /// The trainee both are for, for an overlap.
    pub trainee_id: Option<TraineeId>,
    /// The first expense's cohort.
    pub cohort_id: Option<CohortId>,
    /// The other's.
    pub other_cohort_id: Option<CohortId>,
    /// The first expense's amount, as recorded.
    #[schema(example = "1250000")]
    pub amount: String,
    /// Its currency.
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// What to look at, in words.
    pub detail: String,
    #[serde(skip)]
    amount_minor: i64,
}

/// The anomalies found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Anomalies {
    /// When its data was read (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub data_as_of: NaiveDateTime,
    /// What it was asked.
    pub filters: AnomalyParams,
    /// Each pair, overlaps first, then duplicates, by expense id.
    pub rows: Vec<Anomaly>,
}

#[derive(QueryableByName)]
struct Overlap {
    #[diesel(sql_type = BigInt)]
    a_id: i64,
    #[diesel(sql_type = BigInt)]
    b_id: i64,
    #[diesel(sql_type = BigInt)]
    trainee_id: i64,
    #[diesel(sql_type = BigInt)]
    a_cohort: i64,
    #[diesel(sql_type = BigInt)]
    b_cohort: i64,
    #[diesel(sql_type = BigInt)]
    amount_minor: i64,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Date)]
    a_from: NaiveDate,
    #[diesel(sql_type = Date)]
    a_to: NaiveDate,
    #[diesel(sql_type = Date)]
    b_from: NaiveDate,
    #[diesel(sql_type = Date)]
    b_to: NaiveDate,
}

#[derive(QueryableByName)]
struct Duplicate {
    #[diesel(sql_type = BigInt)]
    a_id: i64,
    #[diesel(sql_type = BigInt)]
    b_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    a_cohort: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    b_cohort: Option<i64>,
    #[diesel(sql_type = BigInt)]
    amount_minor: i64,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    payer_id: Option<i64>,
}

/// The days an allowance covers: its period, or its date alone.
const FROM: &str = "COALESCE({t}.period_from, {t}.entry_date)";
const TO: &str = "COALESCE({t}.period_to, {t}.entry_date)";

fn days(form: &str, table: &str) -> String {
    form.replace("{t}", table)
}

/// What an allowance `a` is joined with to reach the trainee's costs `b` in their other cohorts
/// (`overlapping` says how). `CROSS JOIN` keeps SQLite to this order, from the few expenses `a`
/// out through the indexes; left to choose, it started from the trainee's enrolments and read
/// ten times longer (0.4 s against 0.03 s at a million costs). PostgreSQL plans it as any join.
const OVERLAP_JOINS: &str = "CROSS JOIN enrollments ea CROSS JOIN enrollments eb CROSS JOIN costs b";

/// When `a` and `b`, joined by `OVERLAP_JOINS`, are one trainee's allowances in two cohorts for
/// overlapping days.
fn overlapping() -> String {
    format!(
        "ea.id = a.enrollment_id AND eb.trainee_id = ea.trainee_id AND eb.cohort_id <> ea.cohort_id \
         AND b.enrollment_id = eb.id \
         AND a.category IN ('per_diem', 'accommodation') AND b.category IN ('per_diem', 'accommodation') \
         AND a.status <> 'planned' AND b.status <> 'planned' AND {a_from} <= {b_to} AND {b_from} <= {a_to}",
        a_from = days(FROM, "a"),
        a_to = days(TO, "a"),
        b_from = days(FROM, "b"),
        b_to = days(TO, "b"),
    )
}

/// What an expense `a` is joined with to reach the expenses `b` with its payer, reference and
/// amount (`DUPLICATE`), in this order for SQLite too (see `OVERLAP_JOINS`).
const DUPLICATE_JOIN: &str = "CROSS JOIN costs b";
/// When `b`, joined by `DUPLICATE_JOIN`, has `a`'s payer, reference and amount.
const DUPLICATE: &str = "b.reference = a.reference AND b.amount_minor = a.amount_minor \
     AND b.currency = a.currency AND b.status <> 'planned' \
     AND (b.payer_id = a.payer_id OR (b.payer_id IS NULL AND a.payer_id IS NULL))";
/// What `a` must be to have duplicates.
const DUPLICABLE: &str = "a.status <> 'planned' AND a.reference IS NOT NULL";

/// The checks read only the expenses marked as candidates (`cost_anomaly_candidates`): both of
/// every pair are marked when the later of the two is written (`mark`), so a pair of unmarked
/// expenses is never an anomaly. A mark is only a hint: each pair is checked again here in full,
/// so a mark left by an expense changed since lists nothing.
///
/// That `b` is marked too is a filter, not a way in: `+b.id` keeps SQLite (3.50, the bundled one)
/// from seeking every marked id in the index of references for each `a` (748 × 748 seeks, 115 ms
/// for the duplicate check at a million costs, against 2.3 ms with it; 3.40 chose the range on its
/// own). PostgreSQL plans it alike either way (14–15 ms).
const CANDIDATES: &str = "cost_anomaly_candidates ca CROSS JOIN costs a";
const BOTH_CANDIDATES: &str = "a.id = ca.cost_id AND +b.id IN (SELECT cost_id FROM cost_anomaly_candidates)";

/// Every anomaly among the expenses in scope. Each query is one statement both databases read
/// alike, with no bound value (the programme's id is a typed integer).
pub fn anomalies(conn: &mut DbConnection, params: AnomalyParams) -> ApiResult<Anomalies> {
    let data_as_of = crate::clock::now();
    let scope = params
        .program_id
        .map(|p| format!("AND (a.program_id = {} OR b.program_id = {})", p.0, p.0))
        .unwrap_or_default();
    let (overlaps, duplicates) = pairs(conn, &format!("{BOTH_CANDIDATES} {scope}"), CANDIDATES)?;
    let mut rows = Vec::with_capacity(overlaps.len() + duplicates.len());
    for o in overlaps {
        let currency = read_currency(&o.currency)?;
        rows.push(Anomaly {
            reason: AnomalyReason::OverlappingAllowances,
            expense_id: CostId(o.a_id),
            other_expense_id: CostId(o.b_id),
            trainee_id: Some(TraineeId(o.trainee_id)),
            cohort_id: Some(CohortId(o.a_cohort)),
            other_cohort_id: Some(CohortId(o.b_cohort)),
            amount: format_amount(o.amount_minor, currency),
            amount_minor: o.amount_minor,
            currency,
            detail: format!(
                "trainee {} has allowances for {}–{} in cohort {} (expense {}) and for {}–{} in cohort {} (expense {}): \
                 the days overlap; check that both were due",
                o.trainee_id, o.a_from, o.a_to, o.a_cohort, o.a_id, o.b_from, o.b_to, o.b_cohort, o.b_id
            ),
        });
    }
    for d in duplicates {
        let currency = read_currency(&d.currency)?;
        let payer = d
            .payer_id
            .map_or("the department".to_owned(), |p| format!("partner {p}"));
        let amount = format_amount(d.amount_minor, currency);
        rows.push(Anomaly {
            reason: AnomalyReason::DuplicateExpense,
            expense_id: CostId(d.a_id),
            other_expense_id: CostId(d.b_id),
            trainee_id: None,
            cohort_id: d.a_cohort.map(CohortId),
            other_cohort_id: d.b_cohort.map(CohortId),
            detail: format!(
                "expenses {} and {} both record {amount} {currency} paid by {payer} under reference `{}`: \
                 one may be recorded twice",
                d.a_id, d.b_id, d.reference
            ),
            amount,
            amount_minor: d.amount_minor,
            currency,
        });
    }
    Ok(Anomalies {
        data_as_of,
        filters: params,
        rows,
    })
}

/// The pairs of both checks among `source` (which names the first expense `a`), narrowed by
/// `narrowing`, each pair once (`a` the lower id), in id order.
fn pairs(conn: &mut DbConnection, narrowing: &str, source: &str) -> ApiResult<(Vec<Overlap>, Vec<Duplicate>)> {
    let overlaps: Vec<Overlap> = diesel::sql_query(format!(
        "SELECT a.id AS a_id, b.id AS b_id, ea.trainee_id AS trainee_id, ea.cohort_id AS a_cohort, \
                eb.cohort_id AS b_cohort, a.amount_minor AS amount_minor, a.currency AS currency, \
                {a_from} AS a_from, {a_to} AS a_to, {b_from} AS b_from, {b_to} AS b_to \
         FROM {source} {OVERLAP_JOINS} \
         WHERE {narrowing} AND a.id < b.id AND {overlapping} \
         ORDER BY a.id, b.id",
        a_from = days(FROM, "a"),
        a_to = days(TO, "a"),
        b_from = days(FROM, "b"),
        b_to = days(TO, "b"),
        overlapping = overlapping(),
    ))
    .load(conn)?;
    let duplicates: Vec<Duplicate> = diesel::sql_query(format!(
        "SELECT a.id AS a_id, b.id AS b_id, a.cohort_id AS a_cohort, b.cohort_id AS b_cohort, \
                a.amount_minor AS amount_minor, a.currency AS currency, a.reference AS reference, a.payer_id AS payer_id \
         FROM {source} {DUPLICATE_JOIN} \
         WHERE {narrowing} AND {DUPLICATE} AND b.id > a.id AND {DUPLICABLE} \
         ORDER BY a.id, b.id"
    ))
    .load(conn)?;
    Ok((overlaps, duplicates))
}

#[derive(QueryableByName)]
struct Other {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Mark `row` and the expenses it forms an anomaly with as candidates, after it was written.
/// Found through the indexes from `row` alone: its trainee's allowances in other cohorts, and the
/// expenses with its reference. On PostgreSQL the write takes the checks' lock first, so that of
/// two expenses written at once that pair with each other, the second looks after the first's
/// commit and sees it (SQLite's writes already take turns).
pub(crate) fn mark(conn: &mut DbConnection, row: &CostRow) -> ApiResult<()> {
    let allowance =
        row.enrollment_id.is_some() && matches!(row.category, CostCategory::PerDiem | CostCategory::Accommodation);
    if row.status == CostStatus::Planned || (!allowance && row.reference.is_none()) {
        return Ok(());
    }
    crate::db::dialect::lock_anomaly_checks(conn)?;
    let id = row.id.0;
    let mut marked: Vec<i64> = Vec::new();
    if allowance {
        let found: Vec<Other> = diesel::sql_query(format!(
            "SELECT b.id AS id FROM costs a {OVERLAP_JOINS} WHERE a.id = {id} AND {}",
            overlapping()
        ))
        .load(conn)?;
        marked.extend(found.into_iter().map(|o| o.id));
    }
    if row.reference.is_some() {
        let found: Vec<Other> = diesel::sql_query(format!(
            "SELECT b.id AS id FROM costs a {DUPLICATE_JOIN} \
             WHERE a.id = {id} AND {DUPLICATE} AND b.id <> a.id AND {DUPLICABLE}"
        ))
        .load(conn)?;
        marked.extend(found.into_iter().map(|o| o.id));
    }
    if !marked.is_empty() {
        marked.push(id);
        store_marks(conn, &marked)?;
    }
    Ok(())
}

/// Forget a deleted expense's mark.
pub(crate) fn unmark(conn: &mut DbConnection, id: CostId) -> ApiResult<()> {
    diesel::sql_query(format!("DELETE FROM cost_anomaly_candidates WHERE cost_id = {}", id.0)).execute(conn)?;
    Ok(())
}

fn store_marks(conn: &mut DbConnection, ids: &[i64]) -> ApiResult<()> {
    for chunk in ids.chunks(1_000) {
        let values: Vec<String> = chunk.iter().map(|id| format!("({id})")).collect();
        diesel::sql_query(format!(
            "INSERT INTO cost_anomaly_candidates (cost_id) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// Mark every expense of every anomaly again, from all the costs (after a bulk load, which
/// writes costs without `mark`). Reads every expense: minutes at millions.
pub fn rebuild(conn: &mut DbConnection) -> ApiResult<usize> {
    diesel::sql_query("DELETE FROM cost_anomaly_candidates").execute(conn)?;
    let (overlaps, duplicates) = pairs(conn, "1 = 1", "costs a")?;
    let mut ids: Vec<i64> = overlaps
        .iter()
        .flat_map(|o| [o.a_id, o.b_id])
        .chain(duplicates.iter().flat_map(|d| [d.a_id, d.b_id]))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    store_marks(conn, &ids)?;
    Ok(ids.len())
}

fn read_currency(code: &str) -> ApiResult<Currency> {
    Currency::parse(code).map_err(|e| crate::error::ApiError::internal(anyhow::anyhow!("costs.currency: {e}")))
}

/// The anomalies as one table, amounts as numbers of their own currency.
pub fn table(report: &Anomalies) -> Table {
    let mut table = Table::with_columns([
        "reason",
        "expense_id",
        "other_expense_id",
        "trainee_id",
        "cohort_id",
        "other_cohort_id",
        "amount",
        "currency",
        "detail",
    ]);
    for row in &report.rows {
        table.rows.push(vec![
            Cell::Text(row.reason.to_string()),
            Cell::Integer(row.expense_id.0),
            Cell::Integer(row.other_expense_id.0),
            row.trainee_id.map_or(Cell::Empty, |t| Cell::Integer(t.0)),
            row.cohort_id.map_or(Cell::Empty, |c| Cell::Integer(c.0)),
            row.other_cohort_id.map_or(Cell::Empty, |c| Cell::Integer(c.0)),
            Cell::Amount(row.amount_minor, row.currency.exponent()),
            Cell::Text(row.currency.to_string()),
            Cell::Text(row.detail.clone()),
        ]);
    }
    table
}
