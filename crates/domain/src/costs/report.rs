//! The cost report (`GET /api/v1/reports/costs`): planned, committed and paid per programme,
//! cohort, payer, category or year (or any combination), the variance and the efficiency band
//! donors rate by, and what it cost per trainee seated, per trainee who completed and per
//! action-plan item achieved by 12 months. It reads the kept totals (`cost_totals`), not the costs.
//!
//! The trainees of a group are those of its cohorts: a cohort's costs count its own trainees; a
//! programme-wide cost counts every cohort of its programme.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::CostCategory;
use crate::access::Caller;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, PartnerId, ProgramId, text_enum};
use crate::money::{Currency, format_amount};
use crate::schema::{cohorts, costs, enrollments, partners, program_partners, programs};
use crate::statuses::EnrollmentStatus;
use crate::tabular::{Cell, Table};

text_enum!(
    /// What the cost report groups by.
    CostDimension {
        /// The programme (its code).
        Program,
        /// The cohort (its code; none for programme-wide costs).
        Cohort,
        /// Who pays (a funder's code, or `department` for its own budget).
        Payer,
        /// The category.
        Category,
        /// The year of the cost's date.
        Year,
    }
);

text_enum!(
    /// How donors rate spending against plan (JICA's ex-post evaluations): within 100 % of what
    /// was planned is efficient, over 150 % inefficient, between the two moderately efficient.
    EfficiencyBand {
        /// Spent at most what was planned.
        Efficient,
        /// Spent more than planned, at most 150 %.
        ModeratelyEfficient,
        /// Spent more than 150 % of what was planned.
        Inefficient,
    }
);

impl EfficiencyBand {
    /// The band of `spent` against `planned`; none without a plan.
    pub fn of(spent: i64, planned: i64) -> Option<EfficiencyBand> {
        if planned <= 0 {
            return None;
        }
        // Compared in whole numbers: spent ≤ planned, 2·spent ≤ 3·planned.
        let (spent, planned) = (i128::from(spent), i128::from(planned));
        Some(if spent <= planned {
            EfficiencyBand::Efficient
        } else if 2 * spent <= 3 * planned {
            EfficiencyBand::ModeratelyEfficient
        } else {
            EfficiencyBand::Inefficient
        })
    }
}

/// The cost report's parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams, Validate, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CostParams {
    /// What to group by, comma-separated, in order: `program`, `cohort`, `payer`, `category`, `year`
    /// (default `program`).
    #[param(
        max_length = 100,
        pattern = r"^(program|cohort|payer|category|year)(,(program|cohort|payer|category|year))*$"
    )]
    #[validate(length(max = 100))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    /// Only this programme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_id: Option<ProgramId>,
    /// Only this cohort.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohort_id: Option<CohortId>,
    /// Only what this partner pays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_id: Option<PartnerId>,
    /// Only costs dated in this year or later (1900 to 2199).
    #[validate(range(min = crate::dates::FIRST_YEAR, max = crate::dates::LAST_YEAR))]
    #[param(minimum = 1900, maximum = 2199)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_from: Option<i32>,
    /// Only costs dated in this year or earlier (1900 to 2199).
    #[validate(range(min = crate::dates::FIRST_YEAR, max = crate::dates::LAST_YEAR))]
    #[param(minimum = 1900, maximum = 2199)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_to: Option<i32>,
}

impl CostParams {
    /// The dimensions asked for, each once; 400 naming a word that is not one, or an empty year range.
    pub fn dimensions(&self) -> ApiResult<Vec<CostDimension>> {
        if let (Some(from), Some(to)) = (self.year_from, self.year_to)
            && from > to
        {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("year_from ({from}) is after year_to ({to}); swap them"),
            ));
        }
        let mut dimensions = Vec::new();
        for word in self.group_by.as_deref().unwrap_or("program").split(',').map(str::trim) {
            let dimension: CostDimension = word.parse().map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "group_by: `{word}` is not something costs are grouped by; use any of program, cohort, payer, \
                         category, year, comma-separated"
                    ),
                )
            })?;
            if !dimensions.contains(&dimension) {
                dimensions.push(dimension);
            }
        }
        Ok(dimensions)
    }
}

