//! `/api/v1/cohorts/{id}/enrollments` and `/api/v1/enrollments/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::{CreateEnrollment, Enrollment, EnrollmentFilters, EnrollmentStatus, UpdateEnrollment};
use crate::audit::{self, AuditAction};
use crate::auth::{Auth, ProgramReaders, Staff};
use crate::cohorts::Cohort;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::idempotency::{self, IdempotencyKey, Outcome};
use crate::http::json::{Body, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{CohortId, EnrollmentId};

/// List the enrolments of a cohort, oldest first. A liaison sees only trainees holding a seat.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Cohort id"), EnrollmentFilters, PageParams),
    responses(
        (status = 200, description = "A page of enrolments", body = Page<Enrollment>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/cohorts/{id}/enrollments")]
pub async fn list_enrollments(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<CohortId>,
    filters: Query<EnrollmentFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let cohort = id.into_inner();
    let filters = filters.0;
    let caller = auth.caller;
    let (items, total) = db
        .run(move |conn| {
            Cohort::find_visible(conn, &caller, cohort)?;
            Enrollment::list(conn, &caller, cohort, filters, paging)
        })
        .await?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Enrol a trainee: a seat if one is free, else the waitlist (`status: "nominated"` records only
/// a nomination). Send `Idempotency-Key` so that a retried request does not enrol twice.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer"])),
    params(
        ("id" = i64, Path, description = "Cohort id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry with the same key and body return the first answer",
         min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    request_body = CreateEnrollment,
    responses(
        (status = 201, description = "Created: `enrolled`, `waitlisted` when the cohort is full, or `nominated`", body = Enrollment,
         headers(("Location" = String, description = "The new enrolment's URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/cohorts/{id}/enrollments")]
pub async fn create_enrollment(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<CohortId>,
    key: IdempotencyKey,
    body: Body<CreateEnrollment>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let user = auth.caller.id;
    let body = body.get()?;
    let fingerprint = idempotency::fingerprint(
        &req,
        &serde_json::to_vec(&body).map_err(crate::error::ApiError::internal)?,
    );
    let cohort = id.into_inner();
    let outcome = db
        .write(move |conn| {
            idempotency::run(
                conn,
                &key,
                user,
                &fingerprint,
                StatusCode::CREATED,
                |e: &Enrollment| Some(format!("/api/v1/enrollments/{}", e.id)),
                |conn| {
                    let cohort = Cohort::find_for_seats(conn, cohort)?;
                    let enrollment = Enrollment::create(conn, &cohort, body)?;
                    audit::record(
                        conn,
                        &actor,
                        AuditAction::Create,
                        "enrollment",
                        enrollment.id.0,
                        None::<&Enrollment>,
                        Some(&enrollment),
                    )?;
                    Ok(enrollment)
                },
            )
        })
        .await?;
    Ok(match outcome {
        Outcome::Fresh(e) => crate::http::created(format!("/api/v1/enrollments/{}", e.id), &e, e.version),
        Outcome::Replay(replay) => replay.respond(),
    })
}

/// Get one enrolment, with its attendance rate.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Enrolment id")),
    responses(
        (status = 200, description = "The enrolment", body = Enrollment,
         headers(("ETag" = String, description = "The enrolment's version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/enrollments/{id}")]
pub async fn get_enrollment(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<EnrollmentId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let caller = auth.caller;
    let enrollment = db.run(move |conn| Enrollment::find_visible(conn, &caller, id)).await?;
    Ok(crate::http::ok_with_etag(&enrollment, enrollment.version))
}

/// Move an enrolment through its states, or change its notes. An illegal move is 409 naming the
/// allowed ones. When an enrolled trainee withdraws, the longest-waiting trainee on the waitlist
/// is enrolled into the seat, and its audit event says why; a move to `waitlisted` while seats
/// are free is enrolled at once the same way.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Enrolment id"), crate::openapi::IfMatchHeader),
    request_body = UpdateEnrollment,
    responses(
        (status = 200, description = "The changed enrolment", body = Enrollment,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/enrollments/{id}")]
pub async fn update_enrollment(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<EnrollmentId>,
    if_match: IfMatch,
    body: Body<UpdateEnrollment>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let id = id.into_inner();
    let enrollment = db
        .write(move |conn| {
            // Lock the cohort first, then read the enrolment, so that its status cannot change
            // between the check and the write.
            let cohort_id = Enrollment::find(conn, id)?.cohort_id;
            let cohort = Cohort::find_for_seats(conn, cohort_id)?;
            let current = Enrollment::find(conn, id)?;
            if_match.check(current.version)?;
            let saved = current.apply(conn, &cohort, body)?;
            if saved == current {
                return Ok(current);
            }
            audit::record(
                conn,
                &actor,
                AuditAction::Update,
                "enrollment",
                id.0,
                Some(&current),
                Some(&saved),
            )?;
            // A seat freed by a withdrawal goes to the longest-waiting trainee; and a trainee
            // waitlisted while seats are free does not wait behind later enrolments.
            if saved.status != current.status {
                let cohort = Cohort::find(conn, cohort_id)?;
                let reason = if saved.status == EnrollmentStatus::Withdrawn {
                    format!(
                        "enrolment {id} ({}) withdrew from cohort {}",
                        saved.trainee_name, cohort.code
                    )
                } else {
                    format!(
                        "cohort {} had a free seat when enrolment {id} became {}",
                        cohort.code, saved.status
                    )
                };
                let promoted = super::fill_free_seats(conn, &actor, &cohort, &reason)?;
                if let Some(itself) = promoted.into_iter().find(|e| e.id == id) {
                    return Ok(itself);
                }
            }
            Ok(saved)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&enrollment, enrollment.version))
}
