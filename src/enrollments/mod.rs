//! Enrolments: a trainee's place in a cohort, and how it moves.
//!
//! ```text
//! nominated ─┬─> enrolled ─┬─> withdrawn        (frees the seat: the longest-waiting is enrolled)
//!            ├─> waitlisted ┘├─> completed      (issues a certificate number)
//!            └─> rejected    └─> did_not_complete
//! ```
//! A seat is held by `enrolled`, `completed` and `did_not_complete`; never more than the cohort's
//! capacity. Seat changes lock the cohort first ([`Cohort::find_for_seats`]), so the rule holds
//! however many requests race on either database.
//!
//! Types and queries live here; the HTTP handlers in [`handlers`], the CSV import in [`import`].

pub mod handlers;
pub mod import;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::audit::{self, Actor, AuditAction};
use crate::auth::Caller;
use crate::cohorts::{Cohort, illegal_transition};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId, TraineeId, text_enum};
use crate::schema::{attendance, cohorts, enrollments, programs, trainees};

text_enum!(
    /// Where an enrolment stands.
    EnrollmentStatus {
        /// Proposed; not yet decided.
        Nominated,
        /// Holds a seat.
        Enrolled,
        /// Waits for a seat; enrolled automatically when one frees up, longest-waiting first.
        Waitlisted,
        /// Not accepted.
        Rejected,
        /// Left after enrolling; the seat went to the waitlist.
        Withdrawn,
        /// Finished the training; has a certificate number.
        Completed,
        /// Took part but did not finish.
        DidNotComplete,
    }
);

/// The statuses that hold a seat in the cohort, and that a liaison may see.
pub const SEATED: [EnrollmentStatus; 3] = [
    EnrollmentStatus::Enrolled,
    EnrollmentStatus::Completed,
    EnrollmentStatus::DidNotComplete,
];

impl EnrollmentStatus {
    /// The statuses this one may move to.
    pub fn next(self) -> &'static [EnrollmentStatus] {
        use EnrollmentStatus::*;
        match self {
            Nominated => &[Enrolled, Waitlisted, Rejected],
            Waitlisted => &[Enrolled],
            Enrolled => &[Withdrawn, Completed, DidNotComplete],
            Rejected | Withdrawn | Completed | DidNotComplete => &[],
        }
    }

    /// Whether it holds a seat.
    pub fn is_seated(self) -> bool {
        SEATED.contains(&self)
    }
}

/// How a trainee attended a cohort's sessions, from the attendance recorded so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct AttendanceSummary {
    /// Sessions with a record for this trainee.
    pub recorded: i64,
    /// Present.
    pub present: i64,
    /// Late (counts as attended).
    pub late: i64,
    /// Absent.
    pub absent: i64,
    /// Excused (left out of the rate).
    pub excused: i64,
    /// `(present + late) / (recorded − excused)`, from 0 to 1; `null` until a session counts.
    pub rate: Option<f64>,
}

/// A trainee's place in a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Enrollment {
    /// Id.
    pub id: EnrollmentId,
    /// The cohort.
    pub cohort_id: CohortId,
    /// The trainee.
    pub trainee_id: TraineeId,
    /// The trainee's full name, as written.
    pub trainee_name: String,
    /// Where it stands.
    pub status: EnrollmentStatus,
    /// When it joined the waitlist (UTC), if it ever did.
    #[serde(serialize_with = "crate::http::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub waitlisted_at: Option<NaiveDateTime>,
    /// Issued on completion; unique.
    #[schema(example = "JICA-YL/C3/00042")]
    pub certificate_number: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// Attendance so far.
    pub attendance: AttendanceSummary,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
}

/// An enrolment as stored, with the trainee's name.
#[derive(Debug, Queryable)]
struct EnrollmentRow {
    id: EnrollmentId,
    cohort_id: CohortId,
    trainee_id: TraineeId,
    status: EnrollmentStatus,
    waitlisted_at: Option<NaiveDateTime>,
    certificate_number: Option<String>,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    trainee_name: String,
}

/// The columns of an [`EnrollmentRow`].
type RowColumns = (
    enrollments::id,
    enrollments::cohort_id,
    enrollments::trainee_id,
    enrollments::status,
    enrollments::waitlisted_at,
    enrollments::certificate_number,
    enrollments::notes,
    enrollments::created_at,
    enrollments::updated_at,
    enrollments::version,
    trainees::full_name,
);

