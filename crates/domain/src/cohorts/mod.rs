//! Cohorts: the classes of a programme ("Class 3", the 2019 seminar), with their dates, place,
//! capacity and status. Enrolments fill a cohort up to its capacity (`enrollments`).
//!
//! Types, rules and queries; served over HTTP by the standard operations named in the route table (`app.rs`).

mod input;

pub use input::{CohortFilters, CohortOrder, CohortSort, CreateCohort, UpdateCohort};

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use validator::ValidationError;

use crate::access::Caller;
use crate::actor::Event;
use crate::audit::{Actor, Entity};
use crate::dates::{DatePrecision, PartialDate};
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, ProgramId, text_enum};
use crate::programs::Program;
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{cohorts, enrollments, evaluation_rounds, sessions};

text_enum!(
    /// Where a cohort stands. It moves `planned → open → in_progress → completed`; any of the
    /// first three may move to `cancelled`.
    CohortStatus {
        /// Being prepared.
        Planned,
        /// Taking enrolments.
        Open,
        /// Training under way.
        InProgress,
        /// Training finished.
        Completed,
        /// Called off.
        Cancelled,
    }
);

impl CohortStatus {
    /// The statuses this one may move to.
    pub fn next(self) -> &'static [CohortStatus] {
        use CohortStatus::*;
        match self {
            Planned => &[Open, Cancelled],
            Open => &[InProgress, Cancelled],
            InProgress => &[Completed, Cancelled],
            Completed | Cancelled => &[],
        }
    }

    /// Whether trainees may still be enrolled or nominated.
    pub fn takes_enrolments(self) -> bool {
        matches!(
            self,
            CohortStatus::Planned | CohortStatus::Open | CohortStatus::InProgress
        )
    }
}

pub use crate::error::illegal_transition;

/// A cohort as stored.
#[derive(Debug, Queryable)]
struct CohortRow {
    id: CohortId,
    program_id: ProgramId,
    code: String,
    name: String,
    sequence: Option<i32>,
    start_date: Option<NaiveDate>,
    start_precision: Option<DatePrecision>,
    end_date: Option<NaiveDate>,
    end_precision: Option<DatePrecision>,
    location_city: Option<String>,
    location_country: Option<String>,
    capacity: Option<i32>,
    status: CohortStatus,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    source: Option<String>,
    seed_key: Option<String>,
    _seed_data: Option<String>,
    sources: Option<String>,
}

/// A cohort (class) of a programme.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Cohort {
    /// Id.
    pub id: CohortId,
    /// The programme it belongs to.
    pub program_id: ProgramId,
    /// Short code, unique within the programme.
    #[schema(example = "C3")]
    pub code: String,
    /// Name.
    #[schema(example = "Class 3")]
    pub name: String,
    /// Its place in the programme's series (1 for the first).
    pub sequence: Option<i32>,
    /// First day, or only the month or year when that is all that is known.
    pub start_date: Option<PartialDate>,
    /// Last day, month or year.
    pub end_date: Option<PartialDate>,
    /// City where it takes place.
    pub location_city: Option<String>,
    /// Country where it takes place, ISO 3166-1 alpha-2.
    #[schema(example = "JP")]
    pub location_country: Option<String>,
    /// Most trainees it can enrol; `null` for no limit.
    pub capacity: Option<i32>,
    /// Where it stands.
    pub status: CohortStatus,
    /// Trainees holding a seat: enrolled, completed or did not complete.
    pub enrolled: i64,
    /// Trainees waiting for a seat; `null` for a partner's liaison, who learns only of the
    /// trainees holding a seat (the data-protection rule in docs/api-conventions.md).
    pub waitlisted: Option<i64>,
    /// Its nominations by the decision on them (where a partner reviews them: `accepted` and
    /// `declined` by the partner, `nominated` still awaiting it); `null` for a partner's liaison,
    /// who reads them with the nominees (`GET /api/v1/cohorts/{id}/eligibility`).
    pub nominations: Option<Nominations>,
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
    /// For a record loaded by `tpms seed`: the seed document its facts come from (a file name).
    pub source: Option<String>,
    /// Every seed document its facts come from, for a record several articles state; `source` is
    /// the first. Empty for records users made.
    #[schema(value_type = Vec<String>)]
    pub sources: crate::provenance::Sources,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    pub(crate) seed_key: Option<String>,
}

