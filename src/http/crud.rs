//! The standard operations of a resource, written once: list, create, get, change and delete of
//! any record kind that implements the traits of [`crate::resource`], each with its OpenAPI
//! operation. The route table in the route table (`app.rs`) names them, a resource at a time:
//!
//! ```ignore
//! Endpoints::of::<Partner>("partners", "/partners", "/partners/{id}")
//!     .get::<Readers>("get_partner", "Get one partner.")
//! ```
//!
//! Each handler extracts, authorises (the policy `P` in `Auth<P>`), calls the resource's domain
//! function, and responds. The operation's documentation is built from the same types: its roles
//! from `P`, its parameters from the key and filter types, its bodies and their schemas from the
//! record's types. So the document cannot drift from what the handler does.

use std::marker::PhantomData;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use serde::de::DeserializeOwned;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter, ParameterIn, Paths};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponsesBuilder};
use utoipa::{IntoParams, IntoResponses, ToSchema};
use utoipa_actix_web::OpenApiFactory;
use validator::Validate;

use super::export::{self, ListFormatParams};
use super::idempotency::{self, IdempotencyKey};
use super::json::{Body, Query};
use super::pagination::{Page, PageParams};
use super::precondition::IfMatch;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Auth, Policy};
use crate::openapi;
use crate::resource::{self, Change, Create, List, Record, Remove};

pub use crate::ids::PathKey;