const ROW_COLUMNS: RowColumns = (
    enrollments::id,
    enrollments::cohort_id,
    enrollments::trainee_id,
    enrollments::status,
    enrollments::waitlisted_at,
    enrollments::certificate_number,
    enrollments::notes,
    enrollments::created_at,
    enrollments::updated_at,
    enrollments::version,
    trainees::full_name,
);

impl Enrollment {
    fn from_row(row: EnrollmentRow, attendance: AttendanceSummary) -> Self {
        Enrollment {
            id: row.id,
            cohort_id: row.cohort_id,
            trainee_id: row.trainee_id,
            trainee_name: row.trainee_name,
            status: row.status,
            waitlisted_at: row.waitlisted_at,
            certificate_number: row.certificate_number,
            notes: row.notes,
            attendance,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// Attendance summaries of `ids`.
fn attendance_summaries(
    conn: &mut DbConnection,
    ids: &[EnrollmentId],
) -> ApiResult<HashMap<EnrollmentId, AttendanceSummary>> {
    use crate::attendance::AttendanceStatus;
    let rows: Vec<(EnrollmentId, AttendanceStatus, i64)> = attendance::table
        .filter(attendance::enrollment_id.eq_any(ids))
        .group_by((attendance::enrollment_id, attendance::status))
        .select((attendance::enrollment_id, attendance::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut summaries: HashMap<EnrollmentId, AttendanceSummary> = HashMap::new();
    for (id, status, n) in rows {
        let s = summaries.entry(id).or_default();
        s.recorded += n;
        match status {
            AttendanceStatus::Present => s.present += n,
            AttendanceStatus::Late => s.late += n,
            AttendanceStatus::Absent => s.absent += n,
            AttendanceStatus::Excused => s.excused += n,
        }
    }
    for s in summaries.values_mut() {
        let counted = s.recorded - s.excused;
        #[allow(clippy::cast_precision_loss)] // counts of sessions are far below 2^52
        if counted > 0 {
            s.rate = Some((s.present + s.late) as f64 / counted as f64);
        }
    }
    Ok(summaries)
}

fn with_attendance(conn: &mut DbConnection, rows: Vec<EnrollmentRow>) -> ApiResult<Vec<Enrollment>> {
    let ids: Vec<EnrollmentId> = rows.iter().map(|r| r.id).collect();
    let mut summaries = attendance_summaries(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let summary = summaries.remove(&row.id).unwrap_or_default();
            Enrollment::from_row(row, summary)
        })
        .collect())
}

/// Where to place a new enrolment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Take a seat if one is free, else join the waitlist (the default).
    #[default]
    Enrolled,
    /// Record the nomination only; an officer decides later.
    Nominated,
}

/// A trainee to place in a cohort.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnrollment {
    /// The trainee.
    pub trainee_id: TraineeId,
    /// `enrolled` (default): a seat if one is free, else the waitlist. `nominated`: only record
    /// the nomination.
    pub status: Option<Placement>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// A move of an enrolment, and/or a change to its notes.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnrollment {
    /// The next status: from `nominated` to `enrolled`, `waitlisted` or `rejected`; from
    /// `waitlisted` to `enrolled`; from `enrolled` to `withdrawn`, `completed` or
    /// `did_not_complete`. Anything else is 409; `enrolled` into a full cohort is 409.
    #[serde(default, deserialize_with = "crate::http::some")]
    #[schema(nullable = false)]
    pub status: Option<EnrollmentStatus>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
}

/// Filters for an enrolment list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EnrollmentFilters {
    /// Only this status.
    pub status: Option<EnrollmentStatus>,
    /// Only this trainee's.
    pub trainee_id: Option<TraineeId>,
}

impl Enrollment {
    /// The enrolment with `id`, or 404.
    pub fn find(conn: &mut DbConnection, id: EnrollmentId) -> ApiResult<Enrollment> {
        let row = enrollments::table
            .inner_join(trainees::table)
            .filter(enrollments::id.eq(id))
            .select(ROW_COLUMNS)
            .first::<EnrollmentRow>(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("enrolment", id))?;
        Ok(with_attendance(conn, vec![row])?.remove(0))
    }

    /// The enrolment `trainee` has in `cohort`, if any.
    pub fn find_in_cohort(
        conn: &mut DbConnection,
        cohort: CohortId,
        trainee: TraineeId,
    ) -> ApiResult<Option<EnrollmentId>> {
        Ok(enrollments::table
            .filter(enrollments::cohort_id.eq(cohort))
            .filter(enrollments::trainee_id.eq(trainee))
            .select(enrollments::id)
            .first(conn)
            .optional()?)
    }

