//! The thin HTTP layer shared by every resource: request ids and access logs, the JSON body
//! extractor, paging, `If-Match`, an import's uploaded spreadsheet, and the answers for unknown paths
//! and methods.

pub mod auth;
pub mod body_guard;
pub mod crud;
pub mod export;
pub mod fallback;
pub mod idempotency;
pub mod json;
pub mod language;
pub mod pagination;
pub mod precondition;
pub mod public;
pub mod query_names;
pub mod request_id;
pub mod upload;

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
