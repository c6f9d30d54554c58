//! `/api/v1/programs[/{id}]`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CreateProgram, Program, ProgramKind, ProgramRow, ProgramStatus, UpdateProgram};
use crate::audit::{self, AuditAction};
use crate::auth::{Auth, ProgramReaders, Staff};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::json::Body;
use crate::http::json::Query;
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{PartnerId, ProgramId};
use crate::schema::{cohorts, program_partners, programs};

/// Orders for the programme list; `-` sorts descending. Ties are broken by id; programmes
/// without a start date come last either way.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum ProgramSort {
    /// By code (the default).
    #[default]
    #[serde(rename = "code")]
    Code,
    /// By code, descending.
    #[serde(rename = "-code")]
    CodeDesc,
    /// By English title.
    #[serde(rename = "title")]
    Title,
    /// By English title, descending.
    #[serde(rename = "-title")]
    TitleDesc,
    /// Earliest start first.
    #[serde(rename = "start_date")]
    StartDate,
    /// Latest start first.
    #[serde(rename = "-start_date")]
    StartDateDesc,
    /// Oldest record first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest record first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
}

/// Filters for the programme list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ProgramFilters {
    /// Finds code, English or Vietnamese title, ignoring case and Vietnamese diacritics.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only this status.
    pub status: Option<ProgramStatus>,
    /// Only this kind.
    pub kind: Option<ProgramKind>,
    /// Only programmes with this focus area tag.
    #[param(max_length = 50, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 50))]
    pub focus_area: Option<String>,
    /// Only programmes this partner takes part in.
    pub partner_id: Option<PartnerId>,
    /// Only programmes seeded from this source document (a file name).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<ProgramSort>,
}

