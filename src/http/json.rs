//! The JSON body extractor and the parse-error handlers for bodies, queries and paths.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::messages::Params;

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
                // serde would also read a struct from an array, by position; every body here is an
                // object, and the schema says so.
                if !value.is_object() {
                    return Err(ApiError::bad_request(
                        "malformed_json",
                        "the body must be a JSON object",
                    ));
                }
                let mut problems = Problems::default();
                problems.add(dates_out_of_range(&value));
                crate::text::integral_numbers(&mut value);
                // The schema's bounds (lengths, patterns) hold for the body as sent; the rules of
                // stored text (not blank once trimmed) for what is kept. Every field either pass
                // finds wrong is named, once.
                problems.add(read::<T>(value.clone()).err().unwrap_or_default());
                crate::text::normalize_json(&mut value);
                match read::<T>(value) {
                    Ok(parsed) if problems.0.is_empty() => Ok(parsed),
                    Ok(_) => Err(problems.into_error()),
                    Err(found) => {
                        problems.add(found);
                        Err(problems.into_error())
                    }
                }
            };
            Ok(Body(parsed.await))
        })
    }
}

/// Field problems gathered from several passes over one request, one per pointer (the first
/// found wins: a date out of range says more than the type error it would also give).
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, found: Vec<FieldError>) {
        for error in found {
            if !self.0.iter().any(|e| e.pointer == error.pointer) {
                self.0.push(error);
            }
        }
    }

    fn into_error(mut self) -> ApiError {
        self.0.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        ApiError::Validation(self.0)
    }
}

/// `value` read into `T` and validated exactly as a JSON body is (a page's form, turned into the
/// body the JSON operation takes, is read through here), or one 422 naming every problem.
pub fn read_value<T: DeserializeOwned + Validate + ToSchema>(value: serde_json::Value) -> ApiResult<T> {
    read(value).map_err(ApiError::Validation)
}

