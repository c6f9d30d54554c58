//! `/api/v1/cohorts/{id}/eligibility-criteria` (what a cohort asks of its nominees) and
//! `/api/v1/cohorts/{id}/eligibility` (each nominee checked against it).

use actix_web::{HttpResponse, get, put, web};

use crate::db::Db;
use crate::eligibility::{EligibilityCriteria, EligibilityReport, SetEligibilityCriteria};
use crate::error::ApiResult;
use crate::http::auth::{Auth, ProgramReaders, Staff};
use crate::http::json::Body;
use crate::http::precondition::IfMatch;
use crate::ids::CohortId;
use crate::resource::Record;

/// A cohort's eligibility criteria (version 0 and empty when none were set: every nominee is
/// eligible).
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CohortId),
    responses((status = 200, description = "The criteria", body = EligibilityCriteria), crate::openapi::ReadErrors)
)]
#[get("/cohorts/{id}/eligibility-criteria")]
pub async fn get_eligibility_criteria(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let criteria = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            EligibilityCriteria::find_visible(conn, &signed.caller, id)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&criteria, criteria.version))
}

/// Set a cohort's eligibility criteria, as a whole (send `If-Match` with the version read; `"0"`
/// for the first time).
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CohortId, crate::openapi::IfMatchHeader),
    request_body = SetEligibilityCriteria,
    responses((status = 200, description = "The criteria as set", body = EligibilityCriteria, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[put("/cohorts/{id}/eligibility-criteria")]
pub async fn set_eligibility_criteria(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    if_match: IfMatch,
    body: Body<SetEligibilityCriteria>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let criteria = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            EligibilityCriteria::set(conn, &signed.caller, &signed.actor, id, &if_match, body.get()?)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&criteria, criteria.version))
}

/// Each nominee of a cohort (nominated, accepted or declined) against its eligibility criteria:
/// eligible, not eligible, or unknown when a criterion cannot be decided from the trainee's data,
/// with every reason; and the nominations counted by decision. A liaison reads it for the
/// programmes whose nominations its partner reviews (404 for others), with what a decision needs:
/// name, organisation, position, eligibility.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CohortId),
    responses((status = 200, description = "The nominees, checked", body = EligibilityReport), crate::openapi::ReadErrors)
)]
#[get("/cohorts/{id}/eligibility")]
pub async fn cohort_eligibility(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let report = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            crate::eligibility::report(conn, &signed.caller, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
