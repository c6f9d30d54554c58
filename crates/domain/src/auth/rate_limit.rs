//! Sign-in attempts per client address, limited with actix-governor; over the limit the answer is
//! 429 problem+json with `Retry-After`, like every other error.

use std::net::IpAddr;

use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor, PeerIpKeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use governor::NotUntil;
use governor::clock::{Clock, DefaultClock, QuantaInstant};
use governor::middleware::NoOpMiddleware;

use crate::error::ApiError;

/// The client address, as the peer-IP extractor sees it, answering in problem+json.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress;

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;
    type KeyExtractionError = <PeerIpKeyExtractor as KeyExtractor>::KeyExtractionError;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        PeerIpKeyExtractor.extract(req)
    }

    fn exceed_rate_limit_response(&self, negative: &NotUntil<QuantaInstant>, _: HttpResponseBuilder) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now()).as_secs().max(1);
        ApiError::TooManyRequests {
            code: "rate_limited",
            detail: format!("too many sign-in attempts from this address; retry in {wait} s"),
            retry_after_secs: wait,
        }
        .error_response()
    }
}

/// The shared limiter: `per_minute` attempts a minute per address, in bursts of as many.
pub type LoginLimit = GovernorConfig<ClientAddress, NoOpMiddleware<QuantaInstant>>;

/// Build the limiter configuration, shared by every worker.
pub fn login_limit(per_minute: u32) -> anyhow::Result<LoginLimit> {
    let per_minute = per_minute.max(1);
    GovernorConfigBuilder::default()
        .key_extractor(ClientAddress)
        .period(
            std::time::Duration::from_millis(60_000 / u64::from(per_minute)).max(std::time::Duration::from_millis(1)),
        )
        .burst_size(per_minute)
        .finish()
        .ok_or_else(|| anyhow::anyhow!("invalid value for TPMS_LOGIN_ATTEMPTS_PER_MINUTE"))
}
