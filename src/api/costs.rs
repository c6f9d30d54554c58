//! The cost reports over HTTP: `/api/v1/reports/costs` (grouped as asked), a cohort's costs, and
//! `/api/v1/reports/costs/anomalies`, each in JSON, CSV (`?format=csv`) or a workbook (`?format=xlsx`).
//! Budget lines, expenses and exchange rates are standard resources (the route table); expenses
//! are also imported from a spreadsheet (`/api/v1/programs/{id}/expenses/import`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::config::CostConfig;
use crate::costs::anomalies::{self, Anomalies, AnomalyParams};
use crate::costs::import::{self, ExpenseImportOptions, ExpenseImportReport};
use crate::costs::report::{self, CostParams, CostReport};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, ProgramReaders, Readers, Staff};
use crate::http::export::{self, FormatParams};
use crate::http::idempotency::IdempotencyKey;
use crate::http::json::Query;
use crate::http::upload::{self, Upload};
use crate::ids::{CohortId, ProgramId};
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
        crate::openapi::ReportErrors,
    )
)]
#[get("/reports/costs")]
pub async fn cost_report(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    req: HttpRequest,
    params: Query<CostParams>,
    format: Query<FormatParams>,
    settings: web::Data<CostConfig>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let params = params.0;
    params.dimensions()?;
    let max_lines = settings.report_max_lines;
    let (report, rows) = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            let report = report::costs(conn, &signed.caller, params, max_lines)?;
            let rows = if chosen.tabular() {
                report::table(&report)
            } else {
                Default::default()
            };
            Ok((report, rows))
        })
        .await?;
    // At thousands of lines the report takes longer to write than to sum.
    export::large_report(chosen, "costs", report, vec![("Costs", rows)]).await
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
    let rows = if chosen.tabular() {
        report::table(&report)
    } else {
        Default::default()
    };
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

/// Record a programme's expenses from a finance office's spreadsheet: a CSV file
/// (`Content-Type: text/csv`) or an Excel workbook (its first sheet), read as the enrolment import
/// reads its files. Headings may be English or Vietnamese; amounts are written as the locale
/// writes them (`1.250.000`, `1,250,000.00`), dates as `2025-03-01`, day first (`01/03/2025`) or
/// as date cells; a trainee's cost names the trainee by `trainee_email` (or `enrollment_id`).
/// All or nothing: the error lists every bad heading, row and column, and each expense is created
/// and audited as `POST /programs/{id}/expenses` would. `?dry_run=true` reports what would be
/// created without writing. `Idempotency-Key` makes a retry return the first answer.
#[utoipa::path(
    tag = "costs",
    security(("bearer_auth" = ["admin", "officer"])),
    params(
        ProgramId,
        ExpenseImportOptions,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry with the same key and file return the first answer",
         min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    request_body(
        content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        description = "UTF-8 CSV, or an Excel workbook (its first sheet), with a header row: category, amount, currency and date, and any of cohort (the cohort's code), trainee_email, enrollment_id, payer (a funder's partner code; empty or `department` for the department's own budget), status (committed or paid), period_from, period_to, reference, note (or Khoản mục, Số tiền, Loại tiền, Ngày, Lớp, Email học viên, Nguồn kinh phí, Trạng thái, Từ ngày, Đến ngày, Số chứng từ, Ghi chú; STT, the row number, is left out). Categories by name or Vietnamese label (vé máy bay, công tác phí, lưu trú, học phí, phiên dịch, hội trường, tài liệu, bảo hiểm, thị thực, đi lại, khác). Other columns are refused unless `ignore` names them."),
    responses(
        (status = 200, description = "What was created (or, for a dry run, what would be)", body = ExpenseImportReport),
        crate::openapi::WriteErrors,
    )
)]
#[post("/programs/{id}/expenses/import")]
pub async fn import_expenses(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<ProgramId>,
    options: Query<ExpenseImportOptions>,
    key: IdempotencyKey,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // The caller first: a role that may not import learns nothing of its file.
    let signed = db.run(move |conn| auth.check(conn)).await?;
    let file = Upload::read(&req, payload).await?;
    let options = options.0;
    let dry_run = options.dry_run.unwrap_or(false);
    let ignore = options.ignore.clone();
    let (parsed, fingerprint) = file
        .parse(move |bytes, kind| import::parse(bytes, kind, ignore.as_deref()))
        .await?;
    let (user, program) = (signed.caller.id(), id.into_inner());
    let outcome = db
        .write(move |conn| {
            upload::run_once(conn, &key, user, &fingerprint, dry_run, |conn| {
                import::import(conn, &signed.actor, program, parsed, dry_run)
            })
        })
        .await?;
    Ok(outcome.respond(|report| HttpResponse::Ok().json(report)))
}