/// One group's figures. Amounts are decimal strings in the report's currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CostLine {
    /// The group: each dimension asked for and its value (`null` for a programme-wide cost's cohort).
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, Value>,
    /// Budgeted.
    #[schema(example = "120000000")]
    pub planned: String,
    /// Committed and not yet paid.
    pub committed: String,
    /// Paid.
    pub paid: String,
    /// Committed and paid: what it costs.
    pub spent: String,
    /// `spent − planned`: negative under budget.
    pub variance: String,
    /// `spent / planned`, 1 meaning as planned; none without a plan.
    pub spent_share_of_planned: Option<f64>,
    /// The band donors rate it in; none without a plan.
    pub efficiency: Option<EfficiencyBand>,
    /// Trainees seated in the group's cohorts.
    pub seated_trainees: i64,
    /// Of them, those who completed.
    pub completed_trainees: i64,
    /// Items of their approved action plans reported achieved by the 12-month follow-up.
    pub items_achieved_by_12_months: i64,
    /// `spent` per seated trainee.
    pub cost_per_seated_trainee: Option<String>,
    /// `spent` per trainee who completed.
    pub cost_per_completed_trainee: Option<String>,
    /// `spent` per action-plan item achieved by 12 months.
    pub cost_per_item_achieved: Option<String>,
    /// Costs left out of the amounts for want of an exchange rate (see `missing_rates`).
    pub unconverted_costs: i64,
    #[serde(skip)]
    minor: Sums,
}

/// A rate the report needed and did not find.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissingRate {
    /// The currency costs were recorded in.
    #[schema(value_type = String, example = "JPY")]
    pub currency: Currency,
    /// The earliest date that needs a rate.
    pub from: chrono::NaiveDate,
    /// The latest.
    pub to: chrono::NaiveDate,
    /// Costs waiting for it.
    pub costs: i64,
    /// What to do.
    pub message: String,
}

/// What the report was asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CostFiltersEcho {
    /// The groups, in order.
    pub group_by: Vec<CostDimension>,
    /// Only this programme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_id: Option<ProgramId>,
    /// Only this cohort.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohort_id: Option<CohortId>,
    /// Only what this partner pays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_id: Option<PartnerId>,
    /// Only costs dated in this year or later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_from: Option<i32>,
    /// Only costs dated in this year or earlier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_to: Option<i32>,
}

/// The cost report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CostReport {
    /// When its data was read (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub data_as_of: NaiveDateTime,
    /// The currency of every amount (`TPMS_REPORTING_CURRENCY`).
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// How amounts in other currencies were converted.
    pub conversion: &'static str,
    /// What it was asked.
    pub filters: CostFiltersEcho,
    /// One line per group.
    pub rows: Vec<CostLine>,
    /// All groups together.
    pub totals: CostLine,
    /// The rates it lacked; their costs are counted in `unconverted_costs`, not in the amounts.
    pub missing_rates: Vec<MissingRate>,
}

/// Planned, committed and paid in minor units, and costs not converted.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    planned: i64,
    committed: i64,
    paid: i64,
    unconverted: i64,
}

/// 409 for costs whose sum does not fit in 64 bits.
fn too_large() -> ApiError {
    ApiError::conflict(
        "amounts_too_large",
        "the costs in scope sum past 9,223,372,036,854,775,807 minor units of the reporting currency; \
         narrow the report (program_id, year_from, year_to) or check the amounts recorded",
    )
}

/// A group as it is summed: its amounts (in 128 bits, checked once all are added) and the
/// cohorts whose trainees count.
#[derive(Debug, Default)]
struct Group {
    planned: i128,
    committed: i128,
    paid: i128,
    unconverted: i64,
    cohorts: BTreeSet<CohortId>,
}

impl Group {
    fn add(&mut self, row: &SummedRow) {
        self.planned += row.planned();
        self.committed += row.committed();
        self.paid += row.paid();
        self.unconverted = self.unconverted.saturating_add(row.unconverted);
    }