/// The names of a path template's parameters, in order: `/programs/{id}/partners/{partner_id}`
/// gives `id`, `partner_id`.
fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// `template` with its parameters filled in order, under `/api/v1`.
fn fill(template: &str, key: impl PathKey) -> String {
    let mut values = key.values().into_iter();
    let path = template
        .split('/')
        .map(|segment| match segment.starts_with('{') {
            true => values.next().unwrap_or_default(),
            false => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    format!("/api/v1{path}")
}

/// The documented path parameters of `template`, filled by a `K`; `None` when it has none. The
/// route table is built at start-up: a template whose parameters a `K` does not fill one to one
/// is a mistake there, and stops it.
fn path_params<K: PathKey>(template: &str) -> Option<Vec<Parameter>> {
    assert_eq!(
        placeholders(template).count(),
        K::labels().len(),
        "{template}: its parameters and the key that fills them do not match"
    );
    let parameters = placeholders(template)
        .zip(K::labels())
        .map(|(name, label)| openapi::id_parameter(name, label))
        .collect::<Vec<_>>();
    (!parameters.is_empty()).then_some(parameters)
}

/// The path template of a record's own URL, for the `Location` of a create; kept on the
/// create's route.
#[derive(Debug, Clone, Copy)]
struct ItemPath(&'static str);

/// One operation: its route and its documentation.
struct Endpoint {
    path: &'static str,
    method: HttpMethod,
    operation: Operation,
    schemas: Vec<(String, RefOr<Schema>)>,
    route: actix_web::Resource,
}

/// The standard operations of one record kind, for the route table.
pub struct Endpoints<R> {
    tag: &'static str,
    collection: &'static str,
    item: &'static str,
    endpoints: Vec<Endpoint>,
    _kind: PhantomData<R>,
}

impl<R: ToSchema> Endpoints<R> {
    /// The operations of `R`, documented under `tag`, served at `collection` (list, create) and
    /// `item` (get, change, delete).
    pub fn of(tag: &'static str, collection: &'static str, item: &'static str) -> Self {
        for path in [collection, item] {
            let well_formed = path
                .split('/')
                .all(|segment| !segment.contains(['{', '}']) || (segment.starts_with('{') && segment.ends_with('}')));
            assert!(
                well_formed,
                "{path}: a parameter takes a whole segment, such as `{{id}}`"
            );
        }
        Self {
            tag,
            collection,
            item,
            endpoints: Vec::new(),
            _kind: PhantomData,
        }
    }

    fn push<P: Policy>(
        mut self,
        method: Method,
        path: &'static str,
        operation: OperationBuilder,
        schemas: Vec<(String, RefOr<Schema>)>,
        route: actix_web::Resource,
    ) -> Self {
        // Guarded by method, as actix's `#[get]` and friends do: a request with another method
        // falls through to the next route, and in the end to the 405 that lists the allowed ones.
        let route = route.guard(guard::Method(method.clone()));
        let http_method = match method {
            Method::POST => HttpMethod::Post,
            Method::PATCH => HttpMethod::Patch,
            Method::DELETE => HttpMethod::Delete,
            _ => HttpMethod::Get,
        };
        let roles = P::ROLES.iter().map(|role| role.as_str());
        let operation = operation
            .tag(self.tag)
            .security(SecurityRequirement::new("bearer_auth", roles))
            .build();
        self.endpoints.push(Endpoint {
            path,
            method: http_method,
            operation,
            schemas,
            route,
        });
        self
    }
}

impl<R: Record + ToSchema> Endpoints<R> {
    /// `GET` the item, for roles `P`.
    pub fn get<P: Policy + 'static>(self, id: &'static str, summary: &'static str) -> Self
    where
        R::Key: PathKey,
    {
        let item = self.item;
        let operation = described(id, summary)
            .parameters(path_params::<R::Key>(item))
            .responses(responses::<openapi::Found<R>>());
        let route = web::resource(item).to(get::<R, P>);
        self.push::<P>(Method::GET, item, operation, body_schemas::<R>(), route)
    }

    /// `DELETE` the item, for roles `P`.
    pub fn delete<P: Policy + 'static>(self, id: &'static str, summary: &'static str) -> Self
    where
        R: Remove,
        R::Key: PathKey,
    {
        let item = self.item;
        let operation = described(id, summary)
            .parameters(Some(with_if_match(path_params::<R::Key>(item))))
            .responses(responses::<openapi::Deleted>());
        let route = web::resource(item).to(delete::<R, P>);
        self.push::<P>(Method::DELETE, item, operation, Vec::new(), route)
    }
}

impl<R> Endpoints<R>
where
    R: Change + ToSchema,
    R::Key: PathKey,
    R::Change: DeserializeOwned + Validate + ToSchema,
{
    /// `PATCH` the item, for roles `P`.
    pub fn update<P: Policy + 'static>(self, id: &'static str, summary: &'static str) -> Self {
        let item = self.item;
        let operation = described(id, summary)
            .parameters(Some(with_if_match(path_params::<R::Key>(item))))
            .request_body(Some(json_body::<R::Change>()))
            .responses(responses::<openapi::Changed<R>>());
        let mut schemas = body_schemas::<R::Change>();
        schemas.extend(body_schemas::<R>());
        let route = web::resource(item).to(update::<R, P>);
        self.push::<P>(Method::PATCH, item, operation, schemas, route)
    }
}

impl<R> Endpoints<R>
where
    R: List + ToSchema,
    <R as List>::Parent: PathKey,
    R::Filters: DeserializeOwned + Validate + IntoParams,
{
    /// `GET` the collection, a page at a time, for roles `P`.
    pub fn list<P: Policy + 'static>(self, id: &'static str, summary: &'static str) -> Self {
        let collection = self.collection;
        let mut parameters = path_params::<<R as List>::Parent>(collection).unwrap_or_default();
        parameters.extend(R::Filters::into_params(|| Some(ParameterIn::Query)));
        parameters.extend(PageParams::into_params(|| Some(ParameterIn::Query)));
        parameters.extend(ListFormatParams::into_params(|| Some(ParameterIn::Query)));
        let page = format!("{}_{}", Page::<R>::name(), R::name());
        let mut listed = <openapi::ListErrors as IntoResponses>::responses();
        let success = openapi::json_response(format!("A page of {}", R::NOUNS), &page)
            .content(
                "text/csv",
                openapi::text_content("Every matching row (not one page), a header row of the JSON field names first"),
            )
            .header(
                "Link",
                openapi::text_header("`<…>; rel=\"next\"` while more remain (JSON)"),
            );
        listed.insert("200".to_owned(), success.build().into());
        let operation = described(id, summary)
            .parameters(Some(parameters))
            .responses(ResponsesBuilder::new().responses_from_iter(listed));
        // As utoipa's own `body = Page<R>` does: the page's schema with `R`'s inlined.
        let mut schemas = vec![(
            page,
            <Page<R> as utoipa::__dev::ComposeSchema>::compose(vec![R::schema()]),
        )];
        schemas.extend(body_schemas::<R>());
        let route = web::resource(collection).to(list::<R, P>);
        self.push::<P>(Method::GET, collection, operation, schemas, route)
    }
}

impl<R> Endpoints<R>
where
    R: Create + ToSchema,
    R::Key: PathKey,
    <R as Create>::Parent: PathKey,
    R::New: DeserializeOwned + Validate + ToSchema,
{
    /// `POST` to the collection: 201 with `Location` and `ETag`, the parent from the path, the
    /// caller from the token, honouring `Idempotency-Key`: a retry (after a timeout, a restart)
    /// with the same key and body gets the first answer, not a second record.
    pub fn create<P: Policy + 'static>(self, id: &'static str, summary: &'static str) -> Self
    where
        R::New: serde::Serialize,
    {
        let mut parameters = path_params::<<R as Create>::Parent>(self.collection).unwrap_or_default();
        parameters.extend(openapi::IdempotencyHeader::into_params(|| None));
        let route = web::resource(self.collection).to(create::<R, P>);
        self.post::<P>(id, summary, Some(parameters), route)
    }

    fn post<P: Policy>(
        self,
        id: &'static str,
        summary: &'static str,
        parameters: Option<Vec<Parameter>>,
        route: actix_web::Resource,
    ) -> Self {
        let operation = described(id, summary)
            .parameters(parameters)
            .request_body(Some(json_body::<R::New>()))
            .responses(responses::<openapi::Created<R>>());
        let mut schemas = body_schemas::<R::New>();
        schemas.extend(body_schemas::<R>());
        let (collection, item) = (self.collection, self.item);
        self.push::<P>(
            Method::POST,
            collection,
            operation,
            schemas,
            route.app_data(ItemPath(item)),
        )
    }
}

/// An operation with its id and summary (utoipa puts a handler's whole doc comment there).
fn described(id: &'static str, summary: &'static str) -> OperationBuilder {
    OperationBuilder::new().summary(Some(summary)).operation_id(Some(id))
}

/// The responses `E` documents.
fn responses<E: IntoResponses>() -> ResponsesBuilder {
    ResponsesBuilder::new().responses_from_iter(E::responses())
}

/// A required JSON request body of type `T`.
fn json_body<T: ToSchema>() -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(T::name())))
                .build(),
        )
        .required(Some(Required::True))
        .build()
}

