//! Follow-ups: the officer's list, reports (through the trainee's link, or recorded by an
//! officer), the supervisor's confirmation (through the supervisor's link), verification, new
//! links, summaries and a programme's schedule.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};

use crate::checkpoints::schedule::{FollowUpSchedule, SetSchedule};
use crate::checkpoints::summary::{self, FollowUpSummary};
use crate::checkpoints::{
    Checkpoint, FollowUpFilters, LinkedCheckpoint, RecordedReport, Report, Review, SupervisedCheckpoint,
    SupervisorAnswer,
};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Assessors, Auth, ProgramReaders, Staff};
use crate::http::export::{self, ListFormatParams};
use crate::http::json::{Body, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::http::public::{Language, LinkToken, Throttled};
use crate::ids::{CheckpointId, CohortId, ProgramId};
use crate::resource::Record;

/// What an officer needs each morning: checkpoints by due date (`status=overdue`, `due`, ...),
/// each awaited one with the trainee's link to resend. A partner's liaison, who approves the
/// plans, reads the list of its partner's programmes' cohorts only, without links.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer", "liaison"])),
    params(FollowUpFilters, PageParams, ListFormatParams),
    responses(
        (status = 200, description = "A page of checkpoints, or every matching one as CSV", content(
            (Page<Checkpoint> = "application/json"),
            (String = "text/csv"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/follow-ups")]
pub async fn list_follow_ups(
    auth: Auth<Assessors>,
    db: web::Data<Db>,
    req: HttpRequest,
    filters: Query<FollowUpFilters>,
    page: Query<PageParams>,
    format: Query<ListFormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req)?;
    let paging = page.into_inner().paging()?;
    let filters = filters.0;
    export::list_response(
        db,
        &req,
        chosen,
        "follow-ups",
        paging,
        move |conn| auth.check(conn).map(|signed| signed.caller),
        move |conn, caller, paging| crate::checkpoints::follow_ups(conn, caller, filters.clone(), paging),
    )
    .await
}

/// One checkpoint.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CheckpointId),
    responses((status = 200, description = "The checkpoint", body = Checkpoint), crate::openapi::ReadErrors)
)]
#[get("/checkpoints/{id}")]
pub async fn get_checkpoint(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<CheckpointId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let checkpoint = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            Checkpoint::find_visible(conn, &signed.caller, id)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&checkpoint, checkpoint.version))
}

/// Record the trainee's report for them (given at a follow-up event, `session_id`, or on paper).
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CheckpointId, crate::openapi::IfMatchHeader),
    request_body = RecordedReport,
    responses((status = 200, description = "The checkpoint, submitted", body = Checkpoint, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/checkpoints/{id}/report")]
pub async fn record_report(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CheckpointId>,
    if_match: IfMatch,
    body: Body<RecordedReport>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let checkpoint = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Checkpoint::report_by_officer(conn, &signed.actor, id, &if_match, body.get()?)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&checkpoint, checkpoint.version))
}

/// Verify or dispute a submitted report (a note is required to dispute).
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CheckpointId, crate::openapi::IfMatchHeader),
    request_body = Review,
    responses((status = 200, description = "The checkpoint, reviewed", body = Checkpoint, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/checkpoints/{id}/review")]
pub async fn review_checkpoint(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CheckpointId>,
    if_match: IfMatch,
    body: Body<Review>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let checkpoint = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Checkpoint::review(conn, &signed.actor, id, &if_match, body.get()?)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&checkpoint, checkpoint.version))
}

/// A new link for a checkpoint awaiting a report; the old one stops working, and a disputed
/// checkpoint awaits a new report.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CheckpointId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The checkpoint, with its new link", body = Checkpoint, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/checkpoints/{id}/link")]
pub async fn reissue_checkpoint_link(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CheckpointId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let checkpoint = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Checkpoint::reissue(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&checkpoint, checkpoint.version))
}

/// A new link for the supervisor the plan names (also for a supervisor named after the checkpoint
/// was scheduled); the open one stops working. 409 when the plan names no supervisor, or when the
/// supervisor has answered.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CheckpointId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The checkpoint, with the supervisor's new link", body = Checkpoint, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/checkpoints/{id}/supervisor-link")]
pub async fn reissue_supervisor_link(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CheckpointId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let checkpoint = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Checkpoint::reissue_supervisor_link(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&checkpoint, checkpoint.version))
}

