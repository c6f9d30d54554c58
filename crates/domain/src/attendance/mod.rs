//! Attendance: the sheet of a session lists every trainee holding a seat in the session's cohort
//! with what was recorded for them; a save records many at once, all or nothing. Served at
//! `/api/v1/sessions/{id}/attendance` by `api::attendance`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::Caller;
use crate::audit::{self, Actor, Entity, Event};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{CohortId, EnrollmentId, SessionId, TraineeId, text_enum};
use crate::resource::Record;
use crate::schema::{attendance, cohort_attendance, enrollments, sessions, trainees};
use crate::sessions::Session;
use crate::statuses::{EnrollmentStatus, SEATED};

text_enum!(
    /// How a trainee attended a session.
    AttendanceStatus {
        /// There on time.
        Present,
        /// There, late (counts as attended).
        Late,
        /// Not there.
        Absent,
        /// Not there, with leave (not counted against the attendance rate).
        Excused,
    }
);

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

impl AttendanceSummary {
    /// Count one mark.
    pub fn add(&mut self, status: AttendanceStatus, n: i64) {
        self.recorded += n;
        match status {
            AttendanceStatus::Present => self.present += n,
            AttendanceStatus::Late => self.late += n,
            AttendanceStatus::Absent => self.absent += n,
            AttendanceStatus::Excused => self.excused += n,
        }
        let counted = self.recorded - self.excused;
        self.rate = crate::ratio::share(self.present + self.late, counted);
    }
}

/// One trainee's line on the sheet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendanceLine {
    /// The trainee's enrolment in the cohort.
    pub enrollment_id: EnrollmentId,
    /// The trainee.
    pub trainee_id: TraineeId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// The enrolment's status.
    pub enrollment_status: EnrollmentStatus,
    /// What was recorded; `null` until recorded.
    pub status: Option<AttendanceStatus>,
    /// A note on it; `null` to a liaison.
    pub note: Option<String>,
    /// Who recorded it; `null` to a liaison.
    pub recorded_by: Option<String>,
    /// When (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recorded_at: Option<NaiveDateTime>,
}

/// The attendance sheet of a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceSheet {
    /// The session.
    pub session_id: SessionId,
    /// Its cohort.
    pub cohort_id: CohortId,
    /// One line per trainee holding a seat (and any other with a record), by name.
    pub items: Vec<AttendanceLine>,
}

/// What to record for one trainee.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRecord {
    /// The trainee's enrolment in the session's cohort.
    pub enrollment_id: EnrollmentId,
    /// How they attended.
    pub status: AttendanceStatus,
    /// A note (e.g. why excused); `null` or absent for none.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub note: Option<String>,
}

/// Records for many trainees at once. Trainees not listed keep what they had.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordAttendance {
    /// One record per trainee, each enrolment at most once.
    #[validate(length(min = 1, max = 2000), nested)]
    #[schema(min_items = 1, max_items = 2000)]
    pub records: Vec<AttendanceRecord>,
}

/// The attendance sheet of session `id`, for a caller who may see the session.
///
/// A liaison reads the sheets of its partner's cohorts, as it reads their attendance report
/// (`reports::attendance`): it assesses those trainees and hears who completed, so the marks are
/// its to know. It reads them as the report shows them: the trainees holding a seat only, and no
/// mark's `note` (why someone was excused is often their health) or who recorded it.
pub fn sheet(conn: &mut DbConnection, caller: &Caller, id: SessionId) -> ApiResult<AttendanceSheet> {
    let session = Session::find_visible(conn, caller, id)?;
    let mut sheet = sheet_of(conn, &session)?;
    if caller.liaison_partner().is_some() {
        sheet.items.retain(|line| line.enrollment_status.is_seated());
        for line in &mut sheet.items {
            line.note = None;
            line.recorded_by = None;
        }
        crate::disclosures::record(
            conn,
            caller,
            "attendance",
            sheet.items.iter().map(|line| crate::disclosures::Disclosed {
                trainee: line.trainee_id,
                fields: vec![
                    crate::disclosures::PersonalField::FullName,
                    crate::disclosures::PersonalField::Attendance,
                ],
            }),
        )?;
    }
    Ok(sheet)
}

