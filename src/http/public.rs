//! Operations that answer without signing in (trainees' links, certificate verification). Each
//! request counts against a limit per client address, shared by every worker; past it the answer
//! is 429 with `Retry-After`, so a link's token or a certificate's code cannot be guessed at speed.

use std::future::{Ready, ready};
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

/// The shared limit on unauthenticated requests.
pub struct PublicLimit(DefaultKeyedRateLimiter<IpAddr>);

impl PublicLimit {
    /// `per_minute` requests a minute per address, in bursts of as many.
    pub fn per_minute(per_minute: u32) -> PublicLimit {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        PublicLimit(RateLimiter::keyed(Quota::per_minute(per_minute)))
    }
}

/// A request within its address's limit; extracted first by every public handler.
#[derive(Debug)]
pub struct Throttled;

impl FromRequest for Throttled {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(limit) = req.app_data::<web::Data<PublicLimit>>() else {
            return ready(Err(ApiError::internal(anyhow::anyhow!(
                "the public request limit is not configured"
            ))));
        };
        // Forget addresses that have been quiet for a full period, so the map stays small.
        if limit.0.len() > 100_000 {
            limit.0.retain_recent();
        }
        let address = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        ready(match limit.0.check_key(&address) {
            Ok(()) => Ok(Throttled),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1);
                Err(ApiError::TooManyRequests {
                    code: "rate_limited",
                    detail: format!("too many requests from this address; retry in {wait} s"),
                    retry_after_secs: wait,
                })
            }
        })
    }
}

/// The token of a personal link (`/responses/{token}`, `/plan-links/{token}`,
/// `/checkpoint-links/{token}`), as a path parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinkToken {
    /// The token from the link (43 characters).
    #[param(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    token: String,
}

impl LinkToken {
    /// The token, or 404 when it cannot be one (a link cut short when copied).
    pub fn checked(self) -> ApiResult<String> {
        let well_formed = self.token.len() == 43
            && self
                .token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(self.token)
        } else {
            Err(ApiError::NotFound(
                "this link is not valid: check that it was copied whole".to_owned(),
            ))
        }
    }
}

/// The language a trainee reads a personal link's page in: Vietnamese unless `?lang=en`. Every
/// link (a questionnaire, an action plan, a checkpoint) takes it, so a page shows one language.
#[derive(Debug, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct Language {
    /// `vi` (the default) or `en`.
    #[param(pattern = "^(vi|en)$")]
    lang: Option<String>,
}

impl Language {
    /// Whether English was asked for; 400 naming the two offered for anything else.
    pub fn english(&self) -> ApiResult<bool> {
        match self.lang.as_deref() {
            None | Some("vi") => Ok(false),
            Some("en") => Ok(true),
            Some(other) => Err(ApiError::bad_request(
                "invalid_query",
                format!("lang `{other}` is not offered: vi or en"),
            )),
        }
    }
}
