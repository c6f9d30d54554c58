//! Trainees by origin: enrolments, and the trainees behind them, counted by any of province,
//! organisation, gender, birth decade, programme, cohort, year and status. Province and
//! organisation are those the trainee had when enrolling (kept on the enrolment), so a transfer
//! does not move past cohorts' counts.
//!
//! The grouping is chosen per request, so it is one `GROUP BY` built from a fixed list of
//! expressions (no request text reaches the SQL: only the names below, ids and years parsed as
//! numbers, and status words from their enum).

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::Scope;
use crate::access::Caller;
use crate::db::{DbConnection, dialect};
use crate::error::{ApiError, ApiResult};
use crate::ids::text_enum;
use crate::statuses::EnrollmentStatus;
use crate::tabular::{Cell, Table};

text_enum!(
    /// What trainees can be counted by.
    Dimension {
        /// Province or city, when they enrolled.
        Province,
        /// Organisation, when they enrolled.
        Organisation,
        /// Gender.
        Gender,
        /// Decade of birth (1980 for 1980–1989).
        BirthDecade,
        /// The programme's code.
        Program,
        /// The cohort, as `PROGRAMME/COHORT` codes.
        Cohort,
        /// The year the cohort started.
        Year,
        /// The enrolment's status.
        Status,
    }
);

impl Dimension {
    /// The SQL expression of the dimension, as text. All but the programme and the cohort are
    /// columns of the enrolment (copies kept in step on write), so grouping by them reads one
    /// table.
    fn expression(self) -> &'static str {
        match self {
            Dimension::Province => "e.province",
            Dimension::Organisation => "e.organisation",
            Dimension::Gender => "e.gender",
            Dimension::BirthDecade => "CAST((e.birth_year / 10) * 10 AS TEXT)",
            Dimension::Program => "p.code",
            Dimension::Cohort => "p.code || '/' || c.code",
            Dimension::Year => "CAST(e.cohort_year AS TEXT)",
            Dimension::Status => "e.status",
        }
    }

    /// Whether a liaison may count by it: not by what it may not read of a trainee (gender, birth
    /// year), so that a report never tells it what the trainee's own record withholds.
    fn open_to_liaisons(self) -> bool {
        !matches!(self, Dimension::Gender | Dimension::BirthDecade)
    }

    /// Whether its values are numbers (written as numbers in JSON and spreadsheets).
    fn numeric(self) -> bool {
        matches!(self, Dimension::BirthDecade | Dimension::Year)
    }
}

/// The report's own parameters.
#[derive(Debug, Clone, Deserialize, Serialize, IntoParams, Validate, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct OriginParams {
    /// What to count by, comma-separated, in order: `province`, `organisation`, `gender`,
    /// `birth_decade`, `program`, `cohort`, `year`, `status` (default `province`). A liaison may
    /// not count by `gender` or `birth_decade` (400), as it reads neither of a trainee.
    #[param(
        max_length = 200,
        pattern = r"^(province|organisation|gender|birth_decade|program|cohort|year|status)(,(province|organisation|gender|birth_decade|program|cohort|year|status))*$"
    )]
    #[validate(length(max = 200))]
    pub group_by: Option<String>,
    /// Only enrolments in this status (`completed`, say).
    pub status: Option<EnrollmentStatus>,
}

impl OriginParams {
    /// The dimensions asked for, each once; 400 naming a word that is not one.
    pub fn dimensions(&self) -> ApiResult<Vec<Dimension>> {
        let text = self.group_by.as_deref().unwrap_or("province");
        let mut dimensions = Vec::new();
        for word in text.split(',').map(str::trim) {
            let dimension: Dimension = word.parse().map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "group_by: `{word}` is not something trainees are counted by; use any of province, \
                         organisation, gender, birth_decade, program, cohort, year, status, comma-separated"
                    ),
                )
            })?;
            // Asked twice, counted by once.
            if !dimensions.contains(&dimension) {
                dimensions.push(dimension);
            }
        }
        Ok(dimensions)
    }
}

/// One group's counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OriginRow {
    /// The group: each dimension asked for and its value (`null` where it is not recorded).
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, Value>,
    /// Enrolments counted.
    pub enrollments: i64,
    /// Distinct trainees among them.
    pub trainees: i64,
}

/// The report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Origins {
    /// When its data was read (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub data_as_of: chrono::NaiveDateTime,
    /// The filters it was read with.
    pub filters: OriginFilters,
    /// One row per group, in the order of its values.
    pub rows: Vec<OriginRow>,
    /// All enrolments counted, and distinct trainees.
    pub totals: OriginTotals,
    /// Groups left out because they count fewer trainees than the small-group size
    /// (`TPMS_MIN_ANONYMOUS_GROUP`, default 5): for every caller who is not staff, so that no row
    /// points at one or a few people. Always 0 for staff. The totals still count them.
    pub withheld_groups: i64,
}

