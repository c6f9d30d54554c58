//! `/api/v1/trainees[/{id}]`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CreateTrainee, Gender, Trainee, UpdateTrainee, search};
use crate::audit::{self, AuditAction};
use crate::auth::{Auth, ProgramReaders, Staff};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::json::{Body, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{CohortId, TraineeId};
use crate::schema::{enrollments, trainees};

/// Orders for the trainee list; `-` sorts descending. Ties are broken by id. With `q`, the best
/// matches come first and this order applies among equals.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum TraineeSort {
    /// By full name (the default).
    #[default]
    #[serde(rename = "full_name")]
    FullName,
    /// By full name, descending.
    #[serde(rename = "-full_name")]
    FullNameDesc,
    /// Oldest record first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest record first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
}

/// Filters for the trainee list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct TraineeFilters {
    /// Finds trainees by words of their name, organisation or position, by word prefix, ignoring
    /// case and Vietnamese diacritics; every word must match. Matches that keep the diacritics
    /// typed come first: `tuấn` lists Tuấn before Tuần, `tuan` lists both as equals.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only trainees of this organisation, exactly as stored.
    #[param(max_length = 300, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 300))]
    pub organisation: Option<String>,
    /// Only trainees from this province, exactly as stored.
    #[param(max_length = 300, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 300))]
    pub province: Option<String>,
    /// Only this gender.
    pub gender: Option<Gender>,
    /// Only trainees with an enrolment (in any status) in this cohort.
    pub cohort_id: Option<CohortId>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<TraineeSort>,
}

/// List trainees. A liaison sees only those enrolled in cohorts of its partner's programmes.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(TraineeFilters, PageParams),
    responses(
        (status = 200, description = "A page of trainees", body = Page<Trainee>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/trainees")]
pub async fn list_trainees(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    filters: Query<TraineeFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let filters = filters.0;
    let words = search::query_terms(filters.q.as_deref().unwrap_or_default())?;
    // Stored text is NFC; a query string may arrive decomposed.
    let organisation = filters.organisation.map(|o| o.trim().nfc().collect::<String>());
    let province = filters.province.map(|p| p.trim().nfc().collect::<String>());
    let liaison_partner = auth.caller.liaison_partner();
    let caller = auth.caller;
    let (items, total) = db
        .run(move |conn| {
            // A liaison may filter only by a cohort it can see, and learns only of seated
            // trainees there; any other cohort is 404, as if it did not exist.
            if let (Some(_), Some(cohort)) = (liaison_partner, filters.cohort_id) {
                crate::cohorts::Cohort::find_visible(conn, &caller, cohort)?;
            }
            let query = || {
                let mut query = trainees::table.into_boxed();
                if let Some(partner) = liaison_partner {
                    query = query.filter(trainees::id.eq_any(super::visible_to_partner(partner)));
                }
                for word in &words {
                    let matching =
                        search::ids_with_folded_term_in(word.folded.clone(), search::prefix_end(&word.folded));
                    query = query.filter(trainees::id.eq_any(matching));
                }
                if let Some(organisation) = &organisation {
                    query = query.filter(trainees::organisation.eq(organisation.clone()));
                }
                if let Some(province) = &province {
                    query = query.filter(trainees::province.eq(province.clone()));
                }
                if let Some(gender) = filters.gender {
                    query = query.filter(trainees::gender.eq(gender));
                }
                if let Some(cohort_id) = filters.cohort_id {
                    use crate::enrollments::{EnrollmentStatus, SEATED};
                    use strum::VariantArray as _;
                    let statuses: &[EnrollmentStatus] = if liaison_partner.is_some() {
                        &SEATED
                    } else {
                        EnrollmentStatus::VARIANTS
                    };
                    let enrolled = enrollments::table
                        .filter(enrollments::cohort_id.eq(cohort_id))
                        .filter(enrollments::status.eq_any(statuses.to_vec()))
                        .select(enrollments::trainee_id);
                    query = query.filter(trainees::id.eq_any(enrolled));
                }
                query
            };
            let total: i64 = query().count().get_result(conn)?;
            // Best matches first; then the order asked for, which is the whole order without `q`.
            let ranked = match search::rank(&words) {
                Some(rank) => query().order(rank.desc()),
                None => query(),
            };
            let sorted = match filters.sort.unwrap_or_default() {
                TraineeSort::FullName => ranked.then_order_by(trainees::full_name.asc()),
                TraineeSort::FullNameDesc => ranked.then_order_by(trainees::full_name.desc()),
                TraineeSort::CreatedAt => ranked.then_order_by(trainees::created_at.asc()),
                TraineeSort::CreatedAtDesc => ranked.then_order_by(trainees::created_at.desc()),
            };
            let items: Vec<Trainee> = sorted
                .then_order_by(trainees::id.asc())
                .limit(paging.limit)
                .offset(paging.offset)
                .load(conn)?;
            Ok((items, total))
        })
        .await?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Get one trainee.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(("id" = i64, Path, description = "Trainee id")),
    responses(
        (status = 200, description = "The trainee", body = Trainee,
         headers(("ETag" = String, description = "The trainee's version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/trainees/{id}")]
pub async fn get_trainee(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    id: web::Path<TraineeId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let caller = auth.caller;
    let trainee = db
        .run(move |conn| {
            super::check_visible(conn, &caller, id)?;
            Trainee::find(conn, id)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&trainee, trainee.version))
}

/// Create a trainee.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin", "officer"])),
    request_body = CreateTrainee,
    responses(
        (status = 201, description = "Created", body = Trainee,
         headers(("Location" = String, description = "The new trainee's URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/trainees")]
pub async fn create_trainee(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    body: Body<CreateTrainee>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let trainee = db
        .write(move |conn| {
            let trainee = Trainee::create(conn, body)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Create,
                "trainee",
                trainee.id.0,
                None::<&Trainee>,
                Some(&trainee),
            )?;
            Ok(trainee)
        })
        .await?;
    Ok(crate::http::created(
        format!("/api/v1/trainees/{}", trainee.id),
        &trainee,
        trainee.version,
    ))
}

/// Change a trainee: only the fields given change; `null` clears an optional one.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Trainee id"), crate::openapi::IfMatchHeader),
    request_body = UpdateTrainee,
    responses(
        (status = 200, description = "The changed trainee", body = Trainee,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/trainees/{id}")]
pub async fn update_trainee(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<TraineeId>,
    if_match: IfMatch,
    body: Body<UpdateTrainee>,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let body = body.get()?;
    let id = id.into_inner();
    let trainee = db
        .write(move |conn| {
            let current = Trainee::find(conn, id)?;
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
                "trainee",
                id.0,
                Some(&current),
                Some(&saved),
            )?;
            Ok(saved)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&trainee, trainee.version))
}

/// Delete a trainee who holds no enrolment.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "Trainee id"), crate::openapi::IfMatchHeader),
    responses((status = 204, description = "Deleted"), crate::openapi::DeleteErrors)
)]
#[delete("/trainees/{id}")]
pub async fn delete_trainee(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<TraineeId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let actor = auth.actor;
    let id = id.into_inner();
    db.write(move |conn| {
        let current = Trainee::find(conn, id)?;
        if_match.check(current.version)?;
        current.delete(conn)?;
        audit::record(
            conn,
            &actor,
            AuditAction::Delete,
            "trainee",
            id.0,
            Some(&current),
            None::<&Trainee>,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
