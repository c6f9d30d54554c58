//! The cost report (`GET /api/v1/reports/costs`): planned, committed and paid per programme,
//! cohort, payer, category or year (or any combination), the variance and the efficiency band
//! donors rate by, and what it cost per trainee seated, per trainee who completed and per
//! action-plan item achieved by 12 months. It reads the kept totals (`costs::totals`), not the
//! costs: `cohort_cost_totals` when it neither groups nor filters by payer or year, else
//! `cost_totals` ([`Plan`]).
//!
//! The trainees of a group are those of its cohorts: a cohort's costs count its own trainees; a
//! programme-wide cost counts every cohort of its programme.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use strum::VariantArray;

use super::CostCategory;
use crate::access::Caller;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, PartnerId, ProgramId, text_enum};
use crate::money::{Amount, Currency};
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
    pub group: CostGroup,
    /// Budgeted.
    #[schema(value_type = String, example = "120000000")]
    pub planned: Amount,
    /// Committed and not yet paid.
    #[schema(value_type = String)]
    pub committed: Amount,
    /// Paid.
    #[schema(value_type = String)]
    pub paid: Amount,
    /// Committed and paid: what it costs.
    #[schema(value_type = String)]
    pub spent: Amount,
    /// `spent − planned`: negative under budget.
    #[schema(value_type = String)]
    pub variance: Amount,
    /// `spent / planned`, 1 meaning as planned, as an exact decimal string of four decimals
    /// (`"1.2000"`), rounded half away from zero; none without a plan.
    #[schema(value_type = Option<String>, example = "1.2000")]
    pub spent_share_of_planned: Option<Amount>,
    /// The band donors rate it in; none without a plan.
    pub efficiency: Option<EfficiencyBand>,
    /// Trainees seated in the group's cohorts.
    pub seated_trainees: i64,
    /// Of them, those who completed.
    pub completed_trainees: i64,
    /// Items of their approved action plans reported achieved by the 12-month follow-up.
    pub items_achieved_by_12_months: i64,
    /// `spent` per seated trainee.
    #[schema(value_type = Option<String>)]
    pub cost_per_seated_trainee: Option<Amount>,
    /// `spent` per trainee who completed.
    #[schema(value_type = Option<String>)]
    pub cost_per_completed_trainee: Option<Amount>,
    /// `spent` per action-plan item achieved by 12 months.
    #[schema(value_type = Option<String>)]
    pub cost_per_item_achieved: Option<Amount>,
    /// Costs left out of the amounts for want of an exchange rate (see `missing_rates`).
    pub unconverted_costs: i64,
}

/// A line's group, written as a JSON object: each dimension asked for and its value (`null` for a
/// programme-wide cost's cohort), in the dimensions' alphabetical order; `{"total": true}` for the
/// totals.
#[derive(Debug, Clone)]
pub enum CostGroup {
    /// All groups together.
    Total,
    /// One group: its dimensions, by name.
    Of(Vec<(CostDimension, GroupKey)>),
}

impl CostGroup {
    /// The group's value for `dimension`; none for the totals or a dimension not asked for.
    pub fn value(&self, dimension: CostDimension) -> Option<&GroupKey> {
        match self {
            CostGroup::Total => None,
            CostGroup::Of(values) => values.iter().find(|(d, _)| *d == dimension).map(|(_, v)| v),
        }
    }
}

impl Serialize for CostGroup {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            CostGroup::Total => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("total", &true)?;
                map.end()
            }
            CostGroup::Of(values) => {
                let mut map = serializer.serialize_map(Some(values.len()))?;
                for (dimension, value) in values {
                    map.serialize_entry(dimension.as_str(), value)?;
                }
                map.end()
            }
        }
    }
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
pub(super) fn too_large() -> ApiError {
    ApiError::conflict(
        "amounts_too_large",
        "the costs in scope sum past 9,223,372,036,854,775,807 minor units of the reporting currency; \
         narrow the report (program_id, year_from, year_to) or check the amounts recorded",
    )
}

