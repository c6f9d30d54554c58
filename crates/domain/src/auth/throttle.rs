//! Failed sign-ins, throttled per email typed and client address, following the OWASP
//! Authentication Cheat Sheet ("account lockout": throttle rather than lock, so that an attacker
//! cannot lock a user out; answer alike whether or not the account exists).
//!
//! - The count is kept for the pair (email as typed, folded to its key; client address). After
//!   [`FREE_FAILURES`] failures in a row, the pair must wait before its next attempt: 30 s, then
//!   twice as long after each further failure, up to `TPMS_LOCKOUT_SECS`. While it waits, every
//!   attempt of that pair, the right password included, is 429 `too_many_failures` with
//!   `Retry-After`. A success clears the pair.
//! - An email with no account is counted and delayed exactly like one with an account, so the
//!   answers (401, then 429 at the same attempt, with the same wait) tell nothing about which
//!   emails have accounts.
//! - The same user at another address is not delayed: five wrong passwords from an attacker's
//!   address cost the attacker, not the admin. Guessing from many addresses is slowed by the
//!   per-address rate limit (`TPMS_LOGIN_ATTEMPTS_PER_MINUTE`) and by the password rules.
//! - An admin lifts every delay of an account (`POST /api/v1/users/{id}/unlock`).
//! - The counts live in the database (`sign_in_throttle`), so that every app server behind one
//!   database sees the same ones; a pair untouched for a day is forgotten.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::schema::sign_in_throttle;

/// Failures in a row a pair may have before it must wait.
pub const FREE_FAILURES: i32 = 5;

/// The first wait, doubled after each further failure.
const FIRST_WAIT: Duration = Duration::from_secs(30);

/// How long a pair's count is kept after its last attempt.
const FORGOTTEN_AFTER: chrono::Duration = chrono::Duration::days(1);

/// One pair: the email as typed, and the client's address.
#[derive(Debug, Clone)]
pub struct Attempt {
    email_key: String,
    address: String,
}

impl Attempt {
    /// The pair for a sign-in with `email` from `address`.
    pub fn new(email: &str, address: &str) -> Self {
        Self {
            email_key: crate::text::email_key(email),
            address: address.to_owned(),
        }
    }

    /// 429 when this pair must still wait.
    pub fn check(&self, conn: &mut DbConnection) -> ApiResult<()> {
        let until: Option<Option<NaiveDateTime>> = sign_in_throttle::table
            .find((&self.email_key, &self.address))
            .select(sign_in_throttle::blocked_until)
            .lookup(conn)?;
        match until.flatten() {
            Some(until) if until > crate::clock::now() => Err(waiting(until)),
            _ => Ok(()),
        }
    }

    /// Count a failure; past [`FREE_FAILURES`], set the wait (at most `longest`).
    pub fn failed(&self, conn: &mut DbConnection, longest: Duration) -> ApiResult<()> {
        let now = crate::clock::now();
        let failures: i32 = crate::db::dialect::on_either_backend!(conn, c => diesel::insert_into(sign_in_throttle::table)
            .values((
                sign_in_throttle::email_key.eq(&self.email_key),
                sign_in_throttle::address.eq(&self.address),
                sign_in_throttle::failures.eq(1),
                sign_in_throttle::updated_at.eq(now),
            ))
            .on_conflict((sign_in_throttle::email_key, sign_in_throttle::address))
            .do_update()
            .set((
                sign_in_throttle::failures.eq(sign_in_throttle::failures + 1),
                sign_in_throttle::updated_at.eq(excluded(sign_in_throttle::updated_at)),
            ))
            .returning(sign_in_throttle::failures)
            .get_result(c))?;
        if failures >= FREE_FAILURES {
            let wait = wait_after(failures, longest);
            let until = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::minutes(15));
            diesel::update(sign_in_throttle::table.find((&self.email_key, &self.address)))
                .set(sign_in_throttle::blocked_until.eq(Some(until)))
                .execute(conn)?;
            tracing::warn!(
                failures,
                wait_secs = wait.as_secs(),
                "failed sign-ins from one address for one email"
            );
        }
        diesel::delete(sign_in_throttle::table.filter(sign_in_throttle::updated_at.lt(now - FORGOTTEN_AFTER)))
            .execute(conn)?;
        Ok(())
    }

    /// A success: the pair starts afresh.
    pub fn succeeded(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(sign_in_throttle::table.find((&self.email_key, &self.address))).execute(conn)?;
        Ok(())
    }
}

/// Lift every wait of the account signing in with `email`, at every address.
pub fn lift(conn: &mut DbConnection, email: &str) -> ApiResult<usize> {
    Ok(
        diesel::delete(sign_in_throttle::table.filter(sign_in_throttle::email_key.eq(crate::text::email_key(email))))
            .execute(conn)?,
    )
}

/// The wait after `failures` failures in a row (at least [`FREE_FAILURES`]).
fn wait_after(failures: i32, longest: Duration) -> Duration {
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(0).min(16);
    FIRST_WAIT.saturating_mul(1 << doublings).min(longest)
}

fn waiting(until: NaiveDateTime) -> ApiError {
    let secs = (until - crate::clock::now()).num_seconds().max(1);
    ApiError::TooManyRequests {
        code: "too_many_failures",
        detail: format!(
            "too many failed sign-ins for this email from this address: wait {secs} s before trying again, \
             or ask an admin to lift the wait"
        ),
        retry_after_secs: u64::try_from(secs).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_with_each_failure_up_to_the_longest() {
        let longest = Duration::from_secs(900);
        let waits: Vec<u64> = (5..=11).map(|f| wait_after(f, longest).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(wait_after(50, Duration::from_secs(2)).as_secs(), 2);
    }
}
