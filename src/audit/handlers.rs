//! `GET /api/v1/audit-events`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::{AuditAction, AuditEvent, AuditEventRow};
use crate::auth::{Admins, Auth};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::json::Query;
use crate::http::pagination::{Page, PageParams};
use crate::schema::audit_events;

/// Filters for the audit trail.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AuditFilters {
    /// Only events about this kind of record (`partner`, `program`, `program_partner`).
    #[param(max_length = 64, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 64))]
    pub entity_type: Option<String>,
    /// Only events about this record id.
    pub entity_id: Option<i64>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only changes by this actor.
    #[param(max_length = 320, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 320))]
    pub actor: Option<String>,
    /// Only changes made in the request with this `X-Request-Id`.
    #[param(max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 128))]
    pub request_id: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

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
    let (rows, total) = db
        .run(move |conn| {
            let query = || {
                let mut query = audit_events::table.into_boxed();
                if let Some(entity_type) = &filters.entity_type {
                    query = query.filter(audit_events::entity_type.eq(entity_type.clone()));
                }
                if let Some(entity_id) = filters.entity_id {
                    query = query.filter(audit_events::entity_id.eq(entity_id));
                }
                if let Some(action) = filters.action {
                    query = query.filter(audit_events::action.eq(action));
                }
                if let Some(actor) = &filters.actor {
                    query = query.filter(audit_events::actor.eq(actor.clone()));
                }
                if let Some(request_id) = &filters.request_id {
                    query = query.filter(audit_events::request_id.eq(request_id.clone()));
                }
                if let Some(since) = filters.since {
                    query = query.filter(audit_events::occurred_at.ge(since.naive_utc()));
                }
                if let Some(until) = filters.until {
                    query = query.filter(audit_events::occurred_at.lt(until.naive_utc()));
                }
                query
            };
            let total: i64 = query().count().get_result(conn)?;
            let rows: Vec<AuditEventRow> = query()
                .order(audit_events::id.desc())
                .limit(paging.limit)
                .offset(paging.offset)
                .load(conn)?;
            Ok((rows, total))
        })
        .await?;
    let items = rows.into_iter().map(AuditEvent::from).collect();
    Ok(Page::new(items, total, paging).respond(&req))
}
