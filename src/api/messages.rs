//! The outbox as officers see it: the standard list and read (`Endpoints::<Message>` in the route
//! table), and here an officer's retry and cancel, and a round's and a cohort's counts by state.

use actix_web::{HttpResponse, get, post, web};

use crate::cohorts::Cohort;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, Readers, Staff};
use crate::http::precondition::IfMatch;
use crate::ids::{CohortId, MessageId, RoundId};
use crate::mail::{Message, MessageCounts};
use crate::resource::Record;
use crate::rounds::Round;

/// Send a failed or cancelled message again: queued now, its attempts counted from nought. A
/// message to a trainee goes to the trainee's address as it is now, so that adding a missing
/// address and retrying reaches them; 409 `no_address` while there is still none, 409
/// `message_not_failed` for a message queued or sent.
#[utoipa::path(
    tag = "messages",
    security(("bearer_auth" = ["admin", "officer"])),
    params(MessageId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The message, queued again", body = Message, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/messages/{id}/retry")]
pub async fn retry_message(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<MessageId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let message = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Message::retry(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&message, message.version))
}

/// Cancel a queued message before it is sent; 409 `message_not_queued` for one already sent,
/// failed or cancelled, 409 `message_sending` for one being sent at this moment.
#[utoipa::path(
    tag = "messages",
    security(("bearer_auth" = ["admin", "officer"])),
    params(MessageId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The message, cancelled", body = Message, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/messages/{id}/cancel")]
pub async fn cancel_message(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<MessageId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let message = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Message::cancel(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&message, message.version))
}

/// How many of a round's messages (invitations, reissued links, reminders) are queued, sent,
/// failed (and of those, to trainees without an address) or cancelled.
#[utoipa::path(
    tag = "messages",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(RoundId),
    responses((status = 200, description = "The round's messages by state", body = MessageCounts), crate::openapi::ReadErrors)
)]
#[get("/rounds/{id}/messages")]
pub async fn round_message_counts(
    auth: Auth<Readers>,
    db: web::Data<Db>,
    id: web::Path<RoundId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let counts = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            Round::find_visible(conn, &signed.caller, id)?;
            Message::counts(conn, Some(id), None)
        })
        .await?;
    Ok(HttpResponse::Ok().json(counts))
}

/// How many of a cohort's messages (every round's, its sessions', its plans' and certificates')
/// are in each state.
#[utoipa::path(
    tag = "messages",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(CohortId),
    responses((status = 200, description = "The cohort's messages by state", body = MessageCounts), crate::openapi::ReadErrors)
)]
#[get("/cohorts/{id}/messages")]
pub async fn cohort_message_counts(
    auth: Auth<Readers>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let counts = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            Cohort::find_visible(conn, &signed.caller, id)?;
            Message::counts(conn, None, Some(id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(counts))
}