    /// Add `other` in (two keys with one label make one line, as they always did).
    fn merge(&mut self, other: Group) {
        self.planned += other.planned;
        self.committed += other.committed;
        self.paid += other.paid;
        self.unconverted = self.unconverted.saturating_add(other.unconverted);
        if self.cohorts.is_empty() {
            self.cohorts = other.cohorts;
        } else {
            self.cohorts.extend(other.cohorts);
        }
    }

    /// The group's sums, or 409 when one of them, or what the lines derive from them (spent,
    /// the variance), does not fit in 64 bits: no figure saturates.
    fn sums(&self) -> ApiResult<Sums> {
        let fit = |n: i128| i64::try_from(n).map_err(|_| too_large());
        let spent = self.committed + self.paid;
        fit(spent)?;
        fit(spent - self.planned)?;
        Ok(Sums {
            planned: fit(self.planned)?,
            committed: fit(self.committed)?,
            paid: fit(self.paid)?,
            unconverted: self.unconverted,
        })
    }
}

/// The kept totals of one group and one programme and cohort key it holds costs of (whose
/// trainees count in it), as the database adds them up. Its key columns are named apart from the
/// table's (`k_…`); those the report does not group by come back as 0 (`category` as NULL) and are
/// not read.
#[derive(QueryableByName)]
struct SummedRow {
    #[diesel(sql_type = BigInt)]
    k_program: i64,
    #[diesel(sql_type = BigInt)]
    k_cohort: i64,
    #[diesel(sql_type = BigInt)]
    k_payer: i64,
    #[diesel(sql_type = Nullable<Text>)]
    k_category: Option<CostCategory>,
    #[diesel(sql_type = Integer)]
    k_year: i32,
    #[diesel(sql_type = BigInt)]
    owner_program: i64,
    #[diesel(sql_type = BigInt)]
    owner_cohort: i64,
    #[diesel(sql_type = BigInt)]
    planned_high: i64,
    #[diesel(sql_type = BigInt)]
    planned_low: i64,
    #[diesel(sql_type = BigInt)]
    committed_high: i64,
    #[diesel(sql_type = BigInt)]
    committed_low: i64,
    #[diesel(sql_type = BigInt)]
    paid_high: i64,
    #[diesel(sql_type = BigInt)]
    paid_low: i64,
    #[diesel(sql_type = BigInt)]
    unconverted: i64,
}

impl SummedRow {
    fn whole(high: i64, low: i64) -> i128 {
        i128::from(high) * SPLIT + i128::from(low)
    }

    fn planned(&self) -> i128 {
        Self::whole(self.planned_high, self.planned_low)
    }

    fn committed(&self) -> i128 {
        Self::whole(self.committed_high, self.committed_low)
    }

    fn paid(&self) -> i128 {
        Self::whole(self.paid_high, self.paid_low)
    }
}

/// Each amount is summed in two parts, `amount / 2^32` and the rest (both rounded toward zero on
/// either database), that cannot overflow a 64-bit sum below 2^31 rows; the whole is put together
/// in 128 bits. A sum past 64 bits is then the report's 409, not a database error (SQLite's `SUM`
/// fails on overflow; PostgreSQL's is a numeric that the cast to BIGINT would fail on).
const SPLIT: i128 = 1 << 32;

/// What the database sums per group, for one amount column.
fn split_sum(column: &str) -> String {
    format!(
        "CAST(SUM({column} / 4294967296) AS BIGINT) AS {column}_high, \
         CAST(SUM({column} % 4294967296) AS BIGINT) AS {column}_low"
    )
}

