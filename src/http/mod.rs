//! The thin HTTP layer shared by every resource: request ids and access logs, the JSON body
//! extractor, paging, `If-Match`, and the answers for unknown paths and methods.

pub mod fallback;
pub mod idempotency;
pub mod json;
pub mod pagination;
pub mod precondition;
pub mod request_id;

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// Now, in UTC, to the microsecond (what PostgreSQL's `timestamp` keeps; SQLite then agrees).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// An instant from a request as stored: UTC, to the microsecond (as [`now`]).
pub fn utc(instant: &chrono::DateTime<Utc>) -> NaiveDateTime {
    instant.naive_utc().trunc_subsecs(6)
}

/// Serialise a stored UTC instant as RFC 3339 with `Z`.
pub fn rfc3339<S: serde::Serializer>(value: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&value.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Serialise an optional stored UTC instant as RFC 3339 with `Z`, or `null`.
pub fn rfc3339_opt<S: serde::Serializer>(value: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => rfc3339(value, s),
        None => s.serialize_none(),
    }
}

/// Deserialise `Some(value)` from a present field, refusing `null` (for PATCH fields that cannot
/// be cleared); an absent field stays `None` through `#[serde(default)]`.
pub fn some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `200 OK` with the object and its `ETag`.
pub fn ok_with_etag(body: &impl serde::Serialize, version: i32) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, precondition::etag(version)))
        .json(body)
}

/// `201 Created` with `Location`, `ETag` and the object.
pub fn created(location: String, body: &impl serde::Serialize, version: i32) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .insert_header((actix_web::http::header::ETAG, precondition::etag(version)))
        .json(body)
}
