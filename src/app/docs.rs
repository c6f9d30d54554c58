//! The OpenAPI 3.1 document, generated from the route table and the handlers' annotations.
//! `api-spec/openapi.json` is this document, committed; a test fails when the two differ.

use actix_web::http::Method;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};
use crate::http::fallback::RouteTable;
use crate::openapi::operations_of;

/// The document's fixed parts; paths and schemas are collected from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "TPMS: training-programme management service",
        description = "Programmes with foreign partners, cohorts, trainees, sessions, attendance and evaluations \
                       for the bodies that send civil servants abroad for training. Conventions: docs/api-conventions.md. \
                       Errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "MIT", identifier = "MIT"),
        contact(name = "TPMS maintainers"),
    ),
    servers((url = "/", description = "This server; every operation is under /api/v1")),
    // In the order an officer works: sign in, set up the programme, run its cohorts, evaluate,
    // follow up, report; accounts and operations last.
    tags(
        (name = "auth", description = "Sign in, rotate and revoke tokens, the caller's own account"),
        (name = "programs", description = "Cooperation programmes and the roles partners hold in them"),
        (name = "partners", description = "Partner organisations, foreign and Vietnamese"),
        (name = "contacts", description = "People at partner organisations, and the part each took in cohorts and sessions"),
        (name = "cohorts", description = "Classes of a programme: dates, capacity, status; completing one closes its waitlist"),
        (name = "sessions", description = "Lectures, visits and seminars of a cohort, with local times and speakers"),
        (name = "trainees", description = "Officials sent for training, found with or without Vietnamese diacritics"),
        (name = "enrollments", description = "Trainees' places in cohorts: seats, the waitlist, moves one or many at a time, CSV import"),
        (name = "attendance", description = "A session's attendance sheet"),
        (name = "evaluations", description = "Questionnaires, evaluation rounds, invitations, responses and results"),
        (name = "links", description = "Trainees' personal links: answer a questionnaire without an account"),
        (name = "completion", description = "A cohort's completion rule and run, and certificates"),
        (name = "follow-ups", description = "After return: action plans, follow-up checkpoints, the officer's list and outcome figures"),
        (name = "messages", description = "The outbox: mail sent to trainees and supervisors, its state, retries and cancellations"),
        (name = "costs", description = "Budget lines, expenses (and their import) and exchange rates: exact amounts in any currency"),
        (name = "reports", description = "Figures for reporters, in JSON, CSV and Excel"),
        (name = "audit", description = "Who changed what, when"),
        (name = "users", description = "Accounts (admins only)"),
        (name = "operations", description = "Liveness and readiness"),
    ),
    paths(crate::api::auth::login),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// The bearer scheme every protected operation names, with the roles it admits as scopes.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer_auth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from POST /api/v1/auth/login. The scopes listed on an operation \
                         are the roles that may call it; other roles get 403.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole document, as served and committed.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::app::routes)
        .split_for_parts();
    say_who_may_call(&mut doc);
    drop_unused_schemas(&mut doc);
    bound_years(doc)
}

/// Every date and instant the API takes or gives is in the years [`crate::dates::YEARS`]: each
/// `date` and `date-time` string in the document gets a pattern saying so, since JSON Schema has
/// no bounds for dates, and a generated client or a fuzzer should not send what will be refused.
fn bound_years(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat};
    use utoipa::openapi::{Content, RefOr};
    fn schema(item: &mut RefOr<Schema>) {
        let RefOr::T(item) = item else { return };
        match item {
            Schema::Object(object) => {
                let dated = matches!(
                    object.format,
                    Some(SchemaFormat::KnownFormat(KnownFormat::Date | KnownFormat::DateTime))
                );
                if dated && object.pattern.is_none() {
                    object.pattern = Some(crate::dates::YEARS_PATTERN.to_owned());
                }
                object.properties.values_mut().for_each(schema);
            }
            Schema::Array(array) => {
                if let ArrayItems::RefOrSchema(items) = &mut array.items {
                    schema(items);
                }
            }
            Schema::OneOf(one) => one.items.iter_mut().for_each(schema),
            Schema::AllOf(all) => all.items.iter_mut().for_each(schema),
            Schema::AnyOf(any) => any.items.iter_mut().for_each(schema),
            _ => {}
        }
    }
    fn content(item: &mut RefOr<Content>) {
        if let RefOr::T(content) = item
            && let Some(item) = &mut content.schema
        {
            schema(item);
        }
    }
    if let Some(components) = &mut doc.components {
        components.schemas.values_mut().for_each(schema);
    }
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter
                    && let Some(item) = &mut parameter.schema
                {
                    schema(item);
                }
            }
            if let Some(RefOr::T(body)) = &mut operation.request_body {
                body.content.values_mut().for_each(content);
            }
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    response.content.values_mut().for_each(content);
                }
            }
        }
    }
    doc
}