/// The key columns of `cost_totals` as a grouped query selects them: the dimension's column, or a
/// constant of its type when the report does not group by it.
fn key_columns(dimensions: &[CostDimension]) -> (String, String) {
    let columns = [
        (CostDimension::Program, "program_id", "CAST(0 AS BIGINT)"),
        (CostDimension::Cohort, "cohort_key", "CAST(0 AS BIGINT)"),
        (CostDimension::Payer, "payer_key", "CAST(0 AS BIGINT)"),
        (CostDimension::Category, "category", "CAST(NULL AS TEXT)"),
        (CostDimension::Year, "year", "CAST(0 AS INTEGER)"),
    ];
    let select = columns
        .iter()
        .map(|(d, column, constant)| {
            if dimensions.contains(d) {
                format!("{column} AS k_{}", d.as_str())
            } else {
                format!("{constant} AS k_{}", d.as_str())
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    // Always by programme and cohort too: each row's owner is known. Then the others asked for,
    // in the order of the first index whose columns after those two begin with exactly them, so
    // that the database sums rows in the order it reads them rather than sorting or hashing them
    // all (the key, `cost_totals_by_category`, `cost_totals_by_year`).
    const ORDERS: [[CostDimension; 3]; 3] = [
        [CostDimension::Payer, CostDimension::Category, CostDimension::Year],
        [CostDimension::Category, CostDimension::Year, CostDimension::Payer],
        [CostDimension::Year, CostDimension::Payer, CostDimension::Category],
    ];
    let asked = |d: &CostDimension| dimensions.contains(d);
    let n = ORDERS[0].iter().filter(|d| asked(d)).count();
    let order = ORDERS
        .iter()
        .find(|order| order[..n].iter().all(asked))
        .unwrap_or(&ORDERS[0]);
    let column = |d: &CostDimension| {
        columns
            .iter()
            .find(|(c, _, _)| c == d)
            .map_or("", |(_, column, _)| *column)
    };
    let group = ["program_id", "cohort_key"]
        .into_iter()
        .chain(order[..n].iter().map(column))
        .collect::<Vec<_>>()
        .join(", ");
    (select, group)
}

/// The cost report for `caller`: a liaison reads only the programmes its partner funds.
///
/// The database adds the kept totals up by the groups asked for (a few thousand rows at most,
/// where the totals hold hundreds of thousands), and lists which programmes and cohorts each group
/// holds costs of, for its trainees. Every value written into the SQL is a typed integer.
pub fn costs(conn: &mut DbConnection, caller: &Caller, params: CostParams) -> ApiResult<CostReport> {
    let dimensions = params.dimensions()?;
    let data_as_of = crate::clock::now();
    let currency = super::conversion::reporting_currency(conn)?;
    let programs = programs_in_scope(conn, caller, &params)?;

    let mut filter = vec!["entries <> 0".to_owned()];
    if programs.is_empty() {
        filter.push("1 = 0".to_owned());
    } else {
        let ids: Vec<String> = programs.keys().map(|p| p.0.to_string()).collect();
        filter.push(format!("program_id IN ({})", ids.join(", ")));
    }
    if let Some(cohort) = params.cohort_id {
        filter.push(format!("cohort_key = {}", cohort.0));
    }
    if let Some(payer) = params.payer_id {
        filter.push(format!("payer_key = {}", payer.0));
    }
    if let Some(from) = params.year_from {
        filter.push(format!("year >= {from}"));
    }
    if let Some(to) = params.year_to {
        filter.push(format!("year <= {to}"));
    }
    let filter = filter.join(" AND ");
    let (select, group) = key_columns(&dimensions);
    // One pass over the totals gives both each group's sums and the cohorts whose trainees count
    // in it: grouped by the programme and cohort too, each row is one group's share of one owner.
    let sums: Vec<SummedRow> = diesel::sql_query(format!(
        "SELECT {select}, program_id AS owner_program, cohort_key AS owner_cohort, \
                {planned}, {committed}, {paid}, CAST(SUM(unconverted) AS BIGINT) AS unconverted \
         FROM cost_totals WHERE {filter} GROUP BY {group}",
        planned = split_sum("planned"),
        committed = split_sum("committed"),
        paid = split_sum("paid"),
    ))
    .load(conn)?;

    // What the labels of the groups are: codes, read once for all rows.
    let cohort_ids: BTreeSet<i64> = sums.iter().map(|t| t.k_cohort).filter(|c| *c != 0).collect();
    let cohort_ids: Vec<i64> = cohort_ids.into_iter().collect();
    let cohort_codes: HashMap<i64, String> = chunked(conn, &cohort_ids, |conn, ids| {
        Ok(cohorts::table
            .filter(cohorts::id.eq_any(ids))
            .select((cohorts::id, cohorts::code))
            .load::<(i64, String)>(conn)?)
    })?
    .into_iter()
    .collect();
    let payer_ids: BTreeSet<i64> = sums.iter().map(|t| t.k_payer).filter(|p| *p != 0).collect();
    let payer_codes: HashMap<i64, String> = partners::table
        .filter(partners::id.eq_any(payer_ids))
        .select((partners::id, partners::code))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    // Each programme's cohorts, for its programme-wide costs (only the programmes that have any).
    let program_ids: BTreeSet<ProgramId> = sums
        .iter()
        .filter(|o| o.owner_cohort == 0)
        .map(|o| ProgramId(o.owner_program))
        .collect();
    let mut cohorts_of: HashMap<ProgramId, Vec<CohortId>> = HashMap::new();
    for (cohort, program) in cohorts::table
        .filter(cohorts::program_id.eq_any(program_ids))
        .select((cohorts::id, cohorts::program_id))
        .load::<(CohortId, ProgramId)>(conn)?
    {
        cohorts_of.entry(program).or_default().push(cohort);
    }

    // Summed by the raw key first; labelled (and put in the labels' order) once per group.
    type RawKey = (i64, i64, i64, Option<CostCategory>, i32);
    let mut by_key: HashMap<RawKey, Group> = HashMap::new();
    let mut all = Group::default();
    for row in &sums {
        let key = (row.k_program, row.k_cohort, row.k_payer, row.k_category, row.k_year);
        let single;
        let whose: &[CohortId] = match row.owner_cohort {
            0 => cohorts_of.get(&ProgramId(row.owner_program)).map_or(&[], Vec::as_slice),
            id => {
                single = [CohortId(id)];
                &single
            }
        };
        for group in [by_key.entry(key).or_default(), &mut all] {
            group.add(row);
            group.cohorts.extend(whose.iter().copied());
        }
    }
    let label = |(program, cohort, payer, category, year): RawKey| -> Vec<GroupKey> {
        dimensions
            .iter()
            .map(|d| match d {
                CostDimension::Program => {
                    GroupKey::Text(programs.get(&ProgramId(program)).cloned().unwrap_or_default())
                }
                CostDimension::Cohort => match cohort {
                    0 => GroupKey::None,
                    id => GroupKey::Text(cohort_codes.get(&id).cloned().unwrap_or_default()),
                },
                CostDimension::Payer => match payer {
                    0 => GroupKey::Text("department".to_owned()),
                    id => GroupKey::Text(payer_codes.get(&id).cloned().unwrap_or_default()),
                },
                CostDimension::Category => GroupKey::Text(category.map(|c| c.to_string()).unwrap_or_default()),
                CostDimension::Year => GroupKey::Year(year),
            })
            .collect()
    };
    let mut groups: BTreeMap<Vec<GroupKey>, Group> = BTreeMap::new();
    for (key, group) in by_key {
        groups.entry(label(key)).or_default().merge(group);
    }

    let trainees = Trainees::of(conn, &all.cohorts)?;
    let rows = groups
        .into_iter()
        .map(|(key, group)| {
            let labels = dimensions
                .iter()
                .zip(key)
                .map(|(d, k)| (d.to_string(), k.into_value()))
                .collect();
            line(labels, &group, &trainees, currency)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let mut total_label = BTreeMap::new();
    total_label.insert("total".to_owned(), Value::Bool(true));
    let totals = line(total_label, &all, &trainees, currency)?;
    let missing_rates = missing_rates(conn, &programs, currency)?;
    Ok(CostReport {
        data_as_of,
        currency,
        conversion: crate::money::ROUNDING,
        filters: CostFiltersEcho {
            group_by: dimensions,
            program_id: params.program_id,
            cohort_id: params.cohort_id,
            payer_id: params.payer_id,
            year_from: params.year_from,
            year_to: params.year_to,
        },
        rows,
        totals,
        missing_rates,
    })
}

/// A cohort's costs by category (its programme-wide costs left out), for a caller who may read
/// its programme's costs (404 for the cohort otherwise).
pub fn of_cohort(conn: &mut DbConnection, caller: &Caller, cohort: CohortId) -> ApiResult<CostReport> {
    let program: ProgramId = cohorts::table
        .find(cohort)
        .select(cohorts::program_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("cohort", cohort))?;
    super::CostView::of(conn, caller, program).map_err(|_| ApiError::not_found("cohort", cohort))?;
    let params = CostParams {
        group_by: Some("category".to_owned()),
        cohort_id: Some(cohort),
        ..CostParams::default()
    };
    costs(conn, caller, params)
}

/// A group's value for one dimension; orders as the report lists them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GroupKey {
    None,
    Year(i32),
    Text(String),
}

impl GroupKey {
    fn into_value(self) -> Value {
        match self {
            GroupKey::None => Value::Null,
            GroupKey::Year(year) => Value::from(year),
            GroupKey::Text(text) => Value::String(text),
        }
    }
}

/// The programmes in scope that `caller` may read the costs of, by id, with their codes.
fn programs_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    params: &CostParams,
) -> ApiResult<BTreeMap<ProgramId, String>> {
    let mut query = programs::table.select((programs::id, programs::code)).into_boxed();
    if let Some(program) = params.program_id {
        query = query.filter(programs::id.eq(program));
    }
    if let Some(cohort) = params.cohort_id {
        query = query.filter(
            programs::id.eq_any(
                cohorts::table
                    .filter(cohorts::id.eq(cohort))
                    .select(cohorts::program_id),
            ),
        );
    }
    if let Some(partner) = caller.liaison_partner() {
        query = query.filter(
            programs::id.eq_any(
                program_partners::table
                    .filter(program_partners::partner_id.eq(partner))
                    .filter(program_partners::roles.like("%\"funder\"%"))
                    .select(program_partners::program_id),
            ),
        );
    }
    Ok(query.load::<(ProgramId, String)>(conn)?.into_iter().collect())
}

/// Seated and completed trainees, and items achieved by 12 months, per cohort.
struct Trainees {
    seated: HashMap<CohortId, i64>,
    completed: HashMap<CohortId, i64>,
    achieved: HashMap<CohortId, i64>,
}

impl Trainees {
    fn of(conn: &mut DbConnection, cohorts: &BTreeSet<CohortId>) -> ApiResult<Trainees> {
        let ids: Vec<CohortId> = cohorts.iter().copied().collect();
        let (mut seated, mut completed) = (HashMap::new(), HashMap::new());
        let counted: Vec<(CohortId, EnrollmentStatus, i64)> = chunked(conn, &ids, |conn, chunk| {
            Ok(enrollments::table
                .filter(enrollments::cohort_id.eq_any(chunk))
                .filter(enrollments::status.eq_any(crate::statuses::SEATED))
                .group_by((enrollments::cohort_id, enrollments::status))
                .select((enrollments::cohort_id, enrollments::status, diesel::dsl::count_star()))
                .load(conn)?)
        })?;
        for (cohort, status, n) in counted {
            *seated.entry(cohort).or_default() += n;
            if status == EnrollmentStatus::Completed {
                *completed.entry(cohort).or_default() += n;
            }
        }
        let achieved = crate::checkpoints::summary::items_achieved_by(conn, &ids, 12)?;
        Ok(Trainees {
            seated,
            completed,
            achieved,
        })
    }

    fn sum(counts: &HashMap<CohortId, i64>, cohorts: &BTreeSet<CohortId>) -> i64 {
        cohorts.iter().filter_map(|c| counts.get(c)).sum()
    }
}

/// Run `read` over `ids` a chunk at a time (well under either database's limit on bound values).
fn chunked<I: Clone, T>(
    conn: &mut DbConnection,
    ids: &[I],
    mut read: impl FnMut(&mut DbConnection, Vec<I>) -> ApiResult<Vec<T>>,
) -> ApiResult<Vec<T>> {
    let mut all = Vec::new();
    for chunk in ids.chunks(5_000) {
        all.extend(read(conn, chunk.to_vec())?);
    }
    Ok(all)
}

/// `amount / n` rounded half away from zero; none when `n` is 0.
pub fn per(amount: i64, n: i64) -> Option<i64> {
    if n <= 0 {
        return None;
    }
    let (amount, n) = (i128::from(amount), i128::from(n));
    let rounded = if amount >= 0 {
        (2 * amount + n) / (2 * n)
    } else {
        -((2 * -amount + n) / (2 * n))
    };
    i64::try_from(rounded).ok()
}

fn line(
    group: BTreeMap<String, Value>,
    summed: &Group,
    trainees: &Trainees,
    currency: Currency,
) -> ApiResult<CostLine> {
    let sums = summed.sums()?;
    let spent = sums.committed.saturating_add(sums.paid);
    let seated = Trainees::sum(&trainees.seated, &summed.cohorts);
    let completed = Trainees::sum(&trainees.completed, &summed.cohorts);
    let achieved = Trainees::sum(&trainees.achieved, &summed.cohorts);
    let money = |minor: i64| format_amount(minor, currency);
    #[expect(clippy::cast_precision_loss, reason = "a share, not an amount")]
    let share = (sums.planned > 0).then(|| spent as f64 / sums.planned as f64);
    Ok(CostLine {
        group,
        planned: money(sums.planned),
        committed: money(sums.committed),
        paid: money(sums.paid),
        spent: money(spent),
        variance: money(spent.saturating_sub(sums.planned)),
        spent_share_of_planned: share,
        efficiency: EfficiencyBand::of(spent, sums.planned),
        seated_trainees: seated,
        completed_trainees: completed,
        items_achieved_by_12_months: achieved,
        cost_per_seated_trainee: per(spent, seated).map(money),
        cost_per_completed_trainee: per(spent, completed).map(money),
        cost_per_item_achieved: per(spent, achieved).map(money),
        unconverted_costs: sums.unconverted,
        minor: sums,
    })
}

/// The rates the programmes' unconverted costs need: per currency, the dates that lack one.
fn missing_rates(
    conn: &mut DbConnection,
    programs: &BTreeMap<ProgramId, String>,
    reporting: Currency,
) -> ApiResult<Vec<MissingRate>> {
    let ids: Vec<ProgramId> = programs.keys().copied().collect();
    let found: Vec<(Currency, Option<chrono::NaiveDate>, Option<chrono::NaiveDate>, i64)> =
        chunked(conn, &ids, |conn, chunk| {
            Ok(costs::table
                .filter(costs::reporting_minor.is_null())
                .filter(costs::program_id.eq_any(chunk))
                .group_by(costs::currency)
                .select((
                    costs::currency,
                    diesel::dsl::min(costs::entry_date),
                    diesel::dsl::max(costs::entry_date),
                    diesel::dsl::count_star(),
                ))
                .load(conn)?)
        })?;
    let mut by_currency: BTreeMap<Currency, MissingRate> = BTreeMap::new();
    for (currency, from, to, n) in found {
        let (Some(from), Some(to)) = (from, to) else { continue };
        let entry = by_currency.entry(currency).or_insert(MissingRate {
            currency,
            from,
            to,
            costs: 0,
            message: String::new(),
        });
        entry.from = entry.from.min(from);
        entry.to = entry.to.max(to);
        entry.costs += n;
    }
    Ok(by_currency
        .into_values()
        .map(|mut m| {
            m.message = super::conversion::missing_rate(m.currency, reporting, m.from);
            m
        })
        .collect())
}

/// The report as one table: the group's columns, then the figures, amounts as numbers of the
/// report's currency (named in each amount's heading), and the totals last.
pub fn table(report: &CostReport) -> Table {
    let code = report.currency.code();
    let mut columns: Vec<String> = report.filters.group_by.iter().map(|d| d.as_str().to_owned()).collect();
    for amount in ["planned", "committed", "paid", "spent", "variance"] {
        columns.push(format!("{amount}_{code}"));
    }
    columns.extend(
        [
            "spent_share_of_planned",
            "efficiency",
            "seated_trainees",
            "completed_trainees",
            "items_achieved_by_12_months",
        ]
        .map(String::from),
    );
    for per in [
        "cost_per_seated_trainee",
        "cost_per_completed_trainee",
        "cost_per_item_achieved",
    ] {
        columns.push(format!("{per}_{code}"));
    }
    columns.push("unconverted_costs".to_owned());
    let mut table = Table::with_columns(columns);
    let width = report.filters.group_by.len();
    for (index, row) in report.rows.iter().chain([&report.totals]).enumerate() {
        let mut cells: Vec<Cell> = if index == report.rows.len() {
            let mut cells = vec![Cell::Text("total".to_owned())];
            cells.resize(width, Cell::Empty);
            cells
        } else {
            report
                .filters
                .group_by
                .iter()
                .map(|d| match &row.group[d.as_str()] {
                    Value::Number(n) => n.as_i64().map_or(Cell::Empty, Cell::Integer),
                    Value::String(s) => Cell::Text(s.clone()),
                    _ => Cell::Empty,
                })
                .collect()
        };
        let sums = row.minor;
        let spent = sums.committed.saturating_add(sums.paid);
        let amount = |minor: i64| Cell::Amount(minor, report.currency.exponent());
        cells.extend([
            amount(sums.planned),
            amount(sums.committed),
            amount(sums.paid),
            amount(spent),
            amount(spent.saturating_sub(sums.planned)),
            row.spent_share_of_planned.map_or(Cell::Empty, Cell::Number),
            row.efficiency.map_or(Cell::Empty, |b| Cell::Text(b.to_string())),
            Cell::Integer(row.seated_trainees),
            Cell::Integer(row.completed_trainees),
            Cell::Integer(row.items_achieved_by_12_months),
        ]);
        for n in [
            row.seated_trainees,
            row.completed_trainees,
            row.items_achieved_by_12_months,
        ] {
            cells.push(per(spent, n).map_or(Cell::Empty, amount));
        }
        cells.push(Cell::Integer(row.unconverted_costs));
        table.rows.push(cells);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bands_follow_jica() {
        assert_eq!(EfficiencyBand::of(100, 100), Some(EfficiencyBand::Efficient));
        assert_eq!(EfficiencyBand::of(101, 100), Some(EfficiencyBand::ModeratelyEfficient));
        assert_eq!(EfficiencyBand::of(150, 100), Some(EfficiencyBand::ModeratelyEfficient));
        assert_eq!(EfficiencyBand::of(151, 100), Some(EfficiencyBand::Inefficient));
        assert_eq!(EfficiencyBand::of(5, 0), None);
    }

    #[test]
    fn every_grouping_sums_in_the_order_of_an_index() {
        use CostDimension::{Category, Cohort, Payer, Program, Year};
        let grouped = |dimensions: &[CostDimension]| key_columns(dimensions).1;
        assert_eq!(grouped(&[Program]), "program_id, cohort_key");
        assert_eq!(grouped(&[Cohort, Program]), "program_id, cohort_key");
        assert_eq!(grouped(&[Payer]), "program_id, cohort_key, payer_key");
        assert_eq!(grouped(&[Category]), "program_id, cohort_key, category");
        assert_eq!(grouped(&[Year, Program]), "program_id, cohort_key, year");
        assert_eq!(
            grouped(&[Category, Payer]),
            "program_id, cohort_key, payer_key, category"
        );
        assert_eq!(grouped(&[Year, Category]), "program_id, cohort_key, category, year");
        assert_eq!(grouped(&[Year, Payer]), "program_id, cohort_key, year, payer_key");
        assert_eq!(
            grouped(&[Year, Category, Payer, Cohort]),
            "program_id, cohort_key, payer_key, category, year"
        );
    }

    #[test]
    fn a_share_per_head_rounds_half_away_from_zero() {
        assert_eq!(per(10, 4), Some(3));
        assert_eq!(per(-10, 4), Some(-3));
        assert_eq!(per(9, 4), Some(2));
        assert_eq!(per(7, 0), None);
        assert_eq!(per(i64::MAX, 1), Some(i64::MAX));
    }
}
