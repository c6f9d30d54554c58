//! A spreadsheet sent whole as a request's body, for an import (enrolments, expenses): its kind
//! from `Content-Type` (415 unless CSV or an Excel workbook), its bytes up to
//! [`IMPORT_LIMIT`] (413 past it), read on the blocking pool, and the import's write run once per
//! `Idempotency-Key`. Each import's handler says only what it reads and what it writes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::Serialize;

use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::{self, IdempotencyKey, Outcome};
use crate::ids::UserId;
use crate::tabular::import::{FileKind, IMPORT_LIMIT};

/// A file as sent: its kind, its bytes, and what a retry of the request is known by.
#[derive(Debug)]
pub struct Upload {
    kind: FileKind,
    bytes: web::BytesMut,
    fingerprint: String,
}

impl Upload {
    /// The file `req` sends: its kind first, so that nothing is read of a body declared as
    /// anything else, then its bytes up to [`IMPORT_LIMIT`].
    pub async fn read(req: &HttpRequest, payload: web::Payload) -> ApiResult<Upload> {
        let kind = file_kind(req)?;
        let bytes = read_body(req, payload).await?;
        let fingerprint = idempotency::RequestHead::of(req).fingerprint(&bytes);
        Ok(Upload {
            kind,
            bytes,
            fingerprint,
        })
    }

    /// The file read by `parse` on the blocking pool (tens of thousands of rows take a while,
    /// which no request's worker should wait out), and what a retry of the request is known by.
    pub async fn parse<T: Send + 'static>(
        self,
        parse: impl FnOnce(&[u8], FileKind) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<(T, Fingerprint)> {
        let Upload {
            kind,
            bytes,
            fingerprint,
        } = self;
        let parsed = web::block(move || parse(&bytes, kind))
            .await
            .map_err(|e| ApiError::internal(anyhow::Error::new(e)))??;
        Ok((parsed, Fingerprint(fingerprint)))
    }
}

/// What a retry of an import is known by: a digest of its method, path, query and file.
#[derive(Debug)]
pub struct Fingerprint(String);

/// Run an import's `work` in its write transaction: a dry run simply runs (nothing is written, so
/// there is nothing to replay); otherwise it runs once per `Idempotency-Key`, and a retry with the
/// same key and file gets the first answer (200) again.
pub fn run_once<T: Serialize>(
    conn: &mut DbConnection,
    key: &IdempotencyKey,
    user: UserId,
    fingerprint: &Fingerprint,
    dry_run: bool,
    work: impl FnOnce(&mut DbConnection) -> ApiResult<T>,
) -> ApiResult<Outcome<T>> {
    if dry_run {
        return work(conn).map(Outcome::Fresh);
    }
    idempotency::run(conn, key, user, &fingerprint.0, StatusCode::OK, |_| None, work)
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

/// The kind of file the body is declared as; 415 unless CSV or an Excel workbook.
fn file_kind(req: &HttpRequest) -> ApiResult<FileKind> {
    let media_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    media_type.as_deref().and_then(FileKind::of_media_type).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "send the file as CSV with `Content-Type: text/csv`, or as an Excel workbook with `Content-Type: {}`",
            crate::tabular::xlsx::MEDIA_TYPE
        ))
    })
}