/// The `If-Match` header after the path parameters of a change or delete.
fn with_if_match(parameters: Option<Vec<Parameter>>) -> Vec<Parameter> {
    let mut parameters = parameters.unwrap_or_default();
    parameters.extend(openapi::IfMatchHeader::into_params(|| None));
    parameters
}

/// The schema of body type `T` and those it refers to, for the document's components.
fn body_schemas<T: ToSchema>() -> Vec<(String, RefOr<Schema>)> {
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    schemas
}

impl<R: 'static> HttpServiceFactory for Endpoints<R> {
    fn register(self, config: &mut AppService) {
        for endpoint in self.endpoints {
            endpoint.route.register(config);
        }
    }
}

impl<R> OpenApiFactory for Endpoints<R> {
    fn paths(&self) -> Paths {
        let mut paths = Paths::new();
        for endpoint in &self.endpoints {
            paths.add_path_operation(endpoint.path, vec![endpoint.method.clone()], endpoint.operation.clone());
        }
        paths
    }

    fn schemas(&self, schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for endpoint in &self.endpoints {
            schemas.extend(endpoint.schemas.iter().cloned());
        }
    }
}

// The handlers. Each extracts what the operation takes, in the order the hand-written handlers
// always did, and then, on the connection its domain function uses, checks the caller's account
// first: a caller who may not call the operation learns nothing more, not even what is wrong with
// its body.