impl Cohort {
    fn from_row(row: CohortRow, counts: Counts) -> Self {
        let date = |day: Option<NaiveDate>, precision: Option<DatePrecision>| {
            day.map(|d| PartialDate::from_columns(d, precision.unwrap_or(DatePrecision::Day)))
        };
        Cohort {
            id: row.id,
            program_id: row.program_id,
            code: row.code,
            name: row.name,
            sequence: row.sequence,
            start_date: date(row.start_date, row.start_precision),
            end_date: date(row.end_date, row.end_precision),
            location_city: row.location_city,
            location_country: row.location_country,
            capacity: row.capacity,
            status: row.status,
            enrolled: counts.seated,
            waitlisted: Some(counts.waitlisted),
            nominations: Some(counts.nominations),
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            source: row.source,
            sources: row.sources.into(),
            seed_key: row.seed_key,
        }
    }

    /// Seats still free; `None` when the cohort has no limit.
    pub fn free_seats(&self) -> Option<i64> {
        self.capacity.map(|c| (i64::from(c) - self.enrolled).max(0))
    }
}

/// The rule the schema cannot state: a cohort does not end before it starts.
fn dates_in_order(start: Option<PartialDate>, end: Option<PartialDate>) -> Result<(), ValidationError> {
    match (start, end) {
        (Some(start), Some(end)) if start.certainly_after(&end) => {
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
#[diesel(table_name = cohorts, treat_none_as_null = true)]
struct CohortFields {
    program_id: ProgramId,
    code: String,
    name: String,
    sequence: Option<i32>,
    start_date: Option<NaiveDate>,
    start_precision: Option<DatePrecision>,
    end_date: Option<NaiveDate>,
    end_precision: Option<DatePrecision>,
    location_city: Option<String>,
    location_country: Option<String>,
    capacity: Option<i32>,
    status: CohortStatus,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl CohortFields {
    fn of(c: &Cohort) -> Self {
        Self {
            program_id: c.program_id,
            code: c.code.clone(),
            name: c.name.clone(),
            sequence: c.sequence,
            start_date: c.start_date.map(|d| d.first_day),
            start_precision: c.start_date.map(|d| d.precision),
            end_date: c.end_date.map(|d| d.first_day),
            end_precision: c.end_date.map(|d| d.precision),
            location_city: c.location_city.clone(),
            location_country: c.location_country.clone(),
            capacity: c.capacity,
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// A cohort's nominations by the decision on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Nominations {
    /// Nominated, not yet decided.
    pub nominated: i64,
    /// Accepted by the reviewing partner (or an officer for it), not yet seated.
    pub accepted: i64,
    /// Declined by the reviewing partner (or an officer for it).
    pub declined: i64,
}

/// What [`seat_counts`] counts of one cohort.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    seated: i64,
    waitlisted: i64,
    nominations: Nominations,
}

/// Seats taken, trainees waitlisted and nominations by decision, for each of `ids`.
fn seat_counts(conn: &mut DbConnection, ids: &[CohortId]) -> ApiResult<HashMap<CohortId, Counts>> {
    use crate::statuses::EnrollmentStatus;
    let rows: Vec<(CohortId, EnrollmentStatus, i64)> = enrollments::table
        .filter(enrollments::cohort_id.eq_any(ids))
        .filter(enrollments::status.ne_all([EnrollmentStatus::Rejected, EnrollmentStatus::Withdrawn]))
        .group_by((enrollments::cohort_id, enrollments::status))
        .select((enrollments::cohort_id, enrollments::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts: HashMap<CohortId, Counts> = HashMap::new();
    for (id, status, n) in rows {
        let entry = counts.entry(id).or_default();
        match status {
            s if s.is_seated() => entry.seated += n,
            EnrollmentStatus::Waitlisted => entry.waitlisted += n,
            EnrollmentStatus::Nominated => entry.nominations.nominated += n,
            EnrollmentStatus::Accepted => entry.nominations.accepted += n,
            EnrollmentStatus::Declined => entry.nominations.declined += n,
            _ => {}
        }
    }
    Ok(counts)
}

fn duplicate_code(code: &str) -> String {
    format!("this programme already has a cohort {code}")
}

impl Cohort {
    /// The cohort as `caller` may read it: a liaison does not learn how many wait for a seat.
    fn seen_by(mut self, caller: &Caller) -> Cohort {
        if caller.liaison_partner().is_some() {
            self.waitlisted = None;
            self.nominations = None;
        }
        self
    }

    /// The cohort with `id`, locked against concurrent seat changes until the transaction ends
    /// (see [`crate::db::dialect::lock_cohort`]), with its seat counts read under the lock.
    pub fn find_for_seats(conn: &mut DbConnection, id: CohortId) -> ApiResult<Cohort> {
        crate::db::dialect::lock_cohort(conn, id)?;
        Cohort::find(conn, id)
    }

    /// The cohort with `id`, locked as [`Cohort::find_for_seats`] locks it, with only what
    /// placing trainees into it needs. Its seats are counted no further than its capacity, and
    /// not at all without one: counting every seat and every waiting trainee, as
    /// [`Cohort::find`] does, made each enrolment into a large cohort slower than the one before.
    pub fn find_for_placing(conn: &mut DbConnection, id: CohortId) -> ApiResult<Placing> {
        crate::db::dialect::lock_cohort(conn, id)?;
        type Placed = (ProgramId, String, CohortStatus, Option<i32>, Option<NaiveDate>);
        let (program_id, code, status, capacity, start_date): Placed = cohorts::table
            .find(id)
            .select((
                cohorts::program_id,
                cohorts::code,
                cohorts::status,
                cohorts::capacity,
                cohorts::start_date,
            ))
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("cohort", id))?;
        let free_seats = match capacity {
            None => None,
            Some(capacity) if capacity <= 0 => Some(0),
            Some(capacity) => {
                let seated = enrollments::table
                    .filter(enrollments::cohort_id.eq(id))
                    .filter(enrollments::status.eq_any(crate::statuses::SEATED));
                let taken = list::count_up_to(conn, seated, i64::from(capacity) - 1)?;
                Some((i64::from(capacity) - taken).max(0))
            }
        };
        Ok(Placing {
            id,
            code,
            status,
            start_year: start_date.map(|d| d.year()),
            free_seats,
            reviewed: crate::programs::partners::nominations_reviewed(conn, program_id)?,
        })
    }
}

/// A cohort locked for placing trainees into it ([`Cohort::find_for_placing`]): what a
/// placement reads of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placing {
    /// The cohort.
    pub id: CohortId,
    /// Its code, for messages.
    pub code: String,
    /// Where it stands: only some statuses take enrolments.
    pub status: CohortStatus,
    /// The year it starts, copied onto each enrolment for the reports.
    pub start_year: Option<i32>,
    /// Seats still free; `None` when the cohort has no limit.
    free_seats: Option<i64>,
    /// Whether a partner of its programme reviews the nominations: then a trainee is only
    /// nominated here, and seated once accepted.
    pub reviewed: bool,
}

impl Placing {
    /// Seats still free; `None` when the cohort has no limit.
    pub fn free_seats(&self) -> Option<i64> {
        self.free_seats
    }

    /// One seat fewer: a placement earlier in the same transaction took it.
    pub fn take_seat(&mut self) {
        if let Some(free) = &mut self.free_seats {
            *free = (*free - 1).max(0);
        }
    }
}

impl Record for Cohort {
    type Key = CohortId;
    const ENTITY: Entity = Entity::Cohort;
    const NOUN: &'static str = "cohort";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: CohortId) -> ApiResult<Cohort> {
        let row = cohorts::table
            .find(id)
            .lookup::<CohortRow>(conn)?
            .ok_or_else(|| ApiError::not_found("cohort", id))?;
        let counts = seat_counts(conn, &[id])?.remove(&id).unwrap_or_default();
        Ok(Cohort::from_row(row, counts))
    }

    /// 404 also for a liaison whose partner is not in its programme.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: CohortId) -> ApiResult<Cohort> {
        let cohort = Cohort::find(conn, id)?;
        Program::check_visible(conn, caller, cohort.program_id).map_err(|_| ApiError::not_found("cohort", id))?;
        Ok(cohort.seen_by(caller))
    }
}

impl Create for Cohort {
    type New = CreateCohort;
    type Parent = ProgramId;

    fn insert(conn: &mut DbConnection, program: ProgramId, new: CreateCohort) -> ApiResult<Cohort> {
        Program::find(conn, program)?;
        let now = crate::clock::now();
        let draft = Cohort {
            id: CohortId(0),
            program_id: program,
            code: new.code,
            name: new.name,
            sequence: new.sequence,
            start_date: crate::dates::parse_field("start_date", new.start_date.as_deref())?,
            end_date: crate::dates::parse_field("end_date", new.end_date.as_deref())?,
            location_city: new.location_city,
            location_country: new.location_country,
            capacity: new.capacity,
            status: new.status.unwrap_or(CohortStatus::Planned),
            enrolled: 0,
            waitlisted: Some(0),
            nominations: Some(Nominations::default()),
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            sources: Default::default(),
            seed_key: None,
        };
        let row = diesel::insert_into(cohorts::table)
            .values(CohortFields::of(&draft))
            .returning(cohorts::all_columns)
            .get_result::<CohortRow>(conn)
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&draft.code)))?;
        Ok(Cohort::from_row(row, Counts::default()))
    }
}

