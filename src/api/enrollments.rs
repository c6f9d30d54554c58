//! The import of enrolments: a spreadsheet (CSV or Excel) of trainees nominated or seated in one request. The other
//! enrolment operations are the standard ones named in the route table (`app.rs`).

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::cohorts::Cohort;
use crate::db::Db;
use crate::enrollments::import::{self, ImportOptions, ImportReport};
use crate::enrollments::moves::{self, BulkMove, Moved};
use crate::error::ApiResult;
use crate::http::auth::{Auth, Selectors, Staff};
use crate::http::idempotency::IdempotencyKey;
use crate::http::json::Body;
use crate::http::json::Query;
use crate::http::upload::{self, Upload};
use crate::ids::CohortId;

/// Move many enrolments of a cohort to one status (approve nominations, withdraw several), all or
/// nothing: each is checked as its own `PATCH` would be, and audited; if any is refused, none
/// moves, and the `409 refused` names each refusal by its place in `enrollment_ids`. A liaison of
/// a partner that reviews the programme's nominations accepts or declines them here (only those
/// two statuses; another programme's cohort is 404).
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer", "liaison"])),
    params(CohortId),
    request_body = BulkMove,
    responses(
        (status = 200, description = "Every enrolment moved, as it now stands", body = Moved),
        crate::openapi::WriteErrors,
    )
)]
#[post("/cohorts/{id}/enrollments/moves")]
pub async fn move_enrollments(
    auth: Auth<Selectors>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    body: Body<BulkMove>,
) -> ApiResult<HttpResponse> {
    let cohort = id.into_inner();
    let moved = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            moves::move_many(conn, &signed.caller, &signed.actor, cohort, body.get()?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(moved))
}

/// Nominate trainees into a cohort from a CSV file (`Content-Type: text/csv`) or an Excel
/// workbook (its first sheet), or seat them with `?status=enrolled` (in file order while seats are
/// free, then waitlisted), creating the ones not yet known (matched by email). Headings may be
/// English or Vietnamese; `STT` is the row number, `Ngày sinh` a birth date (day first) of which
/// the year is kept; `?ignore=` names headings whose columns are left out. All or nothing: the
/// error lists every bad heading, row and column.
/// `?dry_run=true` reports what would happen without writing. `Idempotency-Key` makes a retry
/// return the first answer.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer"])),
    params(
        CohortId,
        ImportOptions,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry with the same key and file return the first answer",
         min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    request_body(
        content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        description = "UTF-8 CSV, or an Excel workbook (its first sheet), with a header row: full_name, and any of email, gender, birth_year, birth_date, position, organisation, province, phone, notes (or Họ và tên, Email, Giới tính, Năm sinh, Ngày sinh, Chức vụ, Cơ quan/Đơn vị, Đơn vị công tác, Tỉnh/Thành phố, Điện thoại, Ghi chú; STT, the row number, is left out). A birth date is day first (15/03/1986) or a date cell; its year is kept. Other columns are refused unless `ignore` names them."),
    responses(
        (status = 200, description = "What was done (or, for a dry run, what would be)", body = ImportReport),
        crate::openapi::WriteErrors,
    )
)]
#[post("/cohorts/{id}/enrollments/import")]
pub async fn import_enrollments(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<CohortId>,
    options: Query<ImportOptions>,
    key: IdempotencyKey,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // The caller first: a role that may not import learns nothing of its file.
    let signed = db.run(move |conn| auth.check(conn)).await?;
    let file = Upload::read(&req, payload).await?;
    let options = options.0;
    let dry_run = options.dry_run.unwrap_or(false);
    let ignore = options.ignore.clone();
    let (rows, fingerprint) = file
        .parse(move |bytes, kind| import::parse(bytes, kind, ignore.as_deref()))
        .await?;
    let (user, cohort) = (signed.caller.id(), id.into_inner());
    let outcome = db
        .write(move |conn| {
            upload::run_once(conn, &key, user, &fingerprint, dry_run, |conn| {
                let cohort = Cohort::find_for_placing(conn, cohort)?;
                import::import(conn, &signed.actor, &cohort, rows, &options)
            })
        })
        .await?;
    Ok(outcome.respond(|report| HttpResponse::Ok().json(report)))
}
