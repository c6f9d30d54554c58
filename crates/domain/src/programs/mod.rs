//! Programmes: cooperation programmes with foreign partners (JICA's young-leaders project, the
//! GRIPS courses, the INSP placements, ...), and the roles partners hold in them ([`partners`]).
//!
//! Types, rules and queries; served over HTTP by the standard operations named in the route table (`app.rs`).

mod input;
pub mod partners;

pub use input::{CreateProgram, ProgramFilters, ProgramOrder, ProgramSort, UpdateProgram};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::access::Caller;
use crate::audit::Entity;
use crate::dates::{DatePrecision, PartialDate};
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, ProgramId, text_enum};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{cohorts, program_partners, programs};

text_enum!(
    /// What form a programme takes.
    ProgramKind {
        /// Taught courses.
        TrainingCourse,
        /// Visits to see practice abroad.
        StudyTour,
        /// A recurring seminar.
        SeminarSeries,
        /// Officials placed in a school or institution abroad.
        Placement,
        /// Joint research.
        ResearchCooperation,
    }
);

text_enum!(
    /// Where a programme stands.
    ProgramStatus { Planned, Active, Completed, Cancelled }
);

/// A programme as stored.
#[derive(Debug, Queryable)]
struct ProgramRow {
    id: ProgramId,
    code: String,
    title: String,
    title_vi: Option<String>,
    kind: ProgramKind,
    status: ProgramStatus,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    agreement_signed_on: Option<NaiveDate>,
    planned_trainees: Option<i32>,
    planned_cohorts: Option<i32>,
    focus_areas: String,
    description: Option<String>,
    _search_text: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    source: Option<String>,
    seed_key: Option<String>,
    _seed_data: Option<String>,
    start_precision: Option<DatePrecision>,
    end_precision: Option<DatePrecision>,
    agreement_precision: Option<DatePrecision>,
    figures: String,
    course_length: Option<String>,
    sources: Option<String>,
    retention_months: Option<i32>,
}

/// A cooperation programme.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Program {
    /// Id.
    pub id: ProgramId,
    /// Unique short code.
    #[schema(example = "JICA-YL")]
    pub code: String,
    /// Title in English.
    pub title: String,
    /// Title in Vietnamese.
    pub title_vi: Option<String>,
    /// Form of the programme.
    pub kind: ProgramKind,
    /// Where it stands.
    pub status: ProgramStatus,
    /// First day, or only the month or year when that is all that is known.
    pub start_date: Option<PartialDate>,
    /// Last day, month or year; never before `start_date`.
    pub end_date: Option<PartialDate>,
    /// When the cooperation agreement was signed (a day, month or year).
    pub agreement_signed_on: Option<PartialDate>,
    /// How many trainees the programme plans to train.
    pub planned_trainees: Option<i32>,
    /// How many cohorts it plans.
    pub planned_cohorts: Option<i32>,
    /// How long each course lasts, as an ISO 8601 duration (`P1M`: one month, `P2W`: two weeks).
    #[schema(example = "P1M")]
    pub course_length: Option<String>,
    /// Months after a cohort's end after which its trainees' free-text answers, plans' free text
    /// and contact details are erased (`tpms retention run`, and daily by the schedule); `null`
    /// (the default) keeps them.
    pub retention_months: Option<i32>,
    /// Short tags, e.g. `urban_planning`.
    pub focus_areas: Vec<String>,
    /// Free description.
    pub description: Option<String>,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
    /// Figures reported about the programme (courses held, officials trained, ...).
    pub figures: Vec<Figure>,
    /// For a record loaded by `tpms seed`: the seed document its facts come from (a file name).
    #[schema(example = "003_f763ceca04e3ab24.txt")]
    pub source: Option<String>,
    /// Every seed document its facts come from, for a record several articles state; `source` is
    /// the first. Empty for records users made.
    #[schema(value_type = Vec<String>)]
    pub sources: crate::provenance::Sources,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    pub(crate) seed_key: Option<String>,
}

text_enum!(
    /// How a source hedges a figure, so that a report can say it as the source does.
    FigureQualifier {
        /// "about 100".
        About,
        /// "at least 100".
        AtLeast,
        /// "at most 100".
        AtMost,
        /// "more than 30", "over 30".
        MoreThan,
        /// "nearly 100".
        Nearly,
    }
);