/// 422 for a report of `count` lines, past `max` (`TPMS_COST_REPORT_MAX_LINES`).
fn too_many_lines(count: usize, max: u32, dimensions: &[CostDimension]) -> ApiError {
    let grouped = dimensions.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(",");
    ApiError::Unprocessable {
        code: "too_many_lines",
        detail: format!(
            "grouped by {grouped}, this report has {count} lines, past the {max} one report gives: narrow it \
             (program_id, cohort_id, payer_id, year_from, year_to) or group by fewer of its dimensions; every \
             expense is in GET /api/v1/programs/{{id}}/expenses?format=csv"
        ),
    }
}

/// A group's amounts as they are added up: in 128 bits, checked once all are in.
#[derive(Debug, Default)]
struct Group {
    planned: i128,
    committed: i128,
    paid: i128,
    unconverted: i64,
}

impl Group {
    fn add(&mut self, row: &SummedRow) {
        self.planned += row.planned;
        self.committed += row.committed;
        self.paid += row.paid;
        self.unconverted = self.unconverted.saturating_add(row.unconverted);
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

/// The kept totals of one group and one programme and cohort it holds costs of (whose trainees
/// count in it), as the database adds them up, in the grouped query's column order
/// ([`SummedColumns`]). The programme and cohort are the group's own when it is grouped by them;
/// the other key columns it is not grouped by come back as 0 (`category` as NULL) and are not
/// read. Its amounts are `A`: one 64-bit column each as read ([`Summing::Each`] and
/// [`Summing::Whole`]), two (high, low) as read after an overflow ([`Summing::Split`]), and 128
/// bits once [`SummedRow::whole`] has put them together.
#[derive(Queryable)]
struct SummedRow<A = i128> {
    program: i64,
    cohort: i64,
    payer: i64,
    category: Option<CostCategory>,
    year: i32,
    planned: A,
    committed: A,
    paid: A,
    unconverted: i64,
    /// The cohorts the row holds costs of (`0` for the programme's own), comma-separated, when
    /// the [`Plan`] lists them; `cohort` is then 0 and not read.
    cohorts: Option<String>,
}

/// The SQL types of [`SummedRow`]'s columns, its amounts' `A` (`BigInt`, or `(BigInt, BigInt)`
/// for the split). Read by position: at tens of thousands of rows, finding each column by its
/// name cost more than reading it.
type SummedColumns<A> = (
    BigInt,
    BigInt,
    BigInt,
    Nullable<Text>,
    Integer,
    A,
    A,
    A,
    BigInt,
    Nullable<Text>,
);

/// An amount as a grouped query reads it: whole, or in the two parts of [`SPLIT`].
trait Part: Copy {
    fn whole(self) -> i128;
}

impl Part for i64 {
    fn whole(self) -> i128 {
        i128::from(self)
    }
}

impl Part for (i64, i64) {
    fn whole(self) -> i128 {
        i128::from(self.0) * SPLIT + i128::from(self.1)
    }
}

impl<A: Part> SummedRow<A> {
    /// The row with each amount whole.
    fn whole(self) -> SummedRow {
        SummedRow {
            program: self.program,
            cohort: self.cohort,
            payer: self.payer,
            category: self.category,
            year: self.year,
            planned: self.planned.whole(),
            committed: self.committed.whole(),
            paid: self.paid.whole(),
            unconverted: self.unconverted,
            cohorts: self.cohorts,
        }
    }
}

impl SummedRow {
    /// The cohorts the row holds costs of, `0` standing for the programme's own costs.
    fn owners(&self) -> impl Iterator<Item = i64> + '_ {
        let listed = self
            .cohorts
            .as_deref()
            .map(|list| list.split(',').filter_map(|id| id.parse().ok()));
        let single = listed.is_none().then_some(self.cohort);
        listed.into_iter().flatten().chain(single)
    }

    /// The row's value for `dimension`, as a number (a category by its place in the list).
    fn raw(&self, dimension: CostDimension) -> i64 {
        match dimension {
            CostDimension::Program => self.program,
            CostDimension::Cohort => self.cohort,
            CostDimension::Payer => self.payer,
            CostDimension::Category => self
                .category
                .and_then(|c| CostCategory::VARIANTS.iter().position(|v| *v == c))
                .map_or(-1, |i| i64::try_from(i).unwrap_or(-1)),
            CostDimension::Year => i64::from(self.year),
        }
    }
}

/// Sums past 64 bits are split in two parts, `amount / 2^32` and the rest (both rounded toward
/// zero on either database), that cannot overflow a 64-bit sum below 2^31 rows; the whole is put
/// together in 128 bits. A sum past 64 bits is then the report's 409, not a database error.
const SPLIT: i128 = 1 << 32;

/// How the database adds an amount column up.
#[derive(Debug, Clone, Copy)]
enum Summing {
    /// Not at all: each row of totals is one group's share of one owner already (a [`Plan`]
    /// with no `group`), read as it is.
    Each,
    /// In one 64-bit sum, which the database refuses past 64 bits (SQLite's
    /// `SUM` fails on overflow, PostgreSQL's numeric fails its cast back to BIGINT).
    Whole,
    /// In the two parts of [`SPLIT`]: a quarter slower, and used only once `Whole` has failed.
    Split,
}

impl Summing {
    /// The column, or the two (high, low), this sums `column` into.
    fn sum(self, column: &str) -> String {
        match self {
            Summing::Each => column.to_owned(),
            Summing::Whole => format!("CAST(SUM({column}) AS BIGINT)"),
            Summing::Split => {
                format!("CAST(SUM({column} / 4294967296) AS BIGINT), CAST(SUM({column} % 4294967296) AS BIGINT)")
            }
        }
    }