/// List programmes.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(ProgramFilters, PageParams),
    responses(
        (status = 200, description = "A page of programmes", body = Page<Program>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/programs")]
pub async fn list_programs(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    filters: Query<ProgramFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let filters = filters.0;
    let liaison_partner = auth.caller.liaison_partner();
    let (rows, total) = db
        .run(move |conn| {
            let query = || {
                let mut query = programs::table.into_boxed();
                if let Some(partner) = liaison_partner {
                    let theirs = program_partners::table
                        .filter(program_partners::partner_id.eq(partner))
                        .select(program_partners::program_id);
                    query = query.filter(programs::id.eq_any(theirs));
                }
                if let Some(q) = &filters.q {
                    query = query.filter(
                        programs::search_text
                            .like(crate::text::contains_pattern(q))
                            .escape('\\'),
                    );
                }
                if let Some(status) = filters.status {
                    query = query.filter(programs::status.eq(status));
                }
                if let Some(kind) = filters.kind {
                    query = query.filter(programs::kind.eq(kind));
                }
                if let Some(source) = &filters.source {
                    query = query.filter(programs::source.eq(source.clone()));
                }
                if let Some(tag) = &filters.focus_area {
                    // Stored as a JSON array of tags; a quoted tag matches whole tags only.
                    let quoted = serde_json::Value::from(tag.as_str()).to_string();
                    let pattern = crate::text::contains_pattern(&quoted);
                    query = query.filter(programs::focus_areas.like(pattern).escape('\\'));
                }
                if let Some(partner_id) = filters.partner_id {
                    let taking_part = program_partners::table
                        .filter(program_partners::partner_id.eq(partner_id))
                        .select(program_partners::program_id);
                    query = query.filter(programs::id.eq_any(taking_part));
                }
                query
            };
            let total: i64 = query().count().get_result(conn)?;
            let undated = programs::start_date.is_null();
            let sorted = match filters.sort.unwrap_or_default() {
                ProgramSort::Code => query().order(programs::code.asc()),
                ProgramSort::CodeDesc => query().order(programs::code.desc()),
                ProgramSort::Title => query().order(programs::title.asc()),
                ProgramSort::TitleDesc => query().order(programs::title.desc()),
                // SQLite puts NULL first and PostgreSQL last: order on IS NULL so both agree.
                ProgramSort::StartDate => query().order((undated.asc(), programs::start_date.asc())),
                ProgramSort::StartDateDesc => query().order((undated.asc(), programs::start_date.desc())),
                ProgramSort::CreatedAt => query().order(programs::created_at.asc()),
                ProgramSort::CreatedAtDesc => query().order(programs::created_at.desc()),
            };
            let rows: Vec<ProgramRow> = sorted
                .then_order_by(programs::id.asc())
                .limit(paging.limit)
                .offset(paging.offset)
                .load(conn)?;
            Ok((rows, total))
        })
        .await?;
    let items = rows.into_iter().map(Program::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Get one programme.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Programme id")),
    responses(
        (status = 200, description = "The programme", body = Program,
         headers(("ETag" = String, description = "The programme's version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/programs/{id}")]
pub async fn get_program(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<ProgramId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let caller = auth.caller;
    let program = db
        .run(move |conn| {
            Program::check_visible(conn, &caller, id)?;
            Program::find(conn, id)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&program, program.version))
}

/// Create a programme.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer"])),
    request_body = CreateProgram,
    responses(
        (status = 201, description = "Created", body = Program,
         headers(("Location" = String, description = "The new programme's URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/programs")]
pub async fn create_program(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    body: Body<CreateProgram>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let program = db
        .write(move |conn| {
            let program = Program::create(conn, body)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Create,
                "program",
                program.id.0,
                None::<&Program>,
                Some(&program),
            )?;
            Ok(program)
        })
        .await?;
    Ok(crate::http::created(
        format!("/api/v1/programs/{}", program.id),
        &program,
        program.version,
    ))
}

/// Change a programme: only the fields given change; `null` clears an optional one.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Programme id"), crate::openapi::IfMatchHeader),
    request_body = UpdateProgram,
    responses(
        (status = 200, description = "The changed programme", body = Program,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/programs/{id}")]
pub async fn update_program(
    auth: Auth<Staff>,
    db: web::Data<Db>,

    id: web::Path<ProgramId>,
    if_match: IfMatch,
    body: Body<UpdateProgram>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let id = id.into_inner();
    let program = db
        .write(move |conn| {
            let current = Program::find(conn, id)?;
            if_match.check(current.version)?;
            let next = current.patched(body)?;
            if next == current {
                return Ok(current);
            }
            let saved = current.save(conn, next)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Update,
                "program",
                id.0,
                Some(&current),
                Some(&saved),
            )?;
            Ok(saved)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&program, program.version))
}

/// Delete a programme that nothing refers to any more.
#[utoipa::path(
    tag = "programs",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Programme id"), crate::openapi::IfMatchHeader),
    responses((status = 204, description = "Deleted"), crate::openapi::DeleteErrors)
)]
#[delete("/programs/{id}")]
pub async fn delete_program(
    auth: Auth<Staff>,
    db: web::Data<Db>,

    id: web::Path<ProgramId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let id = id.into_inner();
    db.write(move |conn| {
        let current = Program::find(conn, id)?;
        if_match.check(current.version)?;
        let partners: i64 = program_partners::table
            .filter(program_partners::program_id.eq(id))
            .count()
            .get_result(conn)?;
        if partners > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!(
                    "programme {} still names {partners} partner(s); remove them from /api/v1/programs/{id}/partners first",
                    current.code
                ),
            ));
        }
        let cohort_count: i64 = cohorts::table
            .filter(cohorts::program_id.eq(id))
            .count()
            .get_result(conn)?;
        if cohort_count > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!(
                    "programme {} has {cohort_count} cohort(s); delete them from /api/v1/programs/{id}/cohorts first",
                    current.code
                ),
            ));
        }
        diesel::delete(programs::table.find(id)).execute(conn)?;
        audit::record(conn, &actor, AuditAction::Delete, "program", id.0, Some(&current), None::<&Program>)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