/// A figure a source reports about a programme: "5 courses held", "about 100 officials trained".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// What is counted.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "officials trained so far")]
    pub label: String,
    /// The number as reported.
    #[validate(range(min = 0, max = 1_000_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000_000, example = 100)]
    pub value: i64,
    /// Whether the source gives it as approximate; default false, and true whenever `qualifier`
    /// is given.
    #[serde(default)]
    pub approximate: bool,
    /// How the source hedges it ("nearly 100": `nearly`), so that a report can say it as the source
    /// does; `null` for an exact figure or one whose hedge is not known.
    #[serde(default)]
    pub qualifier: Option<FigureQualifier>,
    /// When it held: a day, month or year.
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub as_of: Option<String>,
    /// Where it is reported (a seed document's file name, or another reference).
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub source: Option<String>,
}

/// `figures` with every qualified figure marked approximate: a hedge is an approximation.
fn qualified(mut figures: Vec<Figure>) -> Vec<Figure> {
    for figure in &mut figures {
        figure.approximate |= figure.qualifier.is_some();
    }
    figures
}

/// A stored date with its precision (`NULL` precision: a whole day, as before precisions existed).
fn partial(day: Option<NaiveDate>, precision: Option<DatePrecision>) -> Option<PartialDate> {
    day.map(|d| PartialDate::from_columns(d, precision.unwrap_or(DatePrecision::Day)))
}

impl TryFrom<ProgramRow> for Program {
    type Error = ApiError;

    fn try_from(row: ProgramRow) -> ApiResult<Self> {
        let focus_areas = serde_json::from_str(&row.focus_areas)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("programme {} has unreadable focus_areas: {e}", row.id)))?;
        let figures = serde_json::from_str(&row.figures)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("programme {} has unreadable figures: {e}", row.id)))?;
        Ok(Program {
            id: row.id,
            code: row.code,
            title: row.title,
            title_vi: row.title_vi,
            kind: row.kind,
            status: row.status,
            start_date: partial(row.start_date, row.start_precision),
            end_date: partial(row.end_date, row.end_precision),
            agreement_signed_on: partial(row.agreement_signed_on, row.agreement_precision),
            planned_trainees: row.planned_trainees,
            planned_cohorts: row.planned_cohorts,
            course_length: row.course_length,
            retention_months: row.retention_months,
            focus_areas,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            figures,
            source: row.source,
            sources: row.sources.into(),
            seed_key: row.seed_key,
        })
    }
}

/// The rule the schema cannot state: a programme does not end before it starts.
/// Stored first days are compared, as the table's CHECK does: an end of `2024-02` cannot follow a
/// start of `2024-02-10` here, unlike a cohort's.
pub(crate) fn dates_in_order(start: Option<PartialDate>, end: Option<PartialDate>) -> Result<(), ValidationError> {
    match (start, end) {
        (Some(start), Some(end)) if end.first_day < start.first_day => {
            let mut error = ValidationError::new("before_start_date")
                .with_message(format!("must not be before start_date ({start})").into());
            error.add_param("field".into(), &"end_date");
            Err(error)
        }
        _ => Ok(()),
    }
}