    /// The enrolment with `id` if `caller` may see it: a liaison sees only seated enrolments of
    /// cohorts in its partner's programmes; anything else is 404.
    pub fn find_visible(conn: &mut DbConnection, caller: &Caller, id: EnrollmentId) -> ApiResult<Enrollment> {
        let enrollment = Enrollment::find(conn, id)?;
        if caller.liaison_partner().is_some() {
            let hidden =
                !enrollment.status.is_seated() || Cohort::find_visible(conn, caller, enrollment.cohort_id).is_err();
            if hidden {
                return Err(ApiError::not_found("enrolment", id));
            }
        }
        Ok(enrollment)
    }

    /// The enrolments of a cohort, oldest first, one page, with the total. A liaison sees only
    /// seated ones.
    pub fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        cohort: CohortId,
        filters: EnrollmentFilters,
        paging: crate::http::pagination::Paging,
    ) -> ApiResult<(Vec<Enrollment>, i64)> {
        let liaison = caller.liaison_partner().is_some();
        let query = || {
            let mut query = enrollments::table
                .inner_join(trainees::table)
                .filter(enrollments::cohort_id.eq(cohort))
                .into_boxed();
            if liaison {
                query = query.filter(enrollments::status.eq_any(SEATED));
            }
            if let Some(status) = filters.status {
                query = query.filter(enrollments::status.eq(status));
            }
            if let Some(trainee) = filters.trainee_id {
                query = query.filter(enrollments::trainee_id.eq(trainee));
            }
            query
        };
        let total: i64 = query().count().get_result(conn)?;
        let rows: Vec<EnrollmentRow> = query()
            .select(ROW_COLUMNS)
            .order(enrollments::id.asc())
            .limit(paging.limit)
            .offset(paging.offset)
            .load(conn)?;
        Ok((with_attendance(conn, rows)?, total))
    }

    /// Place a trainee in `cohort` (already locked by [`Cohort::find_for_seats`]): a seat if one is
    /// free and one was asked for, else the waitlist; or only a nomination.
    pub fn create(conn: &mut DbConnection, cohort: &Cohort, new: CreateEnrollment) -> ApiResult<Enrollment> {
        if !cohort.status.takes_enrolments() {
            return Err(ApiError::conflict(
                "cohort_closed",
                format!(
                    "cohort {} is {} and takes no more enrolments",
                    cohort.code, cohort.status
                ),
            ));
        }
        let trainee_exists: bool =
            diesel::select(diesel::dsl::exists(trainees::table.find(new.trainee_id))).get_result(conn)?;
        if !trainee_exists {
            return Err(ApiError::invalid(
                "trainee_id",
                "not_found",
                format!("there is no trainee {}", new.trainee_id),
            ));
        }
        let existing: Option<(EnrollmentId, EnrollmentStatus)> = enrollments::table
            .filter(enrollments::cohort_id.eq(cohort.id))
            .filter(enrollments::trainee_id.eq(new.trainee_id))
            .select((enrollments::id, enrollments::status))
            .first(conn)
            .optional()?;
        if let Some((id, status)) = existing {
            return Err(ApiError::conflict(
                "duplicate",
                format!(
                    "trainee {} is already in cohort {} as enrolment {id} ({status})",
                    new.trainee_id, cohort.code
                ),
            ));
        }
        let now = crate::http::now();
        let status = match new.status.unwrap_or_default() {
            Placement::Nominated => EnrollmentStatus::Nominated,
            Placement::Enrolled if cohort.free_seats() == Some(0) => EnrollmentStatus::Waitlisted,
            Placement::Enrolled => EnrollmentStatus::Enrolled,
        };
        let id: EnrollmentId = diesel::insert_into(enrollments::table)
            .values((
                enrollments::cohort_id.eq(cohort.id),
                enrollments::trainee_id.eq(new.trainee_id),
                enrollments::status.eq(status),
                enrollments::waitlisted_at.eq((status == EnrollmentStatus::Waitlisted).then_some(now)),
                enrollments::notes.eq(&new.notes),
                enrollments::created_at.eq(now),
                enrollments::updated_at.eq(now),
                enrollments::version.eq(1),
            ))
            .returning(enrollments::id)
            .get_result(conn)
            .map_err(|e| {
                ApiError::from(e)
                    .naming_duplicate(|| format!("trainee {} is already in cohort {}", new.trainee_id, cohort.code))
            })?;
        Enrollment::find(conn, id)
    }

    /// Apply `change`, with the cohort locked: checks the move, the seats and the cohort's status,
    /// issues a certificate number on completion. Returns the stored enrolment; the caller audits
    /// it and fills a freed seat.
    pub fn apply(&self, conn: &mut DbConnection, cohort: &Cohort, change: UpdateEnrollment) -> ApiResult<Enrollment> {
        let mut status = self.status;
        let mut waitlisted_at = self.waitlisted_at;
        let mut certificate = self.certificate_number.clone();
        if let Some(next) = change.status
            && next != self.status
        {
            if !self.status.next().contains(&next) {
                return Err(illegal_transition(
                    &format!("enrolment {}", self.id),
                    self.status,
                    next,
                    self.status.next(),
                ));
            }
            if next == EnrollmentStatus::Enrolled {
                if !cohort.status.takes_enrolments() {
                    return Err(ApiError::conflict(
                        "cohort_closed",
                        format!(
                            "cohort {} is {} and takes no more enrolments",
                            cohort.code, cohort.status
                        ),
                    ));
                }
                if cohort.free_seats() == Some(0) {
                    return Err(ApiError::conflict(
                        "cohort_full",
                        format!(
                            "cohort {} is full ({} of {} seats taken); move the enrolment to waitlisted, or raise the capacity",
                            cohort.code,
                            cohort.enrolled,
                            cohort.capacity.unwrap_or_default()
                        ),
                    ));
                }
            }
            if next == EnrollmentStatus::Waitlisted {
                waitlisted_at = Some(crate::http::now());
            }
            if next == EnrollmentStatus::Completed {
                certificate = Some(certificate_number(conn, cohort, self.id)?);
            }
            status = next;
        }
        let notes = change.notes.unwrap_or_else(|| self.notes.clone());
        if status == self.status && notes == self.notes {
            return Ok(self.clone());
        }
        let updated = diesel::update(
            enrollments::table
                .find(self.id)
                .filter(enrollments::version.eq(self.version)),
        )
        .set((
            enrollments::status.eq(status),
            enrollments::waitlisted_at.eq(waitlisted_at),
            enrollments::certificate_number.eq(&certificate),
            enrollments::notes.eq(&notes),
            enrollments::updated_at.eq(crate::http::now()),
            enrollments::version.eq(self.version + 1),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(ApiError::PreconditionFailed(format!(
                "enrolment {} changed while this change was being made; fetch it again",
                self.id
            )));
        }
        Enrollment::find(conn, self.id)
    }
}