impl Store for Cohort {
    /// Locked: seat counts cannot move while the change is checked and stored.
    fn find_for_change(conn: &mut DbConnection, id: CohortId) -> ApiResult<Cohort> {
        Cohort::find_for_seats(conn, id)
    }

    fn store(&self, conn: &mut DbConnection, current: &Cohort) -> ApiResult<Option<Cohort>> {
        let updated = diesel::update(
            cohorts::table
                .find(self.id)
                .filter(cohorts::version.eq(current.version)),
        )
        .set(CohortFields::of(self))
        .execute(conn)
        .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&self.code)))?;
        // Reports count enrolments by the year their cohort starts, kept on each enrolment.
        let year = |cohort: &Cohort| cohort.start_date.map(|d| d.first_day.year());
        if updated == 1 && year(self) != year(current) {
            diesel::update(enrollments::table.filter(enrollments::cohort_id.eq(self.id)))
                .set(enrollments::cohort_year.eq(year(self)))
                .execute(conn)?;
        }
        Ok((updated == 1).then(|| self.clone()))
    }

    /// Seats a change frees (a higher capacity, or none) go to the waitlist at once; a cohort
    /// completed or cancelled closes its waitlist and its undecided nominations.
    fn after_change(conn: &mut DbConnection, actor: &Actor, before: &Cohort, after: Cohort) -> ApiResult<Cohort> {
        if after.status != before.status && matches!(after.status, CohortStatus::Completed | CohortStatus::Cancelled) {
            let reason = format!("the waitlist closed when cohort {} was {}", after.code, after.status);
            actor.raise(
                conn,
                Event::CohortEnded {
                    cohort: after.id,
                    reason,
                },
            )?;
            return Cohort::find(conn, after.id);
        }
        let reason = match after.capacity {
            Some(capacity) => format!("cohort {} capacity raised to {capacity}", after.code),
            None => format!("cohort {} capacity limit removed", after.code),
        };
        actor.raise(
            conn,
            Event::SeatsMayHaveFreed {
                cohort: after.id,
                reason,
            },
        )?;
        Cohort::find(conn, after.id)
    }
}

