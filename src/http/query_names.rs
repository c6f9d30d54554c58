//! 400 `invalid_query` for a query parameter that the operation does not take: `?stauts=open`
//! would otherwise answer with every row, and `?fromat=csv` with JSON, as if all were well.
//!
//! The parameters each operation takes are read from the OpenAPI document, as the route table of
//! `fallback` is, so the check cannot drift from what the document promises. One middleware
//! checks every operation; extractors stay free to ignore what they do not read.

use std::collections::HashMap;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, ParameterIn};

use crate::error::ApiError;

/// Names any operation accepts: `_`, the cache-buster that some HTTP clients (jQuery's
/// `cache: false`, some spreadsheet connectors) add to every URL.
pub const ALWAYS_ACCEPTED: [&str; 1] = ["_"];

/// The query parameters of every documented operation that can answer 400, by method and path
/// template, and the templates themselves, to find a request's.
#[derive(Clone, Default)]
pub struct QueryNames {
    operations: HashMap<(Method, String), Vec<String>>,
    /// Each documented path template, found from a request path by a radix tree. Actix's own
    /// `match_pattern` tries every route's regular expression in turn, which cost a list request
    /// more than its database query; this finds the same template in a fraction of a microsecond.
    templates: matchit::Router<String>,
}

impl std::fmt::Debug for QueryNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryNames")
            .field("operations", &self.operations)
            .finish_non_exhaustive()
    }
}

impl QueryNames {
    /// Read from the OpenAPI document.
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut operations = HashMap::new();
        let mut templates = matchit::Router::new();
        for (path, item) in &doc.paths.paths {
            // Parameters renamed alike (`{p0}`, `{p1}`…): the tree needs one name per position,
            // and the document names the same position `{id}` on one path and `{cohort_id}` on
            // another.
            if let Err(error) = templates.insert(uniform_parameters(path), path.clone()) {
                tracing::error!(%path, %error, "a documented path cannot be told from another; its query goes unchecked");
            }
            let shared = item.parameters.iter().flatten();
            for (
                method,
                Operation {
                    parameters, responses, ..
                },
            ) in crate::openapi::operations_of(item)
            {
                // An operation whose document promises no 400 is not checked: `/health` answers
                // a load balancer whatever it appends.
                if !responses.responses.contains_key("400") {
                    continue;
                }
                let names = shared
                    .clone()
                    .chain(parameters.iter().flatten())
                    .filter_map(|p| match p {
                        RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
                        _ => None,
                    })
                    .collect();
                operations.insert((method, path.clone()), names);
            }
        }
        QueryNames { operations, templates }
    }

    /// The documented path template that `path` matches, if any.
    pub fn template_of(&self, path: &str) -> Option<&str> {
        self.templates.at(path).ok().map(|found| found.value.as_str())
    }

    /// 400 for the first name in `query` that the operation at `template` does not take; none
    /// for an operation the document does not hold (the docs pages, say).
    pub fn check(&self, method: &Method, template: &str, query: &str) -> Result<(), ApiError> {
        let Some(known) = self.operations.get(&(method.clone(), template.to_owned())) else {
            return Ok(());
        };
        let unknown = url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name)
            .find(|name| !known.iter().any(|k| k == name) && !ALWAYS_ACCEPTED.contains(&name.as_ref()));
        let Some(name) = unknown else {
            return Ok(());
        };
        let takes = match known.is_empty() {
            true => "it takes no query parameters".to_owned(),
            false => format!("it takes {}", known.join(", ")),
        };
        Err(ApiError::bad_request(
            "invalid_query",
            format!("{name} is not a query parameter of {method} {template}; {takes}"),
        ))
    }
}

/// `path` with its parameters named by position: `/programs/{id}/cohorts/{cohort_id}` becomes
/// `/programs/{p0}/cohorts/{p1}`.
fn uniform_parameters(path: &str) -> String {
    let mut position = 0;
    path.split('/')
        .map(|segment| match segment.starts_with('{') && segment.ends_with('}') {
            true => {
                position += 1;
                format!("{{p{}}}", position - 1)
            }
            false => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Middleware (for `actix_web::middleware::from_fn`): answers 400 before the handler runs.
pub async fn only_documented(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.query_string().is_empty()
        && let Some(names) = req.app_data::<web::Data<QueryNames>>()
        && let Some(template) = names.template_of(req.path())
        && let Err(error) = names.check(req.method(), template, req.query_string())
    {
        return Ok(req.error_response(error).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> QueryNames {
        let mut names = QueryNames::default();
        names.operations.insert(
            (Method::GET, "/api/v1/programs".to_owned()),
            vec!["status".to_owned(), "limit".to_owned()],
        );
        names
            .operations
            .insert((Method::GET, "/api/v1/programs/{id}".to_owned()), vec![]);
        names
    }

    #[test]
    fn a_misspelt_filter_is_named_with_the_ones_the_operation_takes() {
        let error = names()
            .check(&Method::GET, "/api/v1/programs", "stauts=open")
            .expect_err("stauts is not a filter");
        let detail = error.to_string();
        assert!(detail.contains("stauts"), "{detail}");
        assert!(detail.contains("status, limit"), "{detail}");
    }

    #[test]
    fn known_names_the_cache_buster_and_undocumented_paths_pass() {
        let names = names();
        assert!(
            names
                .check(&Method::GET, "/api/v1/programs", "status=open&limit=5&_=1")
                .is_ok()
        );
        assert!(names.check(&Method::GET, "/docs/{_:.*}", "anything=1").is_ok());
        assert!(names.check(&Method::GET, "/api/v1/programs/{id}", "x=1").is_err());
    }
}
