//! `/api/v1/partners[/{id}]`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CreatePartner, Partner, PartnerKind, UpdatePartner};
use crate::audit::{self, AuditAction};
use crate::auth::{Auth, Readers, Staff};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::json::Body;
use crate::http::json::Query;
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{PartnerId, ProgramId};
use crate::schema::{partners, program_partners, sessions};

/// Orders for the partner list; `-` sorts descending. Ties are broken by id.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum PartnerSort {
    /// By code, A to Z (the default).
    #[default]
    #[serde(rename = "code")]
    Code,
    /// By code, Z to A.
    #[serde(rename = "-code")]
    CodeDesc,
    /// By English name.
    #[serde(rename = "name")]
    Name,
    /// By English name, descending.
    #[serde(rename = "-name")]
    NameDesc,
    /// By country code.
    #[serde(rename = "country")]
    Country,
    /// By country code, descending.
    #[serde(rename = "-country")]
    CountryDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
}

/// Filters for the partner list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PartnerFilters {
    /// Finds code, English or local name, ignoring case and Vietnamese diacritics.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only this kind of organisation.
    pub kind: Option<PartnerKind>,
    /// Only partners from this country (ISO 3166-1 alpha-2).
    #[param(max_length = 2, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 2))]
    pub country: Option<String>,
    /// Only partners seeded from this source document (a file name such as
    /// `003_f763ceca04e3ab24.txt`).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Only partners taking part in this programme.
    pub program_id: Option<ProgramId>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<PartnerSort>,
}

/// List partners.
#[utoipa::path(
    tag = "partners",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(PartnerFilters, PageParams),
    responses(
        (status = 200, description = "A page of partners", body = Page<Partner>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/partners")]
pub async fn list_partners(
    _auth: Auth<Readers>,
    db: web::Data<Db>,
    req: HttpRequest,
    filters: Query<PartnerFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let filters = filters.0;
    let (items, total) = db
        .run(move |conn| {
            let query = || {
                let mut query = partners::table.into_boxed();
                if let Some(q) = &filters.q {
                    query = query.filter(
                        partners::search_text
                            .like(crate::text::contains_pattern(q))
                            .escape('\\'),
                    );
                }
                if let Some(kind) = filters.kind {
                    query = query.filter(partners::kind.eq(kind));
                }
                if let Some(country) = &filters.country {
                    query = query.filter(partners::country.eq(country.to_uppercase()));
                }
                if let Some(source) = &filters.source {
                    query = query.filter(partners::source.eq(source.clone()));
                }
                if let Some(program_id) = filters.program_id {
                    let taking_part = program_partners::table
                        .filter(program_partners::program_id.eq(program_id))
                        .select(program_partners::partner_id);
                    query = query.filter(partners::id.eq_any(taking_part));
                }
                query
            };
            let total: i64 = query().count().get_result(conn)?;
            let sorted = match filters.sort.unwrap_or_default() {
                PartnerSort::Code => query().order(partners::code.asc()),
                PartnerSort::CodeDesc => query().order(partners::code.desc()),
                PartnerSort::Name => query().order(partners::name.asc()),
                PartnerSort::NameDesc => query().order(partners::name.desc()),
                PartnerSort::Country => query().order(partners::country.asc()),
                PartnerSort::CountryDesc => query().order(partners::country.desc()),
                PartnerSort::CreatedAt => query().order(partners::created_at.asc()),
                PartnerSort::CreatedAtDesc => query().order(partners::created_at.desc()),
            };
            let items: Vec<Partner> = sorted
                .then_order_by(partners::id.asc())
                .limit(paging.limit)
                .offset(paging.offset)
                .load(conn)?;
            Ok((items, total))
        })
        .await?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Get one partner.
#[utoipa::path(
    tag = "partners",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(("id" = i64, Path, description = "Partner id")),
    responses(
        (status = 200, description = "The partner", body = Partner,
         headers(("ETag" = String, description = "The partner's version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/partners/{id}")]
pub async fn get_partner(_auth: Auth<Readers>, db: web::Data<Db>, id: web::Path<PartnerId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let partner = db.run(move |conn| Partner::find(conn, id)).await?;
    Ok(crate::http::ok_with_etag(&partner, partner.version))
}

/// Create a partner.
#[utoipa::path(
    tag = "partners",
    security(("bearer_auth" = ["admin", "officer"])),
    request_body = CreatePartner,
    responses(
        (status = 201, description = "Created", body = Partner,
         headers(("Location" = String, description = "The new partner's URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/partners")]
pub async fn create_partner(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    body: Body<CreatePartner>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let partner = db
        .write(move |conn| {
            let partner = Partner::create(conn, body)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Create,
                "partner",
                partner.id.0,
                None::<&Partner>,
                Some(&partner),
            )?;
            Ok(partner)
        })
        .await?;
    Ok(crate::http::created(
        format!("/api/v1/partners/{}", partner.id),
        &partner,
        partner.version,
    ))
}

/// Change a partner: only the fields given change; `null` clears an optional one.
#[utoipa::path(
    tag = "partners",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Partner id"), crate::openapi::IfMatchHeader),
    request_body = UpdatePartner,
    responses(
        (status = 200, description = "The changed partner", body = Partner,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/partners/{id}")]
pub async fn update_partner(
    auth: Auth<Staff>,
    db: web::Data<Db>,

    id: web::Path<PartnerId>,
    if_match: IfMatch,
    body: Body<UpdatePartner>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let id = id.into_inner();
    let partner = db
        .write(move |conn| {
            let current = Partner::find(conn, id)?;
            if_match.check(current.version)?;
            let next = current.patched(body);
            if next == current {
                return Ok(current);
            }
            let saved = current.save(conn, next)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Update,
                "partner",
                id.0,
                Some(&current),
                Some(&saved),
            )?;
            Ok(saved)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&partner, partner.version))
}

/// Delete a partner that no programme refers to.
#[utoipa::path(
    tag = "partners",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Partner id"), crate::openapi::IfMatchHeader),
    responses((status = 204, description = "Deleted"), crate::openapi::DeleteErrors)
)]
#[delete("/partners/{id}")]
pub async fn delete_partner(
    auth: Auth<Staff>,
    db: web::Data<Db>,

    id: web::Path<PartnerId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let id = id.into_inner();
    db.write(move |conn| {
        let current = Partner::find(conn, id)?;
        if_match.check(current.version)?;
        let programmes: i64 = program_partners::table
            .filter(program_partners::partner_id.eq(id))
            .count()
            .get_result(conn)?;
        if programmes > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!(
                    "partner {} takes part in {programmes} programme(s); remove it from them first",
                    current.code
                ),
            ));
        }
        let talks: i64 = sessions::table
            .filter(sessions::speaker_partner_id.eq(id))
            .count()
            .get_result(conn)?;
        if talks > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!(
                    "partner {} is named as the speaker's organisation of {talks} session(s); change those first",
                    current.code
                ),
            ));
        }
        diesel::delete(partners::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            &actor,
            AuditAction::Delete,
            "partner",
            id.0,
            Some(&current),
            None::<&Partner>,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
