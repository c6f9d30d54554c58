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
