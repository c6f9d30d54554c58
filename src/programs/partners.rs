//! `/api/v1/programs/{id}/partners[/{partner_id}]`: the roles a partner holds in a programme.
//! A partner appears at most once per programme, holding one or more roles.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::Program;
use crate::audit::{self, AuditAction};
use crate::auth::{Auth, ProgramReaders, Staff};
use crate::db::{Db, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::http::json::Body;
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{PartnerId, ProgramId, ProgramPartnerId, text_enum};
use crate::partners::{Partner, PartnerKind};
use crate::schema::{partners, program_partners};

text_enum!(
    /// A role a partner holds in a programme (a closed list; see docs/api-conventions.md).
    PartnerRole {
        /// Pays for the programme or part of it.
        Funder,
        /// Receives the trainees: hosts courses, visits or placements.
        Host,
        /// Runs the programme day to day.
        ImplementingAgency,
        /// The Vietnamese body the foreign partner works with.
        Counterpart,
        /// Supports or endorses it without running it.
        Sponsor,
        /// Organises it jointly with others.
        CoOrganiser,
        /// Provides lecturers or speakers.
        Lecturer,
        /// Coordinates between the parties.
        Coordinator,
    }
);

/// The partner named in a role, in short.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, ToSchema)]
pub struct PartnerSummary {
    /// Partner id.
    pub id: PartnerId,
    /// Partner code.
    pub code: String,
    /// Name in English.
    pub name: String,
    /// Name in its own language.
    pub name_local: Option<String>,
    /// Kind of organisation.
    pub kind: PartnerKind,
    /// Country code.
    pub country: String,
}

#[derive(Debug, Queryable)]
struct ProgramPartnerRow {
    id: ProgramPartnerId,
    program_id: ProgramId,
    partner_id: PartnerId,
    roles: String,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    source: Option<String>,
    seed_key: Option<String>,
    _seed_data: Option<String>,
}

/// A partner's place in a programme.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProgramPartner {
    /// Id of this link.
    pub id: ProgramPartnerId,
    /// The programme.
    pub program_id: ProgramId,
    /// The partner.
    pub partner_id: PartnerId,
    /// The partner, in short.
    pub partner: PartnerSummary,
    /// The roles it holds, at least one.
    pub roles: Vec<PartnerRole>,
    /// Free notes: what exactly it funds, hosts or teaches.
    pub notes: Option<String>,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
    /// For a record loaded by `tpms seed`: the seed document its facts come from (a file name).
    pub source: Option<String>,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    pub(crate) seed_key: Option<String>,
}

fn valid_roles(roles: &[PartnerRole]) -> Result<(), ValidationError> {
    let message = if roles.is_empty() {
        Some("must name at least one role".to_owned())
    } else {
        crate::validate::first_repeat(roles).map(|dup| format!("lists `{dup}` twice"))
    };
    match message {
        Some(message) => Err(ValidationError::new("invalid_roles").with_message(message.into())),
        None => Ok(()),
    }
}

/// Give a partner roles in a programme.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgramPartner {
    /// The partner.
    pub partner_id: PartnerId,
    /// Its roles, at least one, each once.
    #[validate(custom(function = "valid_roles"))]
    #[schema(min_items = 1)]
    pub roles: Vec<PartnerRole>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// Change a partner's roles or notes.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProgramPartner {
    /// Its roles, at least one, each once.
    #[serde(default, deserialize_with = "crate::http::some")]
    #[validate(custom(function = "valid_roles"))]
    #[schema(nullable = false, min_items = 1)]
    pub roles: Option<Vec<PartnerRole>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = program_partners, treat_none_as_null = true)]
struct ProgramPartnerFields {
    program_id: ProgramId,
    partner_id: PartnerId,
    roles: String,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

const SUMMARY: (
    partners::id,
    partners::code,
    partners::name,
    partners::name_local,
    partners::kind,
    partners::country,
) = (
    partners::id,
    partners::code,
    partners::name,
    partners::name_local,
    partners::kind,
    partners::country,
);

impl ProgramPartner {
    fn from_row(row: ProgramPartnerRow, partner: PartnerSummary) -> ApiResult<Self> {
        let roles = serde_json::from_str(&row.roles)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("program_partner {} has unreadable roles: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            program_id: row.program_id,
            partner_id: row.partner_id,
            partner,
            roles,
            notes: row.notes,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            source: row.source,
            seed_key: row.seed_key,
        })
    }

