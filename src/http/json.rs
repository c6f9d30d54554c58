//! The JSON body extractor and the parse-error handlers for bodies, queries and paths.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};
use validator::Validate;

use crate::error::{ApiError, ApiResult, FieldError};

/// A JSON request body: parsed (400 for what is not a JSON object at all), read into `T` (422
/// naming every missing, unknown or ill-typed field at once, see [`field_problems`]), validated
/// as sent (the OpenAPI bounds count what the client sent), then every string NFC-normalised and
/// trimmed and validated again (422 naming every bad field).
///
/// The outcome is kept, not raised, until the handler calls [`Body::get`]: actix polls a
/// handler's extractors together, and a bad body must not answer before the caller's
/// authorisation does (a reporter sending a bad body to a write gets 403, not 400).
#[derive(Debug)]
pub struct Body<T>(ApiResult<T>);

impl<T> Body<T> {
    /// The parsed, valid body, or the error that says what is wrong with it.
    pub fn get(self) -> ApiResult<T> {
        self.0
    }
}

impl<T> FromRequest for Body<T>
where
    T: DeserializeOwned + Validate + ToSchema + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<Strict>::from_request(req, payload);
        let timeout = super::body_guard::timeout_of(req);
        Box::pin(async move {
            let parsed = async {
                let mut value = json.await.map_err(|e| api_error(e, timeout))?.into_inner().0;
                let parse = |value: serde_json::Value| {
                    serde_json::from_value::<T>(value.clone()).map_err(|_| field_problems::<T>(value))
                };
                // serde would also read a struct from an array, by position; every body here is an
                // object, and the schema says so.
                if !value.is_object() {
                    return Err(ApiError::bad_request(
                        "malformed_json",
                        "the body must be a JSON object",
                    ));
                }
                let out_of_range = dates_out_of_range(&value);
                if !out_of_range.is_empty() {
                    return Err(ApiError::Validation(out_of_range));
                }
                crate::text::integral_numbers(&mut value);
                // The schema's bounds (lengths, patterns) hold for the body as sent; the rules of
                // stored text (not blank once trimmed) for what is kept. Every field either pass
                // finds wrong is named, once.
                let as_sent = parse(value.clone())?
                    .validate()
                    .err()
                    .map(|e| crate::error::field_errors(&e));
                crate::text::normalize_json(&mut value);
                let parsed = parse(value)?;
                let as_kept = parsed.validate().err().map(|e| crate::error::field_errors(&e));
                match (as_sent, as_kept) {
                    (None, None) => {}
                    (first, second) => {
                        let mut errors = first.unwrap_or_default();
                        for error in second.unwrap_or_default() {
                            if !errors.iter().any(|e| e.pointer == error.pointer) {
                                errors.push(error);
                            }
                        }
                        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
                        return Err(ApiError::Validation(errors));
                    }
                }
                Ok(parsed)
            };
            Ok(Body(parsed.await))
        })
    }
}

/// A JSON document read as a [`serde_json::Value`], except that a key repeated in one object is
/// an error: serde_json keeps the last, so `{"role": "reporter", "role": "admin"}` would be read
/// as one thing by this service and as another by a proxy or a log reader that keeps the first.
#[derive(Debug)]
pub struct Strict(pub serde_json::Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice in one object; send each field once"
                )));
            }
            let Strict(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// 422 naming every field of `value` that `T` cannot take: each required field that is missing
/// (from `T`'s schema, so all of them, where serde would stop at the first), each unknown field,
/// and each of the wrong type or value. serde stops at the first fault, so each pass names the
/// fault it meets and drops the field that holds it, and the next pass goes on past it.
pub fn field_problems<T: DeserializeOwned + ToSchema>(mut value: serde_json::Value) -> ApiError {
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(object) = value.as_object() {
        for name in required_of::<T>() {
            if !object.contains_key(&name) {
                errors.push(FieldError::new(&name, "required", format!("`{name}` is required")));
            }
        }
    }
    let fields = value.as_object().map_or(0, serde_json::Map::len);
    let mut dropped: Vec<String> = Vec::new();
    for _ in 0..=fields {
        let Err(error) = serde_path_to_error::deserialize::<_, T>(value.clone()) else {
            break;
        };
        let mut path: Vec<String> = error
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => index.to_string(),
                serde_path_to_error::Segment::Map { key } => key.clone(),
                serde_path_to_error::Segment::Enum { variant } => variant.clone(),
                serde_path_to_error::Segment::Unknown => "?".to_owned(),
            })
            .collect();
        let message = error.into_inner().to_string();
        let named = |prefix: &str| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned)
        };
        let (code, detail) = if let Some(missing) = named("missing field `") {
            path.push(missing.clone());
            ("required", format!("`{missing}` is required"))
        } else if let Some(unknown) = named("unknown field `") {
            if path.last() != Some(&unknown) {
                path.push(unknown);
            }
            ("unknown_field", message.clone())
        } else {
            ("invalid_value", message.clone())
        };
        let pointer = path.join("/");
        // A field dropped by an earlier pass is missing now, but it was named for what it held.
        let dropped_earlier = code == "required" && path.len() == 1 && dropped.contains(&path[0]);
        if !dropped_earlier && !errors.iter().any(|e| e.pointer == format!("#/{pointer}")) {
            errors.push(FieldError::new(&pointer, code, detail));
        }
        // Drop the top-level field that holds the fault, so the next pass gets past it. A missing
        // field ends the passes: there is nothing to drop, and serde names one only after it has
        // read every present field, so nothing is left to find.
        let top = match (code, path.first(), value.as_object_mut()) {
            ("required", _, _) if path.len() == 1 => None,
            (_, Some(top), Some(object)) => object.remove(top).map(|_| top.clone()),
            _ => None,
        };
        let Some(top) = top else {
            break;
        };
        dropped.push(top);
    }
    if errors.is_empty() {
        return ApiError::bad_request("malformed_json", "the body does not fit this operation's schema");
    }
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    ApiError::Validation(errors)
}