impl Change for Cohort {
    type Change = UpdateCohort;

    /// Checked against the rules that span fields, the allowed status moves, and the seats
    /// already taken.
    fn patched(&self, _: &mut DbConnection, change: UpdateCohort) -> ApiResult<Cohort> {
        let mut next = self.clone();
        next.code = change.code.unwrap_or(next.code);
        next.name = change.name.unwrap_or(next.name);
        next.sequence = change.sequence.unwrap_or(next.sequence);
        if let Some(start) = change.start_date {
            next.start_date = crate::dates::parse_field("start_date", start.as_deref())?;
        }
        if let Some(end) = change.end_date {
            next.end_date = crate::dates::parse_field("end_date", end.as_deref())?;
        }
        next.location_city = change.location_city.unwrap_or(next.location_city);
        next.location_country = change.location_country.unwrap_or(next.location_country);
        next.capacity = change.capacity.unwrap_or(next.capacity);
        if let Some(status) = change.status
            && status != self.status
        {
            if !self.status.next().contains(&status) {
                return Err(illegal_transition(
                    &format!("cohort {}", self.code),
                    self.status,
                    status,
                    self.status.next(),
                ));
            }
            next.status = status;
        }
        dates_in_order(next.start_date, next.end_date).map_err(|e| {
            let mut errors = validator::ValidationErrors::new();
            errors.add("end_date", e);
            ApiError::from(errors)
        })?;
        if let Some(capacity) = next.capacity
            && i64::from(capacity) < self.enrolled
        {
            return Err(ApiError::conflict(
                "capacity_below_enrolled",
                format!(
                    "cohort {} has {} trainees enrolled; capacity cannot drop to {capacity}. Withdraw enrolments first",
                    self.code, self.enrolled
                ),
            ));
        }
        Ok(next)
    }
}

