//! `/api/v1/sessions/{id}/attendance`: read a session's sheet, and record many trainees at once.

use actix_web::{HttpResponse, get, put, web};

use crate::attendance::{AttendanceSheet, RecordAttendance};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, ProgramReaders, Staff};
use crate::http::json::Body;
use crate::ids::SessionId;

/// The attendance sheet of a session. A liaison reads those of its partner's cohorts: the trainees
/// holding a seat, without notes or who recorded them (the same marks as the cohort's attendance
/// report).
#[utoipa::path(
    tag = "attendance",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(SessionId),
    responses((status = 200, description = "The sheet", body = AttendanceSheet), crate::openapi::ReadErrors)
)]
#[get("/sessions/{id}/attendance")]
pub async fn get_attendance(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<SessionId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let sheet = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            crate::attendance::sheet(conn, &signed.caller, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(sheet))
}

/// Record attendance for many trainees at once: all records are saved, or none. A record for an
/// enrolment that is not a seated trainee of this session's cohort is named in the error.
#[utoipa::path(
    tag = "attendance",
    security(("bearer_auth" = ["admin", "officer"])),
    params(SessionId),
    request_body = RecordAttendance,
    responses((status = 200, description = "The sheet after saving", body = AttendanceSheet), crate::openapi::WriteErrors)
)]
#[put("/sessions/{id}/attendance")]
pub async fn record_attendance(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<SessionId>,
    body: Body<RecordAttendance>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let sheet = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            crate::attendance::record(conn, &signed.actor, id, body.get()?.records)
        })
        .await?;
    Ok(HttpResponse::Ok().json(sheet))
}