/// What a supervisor's link opens: the trainee, each item of the plan with its number and the
/// trainee's report on it (once reported), and the rating scale with its labels, in Vietnamese or
/// `?lang=en`. No sign-in; limited per address.
#[utoipa::path(
    tag = "links",
    params(LinkToken, Language),
    responses((status = 200, description = "The items to rate", body = SupervisedCheckpoint), crate::openapi::PublicErrors)
)]
#[get(
    "/supervisor-links/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn open_supervisor_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    lang: Query<Language>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    let english = lang.0.english()?;
    let checkpoint = db
        .run(move |conn| Checkpoint::by_supervisor_link(conn, &token, english))
        .await?;
    Ok(HttpResponse::Ok().json(checkpoint))
}

/// Rate each item once (1 to 5) and confirm, or not, the trainee's report (a 422 names each
/// missing, repeated or unknown item and each rating off the scale, and the link still works);
/// the link then stops working.
#[utoipa::path(
    tag = "links",
    params(LinkToken),
    request_body = SupervisorAnswer,
    responses((status = 204, description = "Answered; the officer sees it on the checkpoint"), crate::openapi::PublicErrors)
)]
#[post(
    "/supervisor-links/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn answer_supervisor_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    body: Body<SupervisorAnswer>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    db.write(move |conn| {
        Checkpoint::answer_by_supervisor(conn, &crate::effects::supervisor_link(), &token, body.get()?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What a trainee's checkpoint link opens: all a report form needs (each item with its number, the
/// progress values with their labels, the programme's title), in Vietnamese or `?lang=en`. No
/// sign-in; limited per address.
#[utoipa::path(
    tag = "links",
    params(LinkToken, Language),
    responses((status = 200, description = "The items to report on", body = LinkedCheckpoint), crate::openapi::PublicErrors)
)]
#[get(
    "/checkpoint-links/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn open_checkpoint_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    lang: Query<Language>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    let english = lang.0.english()?;
    let checkpoint = db.run(move |conn| Checkpoint::by_link(conn, &token, english)).await?;
    Ok(HttpResponse::Ok().json(checkpoint))
}

/// Report each item's progress, once (a 422 names each missing or unknown item, and the link
/// still works); the link then stops working.
#[utoipa::path(
    tag = "links",
    params(LinkToken),
    request_body = Report,
    responses((status = 204, description = "Reported; an officer verifies it"), crate::openapi::PublicErrors)
)]
#[post(
    "/checkpoint-links/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn report_checkpoint_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    body: Body<Report>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    db.write(move |conn| Checkpoint::report_by_link(conn, &crate::effects::trainee_link(), &token, body.get()?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A cohort's follow-up figures: plans by state, checkpoints by state, items by their latest
/// progress, and the outcome shares.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CohortId),
    responses((status = 200, description = "The figures", body = FollowUpSummary), crate::openapi::ReadErrors)
)]
#[get("/cohorts/{id}/follow-up-summary")]
pub async fn cohort_follow_up_summary(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let figures = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            summary::of_cohort(conn, &signed.caller, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// A programme's follow-up figures, over all its cohorts.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(ProgramId),
    responses((status = 200, description = "The figures", body = FollowUpSummary), crate::openapi::ReadErrors)
)]
#[get("/programs/{id}/follow-up-summary")]
pub async fn program_follow_up_summary(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<ProgramId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let figures = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            summary::of_program(conn, &signed.caller, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// A programme's follow-up schedule (3, 6 and 12 months unless it was set).
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(ProgramId),
    responses((status = 200, description = "The schedule", body = FollowUpSchedule), crate::openapi::ReadErrors)
)]
#[get("/programs/{id}/follow-up-schedule")]
pub async fn get_follow_up_schedule(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<ProgramId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let schedule = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            FollowUpSchedule::find_visible(conn, &signed.caller, id)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&schedule, schedule.version))
}

/// Set a programme's follow-up schedule for plans approved from now on (send `If-Match`).
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer"])),
    params(ProgramId, crate::openapi::IfMatchHeader),
    request_body = SetSchedule,
    responses((status = 200, description = "The schedule as set", body = FollowUpSchedule, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[put("/programs/{id}/follow-up-schedule")]
pub async fn set_follow_up_schedule(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<ProgramId>,
    if_match: IfMatch,
    body: Body<SetSchedule>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let schedule = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            FollowUpSchedule::set(conn, &signed.caller, &signed.actor, id, &if_match, body.get()?)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&schedule, schedule.version))
}