/// Every stored column but the id.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = programs, treat_none_as_null = true)]
struct ProgramFields {
    code: String,
    title: String,
    title_vi: Option<String>,
    kind: ProgramKind,
    status: ProgramStatus,
    start_date: Option<NaiveDate>,
    start_precision: Option<DatePrecision>,
    end_date: Option<NaiveDate>,
    end_precision: Option<DatePrecision>,
    agreement_signed_on: Option<NaiveDate>,
    agreement_precision: Option<DatePrecision>,
    planned_trainees: Option<i32>,
    planned_cohorts: Option<i32>,
    focus_areas: String,
    figures: String,
    course_length: Option<String>,
    retention_months: Option<i32>,
    description: Option<String>,
    search_text: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl ProgramFields {
    fn of(p: &Program) -> ApiResult<Self> {
        Ok(Self {
            code: p.code.clone(),
            title: p.title.clone(),
            title_vi: p.title_vi.clone(),
            kind: p.kind,
            status: p.status,
            start_date: p.start_date.map(|d| d.first_day),
            start_precision: p.start_date.map(|d| d.precision),
            end_date: p.end_date.map(|d| d.first_day),
            end_precision: p.end_date.map(|d| d.precision),
            agreement_signed_on: p.agreement_signed_on.map(|d| d.first_day),
            agreement_precision: p.agreement_signed_on.map(|d| d.precision),
            planned_trainees: p.planned_trainees,
            planned_cohorts: p.planned_cohorts,
            focus_areas: serde_json::to_string(&p.focus_areas).map_err(ApiError::internal)?,
            figures: serde_json::to_string(&p.figures).map_err(ApiError::internal)?,
            course_length: p.course_length.clone(),
            retention_months: p.retention_months,
            description: p.description.clone(),
            search_text: search_text(p),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        })
    }
}

/// The folded text `?q=` searches for a programme.
fn search_text(p: &Program) -> String {
    search_text_of(&p.code, &p.title, p.title_vi.as_deref(), p.description.as_deref())
}

/// The folded text `?q=` searches: code, both titles and the description.
pub fn search_text_of(code: &str, title: &str, title_vi: Option<&str>, description: Option<&str>) -> String {
    crate::text::search_text([Some(code), Some(title), title_vi, description])
}

/// The ids of the programmes `partner` takes part in.
#[diesel::dsl::auto_type]
fn taken_part_in(partner: PartnerId) -> _ {
    program_partners::table
        .filter(program_partners::partner_id.eq(partner))
        .select(program_partners::program_id)
}

fn duplicate_code(code: &str) -> String {
    format!("a programme with code {code} already exists")
}

impl Program {
    /// 404 unless `caller` may see programme `id`: a liaison sees only the programmes its partner
    /// takes part in, and must not learn that others exist.
    pub fn check_visible(conn: &mut DbConnection, caller: &Caller, id: ProgramId) -> ApiResult<()> {
        let Some(partner) = caller.liaison_partner() else {
            return Ok(());
        };
        let takes_part: bool = diesel::select(diesel::dsl::exists(
            taken_part_in(partner).filter(program_partners::program_id.eq(id)),
        ))
        .get_result(conn)?;
        if takes_part {
            Ok(())
        } else {
            Err(ApiError::not_found("programme", id))
        }
    }
}

impl Record for Program {
    type Key = ProgramId;
    const ENTITY: Entity = Entity::Program;
    const NOUN: &'static str = "programme";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: ProgramId) -> ApiResult<Program> {
        programs::table
            .find(id)
            .lookup::<ProgramRow>(conn)?
            .ok_or_else(|| ApiError::not_found("programme", id))?
            .try_into()
    }

    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: ProgramId) -> ApiResult<Program> {
        Program::check_visible(conn, caller, id)?;
        Program::find(conn, id)
    }
}

impl Create for Program {
    type New = CreateProgram;
    type Parent = ();

    fn insert(conn: &mut DbConnection, _: (), new: CreateProgram) -> ApiResult<Program> {
        let now = crate::clock::now();
        let draft = Program {
            id: ProgramId(0),
            code: new.code,
            title: new.title,
            title_vi: new.title_vi,
            kind: new.kind,
            status: new.status.unwrap_or(ProgramStatus::Planned),
            start_date: crate::dates::parse_field("start_date", new.start_date.as_deref())?,
            end_date: crate::dates::parse_field("end_date", new.end_date.as_deref())?,
            agreement_signed_on: crate::dates::parse_field("agreement_signed_on", new.agreement_signed_on.as_deref())?,
            planned_trainees: new.planned_trainees,
            planned_cohorts: new.planned_cohorts,
            course_length: new.course_length,
            retention_months: new.retention_months,
            focus_areas: new.focus_areas.unwrap_or_default(),
            description: new.description,
            created_at: now,
            updated_at: now,
            version: 1,
            figures: qualified(new.figures.unwrap_or_default()),
            source: None,
            sources: Default::default(),
            seed_key: None,
        };
        diesel::insert_into(programs::table)
            .values(ProgramFields::of(&draft)?)
            .returning(programs::all_columns)
            .get_result::<ProgramRow>(conn)
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&draft.code)))?
            .try_into()
    }
}

impl Store for Program {
    fn store(&self, conn: &mut DbConnection, current: &Program) -> ApiResult<Option<Program>> {
        diesel::update(
            programs::table
                .find(self.id)
                .filter(programs::version.eq(current.version)),
        )
        .set(ProgramFields::of(self)?)
        .returning(programs::all_columns)
        .get_result::<ProgramRow>(conn)
        .optional()
        .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&self.code)))?
        .map(Program::try_from)
        .transpose()
    }
}

impl Change for Program {
    type Change = UpdateProgram;

