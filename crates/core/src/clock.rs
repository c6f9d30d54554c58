//! The service's clock: every stored instant is UTC, to the microsecond.

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// Now, in UTC, to the microsecond (what PostgreSQL's `timestamp` keeps; SQLite then agrees).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// An instant from a request as stored: UTC, to the microsecond (as [`now`]).
pub fn utc(instant: &chrono::DateTime<Utc>) -> NaiveDateTime {
    instant.naive_utc().trunc_subsecs(6)
}