/// The filters the report echoes.
#[derive(Debug, Serialize, ToSchema)]
pub struct OriginFilters {
    /// What it counts by, in order.
    pub group_by: Vec<Dimension>,
    /// Only enrolments in this status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<EnrollmentStatus>,
    /// Which programmes and cohorts.
    #[serde(flatten)]
    pub scope: Scope,
}

/// The whole scope's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct OriginTotals {
    /// Enrolments.
    pub enrollments: i64,
    /// Distinct trainees.
    pub trainees: i64,
}

/// One row as the database groups it: up to eight keys, then the counts.
#[derive(Debug, QueryableByName)]
struct Grouped {
    #[diesel(sql_type = Nullable<Text>)]
    k0: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k3: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k4: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k5: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k6: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k7: Option<String>,
    #[diesel(sql_type = BigInt)]
    enrollments: i64,
    #[diesel(sql_type = BigInt)]
    trainees: i64,
}

impl Grouped {
    fn keys(self) -> ([Option<String>; 8], i64, i64) {
        (
            [self.k0, self.k1, self.k2, self.k3, self.k4, self.k5, self.k6, self.k7],
            self.enrollments,
            self.trainees,
        )
    }
}

/// The report of `scope` for `caller`; a caller who is not staff gets no group of fewer than
/// `min_group` trainees.
pub fn origins(
    conn: &mut DbConnection,
    caller: &Caller,
    scope: Scope,
    params: OriginParams,
    min_group: u16,
) -> ApiResult<Origins> {
    let data_as_of = crate::clock::now();
    let dimensions = params.dimensions()?;
    if caller.liaison_partner().is_some() {
        let closed: Vec<&str> = dimensions
            .iter()
            .filter(|d| !d.open_to_liaisons())
            .map(|d| d.as_str())
            .collect();
        if !closed.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!(
                    "group_by: a liaison may not count trainees by {}, as it reads neither of a trainee; use any of \
                     province, organisation, program, cohort, year, status",
                    closed.join(" or ")
                ),
            ));
        }
    }
    // Each condition, and whether it reads the cohort.
    let mut conditions: Vec<(String, bool)> = Vec::new();
    if let Some(program) = scope.program_id {
        conditions.push((format!("c.program_id = {}", program.0), true));
    }
    for partner in [scope.partner_id, caller.liaison_partner()].into_iter().flatten() {
        conditions.push((
            format!(
                "c.program_id IN (SELECT pp.program_id FROM program_partners pp WHERE pp.partner_id = {})",
                partner.0
            ),
            true,
        ));
    }
    if caller.liaison_partner().is_some() {
        let seated = crate::trainees::LIAISON_VISIBLE_STATUSES
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        conditions.push((format!("e.status IN ({seated})"), false));
    }
    if let Some(cohort) = scope.cohort_id {
        conditions.push((format!("e.cohort_id = {}", cohort.0), false));
    }
    if let Some(from) = scope.year_from {
        conditions.push((format!("e.cohort_year >= {from}"), false));
    }
    if let Some(to) = scope.year_to {
        conditions.push((format!("e.cohort_year <= {to}"), false));
    }
    if let Some(status) = params.status {
        conditions.push((format!("e.status = '{}'", status.as_str()), false));
    }
    let keys: Vec<&str> = dimensions.iter().map(|d| d.expression()).collect();
    // Inner: each trainee's enrolments per group. Outer: the groups, with their enrolments
    // summed and their trainees counted. Two hash aggregates instead of COUNT(DISTINCT), which
    // sorts every group's trainees on PostgreSQL.
    let inner_keys = keys
        .iter()
        .enumerate()
        .map(|(i, expression)| format!("{expression} AS k{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let outer_keys = (0..8)
        .map(|i| match i < keys.len() {
            true => format!("g.k{i} AS k{i}"),
            false => format!("CAST(NULL AS TEXT) AS k{i}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let group_keys = (0..keys.len())
        .map(|i| format!("g.k{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let no_keys = (0..8)
        .map(|i| format!("CAST(NULL AS TEXT) AS k{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    // Join only what the dimensions and filters read: most reports group enrolments by their
    // own columns, and each join costs a lookup per enrolment.
    let mut from = "FROM enrollments e".to_owned();
    let needs = |wanted: &[Dimension]| dimensions.iter().any(|d| wanted.contains(d));
    let by_program = needs(&[Dimension::Program, Dimension::Cohort]);
    let by_cohort = by_program || conditions.iter().any(|(_, cohort)| *cohort);
    if by_cohort {
        from.push_str(" JOIN cohorts c ON c.id = e.cohort_id");
    }
    if by_program {
        from.push_str(" JOIN programs p ON p.id = c.program_id");
    }
    let filter = match conditions.is_empty() {
        true => String::new(),
        false => format!(
            "WHERE {}",
            conditions
                .iter()
                .map(|(c, _)| c.as_str())
                .collect::<Vec<_>>()
                .join(" AND ")
        ),
    };
    let grouped = format!(
        "SELECT {outer_keys}, COALESCE(CAST(SUM(g.n) AS BIGINT), 0) AS enrollments, COUNT(*) AS trainees FROM \
         (SELECT {inner_keys}, e.trainee_id, COUNT(*) AS n {from} {filter} GROUP BY {}, e.trainee_id) g \
         GROUP BY {group_keys}",
        keys.join(", ")
    );
    let total = format!(
        "SELECT {no_keys}, COALESCE(CAST(SUM(g.n) AS BIGINT), 0) AS enrollments, COUNT(*) AS trainees FROM \
         (SELECT e.trainee_id, COUNT(*) AS n {from} {filter} GROUP BY e.trainee_id) g"
    );
    let (found, totals) = dialect::with_report_memory(conn, |conn| {
        let found: Vec<Grouped> = diesel::sql_query(grouped).load(conn)?;
        let totals: Vec<Grouped> = diesel::sql_query(total).load(conn)?;
        Ok((found, totals))
    })?;
    let totals = totals.into_iter().next().map_or(
        OriginTotals {
            enrollments: 0,
            trainees: 0,
        },
        |row| OriginTotals {
            enrollments: row.enrollments,
            trainees: row.trainees,
        },
    );
    let mut rows: Vec<OriginRow> = found
        .into_iter()
        .map(|row| {
            let (values, enrollments, trainees) = row.keys();
            let group = dimensions
                .iter()
                .zip(values)
                .map(|(dimension, value)| (dimension.as_str().to_owned(), value_of(*dimension, value)))
                .collect();
            OriginRow {
                group,
                enrollments,
                trainees,
            }
        })
        .collect();
    // A group of a few trainees would point at them: only staff read those.
    let before = rows.len();
    if caller.liaison_partner().is_some() {
        rows.retain(|row| row.trainees >= i64::from(min_group));
    }
    let withheld_groups = (before - rows.len()) as i64;
    // In the order of the dimensions asked, each by value, unknown values last: the same on both
    // databases, which order NULLs differently.
    rows.sort_by(|a, b| {
        dimensions
            .iter()
            .map(|d| order(&a.group[d.as_str()], &b.group[d.as_str()]))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(Origins {
        data_as_of,
        filters: OriginFilters {
            group_by: dimensions,
            status: params.status,
            scope,
        },
        rows,
        totals,
        withheld_groups,
    })
}

fn value_of(dimension: Dimension, value: Option<String>) -> Value {
    match value {
        None => Value::Null,
        Some(text) if dimension.numeric() => text.parse::<i64>().map_or(Value::String(text), Value::from),
        Some(text) => Value::String(text),
    }
}

fn order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x.as_i64().cmp(&y.as_i64()),
        (x, y) => crate::text::fold(&x.to_string()).cmp(&crate::text::fold(&y.to_string())),
    }
}

/// The report as a table: a column per dimension, then the counts.
pub fn table(report: &Origins) -> Table {
    let mut columns: Vec<String> = report.filters.group_by.iter().map(|d| d.as_str().to_owned()).collect();
    columns.extend(["enrollments".to_owned(), "trainees".to_owned()]);
    let mut table = Table::with_columns(columns);
    for row in &report.rows {
        let mut cells: Vec<Cell> = report
            .filters
            .group_by
            .iter()
            .map(|d| match &row.group[d.as_str()] {
                Value::Number(n) => n.as_i64().map_or(Cell::Empty, Cell::Integer),
                Value::String(s) => Cell::Text(s.clone()),
                _ => Cell::Empty,
            })
            .collect();
        cells.extend([Cell::Integer(row.enrollments), Cell::Integer(row.trainees)]);
        table.rows.push(cells);
    }
    // Said in the sheet too, so that a spreadsheet's reader knows its rows do not add up to all.
    if report.withheld_groups > 0 {
        let mut cells = vec![Cell::Text(format!(
            "{} group(s) of fewer trainees than the small-group size withheld",
            report.withheld_groups
        ))];
        cells.resize(table.columns.len(), Cell::Empty);
        table.rows.push(cells);
    }
    table
}
