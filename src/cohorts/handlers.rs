//! `/api/v1/programs/{id}/cohorts` and `/api/v1/cohorts/{id}`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::{Cohort, CohortSort, CohortStatus, CreateCohort, UpdateCohort};
use crate::audit::{self, AuditAction};
use crate::auth::{Auth, ProgramReaders, Staff};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::json::{Body, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{CohortId, ProgramId};
use crate::programs::Program;
use crate::schema::{cohorts, enrollments, sessions};

/// Filters for the cohort list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CohortFilters {
    /// Only this status.
    pub status: Option<CohortStatus>,
    /// Only cohorts seeded from this source document (a file name).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<CohortSort>,
}

/// List the cohorts of a programme.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Programme id"), CohortFilters, PageParams),
    responses(
        (status = 200, description = "A page of cohorts", body = Page<Cohort>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/programs/{id}/cohorts")]
pub async fn list_cohorts(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<ProgramId>,
    filters: Query<CohortFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let program = id.into_inner();
    let filters = filters.0;
    let caller = auth.caller;
    let (items, total) = db
        .run(move |conn| {
            Program::check_visible(conn, &caller, program)?;
            Program::find(conn, program)?;
            Cohort::list(
                conn,
                program,
                filters.status,
                filters.source.as_deref(),
                filters.sort.unwrap_or_default(),
                paging,
            )
        })
        .await?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Open a cohort of a programme.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Programme id")),
    request_body = CreateCohort,
    responses(
        (status = 201, description = "Created", body = Cohort,
         headers(("Location" = String, description = "The new cohort's URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/programs/{id}/cohorts")]
pub async fn create_cohort(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<ProgramId>,
    body: Body<CreateCohort>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let program = id.into_inner();
    let cohort = db
        .write(move |conn| {
            Program::find(conn, program)?;
            let cohort = Cohort::create(conn, program, body)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Create,
                "cohort",
                cohort.id.0,
                None::<&Cohort>,
                Some(&cohort),
            )?;
            Ok(cohort)
        })
        .await?;
    Ok(crate::http::created(
        format!("/api/v1/cohorts/{}", cohort.id),
        &cohort,
        cohort.version,
    ))
}

/// Get one cohort, with its enrolled and waitlisted counts.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Cohort id")),
    responses(
        (status = 200, description = "The cohort", body = Cohort,
         headers(("ETag" = String, description = "The cohort's version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/cohorts/{id}")]
pub async fn get_cohort(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let caller = auth.caller;
    let cohort = db.run(move |conn| Cohort::find_visible(conn, &caller, id)).await?;
    Ok(crate::http::ok_with_etag(&cohort, cohort.version))
}

/// Change a cohort: only the fields given change; `null` clears an optional one. A status move
/// outside `planned → open → in_progress → completed` (or to `cancelled` before completion) is
/// 409; raising the capacity enrols waitlisted trainees into the new seats.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Cohort id"), crate::openapi::IfMatchHeader),
    request_body = UpdateCohort,
    responses(
        (status = 200, description = "The changed cohort", body = Cohort,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/cohorts/{id}")]
pub async fn update_cohort(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    if_match: IfMatch,
    body: Body<UpdateCohort>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let id = id.into_inner();
    let cohort = db
        .write(move |conn| {
            let current = Cohort::find_for_seats(conn, id)?;
            if_match.check(current.version)?;
            let next = current.patched(body)?;
            if next == current {
                return Ok(current);
            }
            let saved = current.save(conn, next)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Update,
                "cohort",
                id.0,
                Some(&current),
                Some(&saved),
            )?;
            let reason = match saved.capacity {
                Some(capacity) => format!("cohort {} capacity raised to {capacity}", saved.code),
                None => format!("cohort {} capacity limit removed", saved.code),
            };
            let promoted = crate::enrollments::fill_free_seats(conn, &actor, &saved, &reason)?;
            if promoted.is_empty() {
                Ok(saved)
            } else {
                Cohort::find(conn, id)
            }
        })
        .await?;
    Ok(crate::http::ok_with_etag(&cohort, cohort.version))
}

/// Delete a cohort that has no enrolments and no sessions.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Cohort id"), crate::openapi::IfMatchHeader),
    responses((status = 204, description = "Deleted"), crate::openapi::DeleteErrors)
)]
#[delete("/cohorts/{id}")]
pub async fn delete_cohort(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let id = id.into_inner();
    db.write(move |conn| {
        let current = Cohort::find(conn, id)?;
        if_match.check(current.version)?;
        let enrolments: i64 = enrollments::table
            .filter(enrollments::cohort_id.eq(id))
            .count()
            .get_result(conn)?;
        let session_count: i64 = sessions::table.filter(sessions::cohort_id.eq(id)).count().get_result(conn)?;
        if enrolments > 0 || session_count > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!(
                    "cohort {} has {enrolments} enrolment(s) and {session_count} session(s); a cohort with enrolments cannot be deleted (cancel it instead), and its sessions must be deleted first",
                    current.code
                ),
            ));
        }
        diesel::delete(cohorts::table.find(id)).execute(conn)?;
        audit::record(conn, &actor, AuditAction::Delete, "cohort", id.0, Some(&current), None::<&Cohort>)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
