//! `/api/v1/pending-assessments`: the assessments an assessor still has to make.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Assessors, Auth};
use crate::http::export::{self, ListFormatParams};
use crate::http::json::Query;
use crate::http::pagination::{Page, PageParams};
use crate::rounds::pending::{PendingAssessment, PendingFilters};

/// The assessments still to make: each seated trainee nobody has assessed yet in a round that
/// partners (or officers) answer and that takes answers now, by round then enrolment. A partner's
/// liaison gets those of its partner's programmes' rounds that partners answer; an officer, every
/// such round's. Record each with `POST /api/v1/rounds/{round_id}/responses`.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer_auth" = ["admin", "officer", "liaison"])),
    params(PendingFilters, PageParams, ListFormatParams),
    responses(
        (status = 200, description = "A page of assessments to make, or every one as CSV", content(
            (Page<PendingAssessment> = "application/json"),
            (String = "text/csv"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/pending-assessments")]
pub async fn list_pending_assessments(
    auth: Auth<Assessors>,
    db: web::Data<Db>,
    req: HttpRequest,
    filters: Query<PendingFilters>,
    page: web::Query<PageParams>,
    format: web::Query<ListFormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req)?;
    let paging = page.into_inner().paging()?;
    let filters = filters.0;
    export::list_response(
        db,
        &req,
        chosen,
        "pending-assessments",
        paging,
        move |conn| auth.check(conn).map(|signed| signed.caller),
        move |conn, caller, paging| crate::rounds::pending::pending(conn, caller, &filters, paging),
    )
    .await
}
