//! The attendance sheet of a cohort: its trainees × its sessions, each mark (`present`, `late`,
//! `absent`, `excused`, or nothing yet), the rate of each trainee and of each session.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::attendance::{AttendanceStatus, AttendanceSummary};
use crate::cohorts::Cohort;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::{CohortId, EnrollmentId, SessionId, TraineeId};
use crate::resource::Record;
use crate::schema::{attendance, enrollments, sessions, trainees};
use crate::statuses::{EnrollmentStatus, SEATED};
use crate::tabular::{Cell, Table};

/// A session, a column of the sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SheetSession {
    /// The session.
    pub session_id: SessionId,
    /// Its title.
    pub title: String,
    /// Its day (the first day of its month or year when only those are known).
    pub date: chrono::NaiveDate,
    /// Its marks.
    pub summary: AttendanceSummary,
}

/// A trainee, a row of the sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SheetTrainee {
    /// The enrolment.
    pub enrollment_id: EnrollmentId,
    /// The trainee.
    pub trainee_id: TraineeId,
    /// Their name.
    pub trainee_name: String,
    /// The enrolment's status.
    pub enrollment_status: EnrollmentStatus,
    /// The mark of each session, in the order of `sessions`; `null` where none was recorded.
    pub marks: Vec<Option<AttendanceStatus>>,
    /// Their marks together.
    pub summary: AttendanceSummary,
}

/// The sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortAttendance {
    /// When its data was read (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub data_as_of: chrono::NaiveDateTime,
    /// The cohort.
    pub cohort_id: CohortId,
    /// The cohort's code.
    pub cohort_code: String,
    /// Its sessions, by date.
    pub sessions: Vec<SheetSession>,
    /// Its trainees (holding a seat, or marked once), by name.
    pub trainees: Vec<SheetTrainee>,
    /// Every mark together.
    pub summary: AttendanceSummary,
}

/// The sheet of cohort `id`, for a caller who may see it.
pub fn sheet(conn: &mut DbConnection, caller: &Caller, id: CohortId) -> ApiResult<CohortAttendance> {
    let data_as_of = crate::clock::now();
    let cohort = Cohort::find_visible(conn, caller, id)?;
    let sessions: Vec<(SessionId, String, chrono::NaiveDate)> = sessions::table
        .filter(sessions::cohort_id.eq(id))
        .order((
            sessions::session_date.asc(),
            sessions::starts_at.asc(),
            sessions::id.asc(),
        ))
        .select((sessions::id, sessions::title, sessions::session_date))
        .load(conn)?;
    let marks: Vec<(SessionId, EnrollmentId, AttendanceStatus)> = attendance::table
        .inner_join(sessions::table)
        .filter(sessions::cohort_id.eq(id))
        .select((attendance::session_id, attendance::enrollment_id, attendance::status))
        .load(conn)?;
    // Staff also see trainees marked once who left since; a liaison only those holding a seat.
    let marked: Vec<EnrollmentId> = match caller.liaison_partner() {
        Some(_) => Vec::new(),
        None => marks.iter().map(|m| m.1).collect(),
    };
    let people: Vec<(EnrollmentId, TraineeId, String, EnrollmentStatus)> = enrollments::table
        .inner_join(trainees::table)
        .filter(enrollments::cohort_id.eq(id))
        .filter(enrollments::status.eq_any(SEATED).or(enrollments::id.eq_any(marked)))
        .order((trainees::full_name.asc(), enrollments::id.asc()))
        .select((
            enrollments::id,
            enrollments::trainee_id,
            trainees::full_name,
            enrollments::status,
        ))
        .load(conn)?;
    let column: HashMap<SessionId, usize> = sessions.iter().enumerate().map(|(i, s)| (s.0, i)).collect();
    let row: HashMap<EnrollmentId, usize> = people.iter().enumerate().map(|(i, p)| (p.0, i)).collect();
    let mut trainees: Vec<SheetTrainee> = people
        .into_iter()
        .map(
            |(enrollment_id, trainee_id, trainee_name, enrollment_status)| SheetTrainee {
                enrollment_id,
                trainee_id,
                trainee_name,
                enrollment_status,
                marks: vec![None; sessions.len()],
                summary: AttendanceSummary::default(),
            },
        )
        .collect();
    let mut columns: Vec<AttendanceSummary> = vec![AttendanceSummary::default(); sessions.len()];
    let mut summary = AttendanceSummary::default();
    for (session, enrollment, status) in marks {
        let (Some(&c), Some(&r)) = (column.get(&session), row.get(&enrollment)) else {
            continue;
        };
        trainees[r].marks[c] = Some(status);
        trainees[r].summary.add(status, 1);
        columns[c].add(status, 1);
        summary.add(status, 1);
    }
    let sessions = sessions
        .into_iter()
        .zip(columns)
        .map(|((session_id, title, date), summary)| SheetSession {
            session_id,
            title,
            date,
            summary,
        })
        .collect();
    crate::disclosures::record(
        conn,
        caller,
        "attendance",
        trainees.iter().map(|t| crate::disclosures::Disclosed {
            trainee: t.trainee_id,
            fields: vec![
                crate::disclosures::PersonalField::FullName,
                crate::disclosures::PersonalField::Attendance,
            ],
        }),
    )?;
    Ok(CohortAttendance {
        data_as_of,
        cohort_id: id,
        cohort_code: cohort.code,
        sessions,
        trainees,
        summary,
    })
}

/// The sheet as a matrix: a row per trainee, a column per session (headed by its date and
/// title), then the trainee's rate; a last row with each session's rate.
pub fn table(sheet: &CohortAttendance) -> Table {
    let mut columns = vec!["enrollment_id".to_owned(), "trainee_name".to_owned()];
    columns.extend(
        sheet
            .sessions
            .iter()
            .map(|s| format!("{} {} (#{})", s.date.format("%Y-%m-%d"), s.title, s.session_id)),
    );
    columns.extend(["present", "late", "absent", "excused", "rate"].map(str::to_owned));
    let mut table = Table::with_columns(columns);
    let figures = |s: &AttendanceSummary| {
        [
            Cell::Integer(s.present),
            Cell::Integer(s.late),
            Cell::Integer(s.absent),
            Cell::Integer(s.excused),
            Cell::from(s.rate),
        ]
    };
    for trainee in &sheet.trainees {
        let mut cells = vec![
            Cell::Integer(trainee.enrollment_id.0),
            Cell::Text(trainee.trainee_name.clone()),
        ];
        cells.extend(
            trainee
                .marks
                .iter()
                .map(|mark| mark.map_or(Cell::Empty, |m| Cell::Text(m.as_str().to_owned()))),
        );
        cells.extend(figures(&trainee.summary));
        table.rows.push(cells);
    }
    let mut rates = vec![Cell::Empty, Cell::Text("rate per session".to_owned())];
    rates.extend(sheet.sessions.iter().map(|s| Cell::from(s.summary.rate)));
    rates.extend(figures(&sheet.summary));
    table.rows.push(rates);
    table
}
