//! The one error type of the API and its mapping to RFC 9457 `application/problem+json`.
//!
//! Every failure a client can see is an [`ApiError`]; its `code` is stable and snake_case, so
//! scripts can branch on it. Faults answer an opaque 500 and are logged once, with their whole
//! cause chain, inside the request's span (which carries the request id).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::messages::{Lang, Params};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request body or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer to the field, as a URI fragment: `#/start_date`, `#/focus_areas/2`.
    #[schema(example = "#/end_date")]
    pub pointer: String,
    /// Stable, snake_case reason: `required`, `too_long`, `invalid_format`, `out_of_range`, ...
    #[schema(example = "before_start_date")]
    pub code: String,
    /// What is wrong, for a person: a predicate that follows the field's name ("must be at most
    /// 300 characters"), naming the accepted values where there are few.
    #[schema(example = "must not be before start_date (2024-02-01)")]
    pub detail: String,
    /// What the message is made of (`max`, `accepted`, `value`, ...), so that a page can word it
    /// from the message catalogue (`crate::messages`) in its own language.
    #[serde(skip_serializing_if = "Params::is_empty")]
    #[schema(value_type = Object, additional_properties = true)]
    pub params: Params,
}

impl FieldError {
    /// An error at `#/<field>`.
    pub fn new(field: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: format!("#/{field}"),
            code: code.to_owned(),
            detail: detail.into(),
            params: Params::new(),
        }
    }

    /// An error at `#/<field>` worded from the catalogue's English for `code` and `params`.
    pub fn worded(field: &str, code: &str, params: Params) -> Self {
        let detail = crate::messages::field(code, &params, Lang::En).unwrap_or_else(|| format!("is invalid ({code})"));
        Self {
            params,
            ..Self::new(field, code, detail)
        }
    }

    /// The same error with one more param for the catalogue.
    pub fn with(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    /// The field, as its name reads in a sentence: `items/0/due_on`.
    pub fn field(&self) -> &str {
        self.pointer.trim_start_matches("#/")
    }

    /// Its detail in `lang`: the catalogue's wording when it has one for the code, else the
    /// English one it was raised with.
    pub fn detail_in(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.detail.clone(),
            _ => crate::messages::field(&self.code, &self.params, lang).unwrap_or_else(|| self.detail.clone()),
        }
    }

    /// The same error worded in `lang`.
    pub fn in_language(&self, lang: Lang) -> FieldError {
        FieldError {
            detail: self.detail_in(lang),
            ..self.clone()
        }
    }
}

