//! The replies stored for requests sent with an `Idempotency-Key` (`idempotency_keys`): how long
//! they are kept, and their purge. The HTTP layer stores and replays them (`http::idempotency`);
//! what a reply holds is what the request answered, a created trainee's name, email and phone
//! among others, so none is kept longer than a retry needs it.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::DbConnection;
use crate::schema::idempotency_keys;

/// How long a reply is replayed to a retry, and kept.
pub const KEEP_FOR: TimeDelta = TimeDelta::hours(24);

/// Delete every account's replies older than [`KEEP_FOR`] at `now`; how many went. Run by the
/// schedule (`reminders::Job::StoredReplies`), so that a reply is not kept past its day waiting
/// for its account's next keyed request. The index on `created_at` finds them without reading
/// the table.
pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(now - KEEP_FOR))).execute(conn)
}
