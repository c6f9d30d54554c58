//! `/api/v1/cohorts/{id}/sessions` and `/api/v1/sessions/{id}`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::{CreateSession, Session, SessionKind, UpdateSession};
use crate::audit::{self, AuditAction};
use crate::auth::{Auth, ProgramReaders, Staff};
use crate::cohorts::Cohort;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::json::{Body, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{CohortId, SessionId};
use crate::schema::{attendance, sessions};

/// Filters for the session list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct SessionFilters {
    /// Only this kind.
    pub kind: Option<SessionKind>,
    /// Only sessions seeded from this source document (a file name).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
}

/// List the sessions of a cohort, in date order.
#[utoipa::path(
    tag = "sessions",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Cohort id"), SessionFilters, PageParams),
    responses(
        (status = 200, description = "A page of sessions", body = Page<Session>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/cohorts/{id}/sessions")]
pub async fn list_sessions(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<CohortId>,
    filters: Query<SessionFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let cohort = id.into_inner();
    let SessionFilters { kind, source } = filters.0;
    let caller = auth.caller;
    let (items, total) = db
        .run(move |conn| {
            Cohort::find_visible(conn, &caller, cohort)?;
            Session::list(conn, cohort, kind, source.as_deref(), paging)
        })
        .await?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Schedule a session of a cohort.
#[utoipa::path(
    tag = "sessions",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Cohort id")),
    request_body = CreateSession,
    responses(
        (status = 201, description = "Created", body = Session,
         headers(("Location" = String, description = "The new session's URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/cohorts/{id}/sessions")]
pub async fn create_session(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    body: Body<CreateSession>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let cohort = id.into_inner();
    let session = db
        .write(move |conn| {
            Cohort::find(conn, cohort)?;
            let session = Session::create(conn, cohort, body)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Create,
                "session",
                session.id.0,
                None::<&Session>,
                Some(&session),
            )?;
            Ok(session)
        })
        .await?;
    Ok(crate::http::created(
        format!("/api/v1/sessions/{}", session.id),
        &session,
        session.version,
    ))
}

/// Get one session.
#[utoipa::path(
    tag = "sessions",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 200, description = "The session", body = Session,
         headers(("ETag" = String, description = "The session's version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/sessions/{id}")]
pub async fn get_session(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<SessionId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let caller = auth.caller;
    let session = db.run(move |conn| Session::find_visible(conn, &caller, id)).await?;
    Ok(crate::http::ok_with_etag(&session, session.version))
}

/// Change a session: only the fields given change; `null` clears an optional one.
#[utoipa::path(
    tag = "sessions",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Session id"), crate::openapi::IfMatchHeader),
    request_body = UpdateSession,
    responses(
        (status = 200, description = "The changed session", body = Session,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/sessions/{id}")]
pub async fn update_session(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<SessionId>,
    if_match: IfMatch,
    body: Body<UpdateSession>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let id = id.into_inner();
    let session = db
        .write(move |conn| {
            let current = Session::find(conn, id)?;
            if_match.check(current.version)?;
            let next = current.patched(conn, body)?;
            if next == current {
                return Ok(current);
            }
            let saved = current.save(conn, next)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Update,
                "session",
                id.0,
                Some(&current),
                Some(&saved),
            )?;
            Ok(saved)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&session, session.version))
}

/// Delete a session that has no attendance recorded.
#[utoipa::path(
    tag = "sessions",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Session id"), crate::openapi::IfMatchHeader),
    responses((status = 204, description = "Deleted"), crate::openapi::DeleteErrors)
)]
#[delete("/sessions/{id}")]
pub async fn delete_session(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<SessionId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let id = id.into_inner();
    db.write(move |conn| {
        let current = Session::find(conn, id)?;
        if_match.check(current.version)?;
        let records: i64 = attendance::table
            .filter(attendance::session_id.eq(id))
            .count()
            .get_result(conn)?;
        if records > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!("session {id} has attendance for {records} trainee(s); it cannot be deleted"),
            ));
        }
        diesel::delete(sessions::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            &actor,
            AuditAction::Delete,
            "session",
            id.0,
            Some(&current),
            None::<&Session>,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