    /// The count of costs not converted, summed as the amounts are.
    fn unconverted(self) -> &'static str {
        match self {
            Summing::Each => "unconverted",
            Summing::Whole | Summing::Split => "CAST(SUM(unconverted) AS BIGINT)",
        }
    }
}

/// Which kept totals a report reads, and how it adds them up.
#[derive(Debug)]
struct Plan {
    /// `cost_totals`, or `cohort_cost_totals` for a report that neither groups nor filters by
    /// payer or year.
    table: &'static str,
    /// The key columns selected after the programme and cohort ([`key_columns`]).
    select: String,
    /// What the rows are grouped by, the programme always among them; none when the programme,
    /// the cohort and the dimensions are the key of the table read, whose rows are then read as
    /// they are ([`Summing::Each`]).
    group: Option<String>,
    /// Whether each row lists the cohorts it holds costs of (`SummedRow::cohorts`), grouped by
    /// the programme and the dimensions only: for a report not by cohort whose groups would
    /// otherwise come back once per cohort many times over (by payer and category, 131,000 rows
    /// for 1,300 groups at a million expenses), or whose groups are the table's first column.
    listed: bool,
}

impl Plan {
    fn of(dimensions: &[CostDimension], params: &CostParams) -> Plan {
        // Listed, the rows are grouped by the programme and dimensions, which no index holds in
        // that order (the cohort is second in each): the database sorts every row of totals
        // first. That pays where the groups per cohort are many (category has 11 values, and
        // with payer or year many more), not where they are few: in two bench runs on SQLite the
        // same day, by payer alone took 85 ms p50 listed and 58 by cohort; by payer and category
        // 103-119 listed, against about 200 by cohort (`curl`, the build before). By programme
        // alone the group is the index's first column, with no sort.
        let listed = !dimensions.contains(&CostDimension::Cohort)
            && (dimensions.contains(&CostDimension::Category) || dimensions == [CostDimension::Program]);
        let (select, group) = key_columns(dimensions, listed);
        let by_cohort = params.payer_id.is_none()
            && params.year_from.is_none()
            && params.year_to.is_none()
            && dimensions.iter().all(|d| {
                matches!(
                    d,
                    CostDimension::Program | CostDimension::Cohort | CostDimension::Category
                )
            });
        // Grouped by cohort and category, the groups are `cohort_cost_totals`' own key.
        let keyed = by_cohort && !listed && dimensions.contains(&CostDimension::Category);
        Plan {
            table: if by_cohort { "cohort_cost_totals" } else { "cost_totals" },
            select,
            group: (!keyed).then_some(group),
            listed,
        }
    }
}

