//! Invitations: re-issue a lost link, enter a paper form; and the trainee's own link
//! (`/api/v1/responses/{token}`), which answers without signing in.

use actix_web::{HttpResponse, get, post, web};

use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, Staff};
use crate::http::json::{Body, Query};
use crate::http::precondition::IfMatch;
use crate::http::public::{Language, LinkToken, Throttled};
use crate::ids::InvitationId;
use crate::invitations::{Decline, Invitation, Questionnaire, SubmitAnswers};

/// A new link for a pending invitation whose link was lost: the old link stops working.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer_auth" = ["admin", "officer"])),
    params(InvitationId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The invitation, with its new link", body = Invitation, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/invitations/{id}/reissue")]
pub async fn reissue_invitation(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<InvitationId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let invitation = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Invitation::reissue(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&invitation, invitation.version))
}

/// Undo a trainee's decline: the invitation is pending again, so the trainee's link works again,
/// and it can be reissued or answered on paper. Only a declined invitation of a round that still
/// takes answers; audited with the reason the trainee gave.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer_auth" = ["admin", "officer"])),
    params(InvitationId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The invitation, pending again", body = Invitation, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/invitations/{id}/reopen")]
pub async fn reopen_invitation(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<InvitationId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let invitation = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Invitation::reopen(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&invitation, invitation.version))
}

/// Enter a trainee's paper form against their invitation: checked like an answer sent through the
/// link, and marked as entered by the signed-in officer. The link then stops working.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer_auth" = ["admin", "officer"])),
    params(InvitationId, crate::openapi::IfMatchHeader),
    request_body = SubmitAnswers,
    responses((status = 200, description = "The invitation, now submitted", body = Invitation, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/invitations/{id}/paper-form")]
pub async fn enter_paper_form(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<InvitationId>,
    if_match: IfMatch,
    body: Body<SubmitAnswers>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let invitation = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            crate::invitations::enter_paper_form(
                conn,
                &signed.actor,
                signed.caller.id(),
                id,
                &if_match,
                body.get()?.answers,
            )
        })
        .await?;
    Ok(crate::http::ok_with_etag(&invitation, invitation.version))
}

/// The questionnaire a personal link opens, in Vietnamese (or `?lang=en`), with only the
/// programme's and cohort's titles. No sign-in; limited per address.
#[utoipa::path(
    tag = "links",
    params(LinkToken, Language),
    responses((status = 200, description = "The questionnaire", body = Questionnaire), crate::openapi::PublicErrors)
)]
#[get(
    "/responses/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn open_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    lang: Query<Language>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    let english = lang.0.english()?;
    let questionnaire = db
        .run(move |conn| crate::invitations::questionnaire(conn, &token, english))
        .await?;
    Ok(HttpResponse::Ok().json(questionnaire))
}

/// Submit the answers, once: every answer is checked against its item (a 422 names each bad one
/// by pointer, and the link still works to try again); after a success the link stops working.
#[utoipa::path(
    tag = "links",
    params(LinkToken),
    request_body = SubmitAnswers,
    responses((status = 204, description = "Recorded; thank you"), crate::openapi::PublicErrors)
)]
#[post(
    "/responses/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn answer_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    body: Body<SubmitAnswers>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    db.write(move |conn| {
        crate::invitations::submit_by_link(conn, &crate::effects::trainee_link(), &token, body.get()?.answers)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Decline to answer, optionally saying why (staff see the reason on the invitation; an empty
/// body declines without one): counted in the round's response rate; the link then stops
/// working until an officer reopens the invitation.
#[utoipa::path(
    tag = "links",
    params(LinkToken),
    request_body(content = Option<Decline>, description = "Optional: `{\"reason\": \"…\"}`"),
    responses((status = 204, description = "Recorded"), crate::openapi::PublicErrors)
)]
#[post(
    "/responses/{token}/decline",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn decline_link(
    _: Throttled,
    req: actix_web::HttpRequest,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    body: Body<Decline>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    // A decline was sent with no body before a reason could be given; it still may be.
    let empty = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .is_none_or(|length| length.as_bytes() == b"0");
    let decline = if empty { Decline::default() } else { body.get()? };
    db.write(move |conn| crate::invitations::decline_by_link(conn, &crate::effects::trainee_link(), &token, decline))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
