//! The cost reports over HTTP: `/api/v1/reports/costs` (grouped as asked), a cohort's costs, and
//! `/api/v1/reports/costs/anomalies`, each in JSON, CSV (`?format=csv`) or a workbook (`?format=xlsx`).
//! Budget lines, expenses and exchange rates are standard resources (the route table).

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::costs::anomalies::{self, Anomalies, AnomalyParams};
use crate::costs::report::{self, CostParams, CostReport};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, ProgramReaders, Readers};
use crate::http::export::{self, FormatParams};
use crate::http::json::Query;
use crate::ids::CohortId;
use crate::reports::OFFERED;

/// What programmes cost: planned, committed and paid per programme, cohort, payer, category or
/// year (`group_by`, comma-separated, any combination), with the variance, the efficiency band,
/// and the cost per trainee seated, per trainee who completed and per action-plan item achieved
/// by 12 months. Amounts are in the reporting currency, as decimal strings in JSON and CSV and as
/// numbers in the workbook. A liaison reads only the programmes its partner funds.
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CostParams, FormatParams),
    responses(
        (status = 200, description = "The report", content(
            (CostReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/reports/costs")]
pub async fn cost_report(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    params: Query<CostParams>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let params = params.0;
    params.dimensions()?;
    let report = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            report::costs(conn, &signed.caller, params)
        })
        .await?;
    let rows = report::table(&report);
    export::report(chosen, "costs", &report, &[("Costs", &rows)])
}

/// A cohort's costs by category: the cost report for one cohort, with its programme-wide costs
/// left out.
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CohortId, FormatParams),
    responses(
        (status = 200, description = "The cohort's costs", content(
            (CostReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/cohorts/{id}/costs")]
pub async fn cohort_costs(
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
            report::of_cohort(conn, &signed.caller, id)
        })
        .await?;
    let rows = report::table(&report);
    export::report(chosen, &format!("cohort-{id}-costs"), &report, &[("Costs", &rows)])
}

/// Expenses that look wrong together: a trainee's per diems or accommodation for overlapping days
/// in two cohorts, and two expenses with the same payer, reference and amount, each with the
/// reason. Staff and reporters only: it names trainees across every programme.
#[utoipa::path(
    tag = "reports",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(AnomalyParams, FormatParams),
    responses(
        (status = 200, description = "The anomalies", content(
            (Anomalies = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/reports/costs/anomalies")]
pub async fn cost_anomalies(
    auth: Auth<Readers>,
    db: web::Data<Db>,
    req: HttpRequest,
    params: Query<AnomalyParams>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let params = params.0;
    let report = db
        .run(move |conn| {
            auth.check(conn)?;
            anomalies::anomalies(conn, params)
        })
        .await?;
    let rows = anomalies::table(&report);
    export::report(chosen, "cost-anomalies", &report, &[("Anomalies", &rows)])
}