async fn list<R, P>(
    auth: Auth<P>,
    db: web::Data<Db>,
    req: HttpRequest,
    parent: web::Path<<R as List>::Parent>,
    filters: Query<R::Filters>,
    page: Query<PageParams>,
    format: Query<ListFormatParams>,
) -> ApiResult<HttpResponse>
where
    R: List + ToSchema,
    <R as List>::Parent: PathKey,
    R::Filters: DeserializeOwned + Validate + Clone,
    P: Policy + 'static,
{
    let chosen = format.choose(&req)?;
    let paging = page.into_inner().paging()?;
    let (parent, filters) = (parent.into_inner(), filters.0);
    export::list_response(
        db,
        &req,
        chosen,
        R::NOUNS,
        paging,
        move |conn| Ok(auth.check(conn)?.caller),
        move |conn, caller, paging| R::list(conn, caller, parent, filters.clone(), paging),
    )
    .await
}

async fn create<R, P>(
    auth: Auth<P>,
    db: web::Data<Db>,
    req: HttpRequest,
    parent: web::Path<<R as Create>::Parent>,
    key: IdempotencyKey,
    body: Body<R::New>,
) -> ApiResult<HttpResponse>
where
    R: Create,
    R::Key: PathKey,
    <R as Create>::Parent: PathKey,
    R::New: DeserializeOwned + serde::Serialize + Validate,
    P: Policy + 'static,
{
    let (head, parent) = (idempotency::RequestHead::of(&req), parent.into_inner());
    let template = req.app_data::<ItemPath>().map_or("", |path| path.0);
    let outcome = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            let new = body.get()?;
            let fingerprint = head.fingerprint(&serde_json::to_vec(&new).map_err(ApiError::internal)?);
            let work = |conn: &mut _| resource::create_for::<R>(conn, &signed.caller, &signed.actor, parent, new);
            let location = |r: &R| Some(fill(template, r.key()));
            let user = signed.caller.id();
            idempotency::run(conn, &key, user, &fingerprint, StatusCode::CREATED, location, work)
        })
        .await?;
    Ok(outcome.respond(|r| super::created(fill(template, r.key()), &r, r.version())))
}

async fn get<R: Record, P: Policy + 'static>(
    auth: Auth<P>,
    db: web::Data<Db>,
    key: web::Path<R::Key>,
) -> ApiResult<HttpResponse>
where
    R::Key: PathKey,
{
    let key = key.into_inner();
    let record = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            R::find_visible(conn, &signed.caller, key)
        })
        .await?;
    Ok(super::ok_with_etag(&record, record.version()))
}

async fn update<R, P>(
    auth: Auth<P>,
    db: web::Data<Db>,
    key: web::Path<R::Key>,
    if_match: IfMatch,
    body: Body<R::Change>,
) -> ApiResult<HttpResponse>
where
    R: Change,
    R::Key: PathKey,
    R::Change: DeserializeOwned + Validate,
    P: Policy + 'static,
{
    let key = key.into_inner();
    let record = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            // A caller changes only what it may see (a liaison, its partner's records).
            R::find_visible(conn, &signed.caller, key)?;
            resource::change_for::<R>(conn, &signed.caller, &signed.actor, key, &if_match, body.get()?)
                .map(|changed| changed.shown_to(&signed.caller))
        })
        .await?;
    Ok(super::ok_with_etag(&record, record.version()))
}

async fn delete<R, P>(
    auth: Auth<P>,
    db: web::Data<Db>,
    key: web::Path<R::Key>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse>
where
    R: Remove,
    R::Key: PathKey,
    P: Policy + 'static,
{
    let key = key.into_inner();
    db.write(move |conn| {
        let signed = auth.check(conn)?;
        resource::remove::<R>(conn, &signed.actor, key, &if_match)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
