//! `X-Request-Id` on every response (echoed when the client sent a sane one), a tracing span per
//! request carrying that id, and one log line per request with method, path, status and latency.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

/// The header name.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, available to handlers through request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(X_REQUEST_ID)?.to_str().ok()?;
    let sane = !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
    sane.then(|| value.to_owned())
}

/// The path as logged: a trainee's personal link is a secret until used, so its token is not
/// written to the log (anyone reading the log could otherwise answer in the trainee's name).
fn loggable(path: &str) -> String {
    // The JSON links (`/api/v1/responses/{token}`) and their pages (`/r/{token}`) alike.
    for (kind, letter) in crate::links::PAGES {
        for prefix in [format!("/api/v1/{kind}/"), format!("/{letter}/")] {
            if let Some(rest) = path.strip_prefix(&prefix) {
                let tail = rest.find('/').map_or("", |i| &rest[i..]);
                return format!("{prefix}{{token}}{tail}");
            }
        }
    }
    path.to_owned()
}

/// Middleware (for `actix_web::middleware::from_fn`).
pub async fn request_id_and_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = loggable(req.path());
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();

    let result = next.call(req).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match result {
        Ok(mut response) => {
            let status = response.status().as_u16();
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(X_REQUEST_ID, value);
            }
            tracing::info!(status, latency_ms, "request");
            Ok(response)
        }
        Err(error) => {
            // Errors that escaped every handler still get their status logged; actix renders them.
            let status = error.as_response_error().status_code().as_u16();
            tracing::info!(status, latency_ms, "request");
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::loggable;

    #[test]
    fn a_personal_links_token_never_reaches_the_log() {
        assert_eq!(
            loggable("/api/v1/responses/abcDEF123/decline"),
            "/api/v1/responses/{token}/decline"
        );
        assert_eq!(loggable("/api/v1/responses/abcDEF123"), "/api/v1/responses/{token}");
        assert_eq!(
            loggable("/api/v1/checkpoint-links/abcDEF123"),
            "/api/v1/checkpoint-links/{token}"
        );
        assert_eq!(loggable("/r/abcDEF123"), "/r/{token}");
        assert_eq!(loggable("/p/abcDEF123/certificate"), "/p/{token}/certificate");
        assert_eq!(
            loggable("/api/v1/supervisor-links/abcDEF123"),
            "/api/v1/supervisor-links/{token}"
        );
        assert_eq!(
            loggable("/api/v1/calendar-feeds/abcDEF123"),
            "/api/v1/calendar-feeds/{token}"
        );
        assert_eq!(
            loggable("/f/abcDEF123.ics"),
            "/f/{token}",
            "a feed's address, extension and all"
        );
        assert_eq!(loggable("/api/v1/partners/1"), "/api/v1/partners/1");
    }
}