/// The key columns of `cost_totals` a grouped query selects after the programme and cohort (the
/// dimension's column, or a constant of its type when the report does not group by it), and what
/// it groups by: the programme, the cohort unless its cohorts are `listed`, and the dimensions.
fn key_columns(dimensions: &[CostDimension], listed: bool) -> (String, String) {
    let columns = [
        (CostDimension::Payer, "payer_key", "CAST(0 AS BIGINT)"),
        (CostDimension::Category, "category", "CAST(NULL AS TEXT)"),
        (CostDimension::Year, "year", "CAST(0 AS INTEGER)"),
    ];
    let select = columns
        .iter()
        .map(|(d, column, constant)| if dimensions.contains(d) { *column } else { *constant })
        .collect::<Vec<_>>()
        .join(", ");
    // Always by programme, and by cohort unless the cohorts are listed: each row's owners are
    // known. Then the others asked for, in the order of the first index whose columns after those
    // two begin with exactly them, so that the database sums rows in the order it reads them
    // rather than sorting or hashing them all (the key, `cost_totals_by_category`,
    // `cost_totals_by_year`).
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
    let owners: &[&str] = if listed {
        &["program_id"]
    } else {
        &["program_id", "cohort_key"]
    };
    let group = owners
        .iter()
        .copied()
        .chain(order[..n].iter().map(column))
        .collect::<Vec<_>>()
        .join(", ");
    (select, group)
}

/// One dimension's values in the order the report lists them: each raw value's rank, and each
/// rank's label. Values with one label (two cohorts with one code) share a rank, and so a line.
struct Ranks {
    dimension: CostDimension,
    rank: HashMap<i64, u32>,
    labels: Vec<GroupKey>,
}

impl Ranks {
    fn of(dimension: CostDimension, raws: impl Iterator<Item = i64>, label: impl Fn(i64) -> GroupKey) -> Ranks {
        let raws: HashSet<i64> = raws.collect();
        let mut labelled: Vec<(GroupKey, i64)> = raws.into_iter().map(|raw| (label(raw), raw)).collect();
        labelled.sort_unstable();
        let (mut rank, mut labels) = (HashMap::with_capacity(labelled.len()), Vec::<GroupKey>::new());
        for (key, raw) in labelled {
            if labels.last() != Some(&key) {
                labels.push(key);
            }
            rank.insert(raw, u32::try_from(labels.len() - 1).unwrap_or(u32::MAX));
        }
        Ranks {
            dimension,
            rank,
            labels,
        }
    }
}