/// `value` read into `T` and validated, or every problem found on the way: those serde finds
/// (see [`field_problems`]) and those `validate()` finds, together.
fn read<T: DeserializeOwned + Validate + ToSchema>(value: serde_json::Value) -> Result<T, Vec<FieldError>> {
    match serde_json::from_value::<T>(value.clone()) {
        Ok(parsed) => match parsed.validate() {
            Ok(()) => Ok(parsed),
            Err(errors) => Err(crate::error::field_errors(&errors)),
        },
        Err(_) => Err(every_problem::<T>(value)),
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

/// 422 naming every field of `value` that `T` cannot take: each required field that is missing,
/// at any depth (from `T`'s schema, so all of them, where serde would stop at the first), each
/// unknown field, and each of the wrong type or value, in words that name what the field
/// accepts.
pub fn field_problems<T: DeserializeOwned + Validate + ToSchema>(value: serde_json::Value) -> ApiError {
    let errors = every_problem::<T>(value);
    if errors.is_empty() {
        return ApiError::bad_request("malformed_json", "the body does not fit this operation's schema");
    }
    ApiError::Validation(errors)
}

/// The most faults [`every_problem`] and [`read_query`] read past, one pass each: enough to name
/// every fault a person makes in a form, few enough that a hostile body of thousands of bad
/// entries is answered at once.
const MOST_PASSES: usize = 20;

/// Every problem of `value` as a `T`. serde stops at the first fault, so each pass names the
/// fault it meets and takes out the value that holds it (a field, or a list's entry), and the
/// next pass goes on past it; what is left, once it reads, is validated too, so that a bad date
/// and a text too long are named in the same answer.
fn every_problem<T: DeserializeOwned + Validate + ToSchema>(mut value: serde_json::Value) -> Vec<FieldError> {
    let schemas = Schemas::of::<T>();
    let mut errors = schemas.missing(&value);
    let mut taken = Taken::default();
    // Each pass reads the whole body again: bounded, so that a body of thousands of bad entries
    // costs a few dozen reads rather than one per entry (which took minutes).
    let passes = leaves(&value).min(MOST_PASSES) + 1;
    for _ in 0..passes {
        let Err(error) = serde_path_to_error::deserialize::<_, T>(value.clone()) else {
            break;
        };
        let path: Vec<String> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = error.into_inner().to_string();
        let (mut at, found) = serde_problem(&schemas, &value, &path, &message, &taken);
        let original = taken.original(&path);
        let missing = found.code == "required";
        let pointer = format!("#/{}", original.join("/"));
        // A field taken out by an earlier pass is missing now, but it was named for what it held.
        if !taken.holds(&pointer) && !errors.iter().any(|e| e.pointer == pointer) {
            errors.push(found);
        }
        // A missing field is named after every present one of its object was read: take the
        // whole object out. Anything else: take out the value at fault.
        if missing {
            at.pop();
        }
        if at.is_empty() || !taken.take(&mut value, &at) {
            break;
        }
    }
    // What is left reads: its rules are checked too, except those about a list that lost an
    // entry here (it is not as sent).
    if let Ok(rest) = serde_json::from_value::<T>(value)
        && let Err(invalid) = rest.validate()
    {
        for error in crate::error::field_errors(&invalid) {
            let path: Vec<String> = error.field().split('/').map(str::to_owned).collect();
            let pointer = format!("#/{}", taken.original(&path).join("/"));
            let shortened = taken.shortened(&pointer);
            if !shortened && !taken.holds(&pointer) && !errors.iter().any(|e| e.pointer == pointer) {
                errors.push(FieldError { pointer, ..error });
            }
        }
    }
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    errors
}

/// What the passes of [`every_problem`] took out of a body: the pointers (as sent) of the values,
/// and for each list the indices (as sent) of its entries taken out, so that a later fault in
/// the same list is named at the index it was sent at.
#[derive(Default)]
struct Taken {
    pointers: Vec<String>,
    entries: std::collections::HashMap<String, Vec<usize>>,
}

impl Taken {
    /// `path` in the body as it is now, as it was sent.
    fn original(&self, path: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(path.len());
        for step in path {
            let list = format!("#/{}", out.join("/"));
            let step = match (self.entries.get(&list), step.parse::<usize>()) {
                (Some(gone), Ok(mut index)) => {
                    // The index-th entry still there, counting those taken out before it.
                    let mut sent = 0;
                    loop {
                        if !gone.contains(&sent) {
                            if index == 0 {
                                break;
                            }
                            index -= 1;
                        }
                        sent += 1;
                    }
                    sent.to_string()
                }
                _ => step.clone(),
            };
            out.push(step);
        }
        out
    }

    /// Whether `pointer` (as sent) was taken out, or lies within what was.
    fn holds(&self, pointer: &str) -> bool {
        self.pointers
            .iter()
            .any(|p| pointer == p || pointer.starts_with(&format!("{p}/")))
    }

    /// Whether `pointer` (as sent) is a list that lost an entry, or holds one.
    fn shortened(&self, pointer: &str) -> bool {
        self.entries
            .keys()
            .any(|list| list == pointer || list.starts_with(&format!("{pointer}/")))
    }

    /// Take the value at `path` (as it is now) out of `value`; false when there is none.
    fn take(&mut self, value: &mut serde_json::Value, path: &[String]) -> bool {
        let Some((last, parent_path)) = path.split_last() else {
            return false;
        };
        let sent = self.original(path);
        let mut parent = &mut *value;
        for step in parent_path {
            let next = match parent {
                serde_json::Value::Object(map) => map.get_mut(step),
                serde_json::Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
                _ => None,
            };
            let Some(next) = next else {
                return false;
            };
            parent = next;
        }
        let removed = match parent {
            serde_json::Value::Object(map) => map.remove(last).is_some(),
            serde_json::Value::Array(items) => match last.parse::<usize>() {
                Ok(i) if i < items.len() => {
                    items.remove(i);
                    let list = format!("#/{}", sent[..sent.len() - 1].join("/"));
                    let index = sent.last().and_then(|s| s.parse::<usize>().ok()).unwrap_or(i);
                    self.entries.entry(list).or_default().push(index);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if removed {
            self.pointers.push(format!("#/{}", sent.join("/")));
        }
        removed
    }
}

/// How many values `value` holds, to bound the passes.
fn leaves(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(leaves).sum::<usize>(),
        serde_json::Value::Object(map) => 1 + map.values().map(leaves).sum::<usize>(),
        _ => 1,
    }
}

/// The field problem serde's `message` at `path` (in the body as it is now) is, and the path of
/// the value at fault: an unknown field's own, which serde leaves out.
fn serde_problem(
    schemas: &Schemas,
    value: &serde_json::Value,
    path: &[String],
    message: &str,
    taken: &Taken,
) -> (Vec<String>, FieldError) {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    // serde lists what it would take as "expected `a` or `b`" or "expected one of `a`, `b`".
    let accepted = message
        .split_once(", expected ")
        .map(|(_, list)| list.split('`').skip(1).step_by(2).collect::<Vec<_>>().join(", "))
        .filter(|list| !list.is_empty());
    let mut at = path.to_vec();
    let mut params = Params::new();
    let code = if let Some(missing) = quoted("missing field `") {
        at.push(missing);
        "required"
    } else if let Some(unknown) = quoted("unknown field `") {
        if at.last() != Some(&unknown) {
            at.push(unknown);
        }
        if let Some(accepted) = accepted {
            params.insert("accepted".to_owned(), accepted);
        }
        "unknown_field"
    } else {
        let schema = schemas.at(&at);
        let sent = pointer_get(value, &at);
        if let Some(variant) = quoted("unknown variant `") {
            params.insert("value".to_owned(), variant);
            params.insert("expected".to_owned(), "one_of".to_owned());
            let listed = schema.and_then(|s| schemas.accepted(s)).or(accepted);
            if let Some(listed) = listed {
                params.insert("accepted".to_owned(), listed);
            }
        } else {
            if let Some(kind) = schema.and_then(|s| schemas.kind(s)) {
                params.insert("expected".to_owned(), kind.to_owned());
                if kind == "one_of"
                    && let Some(listed) = schema.and_then(|s| schemas.accepted(s))
                {
                    params.insert("accepted".to_owned(), listed);
                }
            }
            if let Some(sent) = sent {
                params.insert("value".to_owned(), shown(sent));
            }
        }
        "invalid_value"
    };
    let field = taken.original(&at).join("/");
    // A field read by a deserializer of its own (a local time, a date known to the month) says
    // in its own words how to write it; the schema only knows it is text.
    let own_words = code == "invalid_value"
        && !message.starts_with("invalid type:")
        && matches!(params.get("expected").map(String::as_str), None | Some("text"));
    if own_words {
        let detail = message.split(" at line ").next().unwrap_or(message).to_owned();
        return (
            at,
            FieldError {
                params,
                ..FieldError::new(&field, code, detail)
            },
        );
    }
    (at, FieldError::worded(&field, code, params))
}

/// A value as the message quotes it: text as it is, anything else as JSON, cut short.
fn shown(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The value at `path` in `value`.
fn pointer_get<'a>(value: &'a serde_json::Value, path: &[String]) -> Option<&'a serde_json::Value> {
    path.iter().try_fold(value, |at, step| match at {
        serde_json::Value::Object(map) => map.get(step),
        serde_json::Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A type's OpenAPI schema as JSON, with the schemas it refers to: what a field accepts, for
/// the words of its problem, and which fields are required, at every depth.
struct Schemas {
    root: serde_json::Value,
    components: std::collections::HashMap<String, serde_json::Value>,
}

impl Schemas {
    fn of<T: ToSchema>() -> Schemas {
        let mut referred = Vec::new();
        T::schemas(&mut referred);
        Schemas {
            root: serde_json::to_value(T::schema()).unwrap_or_default(),
            components: referred
                .into_iter()
                .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or_default()))
                .collect(),
        }
    }

    /// `schema` with its reference followed and a nullable alternative (`oneOf` with `null`)
    /// unwrapped.
    fn resolve<'a>(&'a self, schema: &'a serde_json::Value) -> &'a serde_json::Value {
        let mut schema = schema;
        for _ in 0..8 {
            if let Some(name) = schema
                .get("$ref")
                .and_then(serde_json::Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                && let Some(found) = self.components.get(name)
            {
                schema = found;
                continue;
            }
            let alternatives = ["oneOf", "anyOf", "allOf"]
                .iter()
                .find_map(|key| schema.get(*key).and_then(serde_json::Value::as_array));
            if let Some(alternatives) = alternatives
                && let Some(first) = alternatives
                    .iter()
                    .find(|s| s.get("type") != Some(&serde_json::json!("null")))
            {
                schema = first;
                continue;
            }
            break;
        }
        schema
    }

    /// The schema of the value at `path`.
    fn at(&self, path: &[String]) -> Option<&serde_json::Value> {
        path.iter().try_fold(self.resolve(&self.root), |schema, step| {
            let below = if step.parse::<usize>().is_ok() && schema.get("items").is_some() {
                schema.get("items")
            } else {
                schema
                    .get("properties")
                    .and_then(|p| p.get(step))
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
            };
            below.map(|s| self.resolve(s))
        })
    }

    /// The kind of value `schema` takes, as the catalogue names it (`date`, `integer`, ...).
    fn kind(&self, schema: &serde_json::Value) -> Option<&'static str> {
        if schema.get("enum").is_some() {
            return Some("one_of");
        }
        match schema.get("format").and_then(serde_json::Value::as_str) {
            Some("date") => return Some("date"),
            Some("date-time") => return Some("date_time"),
            _ => {}
        }
        let kind = match schema.get("type") {
            Some(serde_json::Value::String(kind)) => kind.as_str(),
            Some(serde_json::Value::Array(kinds)) => kinds
                .iter()
                .filter_map(serde_json::Value::as_str)
                .find(|k| *k != "null")?,
            _ => return None,
        };
        Some(match kind {
            "integer" => "integer",
            "number" => "number",
            "boolean" => "boolean",
            "string" => "text",
            "array" => "list",
            "object" => "object",
            _ => return None,
        })
    }

    /// The values an enumerated `schema` accepts, listed.
    fn accepted(&self, schema: &serde_json::Value) -> Option<String> {
        let values: Vec<&str> = schema
            .get("enum")?
            .as_array()?
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// Every required field that `value` leaves out, at any depth.
    fn missing(&self, value: &serde_json::Value) -> Vec<FieldError> {
        let mut found = Vec::new();
        self.walk(self.resolve(&self.root), value, "", &mut found);
        found
    }

    fn walk(&self, schema: &serde_json::Value, value: &serde_json::Value, at: &str, found: &mut Vec<FieldError>) {
        let below = |step: &str| {
            if at.is_empty() {
                step.to_owned()
            } else {
                format!("{at}/{step}")
            }
        };
        match value {
            serde_json::Value::Object(map) => {
                let required = schema.get("required").and_then(serde_json::Value::as_array);
                for name in required.into_iter().flatten().filter_map(serde_json::Value::as_str) {
                    if !map.contains_key(name) {
                        found.push(FieldError::worded(&below(name), "required", Params::new()));
                    }
                }
                for (key, item) in map {
                    let property = schema
                        .get("properties")
                        .and_then(|p| p.get(key))
                        .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                    if let Some(property) = property {
                        self.walk(self.resolve(property), item, &below(key), found);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                if let Some(each) = schema.get("items") {
                    let each = self.resolve(each);
                    for (i, item) in items.iter().enumerate() {
                        self.walk(each, item, &below(&i.to_string()), found);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Query parameters: parsed, then checked against the bounds the OpenAPI document states
/// (`maxLength`), both answering 400 `invalid_query` with every parameter at fault in `errors`
/// (each missing, unknown or ill-typed one, and each out of bounds), worded as a body's are.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The parameters read.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> FromRequest for Query<T>
where
    T: DeserializeOwned + Validate + IntoParams + 'static,
{
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string();
        let read = match query_text_problem(query) {
            Some(detail) => Err(ApiError::bad_request("invalid_query", detail)),
            None => read_query::<T>(query).map(Query).map_err(ApiError::InvalidQuery),
        };
        std::future::ready(read.map_err(Into::into))
    }
}

/// `query` read into `T` and validated, or every problem found on the way, as
/// [`every_problem`] finds those of a body: a parameter at fault is taken out and the next pass
/// goes on past it.
fn read_query<T: DeserializeOwned + Validate + IntoParams>(query: &str) -> Result<T, Vec<FieldError>> {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let declared = T::into_params(|| None);
    let mut errors: Vec<FieldError> = declared
        .iter()
        .filter(|p| p.required == utoipa::openapi::Required::True && !pairs.iter().any(|(name, _)| name == &p.name))
        .map(|p| FieldError::worded(&p.name, "required", Params::new()))
        .collect();
    let schemas = Schemas {
        root: serde_json::json!({
            "type": "object",
            "properties": declared
                .iter()
                .map(|p| (p.name.clone(), serde_json::to_value(&p.schema).unwrap_or_default()))
                .collect::<serde_json::Map<_, _>>(),
        }),
        components: std::collections::HashMap::new(),
    };
    let mut taken = Vec::new();
    for _ in 0..=pairs.len().min(MOST_PASSES) {
        let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let read = serde_path_to_error::deserialize::<_, T>(serde_urlencoded::Deserializer::new(
            url::form_urlencoded::parse(encoded.as_bytes()),
        ));
        let error = match read {
            Ok(parsed) => {
                if let Err(invalid) = parsed.validate() {
                    let found = crate::error::field_errors(&invalid);
                    errors.extend(found.into_iter().filter(|f| !taken.contains(&f.pointer)));
                }
                if errors.is_empty() {
                    return Ok(parsed);
                }
                break;
            }
            Err(error) => error,
        };
        let path: Vec<String> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .take(1)
            .collect();
        let message = error.into_inner().to_string();
        let sent = serde_json::Value::Object(
            pairs
                .iter()
                .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
                .collect(),
        );
        let (at, found) = serde_problem(&schemas, &sent, &path, &message, &Taken::default());
        if !errors.iter().any(|e| e.pointer == found.pointer) {
            errors.push(found);
        }
        let Some(name) = at.first() else {
            break;
        };
        let before = pairs.len();
        pairs.retain(|(key, _)| key != name);
        if pairs.len() == before {
            break;
        }
        taken.push(format!("#/{name}"));
    }
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    Err(errors)
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
        // serde's own words, without actix's "Query deserialize error:" before them; every
        // handler of this service reads its query with [`Query`], which names the parameter.
        let detail = match &error {
            QueryPayloadError::Deserialize(inner) => inner.to_string(),
            other => other.to_string(),
        };
        ApiError::bad_request("invalid_query", format!("the query string does not fit: {detail}")).into()
    })
}

/// Problem+json for path segments that do not parse (an id that is not an integer).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, _req| {
        ApiError::bad_request("invalid_path", format!("the path does not fit: {error}")).into()
    })
}
