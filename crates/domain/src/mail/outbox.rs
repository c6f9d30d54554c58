//! The sender's side of the outbox: claim due messages, then record what became of each.
//!
//! Delivery is at least once, made as close to exactly once as SMTP allows: a message is claimed
//! for a lease ([`claim`]) in its own short transaction, sent, and marked [`sent`] at once. A
//! server that stops before sending loses nothing (its lease runs out and any server sends the
//! message); two servers never hold one message at a time (PostgreSQL's `SKIP LOCKED`, SQLite's
//! single writer). Only a server that dies after the mail server accepted a message and before
//! the mark (a window of one `UPDATE`) sends that message again when its lease ends, with the
//! same `Message-ID`, so the receiving side can see it is a copy.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::MessageState;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::MessageId;
use crate::schema::messages;

/// A claimed message, with everything needed to send it.
#[derive(Debug, Clone, Queryable)]
pub struct Claimed {
    /// Id.
    pub id: MessageId,
    /// The language it is written in (`vi` or `en`), for the HTML alternative's `lang`.
    pub language: String,
    /// The recipient's name.
    pub recipient_name: String,
    /// The recipient's address.
    pub recipient_email: Option<String>,
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The calendar to attach.
    pub calendar: Option<String>,
    /// The `Message-ID` header.
    pub message_id: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// Claim up to `limit` due messages for sender `by` for `lease`. Run it in a write transaction
/// of its own (`Db::write`), so that the claim is committed before anything is sent.
pub fn claim(conn: &mut DbConnection, by: &str, lease: TimeDelta, limit: i64) -> ApiResult<Vec<Claimed>> {
    let now = crate::clock::now();
    let ids = crate::db::dialect::claim_messages(conn, by, now, now + lease, limit)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(messages::table
        .filter(messages::id.eq_any(&ids))
        .filter(messages::claimed_by.eq(by))
        .order(messages::id)
        .select((
            messages::id,
            messages::language,
            messages::recipient_name,
            messages::recipient_email,
            messages::subject,
            messages::body,
            messages::calendar,
            messages::message_id,
            messages::attempts,
        ))
        .load(conn)?)
}

/// The mail server accepted message `id`. Recorded as sent even if an officer cancelled it
/// meanwhile: it was.
pub fn sent(conn: &mut DbConnection, id: MessageId, by: &str) -> ApiResult<()> {
    let now = crate::clock::now();
    diesel::update(messages::table.find(id).filter(messages::claimed_by.eq(by)))
        .set((
            messages::state.eq(MessageState::Sent),
            messages::sent_at.eq(now),
            messages::claimed_until.eq(None::<NaiveDateTime>),
            messages::claimed_by.eq(None::<String>),
            messages::error.eq(None::<String>),
            messages::updated_at.eq(now),
            messages::version.eq(messages::version + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// Delivery of `id` failed: `retry_at` for a temporary failure (it stays queued until then), or
/// `None` for a permanent one (it is `failed`, with the reason for an officer).
pub fn failed(
    conn: &mut DbConnection,
    id: MessageId,
    by: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> ApiResult<()> {
    let now = crate::clock::now();
    let state = if retry_at.is_some() {
        MessageState::Queued
    } else {
        MessageState::Failed
    };
    diesel::update(
        messages::table
            .find(id)
            .filter(messages::claimed_by.eq(by))
            .filter(messages::state.eq(MessageState::Queued)),
    )
    .set((
        messages::state.eq(state),
        messages::next_attempt_at.eq(retry_at.unwrap_or(now)),
        messages::claimed_until.eq(None::<NaiveDateTime>),
        messages::claimed_by.eq(None::<String>),
        messages::error.eq(error),
        messages::updated_at.eq(now),
        messages::version.eq(messages::version + 1),
    ))
    .execute(conn)?;
    Ok(())
}

/// When a message that failed temporarily for the `attempts`-th time is tried again: 30 seconds
/// after the first failure, doubling each time up to six hours, with a fifth of the wait drawn at
/// random (so that messages that failed together do not come back together), or `None` once
/// `max_attempts` are spent.
pub fn next_attempt(now: NaiveDateTime, attempts: i32, max_attempts: i32) -> Option<NaiveDateTime> {
    if attempts >= max_attempts {
        return None;
    }
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let base = 30_i64.saturating_mul(1_i64 << exponent).min(6 * 3600);
    let mut random = [0u8; 2];
    let jitter = match getrandom::fill(&mut random) {
        Ok(()) => base / 5 * i64::from(u16::from_le_bytes(random)) / i64::from(u16::MAX),
        Err(_) => 0,
    };
    Some(now + TimeDelta::seconds(base - base / 10 + jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_end() {
        let now = NaiveDateTime::default();
        let wait = |n| next_attempt(now, n, 8).map(|at| (at - now).num_seconds());
        let first = wait(1).unwrap_or_default();
        assert!((27..=33).contains(&first), "about 30 s, was {first}");
        let third = wait(3).unwrap_or_default();
        assert!((108..=132).contains(&third), "about 120 s, was {third}");
        assert_eq!(wait(8), None, "the eighth failure is the last");
    }
}