/// The sheet of `session`.
fn sheet_of(conn: &mut DbConnection, session: &Session) -> ApiResult<AttendanceSheet> {
    let recorded: Vec<(EnrollmentId, AttendanceStatus, Option<String>, String, NaiveDateTime)> = attendance::table
        .filter(attendance::session_id.eq(session.id))
        .select((
            attendance::enrollment_id,
            attendance::status,
            attendance::note,
            attendance::recorded_by,
            attendance::recorded_at,
        ))
        .load(conn)?;
    let recorded_ids: Vec<EnrollmentId> = recorded.iter().map(|r| r.0).collect();
    let mut by_enrollment: HashMap<EnrollmentId, _> = recorded.into_iter().map(|r| (r.0, r)).collect();
    let people: Vec<(EnrollmentId, TraineeId, String, EnrollmentStatus)> = enrollments::table
        .inner_join(trainees::table)
        .filter(enrollments::cohort_id.eq(session.cohort_id))
        .filter(
            enrollments::status
                .eq_any(SEATED)
                .or(enrollments::id.eq_any(recorded_ids)),
        )
        .order((trainees::full_name.asc(), enrollments::id.asc()))
        .select((
            enrollments::id,
            enrollments::trainee_id,
            trainees::full_name,
            enrollments::status,
        ))
        .load(conn)?;
    let items = people
        .into_iter()
        .map(|(enrollment_id, trainee_id, trainee_name, enrollment_status)| {
            let record = by_enrollment.remove(&enrollment_id);
            AttendanceLine {
                enrollment_id,
                trainee_id,
                trainee_name,
                enrollment_status,
                status: record.as_ref().map(|r| r.1),
                note: record.as_ref().and_then(|r| r.2.clone()),
                recorded_by: record.as_ref().map(|r| r.3.clone()),
                recorded_at: record.map(|r| r.4),
            }
        })
        .collect();
    Ok(AttendanceSheet {
        session_id: session.id,
        cohort_id: session.cohort_id,
        items,
    })
}

/// Record attendance on the sheet of session `id`: every record is checked first, and all are
/// saved, or none. Audited as one event for the whole sheet.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    id: SessionId,
    records: Vec<AttendanceRecord>,
) -> ApiResult<AttendanceSheet> {
    let session = Session::find(conn, id)?;
    // One sheet save at a time per cohort: two saves listing the same trainees in other orders
    // would otherwise deadlock on PostgreSQL (see dialect::lock_cohort).
    crate::db::dialect::lock_cohort(conn, session.cohort_id)?;
    check_records(conn, &session, &records)?;
    let before = sheet_of(conn, &session)?;
    let now = crate::clock::now();
    let wanted: Vec<EnrollmentId> = records.iter().map(|r| r.enrollment_id).collect();
    diesel::delete(
        attendance::table
            .filter(attendance::session_id.eq(id))
            .filter(attendance::enrollment_id.eq_any(&wanted)),
    )
    .execute(conn)?;
    for record in &records {
        diesel::insert_into(attendance::table)
            .values((
                attendance::session_id.eq(id),
                attendance::enrollment_id.eq(record.enrollment_id),
                attendance::status.eq(record.status),
                attendance::note.eq(&record.note),
                attendance::recorded_by.eq(&actor.name),
                attendance::recorded_at.eq(now),
            ))
            .execute(conn)?;
    }
    retally(conn, session.cohort_id)?;
    let after = sheet_of(conn, &session)?;
    let (marked_before, marked_after) = (marks(&before), marks(&after));
    audit::record(
        conn,
        actor,
        Event::changed(Entity::SessionAttendance, id.0, &marked_before, &marked_after),
    )?;
    Ok(after)
}

