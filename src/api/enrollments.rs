//! The CSV import of enrolments: a spreadsheet of trainees nominated or seated in one request. The other
//! enrolment operations are the standard ones named in the route table (`app.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;

use crate::cohorts::Cohort;
use crate::db::Db;
use crate::enrollments::import::{self, IMPORT_LIMIT, ImportOptions, ImportReport};
use crate::enrollments::moves::{self, BulkMove, Moved};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Auth, Staff};
use crate::http::idempotency::{self, IdempotencyKey, Outcome};
use crate::http::json::Body;
use crate::http::json::Query;
use crate::ids::CohortId;

/// Move many enrolments of a cohort to one status (approve nominations, withdraw several), all or
/// nothing: each is checked as its own `PATCH` would be, and audited; if any is refused, none
/// moves, and the `409 refused` names each refusal by its place in `enrollment_ids`.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer"])),
    params(CohortId),
    request_body = BulkMove,
    responses(
        (status = 200, description = "Every enrolment moved, as it now stands", body = Moved),
        crate::openapi::WriteErrors,
    )
)]
#[post("/cohorts/{id}/enrollments/moves")]
pub async fn move_enrollments(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<CohortId>,
    body: Body<BulkMove>,
) -> ApiResult<HttpResponse> {
    let cohort = id.into_inner();
    let moved = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            moves::move_many(conn, &signed.actor, cohort, body.get()?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(moved))
}

/// Read the body up to [`IMPORT_LIMIT`].
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> ApiResult<web::BytesMut> {
    let timeout = crate::http::body_guard::timeout_of(req);
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| crate::http::body_guard::problem(&e, timeout))?;
        if body.len() + chunk.len() > IMPORT_LIMIT {
            return Err(ApiError::PayloadTooLarge { limit: IMPORT_LIMIT });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// 415 unless the body is declared as CSV.
fn check_csv(req: &HttpRequest) -> ApiResult<()> {
    let csv_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if matches!(csv_type.as_deref(), Some("text/csv" | "application/csv")) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "send the file as CSV with `Content-Type: text/csv`".to_owned(),
        ))
    }
}

/// Nominate trainees into a cohort from a CSV file (`Content-Type: text/csv`), or seat them with
/// `?status=enrolled` (in file order while seats are free, then waitlisted), creating the ones not
/// yet known (matched by email). Headings may be English or Vietnamese. All or nothing: the error
/// lists every bad heading, row and column.
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
    request_body(content = String, content_type = "text/csv",
        description = "UTF-8 CSV with a header row: full_name, and any of email, gender, birth_year, position, organisation, province, phone, notes (or Họ và tên, Email, Giới tính, Năm sinh, Chức vụ, Cơ quan/Đơn vị, Tỉnh/Thành phố, Điện thoại, Ghi chú)"),
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
    check_csv(&req)?;
    let bytes = read_body(&req, payload).await?;
    let options = options.0;
    let dry_run = options.dry_run.unwrap_or(false);
    let fingerprint = idempotency::RequestHead::of(&req).fingerprint(&bytes);
    let rows = web::block(move || import::parse(&bytes))
        .await
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))??;
    let (user, cohort) = (signed.caller.id(), id.into_inner());
    let outcome = db
        .write(move |conn| {
            let work = |conn: &mut _| {
                let cohort = Cohort::find_for_placing(conn, cohort)?;
                import::import(conn, &signed.actor, &cohort, rows, &options)
            };
            if dry_run {
                // Nothing is written, so there is nothing to replay.
                return work(conn).map(Outcome::Fresh);
            }
            idempotency::run(conn, &key, user, &fingerprint, StatusCode::OK, |_| None, work)
        })
        .await?;
    Ok(outcome.respond(|report| HttpResponse::Ok().json(report)))
}
