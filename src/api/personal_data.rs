//! A trainee's personal data (Decree 13/2023): `GET /trainees/{id}/personal-data` (everything
//! held, as JSON or a ZIP of CSV files) and `POST /trainees/{id}/erasure` (erased in place, the
//! statistics kept). Admins only; both audited.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Admins, Auth};
use crate::http::export;
use crate::http::json::{Body, Query};
use crate::ids::TraineeId;
use crate::personal_data::{DryRunParams, EraseTrainee, Erasure, PersonalData};
use crate::tabular;

/// The representations of a person's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PersonalDataFormat {
    /// `application/json` (the default).
    Json,
    /// `application/zip`: one CSV file per table and a README.txt.
    Zip,
}

/// How to answer: `?format=` (for a link typed in a browser), else the `Accept` header.
#[derive(Debug, Clone, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct PersonalDataParams {
    /// `json` or `zip` (CSV files with a README). Overrides `Accept` (`application/zip`).
    #[param(inline)]
    pub format: Option<PersonalDataFormat>,
}

/// The media types the export is answered in: JSON (the default) or a ZIP archive.
const PERSONAL_DATA_TYPES: [&str; 2] = ["application/json", tabular::zip::MEDIA_TYPE];

/// Everything TPMS holds about one trainee (the right of access): the record, enrolments,
/// attendance, identified answers and assessments, action plans and follow-up reports,
/// certificates, costs recorded against them, the mail sent to them, and the audit trail of their
/// records, table by table. As JSON, or a ZIP of CSV files with a README.txt (`Accept:
/// application/zip` or `?format=zip`). Each export is audited on the trainee.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin"])),
    params(TraineeId, PersonalDataParams),
    responses(
        (status = 200, description = "Everything held about the trainee, or a ZIP of CSV files (`Content-Disposition: attachment`)", content(
            (PersonalData = "application/json"),
            (String = "application/zip"),
        )),
        crate::openapi::ReadErrors,
    )
)]
#[get("/trainees/{id}/personal-data")]
pub async fn get_personal_data(
    auth: Auth<Admins>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<TraineeId>,
    params: Query<PersonalDataParams>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let zip = match params.0.format {
        Some(format) => format == PersonalDataFormat::Zip,
        // No `Accept`, `*/*` or JSON first: JSON. Only a client that ranks ZIP first gets it.
        // Any `Accept` that does not rank ZIP first (none, `*/*`, JSON) answers JSON, as the
        // certificate's PDF does.
        None => export::accepted(&req, &PERSONAL_DATA_TYPES) == Some(1),
    };
    let reason = if zip {
        "access request: exported as a ZIP of CSV files"
    } else {
        "access request: exported as JSON"
    };
    let data = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            crate::personal_data::export(conn, &signed.actor, id, reason)
        })
        .await?;
    if !zip {
        let mut response = HttpResponse::Ok().json(&data);
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(response);
    }
    let archive = web::block(move || data.files().and_then(|files| tabular::zip::archive(&files)))
        .await
        .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, tabular::zip::MEDIA_TYPE))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"personal-data-trainee-{id}.zip\""),
        ))
        .insert_header((header::VARY, "Accept"))
        .body(archive))
}

/// Erase a trainee's personal data (the right to deletion), irreversibly: the name, contact
/// details, position, notes, free-text answers, plans' free text, supervisor's details and the
/// mail sent to them are erased wherever they are stored, the audit trail's old and new values
/// included, while the rows stay so that reports count the same (what is kept is listed in
/// `kept`). The trainee stays, marked erased with the time and reason; later changes to it are
/// refused, and its certificates verify as valid without the name. `dry_run` (in the body or as
/// `?dry_run=true`) changes nothing and lists every change, table by table, with counts. 409
/// `seated` (naming the cohort) for a trainee who holds a seat in a cohort not yet over, 409
/// `awaiting_seat` for one nominated, accepted or waitlisted there; 409
/// `erased` for one erased already.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin"])),
    params(TraineeId, DryRunParams),
    request_body = EraseTrainee,
    responses((status = 200, description = "What was erased (or, in a dry run, would be)", body = Erasure), crate::openapi::WriteErrors)
)]
#[post("/trainees/{id}/erasure")]
pub async fn erase_trainee(
    auth: Auth<Admins>,
    db: web::Data<Db>,
    id: web::Path<TraineeId>,
    query: Query<DryRunParams>,
    body: Body<EraseTrainee>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let erasure = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            let body = body.get()?;
            let dry_run = query.0.dry_run.or(body.dry_run).unwrap_or(false);
            crate::personal_data::erase(conn, &signed.actor, id, &body.reason, dry_run)
        })
        .await?;
    Ok(HttpResponse::Ok().json(erasure))
}