/// The cost report for `caller`: a liaison reads only the programmes its partner funds.
///
/// The database adds the kept totals up by the groups asked for and by the programme and cohort
/// whose trainees count in them (tens of thousands of rows at most, where the totals hold hundreds
/// of thousands), or by the programme alone with each group's cohorts listed ([`Plan`]), or gives
/// them as they are when those are the key of the table read. Those rows
/// are put in the order of the groups' labels and added up group by group. Every value written
/// into the SQL is a typed integer.
///
/// A report of more than `max_lines` lines is refused (422 `too_many_lines`) once its rows are
/// summed and ranked, before a line is made.
pub fn costs(conn: &mut DbConnection, caller: &Caller, params: CostParams, max_lines: u32) -> ApiResult<CostReport> {
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
    let plan = Plan::of(&dimensions, &params);
    let cohort_list = if plan.listed {
        crate::db::dialect::listed_ids(conn, "cohort_key")
    } else {
        "CAST(NULL AS TEXT)".to_owned()
    };
    let cohort_column = if plan.listed { "CAST(0 AS BIGINT)" } else { "cohort_key" };
    // One pass over the totals gives both each group's sums and the cohorts whose trainees count
    // in it: grouped by the programme and cohort too, each row is one group's share of one owner;
    // listed, one group's share of one programme, with its cohorts.
    let sql = |summing: Summing| {
        let Plan {
            table, select, group, ..
        } = &plan;
        format!(
            "program_id, {cohort_column}, {select}, {planned}, {committed}, {paid}, {unconverted}, {cohort_list} \
             FROM {table} \
             WHERE {filter}{group}",
            planned = summing.sum("planned"),
            committed = summing.sum("committed"),
            paid = summing.sum("paid"),
            unconverted = summing.unconverted(),
            group = group
                .as_ref()
                .map(|group| format!(" GROUP BY {group}"))
                .unwrap_or_default(),
        )
    };
    // Each row made whole as it is read, not all of them collected first.
    let first = if plan.group.is_some() {
        Summing::Whole
    } else {
        Summing::Each
    };
    // In a savepoint of its own: on PostgreSQL a failed statement spoils the transaction.
    let rows = match conn.transaction(|conn| {
        diesel::select(diesel::dsl::sql::<SummedColumns<BigInt>>(&sql(first)))
            .load_iter::<SummedRow<i64>, DefaultLoadingMode>(conn)?
            .map(|row| row.map(SummedRow::whole))
            .collect::<QueryResult<Vec<_>>>()
    }) {
        Err(error) if crate::error::is_numeric_overflow(&error) => diesel::select(diesel::dsl::sql::<
            SummedColumns<(BigInt, BigInt)>,
        >(&sql(Summing::Split)))
        .load_iter::<SummedRow<(i64, i64)>, DefaultLoadingMode>(conn)?
        .map(|row| row.map(SummedRow::whole))
        .collect::<QueryResult<Vec<_>>>()?,
        rows => rows?,
    };

    // Each programme's cohorts, for its programme-wide costs (only the programmes that have any).
    let program_ids: BTreeSet<ProgramId> = rows
        .iter()
        .filter(|row| row.owners().any(|cohort| cohort == 0))
        .map(|row| ProgramId(row.program))
        .collect();
    let mut cohorts_of: HashMap<ProgramId, Vec<CohortId>> = HashMap::new();
    for (cohort, program) in cohorts::table
        .filter(cohorts::program_id.eq_any(program_ids))
        .select((cohorts::id, cohorts::program_id))
        .load::<(CohortId, ProgramId)>(conn)?
    {
        cohorts_of.entry(program).or_default().push(cohort);
    }
    // The cohorts whose trainees count in a row: its own, or for a programme-wide cost every
    // cohort of the programme.
    let whose = |row: &SummedRow, into: &mut Vec<CohortId>| {
        for owner in row.owners() {
            match owner {
                0 => into.extend(cohorts_of.get(&ProgramId(row.program)).map_or(&[][..], Vec::as_slice)),
                id => into.push(CohortId(id)),
            }
        }
    };
    let ranks = ranks(conn, &dimensions, &rows, &programs)?;
    // Each row's key: its ranks in the order asked (at most five dimensions). Rows sorted by it
    // come group by group, in the order the report lists them.
    let key = |row: &SummedRow| -> [u32; 5] {
        let mut key = [0; 5];
        for (slot, ranks) in key.iter_mut().zip(&ranks) {
            *slot = ranks.rank.get(&row.raw(ranks.dimension)).copied().unwrap_or_default();
        }
        key
    };
    let mut order: Vec<([u32; 5], usize)> = rows.iter().enumerate().map(|(i, row)| (key(row), i)).collect();
    order.sort_unstable();
    let mut names: Vec<CostDimension> = dimensions.clone();
    names.sort_unstable_by_key(|d| d.as_str());
    let runs = || order.chunk_by(|a, b| a.0 == b.0);
    let count = runs().count();
    if count > usize::try_from(max_lines).unwrap_or(usize::MAX) {
        return Err(too_many_lines(count, max_lines, &dimensions));
    }
    // The trainees are counted only for a report that is answered.
    let mut every_cohort = Vec::new();
    for row in &rows {
        whose(row, &mut every_cohort);
    }
    let trainees = Trainees::of(conn, &mut every_cohort)?;
    // Made to size: grown by doubling, tens of thousands of lines were copied over and over.
    let mut lines = Vec::with_capacity(count);
    let (mut all, mut cohorts) = (Group::default(), Vec::new());
    for run in runs() {
        let mut group = Group::default();
        cohorts.clear();
        for &(_, i) in run {
            group.add(&rows[i]);
            all.add(&rows[i]);
            whose(&rows[i], &mut cohorts);
        }
        let labels = names
            .iter()
            .map(|name| {
                let at = dimensions.iter().position(|d| d == name).unwrap_or_default();
                let label = ranks[at].labels.get(run[0].0[at] as usize).cloned().unwrap_or_default();
                (*name, label)
            })
            .collect();
        lines.push(line(
            CostGroup::Of(labels),
            &group,
            trainees.count(&mut cohorts),
            currency,
        )?);
    }
    let totals = line(CostGroup::Total, &all, trainees.count(&mut every_cohort), currency)?;
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
        rows: lines,
        totals,
        missing_rates,
    })
}