/// An RFC 9457 problem document, as every error is answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the `code` says which problem it is.
    #[schema(example = "about:blank")]
    pub r#type: &'static str,
    /// The HTTP status phrase.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable machine-readable reason, snake_case.
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// For `validation_failed`: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Every failure a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `invalid_query`: query parameters that do not fit the operation, each named.
    #[error("{}", field_sentence(.0))]
    InvalidQuery(Vec<FieldError>),
    /// 400: a body, query or path that cannot be parsed.
    #[error("{detail}")]
    BadRequest {
        /// Stable code, e.g. `malformed_json`.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// 401: no token, or one that is not valid; answered with `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthorized(String),
    /// 401 for a sign-in with a wrong email or password (the same answer for both).
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// 403: the caller's role may not do this at all.
    #[error("{0}")]
    Forbidden(String),
    /// 429: too many attempts; retry after the given number of seconds.
    #[error("{detail}")]
    TooManyRequests {
        /// Stable code: `too_many_failures` or `rate_limited`.
        code: &'static str,
        /// What to do.
        detail: String,
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// 404: no such object (or one the caller may not know of).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// The methods the path does answer.
        allow: Vec<Method>,
    },
    /// 406: the client asked (`Accept`, or `?format=`) for a representation this operation
    /// cannot produce; the text names those it can.
    #[error("{0}")]
    NotAcceptable(String),
    /// 409: a uniqueness or state conflict.
    #[error("{detail}")]
    Conflict {
        /// Stable code, e.g. `duplicate` or `in_use`.
        code: &'static str,
        /// What conflicts, and how to resolve it.
        detail: String,
    },
    /// 409 for a request about many items, all or nothing, of which some were refused: each
    /// refusal named by its pointer, with the code a request about that item alone would get.
    #[error("{} item(s) refused; nothing was changed", .0.len())]
    Refused(Vec<FieldError>),
    /// 412: `If-Match` names a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 408: the body did not arrive within `TPMS_BODY_TIMEOUT_SECS`.
    #[error("the request body did not arrive within {seconds} s; send it whole, or in less time")]
    BodyTimeout {
        /// The time allowed, in seconds.
        seconds: u64,
    },
    /// 413: the body is larger than the configured limit.
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: the body is not in a type or an encoding the operation reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: parsed, but invalid. As text (in a log, or the command line's error), every field
    /// and what is wrong with it.
    #[error("{}", field_list(.0))]
    Validation(Vec<FieldError>),
    /// 422 for a request that cannot be processed as a whole, with its own code (an
    /// `Idempotency-Key` reused for a different request).
    #[error("{detail}")]
    Unprocessable {
        /// Stable code, e.g. `idempotency_key_reused`.
        code: &'static str,
        /// What is wrong, and what to do.
        detail: String,
    },
    /// 503: a dependency (the database) is not ready.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a fault. The cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// 400 with a code.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// 404 naming what was not found.
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("no {what} with id {id}"))
    }

    /// 409 with a code.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// 422 for one field.
    pub fn invalid(field: &str, code: &str, detail: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, detail)])
    }

    /// A 404 from finding a record that a body names becomes a 422 `not_found` on that field: the
    /// request's content is wrong, not its path. Every other error passes through unchanged.
    pub fn naming_field(self, field: &str, detail: impl FnOnce() -> String) -> Self {
        match self {
            ApiError::NotFound(_) => ApiError::invalid(field, "not_found", detail()),
            other => other,
        }
    }

    /// Replace the generic text of a 409 `duplicate` with one that names the taken value;
    /// every other error passes through unchanged.
    pub fn naming_duplicate(self, detail: impl FnOnce() -> String) -> Self {
        match self {
            ApiError::Conflict { code: "duplicate", .. } => ApiError::conflict("duplicate", detail()),
            other => other,
        }
    }

    /// 500 from any error.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(error.into())
    }

    /// The stable code sent in the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. }
            | ApiError::TooManyRequests { code, .. } => code,
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::NotAcceptable(_) => "not_acceptable",
            ApiError::PreconditionFailed(_) => "precondition_failed",
            ApiError::BodyTimeout { .. } => "body_timeout",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Refused(_) => "refused",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::MethodNotAllowed { allow } => {
                let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
                format!("this path answers {}", allow.join(", "))
            }
            ApiError::Validation(errors) => field_sentence(errors),
            ApiError::Internal(_) => {
                "the server failed to handle this request; it has been logged with the request id".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The field problems it carries: every invalid field of a body or query, every refused item.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Validation(errors) | ApiError::Refused(errors) | ApiError::InvalidQuery(errors) => errors,
            _ => &[],
        }
    }

    /// Its detail in `lang`: field problems from the catalogue, a whole-request problem from the
    /// catalogue where it has the code, else the English detail.
    fn detail_in(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.detail();
        }
        let mut params = Params::new();
        match self {
            ApiError::Validation(errors) | ApiError::InvalidQuery(errors) => {
                let worded: Vec<FieldError> = errors.iter().map(|e| e.in_language(lang)).collect();
                if let [one] = worded.as_slice() {
                    return format!("{} {}", one.field(), one.detail);
                }
                params.insert("count".to_owned(), errors.len().to_string());
            }
            ApiError::TooManyRequests { retry_after_secs, .. } => {
                params.insert("wait".to_owned(), retry_after_secs.to_string());
            }
            ApiError::PayloadTooLarge { limit } => {
                params.insert("limit".to_owned(), limit.to_string());
            }
            _ => {}
        }
        crate::messages::problem(self.code(), &params, lang).unwrap_or_else(|| self.detail())
    }

    /// The problem+json answer, worded in `lang` (with `Content-Language`). Every endpoint
    /// answers in English; the personal links in the language their reader prefers. A fault is
    /// logged by `error_response`, which answers first; this only words it again.
    pub fn response_in(&self, lang: Lang) -> HttpResponse {
        let mut response = self.answer(lang);
        response
            .headers_mut()
            .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
        response
    }

    /// The problem+json answer in `lang`, with the headers its status calls for.
    fn answer(&self, lang: Lang) -> HttpResponse {
        let status = self.status_code();
        let problem = Problem {
            r#type: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail_in(lang),
            code: self.code(),
            errors: self.field_errors().iter().map(|e| e.in_language(lang)).collect(),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::Unauthorized(_) | ApiError::InvalidCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::TooManyRequests { retry_after_secs, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            _ => {}
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
            if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                response.insert_header((header::ALLOW, value));
            }
        }
        response.body(serde_json::to_vec(&problem).unwrap_or_default())
    }
}

