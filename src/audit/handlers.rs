//! `GET /api/v1/audit-events`.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{AuditEvent, AuditFilters};
use crate::auth::{Admins, Auth};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::json::Query;
use crate::http::pagination::{Page, PageParams};

/// List audit events, newest first.
#[utoipa::path(
    tag = "audit",
    security(("bearer_auth" = ["admin"])),
    params(AuditFilters, PageParams),
    responses(
        (status = 200, description = "A page of audit events, newest first", body = Page<AuditEvent>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    _auth: Auth<Admins>,
    db: web::Data<Db>,
    req: HttpRequest,
    filters: Query<AuditFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let filters = filters.0;
    let (items, total) = db.run(move |conn| AuditEvent::list(conn, filters, paging)).await?;
    Ok(Page::new(items, total, paging).respond(&req))
}