/// The ranks of each dimension asked for over `rows`, with their labels: codes read once for all
/// rows.
fn ranks(
    conn: &mut DbConnection,
    dimensions: &[CostDimension],
    rows: &[SummedRow],
    programs: &BTreeMap<ProgramId, String>,
) -> ApiResult<Vec<Ranks>> {
    let mut all = Vec::with_capacity(dimensions.len());
    for &dimension in dimensions {
        let raws = || rows.iter().map(|row| row.raw(dimension));
        let ranks = match dimension {
            CostDimension::Program => Ranks::of(dimension, raws(), |id| {
                GroupKey::Text(programs.get(&ProgramId(id)).cloned().unwrap_or_default())
            }),
            CostDimension::Cohort => {
                let ids: Vec<i64> = raws()
                    .filter(|id| *id != 0)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let codes: HashMap<i64, String> = chunked(conn, &ids, |conn, chunk| {
                    Ok(cohorts::table
                        .filter(cohorts::id.eq_any(chunk))
                        .select((cohorts::id, cohorts::code))
                        .load::<(i64, String)>(conn)?)
                })?
                .into_iter()
                .collect();
                Ranks::of(dimension, raws(), |id| match id {
                    0 => GroupKey::None,
                    id => GroupKey::Text(codes.get(&id).cloned().unwrap_or_default()),
                })
            }
            CostDimension::Payer => {
                let ids: BTreeSet<i64> = raws().filter(|id| *id != 0).collect();
                let codes: HashMap<i64, String> = partners::table
                    .filter(partners::id.eq_any(ids))
                    .select((partners::id, partners::code))
                    .load::<(i64, String)>(conn)?
                    .into_iter()
                    .collect();
                Ranks::of(dimension, raws(), |id| match id {
                    0 => GroupKey::Text("department".to_owned()),
                    id => GroupKey::Text(codes.get(&id).cloned().unwrap_or_default()),
                })
            }
            CostDimension::Category => Ranks::of(dimension, raws(), |i| {
                let category = usize::try_from(i).ok().and_then(|i| CostCategory::VARIANTS.get(i));
                GroupKey::Text(category.map(|c| c.to_string()).unwrap_or_default())
            }),
            CostDimension::Year => Ranks::of(dimension, raws(), |year| {
                GroupKey::Year(i32::try_from(year).unwrap_or_default())
            }),
        };
        all.push(ranks);
    }
    Ok(all)
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
    // One line a category: never near a report's limit.
    costs(conn, caller, params, u32::MAX)
}

/// A group's value for one dimension (`null` for a programme-wide cost's cohort); orders as the
/// report lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKey {
    /// No value: a programme-wide cost's cohort.
    #[default]
    None,
    /// A year.
    Year(i32),
    /// A code, a category or `department`.
    Text(String),
}