impl Remove for Cohort {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let enrolments: i64 = enrollments::table
            .filter(enrollments::cohort_id.eq(self.id))
            .count()
            .get_result(conn)?;
        let session_count: i64 = sessions::table
            .filter(sessions::cohort_id.eq(self.id))
            .count()
            .get_result(conn)?;
        let people: i64 = crate::schema::participations::table
            .filter(crate::schema::participations::cohort_id.eq(self.id))
            .count()
            .get_result(conn)?;
        let costs: i64 = crate::schema::costs::table
            .filter(crate::schema::costs::cohort_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if costs > 0 {
            return Ok(Some(format!(
                "cohort {} has {costs} budget line(s) or expense(s); delete them first (GET /api/v1/programs/{}/expenses?cohort_id={})",
                self.code, self.program_id, self.id
            )));
        }
        if people > 0 {
            return Ok(Some(format!(
                "cohort {} names {people} contact(s) who took part; delete those participations first (GET /api/v1/participations?cohort_id={})",
                self.code, self.id
            )));
        }
        if enrolments > 0 || session_count > 0 {
            return Ok(Some(format!(
                "cohort {} has {enrolments} enrolment(s) and {session_count} session(s); a cohort with enrolments cannot be deleted (cancel it instead), and its sessions must be deleted first",
                self.code
            )));
        }
        // Its sessions are gone by now, and with them every round about one.
        let rounds: i64 = evaluation_rounds::table
            .filter(evaluation_rounds::cohort_id.eq(self.id))
            .count()
            .get_result(conn)?;
        Ok((rounds > 0).then(|| {
            format!(
                "cohort {} has {rounds} evaluation round(s); delete the draft ones first (GET /api/v1/cohorts/{}/rounds); a cohort whose rounds were opened cannot be deleted",
                self.code, self.id
            )
        }))
    }

    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(cohorts::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Cohort {
    const NOUNS: &'static str = "cohorts";
    type Filters = CohortFilters;
    type Parent = ProgramId;

    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        program: ProgramId,
        filters: CohortFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Cohort>> {
        Program::find_visible(conn, caller, program)?;
        let query = || {
            let mut query = cohorts::table.filter(cohorts::program_id.eq(program)).into_boxed();
            if let Some(status) = filters.status {
                query = query.filter(cohorts::status.eq(status));
            }
            if let Some(source) = &filters.source {
                query = query.filter(
                    cohorts::source.eq(source.clone()).or(cohorts::sources
                        .like(crate::provenance::cites_pattern(source))
                        .escape('\\')),
                );
            }
            query
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            CohortOrder::Sequence => Keyset::by(sort.by_nulls_last(cohorts::sequence, |c: &CohortRow| c.sequence)),
            CohortOrder::StartDate => Keyset::by(sort.by_nulls_last(cohorts::start_date, |c: &CohortRow| c.start_date)),
            CohortOrder::Code => Keyset::by(sort.by(cohorts::code, |c: &CohortRow| c.code.clone())),
        };
        let keys = keys.then(sort.ties_by(cohorts::id, |c: &CohortRow| c.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| {
            let ids: Vec<CohortId> = rows.iter().map(|r| r.id).collect();
            let mut counts = seat_counts(conn, &ids)?;
            Ok(rows
                .into_iter()
                .map(|row| {
                    let c = counts.remove(&row.id).unwrap_or_default();
                    Cohort::from_row(row, c).seen_by(caller)
                })
                .collect())
        })
    }
}