    /// Checked against the rules that span fields.
    fn patched(&self, _: &mut DbConnection, change: UpdateProgram) -> ApiResult<Program> {
        let mut next = self.clone();
        next.code = change.code.unwrap_or(next.code);
        next.title = change.title.unwrap_or(next.title);
        next.title_vi = change.title_vi.unwrap_or(next.title_vi);
        next.kind = change.kind.unwrap_or(next.kind);
        next.status = change.status.unwrap_or(next.status);
        if let Some(start) = change.start_date {
            next.start_date = crate::dates::parse_field("start_date", start.as_deref())?;
        }
        if let Some(end) = change.end_date {
            next.end_date = crate::dates::parse_field("end_date", end.as_deref())?;
        }
        if let Some(signed) = change.agreement_signed_on {
            next.agreement_signed_on = crate::dates::parse_field("agreement_signed_on", signed.as_deref())?;
        }
        next.figures = change.figures.map(qualified).unwrap_or(next.figures);
        next.planned_trainees = change.planned_trainees.unwrap_or(next.planned_trainees);
        next.planned_cohorts = change.planned_cohorts.unwrap_or(next.planned_cohorts);
        next.course_length = change.course_length.unwrap_or(next.course_length);
        next.retention_months = change.retention_months.unwrap_or(next.retention_months);
        next.focus_areas = change.focus_areas.unwrap_or(next.focus_areas);
        next.description = change.description.unwrap_or(next.description);
        dates_in_order(next.start_date, next.end_date).map_err(|e| {
            let mut errors = validator::ValidationErrors::new();
            errors.add("end_date", e);
            ApiError::from(errors)
        })?;
        Ok(next)
    }
}

impl Remove for Program {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let partners: i64 = program_partners::table
            .filter(program_partners::program_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if partners > 0 {
            return Ok(Some(format!(
                "programme {} still names {partners} partner(s); remove them from /api/v1/programs/{}/partners first",
                self.code, self.id
            )));
        }
        let costs: i64 = crate::schema::costs::table
            .filter(crate::schema::costs::program_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if costs > 0 {
            return Ok(Some(format!(
                "programme {} has {costs} budget line(s) or expense(s); delete them from /api/v1/programs/{}/budget-lines and /expenses first",
                self.code, self.id
            )));
        }
        let cohort_count: i64 = cohorts::table
            .filter(cohorts::program_id.eq(self.id))
            .count()
            .get_result(conn)?;
        Ok((cohort_count > 0).then(|| {
            format!(
                "programme {} has {cohort_count} cohort(s); delete them from /api/v1/programs/{}/cohorts first",
                self.code, self.id
            )
        }))
    }

    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(programs::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Program {
    const NOUNS: &'static str = "programmes";
    type Filters = ProgramFilters;
    type Parent = ();

    /// A liaison sees only the programmes its partner takes part in.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        _: (),
        filters: ProgramFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Program>> {
        let liaison_partner = caller.liaison_partner();
        let query = || {
            let mut query = programs::table.into_boxed();
            if let Some(partner) = liaison_partner {
                query = query.filter(programs::id.eq_any(taken_part_in(partner)));
            }
            for pattern in crate::text::word_patterns(filters.q.as_deref().unwrap_or_default()) {
                query = query.filter(programs::search_text.like(pattern).escape('\\'));
            }
            if let Some(status) = filters.status {
                query = query.filter(programs::status.eq(status));
            }
            if let Some(kind) = filters.kind {
                query = query.filter(programs::kind.eq(kind));
            }
            if let Some(source) = &filters.source {
                query = query.filter(
                    programs::source.eq(source.clone()).or(programs::sources
                        .like(crate::provenance::cites_pattern(source))
                        .escape('\\')),
                );
            }
            if let Some(tag) = &filters.focus_area {
                // Stored as a JSON array of tags; a quoted tag matches whole tags only.
                let quoted = serde_json::Value::from(tag.as_str()).to_string();
                let pattern = crate::text::contains_pattern(&quoted);
                query = query.filter(programs::focus_areas.like(pattern).escape('\\'));
            }
            if let Some(partner_id) = filters.partner_id {
                query = query.filter(programs::id.eq_any(taken_part_in(partner_id)));
            }
            query
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            ProgramOrder::Code => Keyset::by(sort.by(programs::code, |p: &ProgramRow| p.code.clone())),
            ProgramOrder::Title => Keyset::by(sort.by(programs::title, |p: &ProgramRow| p.title.clone())),
            ProgramOrder::StartDate => {
                Keyset::by(sort.by_nulls_last(programs::start_date, |p: &ProgramRow| p.start_date))
            }
            ProgramOrder::CreatedAt => Keyset::by(sort.by(programs::created_at, |p: &ProgramRow| p.created_at)),
        };
        let keys = keys.then(sort.ties_by(programs::id, |p: &ProgramRow| p.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| rows.into_iter().map(Program::try_from).collect())
    }
}