impl Serialize for GroupKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            GroupKey::None => serializer.serialize_none(),
            GroupKey::Year(year) => serializer.serialize_i32(*year),
            GroupKey::Text(text) => serializer.serialize_str(text),
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
    let programs: BTreeMap<ProgramId, String> = query.load::<(ProgramId, String)>(conn)?.into_iter().collect();
    // A programme or cohort asked for by id that is not there, or not the caller's to see (a
    // liaison's partner does not fund it), is 404 as on its own path, not an empty report that
    // reads as "nothing spent".
    if programs.is_empty() {
        if let Some(cohort) = params.cohort_id {
            return Err(ApiError::not_found("cohort", cohort));
        }
        if let Some(program) = params.program_id {
            return Err(ApiError::not_found("programme", program));
        }
    }
    Ok(programs)
}

/// Seated and completed trainees, and items achieved by 12 months, per cohort.
struct Trainees(HashMap<CohortId, Counts>);

/// Trainees seated, of them completed, and action-plan items achieved by 12 months.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    seated: i64,
    completed: i64,
    achieved: i64,
}

impl Trainees {
    /// The counts of `cohorts` (sorted and each kept once on the way).
    fn of(conn: &mut DbConnection, cohorts: &mut Vec<CohortId>) -> ApiResult<Trainees> {
        cohorts.sort_unstable();
        cohorts.dedup();
        let mut counts: HashMap<CohortId, Counts> = HashMap::with_capacity(cohorts.len());
        let counted: Vec<(CohortId, EnrollmentStatus, i64)> = chunked(conn, cohorts, |conn, chunk| {
            Ok(enrollments::table
                .filter(enrollments::cohort_id.eq_any(chunk))
                .filter(enrollments::status.eq_any(crate::statuses::SEATED))
                .group_by((enrollments::cohort_id, enrollments::status))
                .select((enrollments::cohort_id, enrollments::status, diesel::dsl::count_star()))
                .load(conn)?)
        })?;
        for (cohort, status, n) in counted {
            let entry = counts.entry(cohort).or_default();
            entry.seated += n;
            if status == EnrollmentStatus::Completed {
                entry.completed += n;
            }
        }
        for (cohort, n) in crate::checkpoints::summary::items_achieved_by(conn, cohorts, 12)? {
            counts.entry(cohort).or_default().achieved += n;
        }
        Ok(Trainees(counts))
    }

