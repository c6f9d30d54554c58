//! Reports over HTTP, under `/api/v1/reports/`: each in JSON, CSV (`?format=csv` or
//! `Accept: text/csv`) or an Excel workbook (`?format=xlsx`).

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::config::EvaluationConfig;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Admins, Auth, ProgramReaders};
use crate::http::export::{self, FormatParams};
use crate::http::json::Query;
use crate::ids::{CohortId, TraineeId};
use crate::reports::attendance::{self, CohortAttendance};
use crate::reports::origins::{self, OriginParams, Origins};
use crate::reports::overview::{self, Overview, OverviewParams};
use crate::reports::record::{self, TraineeRecord};
use crate::reports::transfers::{self, TransferParams, Transfers};
use crate::reports::{OFFERED, Scope};
use crate::tabular::Table;

/// Programme overview: planned against actual per programme, partner, year or country.
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(Scope, OverviewParams, FormatParams),
    responses(
        (status = 200, description = "The overview", content(
            (Overview = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/reports/programs")]
pub async fn program_overview(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    settings: web::Data<EvaluationConfig>,
    scope: Query<Scope>,
    params: Query<OverviewParams>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let (scope, params, min_group) = (scope.0, params.0, settings.min_anonymous_group);
    scope.check()?;
    let report = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            overview::overview(conn, &signed.caller, scope, params, min_group)
        })
        .await?;
    let rows = Table::of_records(&report.rows).map_err(ApiError::internal)?;
    export::report(chosen, "program-overview", &report, &[("Programmes", &rows)])
}

/// Trainees by origin: enrolments and trainees counted by province, organisation (both as when
/// enrolled), gender, birth decade, programme, cohort, year or status. A liaison counts by neither
/// gender nor birth decade, and gets no group of fewer trainees than the small-group size
/// (`withheld_groups` says how many were left out; the CSV and workbook end with a line saying so).
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(Scope, OriginParams, FormatParams),
    responses(
        (status = 200, description = "The counts", content(
            (Origins = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/reports/trainees-by-origin")]
pub async fn trainees_by_origin(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    settings: web::Data<EvaluationConfig>,
    scope: Query<Scope>,
    params: Query<OriginParams>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let (scope, params, min_group) = (scope.0, params.0, settings.min_anonymous_group);
    scope.check()?;
    params.dimensions()?;
    let report = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            origins::origins(conn, &signed.caller, scope, params, min_group)
        })
        .await?;
    let rows = origins::table(&report);
    export::report(chosen, "trainees-by-origin", &report, &[("Trainees by origin", &rows)])
}

/// The attendance sheet of a cohort: trainees × sessions, with the rate of each.
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CohortId, FormatParams),
    responses(
        (status = 200, description = "The sheet", content(
            (CohortAttendance = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/reports/cohorts/{id}/attendance")]
pub async fn cohort_attendance(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<CohortId>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let id = id.into_inner();
    let report = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            attendance::sheet(conn, &signed.caller, id)
        })
        .await?;
    let matrix = attendance::table(&report);
    let name = format!("attendance-{}", report.cohort_code);
    export::report(chosen, &name, &report, &[("Attendance", &matrix)])
}

/// A trainee's record: every cohort, with attendance, result, certificate, questionnaires and
/// follow-ups.
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(TraineeId, FormatParams),
    responses(
        (status = 200, description = "The record", content(
            (TraineeRecord = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/reports/trainees/{id}/record")]
pub async fn trainee_record(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<TraineeId>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let id = id.into_inner();
    let report = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            record::record(conn, &signed.caller, id)
        })
        .await?;
    let lines = Table::of_records(&report.cohorts).map_err(ApiError::internal)?;
    export::report(chosen, &format!("trainee-{id}-record"), &report, &[("Record", &lines)])
}

/// Transfers abroad, for the transfer impact dossier (Decree 13/2023/ND-CP): per partner and its
/// country, the categories of trainees' personal data its liaisons were given, how many people
/// and how many times, and the first and last time in the period (`from`/`to`, days in UTC).
/// Read from the record of disclosures (`GET /api/v1/disclosures`).
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin"])),
    params(TransferParams, FormatParams),
    responses(
        (status = 200, description = "The transfers", content(
            (Transfers = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/reports/transfers")]
pub async fn transfers_abroad(
    auth: Auth<Admins>,
    db: web::Data<Db>,
    req: HttpRequest,
    params: Query<TransferParams>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let params = params.0;
    let report = db
        .run(move |conn| {
            auth.check(conn)?;
            transfers::transfers(conn, params)
        })
        .await?;
    let rows = Table::of_records(&report.rows).map_err(ApiError::internal)?;
    export::report(chosen, "transfers", &report, &[("Transfers", &rows)])
}
