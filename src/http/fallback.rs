//! Answers for requests no route takes: 405 with `Allow` when the path exists under other
//! methods, else 404. The route table is read from the OpenAPI document, so it cannot drift from
//! the routes themselves.

use actix_web::http::Method;
use actix_web::{HttpRequest, web};

use crate::error::ApiError;

/// Path templates (`/api/v1/partners/{id}`) and the methods each answers.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

impl RouteTable {
    /// Add a template with its methods.
    pub fn add(&mut self, template: &str, methods: Vec<Method>) {
        let segments = template.trim_matches('/').split('/').map(str::to_owned).collect();
        self.routes.push((segments, methods));
    }

    /// The methods a concrete path answers, if any route matches it.
    pub fn methods_for(&self, path: &str) -> Option<Vec<Method>> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut found: Vec<Method> = Vec::new();
        for (segments, methods) in &self.routes {
            let matches = segments.len() == parts.len()
                && segments
                    .iter()
                    .zip(&parts)
                    .all(|(template, part)| (template.starts_with('{') && !part.is_empty()) || template == part);
            if matches {
                found.extend(methods.iter().cloned());
            }
        }
        found.dedup();
        (!found.is_empty()).then_some(found)
    }
}

/// The default service.
pub async fn not_found_or_not_allowed(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, ApiError> {
    Err(match table.methods_for(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed { allow },
        None => ApiError::NotFound(format!("no resource at {}", req.path())),
    })
}

/// Middleware: every error the service sends is problem+json. Handlers' errors already are; this
/// catches the rest that pass through the app (a file the API docs' pages do not have, an error
/// of a library's extractor), which would otherwise go out with an empty or plain-text body.
/// Errors the HTTP layer answers before the app sees the request (a malformed request line, a
/// header too large) are answered by actix itself and are outside its reach.
pub async fn errors_as_problems(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::ResponseError;
    use actix_web::http::header;
    // Errors raised as `Err` are answered by their own `error_response`, problem+json for ours
    // (and the extractors' handlers are configured to raise ours); what is left is answers.
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(crate::error::PROBLEM_JSON.as_bytes()));
    // A page for people without accounts answers its errors as a page, in HTML.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem || is_page {
        return Ok(response);
    }
    let request = response.request().clone();
    let problem = match status.as_u16() {
        404 => ApiError::NotFound(format!("no resource at {}", request.path())),
        500..=599 => ApiError::internal(anyhow::anyhow!(
            "{} answered {status} without a problem",
            request.path()
        )),
        _ => ApiError::bad_request(
            "bad_request",
            format!("the request cannot be served as sent ({status})"),
        ),
    };
    let mut answered = problem.error_response();
    *answered.status_mut() = status;
    // Keep what the original answer said in its headers (`Allow`, `Retry-After`), not its body.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(actix_web::dev::ServiceResponse::new(request, answered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_path_with_another_method_lists_the_allowed_ones() {
        let mut table = RouteTable::default();
        table.add("/api/v1/partners/{id}", vec![Method::GET, Method::PATCH]);
        assert_eq!(
            table.methods_for("/api/v1/partners/7"),
            Some(vec![Method::GET, Method::PATCH])
        );
        assert_eq!(table.methods_for("/api/v1/partners"), None);
        assert_eq!(table.methods_for("/api/v1/partners/7/x"), None);
    }
}