    fn fields(&self) -> ApiResult<ProgramPartnerFields> {
        Ok(ProgramPartnerFields {
            program_id: self.program_id,
            partner_id: self.partner_id,
            roles: serde_json::to_string(&self.roles).map_err(ApiError::internal)?,
            notes: self.notes.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }

    /// The partner's place in the programme, or 404 (also when the programme does not exist).
    pub fn find(conn: &mut DbConnection, program_id: ProgramId, partner_id: PartnerId) -> ApiResult<Self> {
        let (row, partner) = program_partners::table
            .inner_join(partners::table)
            .filter(program_partners::program_id.eq(program_id))
            .filter(program_partners::partner_id.eq(partner_id))
            .select((program_partners::all_columns, SUMMARY))
            .first::<(ProgramPartnerRow, PartnerSummary)>(conn)
            .optional()?
            .ok_or_else(|| ApiError::NotFound(format!("partner {partner_id} has no role in programme {program_id}")))?;
        Self::from_row(row, partner)
    }
}

/// Filters for a programme's partners.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgramPartnerFilters {
    /// Only partners holding this role.
    pub role: Option<PartnerRole>,
}

/// List the partners of a programme with their roles, by partner code.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Programme id"), ProgramPartnerFilters, PageParams),
    responses(
        (status = 200, description = "A page of the programme's partners", body = Page<ProgramPartner>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/programs/{id}/partners")]
pub async fn list_program_partners(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<ProgramId>,
    filters: web::Query<ProgramPartnerFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let program_id = id.into_inner();
    let role = filters.into_inner().role;
    let caller = auth.caller;
    let (rows, total) = db
        .run(move |conn| {
            Program::check_visible(conn, &caller, program_id)?;
            Program::find(conn, program_id)?;
            let query = || {
                let mut query = program_partners::table
                    .inner_join(partners::table)
                    .filter(program_partners::program_id.eq(program_id))
                    .into_boxed();
                if let Some(role) = role {
                    // Roles are stored as a JSON array of names from a closed list.
                    query = query.filter(program_partners::roles.like(format!("%\"{role}\"%")));
                }
                query
            };
            let total: i64 = query().count().get_result(conn)?;
            let rows: Vec<(ProgramPartnerRow, PartnerSummary)> = query()
                .select((program_partners::all_columns, SUMMARY))
                .order((partners::code.asc(), program_partners::id.asc()))
                .limit(paging.limit)
                .offset(paging.offset)
                .load(conn)?;
            Ok((rows, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|(row, partner)| ProgramPartner::from_row(row, partner))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Get a partner's roles in a programme.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Programme id"), ("partner_id" = i64, Path, description = "Partner id")),
    responses(
        (status = 200, description = "The partner's place in the programme", body = ProgramPartner,
         headers(("ETag" = String, description = "Its version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/programs/{id}/partners/{partner_id}")]
pub async fn get_program_partner(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    path: web::Path<(ProgramId, PartnerId)>,
) -> ApiResult<HttpResponse> {
    let (program_id, partner_id) = path.into_inner();
    let caller = auth.caller;
    let link = db
        .run(move |conn| {
            Program::check_visible(conn, &caller, program_id)?;
            ProgramPartner::find(conn, program_id, partner_id)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&link, link.version))
}

/// Give a partner roles in a programme.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Programme id")),
    request_body = CreateProgramPartner,
    responses(
        (status = 201, description = "Created", body = ProgramPartner,
         headers(("Location" = String, description = "Its URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/programs/{id}/partners")]
pub async fn add_program_partner(
    auth: Auth<Staff>,
    db: web::Data<Db>,

    id: web::Path<ProgramId>,
    body: Body<CreateProgramPartner>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let program_id = id.into_inner();
    let new = body.get()?;
    let link = db
        .write(move |conn| {
            let program = Program::find(conn, program_id)?;
            let partner = match Partner::find(conn, new.partner_id) {
                Err(ApiError::NotFound(_)) => {
                    return Err(ApiError::invalid("partner_id", "not_found", format!("names no partner (id {})", new.partner_id)));
                }
                other => other?,
            };
            let taken: i64 = program_partners::table
                .filter(program_partners::program_id.eq(program_id))
                .filter(program_partners::partner_id.eq(new.partner_id))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                return Err(ApiError::conflict(
                    "duplicate",
                    format!(
                        "{} already has a role in {}; change its roles with PATCH /api/v1/programs/{program_id}/partners/{}",
                        partner.code, program.code, partner.id
                    ),
                ));
            }
            let now = crate::http::now();
            let draft = ProgramPartner {
                id: ProgramPartnerId(0),
                program_id,
                partner_id: partner.id,
                partner: PartnerSummary {
                    id: partner.id,
                    code: partner.code,
                    name: partner.name,
                    name_local: partner.name_local,
                    kind: partner.kind,
                    country: partner.country,
                },
                roles: new.roles,
                notes: new.notes,
                created_at: now,
                updated_at: now,
                version: 1,
                source: None,
                seed_key: None,
            };
            let row: ProgramPartnerRow = diesel::insert_into(program_partners::table)
                .values(draft.fields()?)
                .returning(program_partners::all_columns)
                .get_result(conn)?;
            let link = ProgramPartner::from_row(row, draft.partner)?;
            audit::record(conn, &actor, AuditAction::Create, "program_partner", link.id.0, None::<&ProgramPartner>, Some(&link))?;
            Ok(link)
        })
        .await?;
    let location = format!("/api/v1/programs/{}/partners/{}", link.program_id, link.partner_id);
    Ok(crate::http::created(location, &link, link.version))
}

/// Change a partner's roles or notes in a programme.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Programme id"), ("partner_id" = i64, Path, description = "Partner id"),
           crate::openapi::IfMatchHeader),
    request_body = UpdateProgramPartner,
    responses(
        (status = 200, description = "The changed roles", body = ProgramPartner,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/programs/{id}/partners/{partner_id}")]
pub async fn update_program_partner(
    auth: Auth<Staff>,
    db: web::Data<Db>,

    path: web::Path<(ProgramId, PartnerId)>,
    if_match: IfMatch,
    body: Body<UpdateProgramPartner>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let (program_id, partner_id) = path.into_inner();
    let change = body.get()?;
    let link = db
        .write(move |conn| {
            let current = ProgramPartner::find(conn, program_id, partner_id)?;
            if_match.check(current.version)?;
            let mut next = current.clone();
            next.roles = change.roles.unwrap_or(next.roles);
            next.notes = change.notes.unwrap_or(next.notes);
            if next == current {
                return Ok(current);
            }
            next.version = current.version + 1;
            next.updated_at = crate::http::now();
            let row: ProgramPartnerRow = diesel::update(
                program_partners::table
                    .find(current.id)
                    .filter(program_partners::version.eq(current.version)),
            )
            .set(next.fields()?)
            .returning(program_partners::all_columns)
            .get_result(conn)
            .optional()?
            .ok_or_else(|| {
                ApiError::PreconditionFailed("the roles changed while this request ran; retry".to_owned())
            })?;
            let saved = ProgramPartner::from_row(row, current.partner.clone())?;
            audit::record(
                conn,
                &actor,
                AuditAction::Update,
                "program_partner",
                saved.id.0,
                Some(&current),
                Some(&saved),
            )?;
            Ok(saved)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&link, link.version))
}

/// Remove a partner from a programme.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Programme id"), ("partner_id" = i64, Path, description = "Partner id"),
           crate::openapi::IfMatchHeader),
    responses((status = 204, description = "Removed"), crate::openapi::DeleteErrors)
)]
#[delete("/programs/{id}/partners/{partner_id}")]
pub async fn remove_program_partner(
    auth: Auth<Staff>,
    db: web::Data<Db>,

    path: web::Path<(ProgramId, PartnerId)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let (program_id, partner_id) = path.into_inner();
    db.write(move |conn| {
        let current = ProgramPartner::find(conn, program_id, partner_id)?;
        if_match.check(current.version)?;
        diesel::delete(program_partners::table.find(current.id)).execute(conn)?;
        audit::record(
            conn,
            &actor,
            AuditAction::Delete,
            "program_partner",
            current.id.0,
            Some(&current),
            None::<&ProgramPartner>,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