/// Every field and what is wrong with it: `partner_id is required for a liaison; email ...`.
fn field_list(errors: &[FieldError]) -> String {
    let list: Vec<String> = errors.iter().map(|e| format!("{} {}", e.field(), e.detail)).collect();
    list.join("; ")
}

/// The detail of a problem about fields: the one field and what is wrong with it, or how many.
fn field_sentence(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("{} {}", one.field(), one.detail),
        _ => format!("{} fields are invalid; see errors", errors.len()),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } | ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Conflict { .. } | ApiError::Refused(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) | ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            // Runs inside the request span, so the line carries the request id.
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        self.answer(Lang::En)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            Error::NotFound => ApiError::NotFound("no such object".to_owned()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => ApiError::conflict(
                "duplicate",
                format!("a record with the same unique value exists ({})", info.message()),
            ),
            _ if is_foreign_key_violation(&error) => ApiError::conflict(
                "in_use",
                "other records refer to this one, or it refers to one that does not exist",
            ),
            _ if is_lock_contention(&error) => {
                ApiError::Unavailable("the database is busy; retry the request".to_owned())
            }
            _ => ApiError::internal(error),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        ApiError::Validation(field_errors(&errors))
    }
}

/// Flatten validator's report into field errors with JSON pointers, in a stable order; nested
/// structs and lists give pointers such as `#/records/3/status`. A struct-level rule names its
/// field with a `field` parameter.
pub fn field_errors(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect_field_errors(errors, "", &mut out);
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then_with(|| a.code.cmp(&b.code)));
    out
}

fn collect_field_errors(errors: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let field = error
                        .params
                        .get("field")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                        .unwrap_or_else(|| field.to_string());
                    let detail = error
                        .message
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| default_message(error));
                    let mut found = FieldError::new(&format!("{prefix}{field}"), &error.code, detail);
                    for (name, value) in &error.params {
                        match (name.as_ref(), value) {
                            // A list's length counts entries, a text's characters.
                            ("value", serde_json::Value::Array(_)) => found = found.with("expected", "list"),
                            ("value" | "field", _) => {}
                            (name, serde_json::Value::String(text)) => found = found.with(name, text),
                            (name, other) => found = found.with(name, other),
                        }
                    }
                    out.push(found);
                }
            }
            ValidationErrorsKind::Struct(inner) => {
                collect_field_errors(inner, &format!("{prefix}{field}/"), out);
            }
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_field_errors(inner, &format!("{prefix}{field}/{index}/"), out);
                }
            }
        }
    }
}