/// The required properties of `T`'s schema, when it is an object.
fn required_of<T: ToSchema>() -> Vec<String> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.required,
        _ => Vec::new(),
    }
}

/// Query parameters: parsed, then checked against the bounds the OpenAPI document states
/// (`maxLength`), both answering 400 `invalid_query`.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> FromRequest for Query<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let query = web::Query::<T>::from_request(req, payload);
        let refused = query_text_problem(req.query_string());
        Box::pin(async move {
            if let Some(detail) = refused {
                return Err(ApiError::bad_request("invalid_query", detail).into());
            }
            let parsed = query.await?.into_inner();
            parsed.validate().map_err(|errors| {
                let detail = crate::error::field_errors(&errors)
                    .into_iter()
                    .map(|e| format!("{} {}", e.pointer.trim_start_matches("#/"), e.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                ApiError::bad_request("invalid_query", detail)
            })?;
            Ok(Query(parsed))
        })
    }
}

/// What is wrong with the text of a query string, before any parameter is read: one pass over
/// its pairs, the first fault named.
/// - A name or value that is not UTF-8 once %-decoded (`?q=%ff%fe`), which a lenient decoder
///   would turn into replacement characters and read as something else than was sent.
/// - A control character: no filter value needs one, and PostgreSQL cannot even compare text
///   holding NUL; refused here, the same on both databases. The OpenAPI document says so with a
///   pattern on every text filter (`^[^\u0000-\u001F\u007F-\u009F]*$`, the characters
///   `char::is_control` matches).
/// - A date or an instant outside [`crate::dates::YEARS`].
fn query_text_problem(query: &str) -> Option<String> {
    let decoded = |text: &str| {
        let spaced = text.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .map(|text| text.into_owned())
    };
    query.split('&').filter(|pair| !pair.is_empty()).find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Ok(name), Ok(value)) = (decoded(name), decoded(value)) else {
            let shown = percent_encoding::percent_decode_str(name)
                .decode_utf8_lossy()
                .into_owned();
            return Some(format!(
                "{shown} is not UTF-8 text once its %-escapes are decoded; encode the value as UTF-8"
            ));
        };
        if value.chars().any(char::is_control) {
            return Some(format!("{name} must not contain control characters"));
        }
        crate::dates::year_out_of_range(&value).map(|problem| format!("{name}: {problem}"))
    })
}

/// Every string of a body that is a date or an instant outside [`crate::dates::YEARS`], named by
/// its pointer: caught here, once for every body, before serde reads it into a type that would
/// take `+10000-01-01`.
fn dates_out_of_range(value: &serde_json::Value) -> Vec<FieldError> {
    fn walk(value: &serde_json::Value, pointer: &str, found: &mut Vec<FieldError>) {
        let below = |step: &str| {
            if pointer.is_empty() {
                step.to_owned()
            } else {
                format!("{pointer}/{step}")
            }
        };
        match value {
            serde_json::Value::String(text) => {
                if let Some(problem) = crate::dates::year_out_of_range(text) {
                    found.push(FieldError::new(pointer, "date_out_of_range", problem));
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &below(&i.to_string()), found);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    let key = key.replace('~', "~0").replace('/', "~1");
                    walk(item, &below(&key), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, "", &mut found);
    found
}

/// The problem a JSON payload error is.
fn payload_problem(error: &JsonPayloadError, timeout: std::time::Duration) -> ApiError {
    match error {
        JsonPayloadError::Payload(e) => super::body_guard::problem(e, timeout),
        JsonPayloadError::OverflowKnownLength { limit, .. } | JsonPayloadError::Overflow { limit } => {
            ApiError::PayloadTooLarge { limit: *limit }
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send the body as JSON with `Content-Type: application/json`".to_owned())
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
        other => ApiError::bad_request("malformed_body", format!("the body could not be read: {other}")),
    }
}

/// Recover the problem from the error the JSON config's handler produced.
fn api_error(error: actix_web::Error, timeout: std::time::Duration) -> ApiError {
    match error.as_error::<JsonPayloadError>() {
        Some(payload) => payload_problem(payload, timeout),
        None => ApiError::bad_request("malformed_body", error.to_string()),
    }
}

/// Body limit, content type and problem+json errors for JSON bodies.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit)
}

/// Problem+json for query strings that do not parse (unknown `sort`, a letter where a number goes).
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _req| {
        ApiError::bad_request("invalid_query", format!("the query string does not fit: {error}")).into()
    })
}

/// Problem+json for path segments that do not parse (an id that is not an integer).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, _req| {
        ApiError::bad_request("invalid_path", format!("the path does not fit: {error}")).into()
    })
}
