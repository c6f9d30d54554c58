//! The language a personal link answers its problems in.
//!
//! A trainee opens a questionnaire, a plan or a checkpoint report through a link, without an
//! account, and reads Vietnamese. Every endpoint of such a link is wrapped in
//! [`link_language`]: its problems (a 422's every field, a spent link's 404, a 429) are worded
//! from the message catalogue (`crate::messages`) in Vietnamese, or in English when the
//! request's `Accept-Language` prefers it, and say which in `Content-Language`. The codes,
//! pointers and params stay the same in both, so a page can word them itself. Every other
//! endpoint answers in English.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::middleware::Next;

use crate::error::ApiError;
use crate::messages::Lang;

/// Middleware for the endpoints of a personal link: a problem is answered again, worded in the
/// reader's language ([`Lang::from_accept_language`]: Vietnamese unless English is preferred).
pub async fn link_language(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let lang = Lang::from_accept_language(req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let response = next.call(req).await?;
    let worded = response
        .response()
        .error()
        .and_then(|error| error.as_error::<ApiError>())
        .map(|problem| problem.response_in(lang));
    Ok(match worded {
        Some(worded) => response.into_response(worded).map_into_right_body(),
        None => response.map_into_left_body(),
    })
}
