//! Accounts' secrets, below every feature: signing keys and tokens, password hashing on its own
//! threads, the sign-in throttle, and the per-address rate limits. Who is calling, and whether
//! their role may do what they ask, is the HTTP layer's (`http::auth`).

pub mod passwords;
pub mod rate_limit;
pub mod throttle;
pub mod tokens;
