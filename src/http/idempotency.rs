//! `Idempotency-Key` on `POST`: a client that retries a request (after a timeout, a dropped
//! connection) with the same key and the same body gets the first answer again instead of a
//! second enrolment.
//!
//! The key is claimed inside the write transaction that does the work, by inserting a row that
//! conflicts on (account, key). On PostgreSQL a concurrent retry blocks on that row until the first
//! request commits and then reads its stored answer; on SQLite the transaction's write lock orders
//! them. If the work fails, the transaction rolls back and takes the claim with it, so a retry runs
//! afresh. Answers are kept for 24 hours ([`KEEP_FOR`]): a caller's older ones are deleted before
//! its next keyed request (so none is replayed past its day), and every account's by the
//! schedule's `stored_replies` job (`db::idempotency::purge_expired`), and an erasure deletes
//! those that may hold the erased trainee's data (`personal_data::HOLDINGS`).

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
pub use crate::db::idempotency::KEEP_FOR;
use crate::error::{ApiError, ApiResult};
use crate::ids::UserId;
use crate::schema::idempotency_keys;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";

/// The optional `Idempotency-Key` header of a request: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(HEADER) else {
            return ready(Ok(IdempotencyKey(None)));
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
        ready(match key {
            Some(key) => Ok(IdempotencyKey(Some(key.to_owned()))),
            None => Err(ApiError::bad_request(
                "invalid_header",
                "Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID",
            )),
        })
    }
}

/// An answer stored for a key, sent again to a retry.
#[derive(Debug)]
pub struct Replay {
    status: u16,
    body: String,
    location: Option<String>,
}

impl Replay {
    /// The stored answer, marked `Idempotent-Replayed: true`.
    pub fn respond(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut response = HttpResponse::build(status);
        response.insert_header(("Idempotent-Replayed", "true"));
        if let Some(location) = self.location {
            response.insert_header((actix_web::http::header::LOCATION, location));
        }
        // The ETag the first answer had: the stored object's version.
        let version = serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|body| body.get("version").and_then(serde_json::Value::as_i64))
            .and_then(|v| i32::try_from(v).ok());
        if let Some(version) = version {
            response.insert_header((actix_web::http::header::ETAG, super::precondition::etag(version)));
        }
        response.content_type("application/json").body(self.body)
    }
}

/// What [`run`] did.
#[derive(Debug)]
pub enum Outcome<T> {
    /// The work ran now; here is its result.
    Fresh(T),
    /// The key was used before with the same request; here is the first answer.
    Replay(Replay),
}

impl<T> Outcome<T> {
    /// The answer: `fresh` builds it from a result that ran now; a replay is sent as stored.
    pub fn respond(self, fresh: impl FnOnce(T) -> HttpResponse) -> HttpResponse {
        match self {
            Outcome::Fresh(result) => fresh(result),
            Outcome::Replay(replay) => replay.respond(),
        }
    }
}

/// What makes two requests "the same" besides their body: method, path and query.
#[derive(Debug, Clone)]
pub struct RequestHead(String);

impl RequestHead {
    /// The head of `req`.
    pub fn of(req: &HttpRequest) -> Self {
        RequestHead(format!(
            "{}\n{}?{}\n",
            req.method(),
            req.uri().path(),
            req.query_string()
        ))
    }

    /// A digest of this head with `body`: the same key with another digest is another request.
    pub fn fingerprint(&self, body: &[u8]) -> String {
        let mut hash = Sha256::new();
        hash.update(self.0.as_bytes());
        hash.update(body);
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Run `work` once per key: with no key it simply runs; with a key it runs the first time and
/// stores its answer (`status`, the JSON of the result, and the `Location` that `location` gives),
/// and later calls with the same key and fingerprint replay that answer. The same key with a
/// different request is 422 `idempotency_key_reused`.
///
/// Call inside the write transaction that does the work.
pub fn run<T: Serialize>(
    conn: &mut DbConnection,
    key: &IdempotencyKey,
    user: UserId,
    fingerprint: &str,
    status: StatusCode,
    location: impl FnOnce(&T) -> Option<String>,
    work: impl FnOnce(&mut DbConnection) -> ApiResult<T>,
) -> ApiResult<Outcome<T>> {
    let Some(key) = key.0.as_deref() else {
        return work(conn).map(Outcome::Fresh);
    };
    let now = crate::clock::now();
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user))
            .filter(idempotency_keys::created_at.lt(now - KEEP_FOR)),
    )
    .execute(conn)?;
    let claimed = crate::db::dialect::claim_idempotency_key(conn, user, key, fingerprint, now)?;
    if !claimed {
        let (hash, stored_status, body, stored_location): (String, Option<i32>, Option<String>, Option<String>) =
            idempotency_keys::table
                .find((user, key))
                .select((
                    idempotency_keys::request_hash,
                    idempotency_keys::response_status,
                    idempotency_keys::response_body,
                    idempotency_keys::location,
                ))
                .first(conn)?;
        if hash != fingerprint {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail:
                    "this Idempotency-Key was already used for a different request; use a new key for a new request"
                        .to_owned(),
            });
        }
        return match (stored_status, body) {
            (Some(status), Some(body)) => Ok(Outcome::Replay(Replay {
                status: u16::try_from(status).unwrap_or(200),
                body,
                location: stored_location,
            })),
            // Claimed rows are written with their answer in the same transaction, so a row without
            // one cannot be seen; answer as for a request still running, should it ever be.
            _ => Err(ApiError::conflict(
                "request_in_progress",
                "a request with this Idempotency-Key is still being processed; retry shortly",
            )),
        };
    }
    let result = work(conn)?;
    let body = serde_json::to_string(&result).map_err(ApiError::internal)?;
    diesel::update(idempotency_keys::table.find((user, key)))
        .set((
            idempotency_keys::response_status.eq(i32::from(status.as_u16())),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::location.eq(location(&result)),
        ))
        .execute(conn)?;
    Ok(Outcome::Fresh(result))
}