fn default_message(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(ToString::to_string);
    let list = matches!(error.params.get("value"), Some(serde_json::Value::Array(_)));
    match error.code.as_ref() {
        "length" if list => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must have {min} to {max} entries"),
            (Some(min), None) => format!("must have at least {min} entries"),
            (None, Some(max)) => format!("must have at most {max} entries"),
            _ => "has the wrong number of entries".to_owned(),
        },
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            _ => "has the wrong length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        code => format!("is invalid ({code})"),
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

/// 409 `illegal_transition` for a move from `from` to `to`, naming the moves that are allowed.
pub fn illegal_transition<S: std::fmt::Display>(what: &str, from: S, to: S, allowed: &[S]) -> ApiError {
    let allowed = if allowed.is_empty() {
        "none: it is final".to_owned()
    } else {
        allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    };
    ApiError::conflict(
        "illegal_transition",
        format!("{what} cannot move from {from} to {to}; allowed from {from}: {allowed}"),
    )
}

/// Whether an error means "another writer holds the lock" (SQLite) or a serialisation failure or
/// deadlock (PostgreSQL): the request may be retried by the client.
pub fn is_lock_contention(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        // PostgreSQL's deadlock (40P01) has no kind of its own in diesel; one transaction was
        // rolled back and a retry succeeds.
        Error::DatabaseError(_, info) => {
            info.message().contains("database is locked") || info.message().contains("deadlock detected")
        }
        _ => false,
    }
}

/// Whether an error is a broken foreign key: a row still refers to one being deleted, or refers to
/// one that does not exist.
///
/// PostgreSQL reports every such error as 23503, which diesel names `ForeignKeyViolation`. SQLite
/// does so only for `NO ACTION` keys; an `ON DELETE RESTRICT` key fails with the extended code
/// `SQLITE_CONSTRAINT_TRIGGER`, which diesel leaves `Unknown`, so it is known here by its message.
pub fn is_foreign_key_violation(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => info.message() == "FOREIGN KEY constraint failed",
        _ => false,
    }
}

/// Whether a database error is a sum or a product beyond 64 bits: SQLite's "integer overflow",
/// PostgreSQL's "bigint out of range".
pub fn is_numeric_overflow(error: &diesel::result::Error) -> bool {
    use diesel::result::Error;
    match error {
        Error::DatabaseError(_, info) => {
            let message = info.message();
            message == "integer overflow" || message.contains("out of range")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_answers_an_opaque_500_that_reveals_nothing_of_its_cause() {
        use actix_web::body::MessageBody as _;
        let error = ApiError::internal(anyhow::anyhow!("password authentication failed for user tpms"));
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = match response.into_body().try_into_bytes() {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => String::new(),
        };
        assert!(body.contains("\"code\":\"internal_error\""), "{body}");
        assert!(!body.contains("password"), "the cause stays in the log: {body}");
    }

    #[test]
    fn a_unique_violation_is_a_409_duplicate() {
        use diesel::result::{DatabaseErrorKind, Error};
        let error = ApiError::from(Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("dup".to_owned()),
        ));
        assert_eq!(error.status_code(), StatusCode::CONFLICT);
        assert_eq!(error.code(), "duplicate");
    }

    /// SQLite names a broken `ON DELETE RESTRICT` key differently from a `NO ACTION` one; both are
    /// the caller's conflict, not the server's fault.
    #[test]
    fn deleting_a_row_that_others_refer_to_on_sqlite_is_a_409_in_use_whatever_the_key_kind() {
        use diesel::{Connection as _, RunQueryDsl as _, connection::SimpleConnection as _};
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("an in-memory database");
        conn.batch_execute(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parents (id INTEGER PRIMARY KEY);
             CREATE TABLE restricted (parent_id INTEGER REFERENCES parents (id) ON DELETE RESTRICT);
             CREATE TABLE plain (parent_id INTEGER REFERENCES parents (id));
             INSERT INTO parents VALUES (1), (2);
             INSERT INTO restricted VALUES (1);
             INSERT INTO plain VALUES (2);",
        )
        .expect("the schema");
        for parent in [1, 2] {
            let refused = diesel::sql_query(format!("DELETE FROM parents WHERE id = {parent}"))
                .execute(&mut conn)
                .expect_err("a referenced row cannot be deleted");
            let error = ApiError::from(refused);
            assert_eq!(error.status_code(), StatusCode::CONFLICT, "parent {parent}");
            assert_eq!(error.code(), "in_use", "parent {parent}");
        }
    }
}