    /// The counts of `cohorts` together, each cohort counted once however often it is named.
    fn count(&self, cohorts: &mut Vec<CohortId>) -> Counts {
        cohorts.sort_unstable();
        cohorts.dedup();
        let mut total = Counts::default();
        for counts in cohorts.iter().filter_map(|c| self.0.get(c)) {
            total.seated += counts.seated;
            total.completed += counts.completed;
            total.achieved += counts.achieved;
        }
        total
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
    divided(i128::from(amount), i128::from(n))
}

/// The decimals a share of plan is given to ([`CostLine::spent_share_of_planned`]).
const SHARE_DECIMALS: u32 = 4;

/// `spent / planned` in ten-thousandths, rounded half away from zero; none without a plan (or
/// past what 64 bits hold).
fn share_of(spent: i64, planned: i64) -> Option<Amount> {
    let scale = 10_i128.pow(SHARE_DECIMALS);
    divided(i128::from(spent) * scale, i128::from(planned)).map(|share| Amount::new(share, SHARE_DECIMALS))
}

/// `amount / n` rounded half away from zero, if `n` is positive and the result fits 64 bits.
fn divided(amount: i128, n: i128) -> Option<i64> {
    if n <= 0 {
        return None;
    }
    let rounded = if amount >= 0 {
        (2 * amount + n) / (2 * n)
    } else {
        -((2 * -amount + n) / (2 * n))
    };
    i64::try_from(rounded).ok()
}

fn line(group: CostGroup, summed: &Group, trainees: Counts, currency: Currency) -> ApiResult<CostLine> {
    let sums = summed.sums()?;
    let spent = sums.committed.saturating_add(sums.paid);
    let money = |minor: i64| Amount::of(minor, currency);
    let share = share_of(spent, sums.planned);
    Ok(CostLine {
        group,
        planned: money(sums.planned),
        committed: money(sums.committed),
        paid: money(sums.paid),
        spent: money(spent),
        variance: money(spent.saturating_sub(sums.planned)),
        spent_share_of_planned: share,
        efficiency: EfficiencyBand::of(spent, sums.planned),
        seated_trainees: trainees.seated,
        completed_trainees: trainees.completed,
        items_achieved_by_12_months: trainees.achieved,
        cost_per_seated_trainee: per(spent, trainees.seated).map(money),
        cost_per_completed_trainee: per(spent, trainees.completed).map(money),
        cost_per_item_achieved: per(spent, trainees.achieved).map(money),
        unconverted_costs: sums.unconverted,
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
                .map(|d| match row.group.value(*d) {
                    Some(GroupKey::Year(year)) => Cell::Integer(i64::from(*year)),
                    Some(GroupKey::Text(text)) => Cell::Text(text.clone()),
                    _ => Cell::Empty,
                })
                .collect()
        };
        let amount = |amount: Amount| Cell::Amount(amount.minor(), amount.exponent());
        cells.extend([
            amount(row.planned),
            amount(row.committed),
            amount(row.paid),
            amount(row.spent),
            amount(row.variance),
            row.spent_share_of_planned.map_or(Cell::Empty, amount),
            row.efficiency.map_or(Cell::Empty, |b| Cell::Text(b.to_string())),
            Cell::Integer(row.seated_trainees),
            Cell::Integer(row.completed_trainees),
            Cell::Integer(row.items_achieved_by_12_months),
        ]);
        for per in [
            row.cost_per_seated_trainee,
            row.cost_per_completed_trainee,
            row.cost_per_item_achieved,
        ] {
            cells.push(per.map_or(Cell::Empty, amount));
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
        let grouped = |dimensions: &[CostDimension]| key_columns(dimensions, false).1;
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
        // Not by cohort, the cohorts are listed in each group of the programme and dimensions.
        assert_eq!(
            key_columns(&[Category, Payer], true).1,
            "program_id, payer_key, category"
        );
        assert_eq!(key_columns(&[Program], true).1, "program_id");
    }

    #[test]
    fn a_report_by_programme_cohort_or_category_reads_the_totals_by_cohort() {
        use CostDimension::{Category, Cohort, Payer, Program, Year};
        let plan = |dimensions: &[CostDimension], params: CostParams| {
            let plan = Plan::of(dimensions, &params);
            (plan.table, plan.group.is_some(), plan.listed)
        };
        let all = CostParams::default;
        assert_eq!(plan(&[Program], all()), ("cohort_cost_totals", true, true));
        assert_eq!(plan(&[Cohort], all()), ("cohort_cost_totals", true, false));
        assert_eq!(plan(&[Category], all()), ("cohort_cost_totals", true, true));
        assert_eq!(plan(&[Cohort, Category], all()), ("cohort_cost_totals", false, false));
        assert_eq!(plan(&[Category, Program], all()), ("cohort_cost_totals", true, true));
        assert_eq!(
            plan(&[Category, Program, Cohort], all()),
            ("cohort_cost_totals", false, false)
        );
        assert_eq!(plan(&[Payer], all()), ("cost_totals", true, false));
        assert_eq!(plan(&[Year, Program], all()), ("cost_totals", true, false));
        assert_eq!(plan(&[Payer, Category], all()), ("cost_totals", true, true));
        assert_eq!(plan(&[Category, Year], all()), ("cost_totals", true, true));
        assert_eq!(plan(&[Category, Year, Cohort], all()), ("cost_totals", true, false));
        let of_payer = CostParams {
            payer_id: Some(PartnerId(3)),
            ..all()
        };
        assert_eq!(plan(&[Category], of_payer), ("cost_totals", true, true));
        let from_2040 = CostParams {
            year_from: Some(2040),
            ..all()
        };
        assert_eq!(plan(&[Program], from_2040), ("cost_totals", true, true));
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