/// `<programme code>/<cohort code>/<enrolment id>`: unique because the enrolment id is, and
/// readable on a printed certificate.
fn certificate_number(conn: &mut DbConnection, cohort: &Cohort, id: EnrollmentId) -> ApiResult<String> {
    let program_code: String = cohorts::table
        .inner_join(programs::table)
        .filter(cohorts::id.eq(cohort.id))
        .select(programs::code)
        .first(conn)?;
    Ok(format!("{program_code}/{}/{:05}", cohort.code, id.0))
}

/// Enrol waitlisted trainees of `cohort` (locked, with current counts) into its free seats,
/// longest-waiting first, each with an audit event that gives `reason`. Nothing happens in a
/// cohort that takes no more enrolments.
pub fn fill_free_seats(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    reason: &str,
) -> ApiResult<Vec<Enrollment>> {
    if !cohort.status.takes_enrolments() {
        return Ok(Vec::new());
    }
    let waiting = enrollments::table
        .filter(enrollments::cohort_id.eq(cohort.id))
        .filter(enrollments::status.eq(EnrollmentStatus::Waitlisted))
        .order((enrollments::waitlisted_at.asc(), enrollments::id.asc()))
        .select(enrollments::id)
        .into_boxed();
    let waiting: Vec<EnrollmentId> = match cohort.free_seats() {
        Some(0) => return Ok(Vec::new()),
        Some(free) => waiting.limit(free).load(conn)?,
        None => waiting.load(conn)?,
    };
    let mut promoted = Vec::with_capacity(waiting.len());
    for id in waiting {
        let before = Enrollment::find(conn, id)?;
        diesel::update(enrollments::table.find(id))
            .set((
                enrollments::status.eq(EnrollmentStatus::Enrolled),
                enrollments::updated_at.eq(crate::http::now()),
                enrollments::version.eq(before.version + 1),
            ))
            .execute(conn)?;
        let after = Enrollment::find(conn, id)?;
        let why = format!("enrolled from the waitlist automatically: {reason}");
        audit::record_with_reason(
            conn,
            actor,
            AuditAction::Update,
            "enrollment",
            id.0,
            Some(&before),
            Some(&after),
            Some(&why),
        )?;
        promoted.push(after);
    }
    Ok(promoted)
}
