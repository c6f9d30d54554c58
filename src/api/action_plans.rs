//! Action plans: an officer issues the trainee's link; the trainee writes and submits the plan
//! through it (`/api/v1/plan-links/{token}`, no sign-in).

use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::action_plans::{ActionPlan, CohortPlanLinks, LinkedPlan, PlanContent};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, Staff};
use crate::http::json::{Body, Query};
use crate::http::precondition::IfMatch;
use crate::http::public::{Language, LinkToken, Throttled};
use crate::ids::{ActionPlanId, CohortId};

/// A personal link, to send.
#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    /// The path on this server the trainee opens.
    #[schema(example = "/api/v1/plan-links/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub link: String,
    /// The page the link opens in a browser, under `TPMS_PUBLIC_URL`: what to send the trainee.
    #[schema(example = "https://tpms.example.gov.vn/p/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub page_url: Option<String>,
}

/// Issue the trainee a single-use link to write and submit this draft plan; any earlier link
/// stops working.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer"])),
    params(ActionPlanId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The link", body = Link, headers(("ETag" = String, description = "The plan's new version"))), crate::openapi::ChangeErrors)
)]
#[post("/action-plans/{id}/link")]
pub async fn issue_plan_link(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<ActionPlanId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (plan, link, page_url) = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            ActionPlan::issue_link(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&Link { link, page_url }, plan.version))
}

/// Every seated trainee of a cohort with an action plan and the link to write it, in one request:
/// a trainee without a plan gets an empty draft, a draft without a link gets one. Idempotent: a
/// draft that has a link keeps it (the same link is answered again, so links already sent keep
/// working), a plan past the draft is listed without a link; a second run creates nothing and
/// answers the same links. Each plan and link is audited as its own request would be.
#[utoipa::path(
    tag = "follow-ups",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CohortId),
    responses((status = 200, description = "Each seated trainee's plan, with its link while a draft", body = CohortPlanLinks), crate::openapi::WriteErrors)
)]
#[post("/cohorts/{id}/action-plan-links")]
pub async fn issue_cohort_plan_links(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let links = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            crate::action_plans::links_for_cohort(conn, &signed.caller, &signed.actor, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(links))
}

/// The plan a trainee's link opens, with the programme's and cohort's titles (in Vietnamese, as a
/// questionnaire's link, or `?lang=en`) and the reviewer's comments when it was sent back. No
/// sign-in; limited per address.
#[utoipa::path(
    tag = "links",
    params(LinkToken, Language),
    responses((status = 200, description = "The plan so far", body = LinkedPlan), crate::openapi::PublicErrors)
)]
#[get(
    "/plan-links/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn open_plan_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    lang: Query<Language>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    let english = lang.0.english()?;
    let plan = db.run(move |conn| ActionPlan::by_link(conn, &token, english)).await?;
    Ok(HttpResponse::Ok().json(plan))
}

/// Write and submit the plan, once: a title, the problem and at least one item (a 422 names what
/// is missing, and the link still works); the link then stops working.
#[utoipa::path(
    tag = "links",
    params(LinkToken),
    request_body = PlanContent,
    responses((status = 204, description = "Submitted for approval"), crate::openapi::PublicErrors)
)]
#[post(
    "/plan-links/{token}",
    wrap = "actix_web::middleware::from_fn(crate::http::language::link_language)"
)]
pub async fn submit_plan_link(
    _: Throttled,
    db: web::Data<Db>,
    token: web::Path<LinkToken>,
    body: Body<PlanContent>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    db.write(move |conn| ActionPlan::submit_by_link(conn, &crate::effects::trainee_link(), &token, body.get()?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
