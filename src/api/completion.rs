//! `/api/v1/cohorts/{id}/completion-rule` and `/api/v1/cohorts/{id}/completion`.

use actix_web::{HttpResponse, get, post, put, web};

use crate::completion::{CompletionQuery, CompletionRule, CompletionRun, SetCompletionRule};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, ProgramReaders, Staff};
use crate::http::json::{Body, Query};
use crate::http::precondition::IfMatch;
use crate::ids::CohortId;
use crate::resource::Record;

/// A cohort's completion rule (version 0 and empty when none was set: every enrolled trainee
/// completes).
#[utoipa::path(
    tag = "completion",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CohortId),
    responses((status = 200, description = "The rule", body = CompletionRule), crate::openapi::ReadErrors)
)]
#[get("/cohorts/{id}/completion-rule")]
pub async fn get_completion_rule(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let rule = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            CompletionRule::find_visible(conn, &signed.caller, id)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&rule, rule.version))
}

/// Set a cohort's completion rule, as a whole (send `If-Match` with the version read).
#[utoipa::path(
    tag = "completion",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CohortId, crate::openapi::IfMatchHeader),
    request_body = SetCompletionRule,
    responses((status = 200, description = "The rule as set", body = CompletionRule, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[put("/cohorts/{id}/completion-rule")]
pub async fn set_completion_rule(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    if_match: IfMatch,
    body: Body<SetCompletionRule>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let rule = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            CompletionRule::set(conn, &signed.caller, &signed.actor, id, &if_match, body.get()?)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&rule, rule.version))
}

/// Apply the completion rule to every enrolled trainee of a cohort under way or over (409
/// `cohort_not_underway` for one still planned or open, or cancelled): each becomes `completed`
/// (with a certificate number and verification code) or `did_not_complete`, with the reasons.
/// With `dry_run=true`, only says so. All or nothing, each move audited.
#[utoipa::path(
    tag = "completion",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CohortId, CompletionQuery),
    responses((status = 200, description = "Who completed, and why not", body = CompletionRun), crate::openapi::WriteErrors)
)]
#[post("/cohorts/{id}/completion")]
pub async fn run_completion(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    query: Query<CompletionQuery>,
) -> ApiResult<HttpResponse> {
    let (id, dry_run) = (id.into_inner(), query.0.dry_run);
    let run = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            crate::completion::run(conn, &signed.caller, &signed.actor, id, dry_run)
        })
        .await?;
    Ok(HttpResponse::Ok().json(run))
}
