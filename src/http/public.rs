//! Operations that answer without signing in (trainees' links, certificate verification). Each
//! request counts against two limits, shared by every worker: one per client address, high enough
//! for a class answering together behind one office's address, and one per link (or certificate
//! number), from any address. Past either the answer is 429 with `Retry-After`, so a link's token
//! or a certificate's code cannot be guessed at speed, and one link cannot be hammered.

use std::future::{Ready, ready};
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

/// The shared limits on unauthenticated requests.
pub struct PublicLimit {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    /// Keyed by a keyed hash of the link's token (or the certificate number): the limiter holds
    /// no live token, and its keys stay small.
    per_link: DefaultKeyedRateLimiter<u64>,
    hasher: std::hash::RandomState,
}

impl PublicLimit {
    /// `per_address` requests a minute per client address and `per_link` per link, each in bursts
    /// of as many.
    pub fn per_minute(per_address: u32, per_link: u32) -> PublicLimit {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        PublicLimit {
            per_address: RateLimiter::keyed(quota(per_address)),
            per_link: RateLimiter::keyed(quota(per_link)),
            hasher: std::hash::RandomState::new(),
        }
    }

    /// What a request counts against besides its address: the `{token}` of its path, or the
    /// certificate `number` it verifies.
    fn link_of(&self, req: &HttpRequest) -> Option<u64> {
        let link = req.match_info().get("token").map(str::to_owned).or_else(|| {
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(name, _)| name == "number")
                .map(|(_, number)| number.trim().to_uppercase())
        })?;
        Some(self.hasher.hash_one(&link))
    }
}

/// A request within its address's and its link's limits; extracted first by every public handler.
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
        // Forget keys that have been quiet for a full period, so the maps stay small.
        if limit.per_address.len() > 100_000 {
            limit.per_address.retain_recent();
        }
        if limit.per_link.len() > 100_000 {
            limit.per_link.retain_recent();
        }
        let refused = |not_until: governor::NotUntil<_>, what: &str| {
            let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1);
            ApiError::TooManyRequests {
                code: "rate_limited",
                detail: format!("too many requests {what}; retry in {wait} s"),
                retry_after_secs: wait,
            }
        };
        let address = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        if let Err(not_until) = limit.per_address.check_key(&address) {
            return ready(Err(refused(not_until, "from this address")));
        }
        if let Some(link) = limit.link_of(req)
            && let Err(not_until) = limit.per_link.check_key(&link)
        {
            return ready(Err(refused(not_until, "to this link")));
        }
        ready(Ok(Throttled))
    }
}

/// The token of a personal link (`/responses/{token}`, `/plan-links/{token}`,
/// `/checkpoint-links/{token}`, `/supervisor-links/{token}`, `/calendar-feeds/{token}`), as a path
/// parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinkToken {
    /// The token from the link (43 characters).
    #[param(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    token: String,
}

impl LinkToken {
    /// A token read from somewhere other than the path's `{token}` (a feed's `/f/{token}.ics`).
    pub fn of(token: &str) -> LinkToken {
        LinkToken {
            token: token.to_owned(),
        }
    }

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