/// Every operation says who may call it, in its security and in words: an operation open to
/// anyone has an explicit empty `security` (readers and linters cannot tell "public" from
/// "forgotten" otherwise), and one without a description of its own gets one naming its roles.
fn say_who_may_call(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let roles: Vec<String> = operation
                .security
                .iter()
                .flatten()
                .filter_map(|requirement| serde_json::to_value(requirement).ok())
                .filter_map(|value| value.get("bearer_auth").cloned())
                .filter_map(|scopes| serde_json::from_value::<Vec<String>>(scopes).ok())
                .flatten()
                .collect();
            let who = match (&operation.security, roles.is_empty()) {
                (None, _) => "Anyone may call it, without signing in.".to_owned(),
                (Some(_), true) => "Any signed-in account may call it.".to_owned(),
                (Some(_), false) => format!("Who may call it: {}.", roles.join(", ")),
            };
            operation.security.get_or_insert_with(Vec::new);
            if operation.description.as_deref().is_none_or(str::is_empty) {
                let summary = operation.summary.clone().unwrap_or_default();
                operation.description = Some(format!("{summary}\n\n{who}").trim().to_owned());
            }
        }
    }
}

/// Remove the schemas nothing refers to (a record's own schema, when its list inlines it and
/// it has no single-record operation), until none is left over.
fn drop_unused_schemas(doc: &mut utoipa::openapi::OpenApi) {
    loop {
        let text = serde_json::to_string(&*doc).unwrap_or_default();
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let unused: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !text.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            components.schemas.remove(&name);
        }
    }
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

/// Every documented path with its methods, plus the docs pages, for 405 answers.
pub fn route_table(doc: &utoipa::openapi::OpenApi) -> RouteTable {
    let mut table = RouteTable::default();
    for (path, item) in &doc.paths.paths {
        table.add(path, operations_of(item).map(|(method, _)| method).collect());
    }
    table.add("/api-spec/openapi.json", vec![Method::GET]);
    table.add("/docs", vec![Method::GET]);
    table
}

/// The documentation page (`/docs/`): Swagger UI's own page, titled for TPMS rather than
/// "Swagger UI", so that a browser tab or a bookmark says what it is.
pub async fn docs_page() -> actix_web::HttpResponse {
    let config = std::sync::Arc::new(utoipa_swagger_ui::Config::new(["/api-spec/openapi.json"]));
    match utoipa_swagger_ui::serve("index.html", config) {
        Ok(Some(file)) => {
            let page = String::from_utf8_lossy(&file.bytes).replace(
                "<title>Swagger UI</title>",
                "<title>TPMS API: training-programme management service</title>",
            );
            actix_web::HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(page)
        }
        _ => actix_web::HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_path_is_found_from_a_request_path_like_it() {
        let doc = document();
        let names = crate::http::query_names::QueryNames::of(&doc);
        for template in doc.paths.paths.keys() {
            let request_path = template
                .split('/')
                .map(|segment| if segment.starts_with('{') { "17" } else { segment })
                .collect::<Vec<_>>()
                .join("/");
            assert_eq!(
                names.template_of(&request_path),
                Some(template.as_str()),
                "{request_path}"
            );
        }
        assert_eq!(names.template_of("/api/v1/no-such-thing"), None);
    }
}
