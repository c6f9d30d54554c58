//! Optimistic concurrency: `ETag: "<version>"` on reads, `If-Match` checked on writes.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::error::ApiError;

/// The entity tag of a version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The `If-Match` header of a request, if any.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// 412 unless the header is absent, `*`, or names `current` (strong comparison: a weak tag
    /// never matches, per RFC 9110).
    pub fn check(&self, current: i32) -> Result<(), ApiError> {
        let Some(header) = &self.0 else { return Ok(()) };
        let wanted = etag(current);
        let matches = header.split(',').map(str::trim).any(|tag| tag == "*" || tag == wanted);
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed(format!(
                "If-Match {header} does not match the current version {wanted}; fetch it again and reapply your change"
            )))
        }
    }
}

impl crate::resource::Expect for IfMatch {
    fn check(&self, version: i32) -> Result<(), ApiError> {
        IfMatch::check(self, version)
    }

    /// `*` names no version: it asks only that the record exist.
    fn names_version(&self) -> bool {
        self.0.as_deref().is_some_and(|header| header.trim() != "*")
    }
}

impl FromRequest for IfMatch {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        ready(Ok(IfMatch(value)))
    }
}