/// Count the marks of `cohort` afresh into its row of `cohort_attendance`, in the transaction of
/// the save that changed them: reports then read one row per cohort, however many marks the
/// years have made. A cohort's marks are a few hundred, read through the sessions' index.
fn retally(conn: &mut DbConnection, cohort: CohortId) -> ApiResult<()> {
    let counts: Vec<(AttendanceStatus, i64)> = attendance::table
        .inner_join(sessions::table)
        .filter(sessions::cohort_id.eq(cohort))
        .group_by(attendance::status)
        .select((attendance::status, diesel::dsl::count_star()))
        .load(conn)?;
    let of = |wanted: AttendanceStatus| {
        counts
            .iter()
            .find(|(status, _)| *status == wanted)
            .map_or(0, |(_, n)| *n)
    };
    diesel::delete(cohort_attendance::table.find(cohort)).execute(conn)?;
    diesel::insert_into(cohort_attendance::table)
        .values((
            cohort_attendance::cohort_id.eq(cohort),
            cohort_attendance::present.eq(of(AttendanceStatus::Present)),
            cohort_attendance::late.eq(of(AttendanceStatus::Late)),
            cohort_attendance::absent.eq(of(AttendanceStatus::Absent)),
            cohort_attendance::excused.eq(of(AttendanceStatus::Excused)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Count every cohort's marks afresh (for rows written around the API: `tpms dev generate`).
pub fn retally_all(conn: &mut DbConnection) -> ApiResult<()> {
    diesel::delete(cohort_attendance::table).execute(conn)?;
    diesel::sql_query(
        "INSERT INTO cohort_attendance (cohort_id, present, late, absent, excused) \
         SELECT s.cohort_id, \
                SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END), \
                SUM(CASE WHEN a.status = 'late' THEN 1 ELSE 0 END), \
                SUM(CASE WHEN a.status = 'absent' THEN 1 ELSE 0 END), \
                SUM(CASE WHEN a.status = 'excused' THEN 1 ELSE 0 END) \
         FROM attendance a JOIN sessions s ON s.id = a.session_id \
         GROUP BY s.cohort_id",
    )
    .execute(conn)?;
    Ok(())
}

/// 422 naming every record that is not for a seated trainee of the session's cohort, or that
/// repeats an enrolment.
fn check_records(conn: &mut DbConnection, session: &Session, records: &[AttendanceRecord]) -> ApiResult<()> {
    let wanted: Vec<EnrollmentId> = records.iter().map(|r| r.enrollment_id).collect();
    let known: HashMap<EnrollmentId, (CohortId, EnrollmentStatus)> = enrollments::table
        .filter(enrollments::id.eq_any(&wanted))
        .select((enrollments::id, enrollments::cohort_id, enrollments::status))
        .load::<(EnrollmentId, CohortId, EnrollmentStatus)>(conn)?
        .into_iter()
        .map(|(e, c, s)| (e, (c, s)))
        .collect();
    let mut errors = Vec::new();
    for (i, e) in wanted.iter().enumerate() {
        let field = format!("records/{i}/enrollment_id");
        if wanted[..i].contains(e) {
            errors.push(FieldError::new(
                &field,
                "duplicate",
                format!("enrolment {e} is listed twice"),
            ));
            continue;
        }
        match known.get(e) {
            Some((cohort, status)) if *cohort == session.cohort_id && status.is_seated() => {}
            Some((cohort, status)) if *cohort == session.cohort_id => errors.push(FieldError::new(
                &field,
                "not_seated",
                format!("enrolment {e} is {status}; attendance is recorded for trainees holding a seat"),
            )),
            _ => errors.push(FieldError::new(
                &field,
                "not_in_cohort",
                format!(
                    "enrolment {e} is not in cohort {} of session {}",
                    session.cohort_id, session.id
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// What the audit trail keeps of a sheet: `{enrolment id: {status, note}}` for each mark.
fn marks(sheet: &AttendanceSheet) -> BTreeMap<String, serde_json::Value> {
    sheet
        .items
        .iter()
        .filter(|l| l.status.is_some())
        .map(|l| {
            (
                l.enrollment_id.to_string(),
                serde_json::json!({"status": l.status, "note": l.note}),
            )
        })
        .collect()
}

/// How each of the enrolments `ids` attended its cohort's sessions so far.
pub fn summaries(conn: &mut DbConnection, ids: &[EnrollmentId]) -> ApiResult<HashMap<EnrollmentId, AttendanceSummary>> {
    let rows: Vec<(EnrollmentId, AttendanceStatus, i64)> = attendance::table
        .filter(attendance::enrollment_id.eq_any(ids))
        .group_by((attendance::enrollment_id, attendance::status))
        .select((attendance::enrollment_id, attendance::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut summaries: HashMap<EnrollmentId, AttendanceSummary> = HashMap::new();
    for (id, status, n) in rows {
        summaries.entry(id).or_default().add(status, n);
    }
    Ok(summaries)
}
