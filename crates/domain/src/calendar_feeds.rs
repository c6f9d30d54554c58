//! A seated trainee's private calendar feed: an address a calendar app subscribes to
//! (`{TPMS_PUBLIC_URL}/f/{token}.ics`, or `/api/v1/calendar-feeds/{token}`), which answers the
//! cohort's sessions as an iCalendar file (`sessions::calendar`) without signing in, for as long
//! as the trainee holds a seat.
//!
//! One feed per enrolment, made the first time it is asked for (by an officer, or by the mail
//! that carries it) and the same address every time after. Its token is made like a personal
//! link's (`links::LinkKey::token_of`, of the enrolment and a random nonce) and stored as its
//! hash only; the nonce is kept, so that the address can be shown again. A subscription is read
//! by the calendar app for years, so the feed never expires; it stops answering when the trainee
//! leaves the cohort.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::actor::Actor;
use crate::audit::{self, Entity, Event};
use crate::db::{DbConnection, Lookup};
use crate::enrollments::Enrollment;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId};
use crate::links::LinkKey;
use crate::resource::Record;
use crate::schema::{calendar_feeds, enrollments};
use crate::statuses::EnrollmentStatus;

/// A trainee's calendar feed, to give them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarFeed {
    /// The enrolment it belongs to.
    pub enrollment_id: EnrollmentId,
    /// The path on this server that answers the calendar (no sign-in).
    #[schema(example = "/api/v1/calendar-feeds/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub link: String,
    /// The address to subscribe to in a calendar app, under `TPMS_PUBLIC_URL`: what to send the
    /// trainee. `null` when the service does not know its public address.
    #[schema(example = "https://tpms.example.gov.vn/f/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8.ics")]
    pub feed_url: Option<String>,
    /// When the feed was made (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// What the audit trail records of a new feed: that it was made, for which enrolment; never its
/// address, which opens the trainee's calendar to whoever holds it.
#[derive(Serialize)]
struct Made {
    enrollment_id: EnrollmentId,
}

/// The token of an enrolment's feed with `nonce`.
fn token(key: &LinkKey, enrollment: EnrollmentId, nonce: &str) -> ApiResult<String> {
    key.token_of(&format!("tpms-calendar/{enrollment}/{nonce}"))
}

/// The feed of an enrolment a caller may see, made on first use; 409 `not_seated` for an
/// enrolment that holds no seat, whose trainee has no sessions to attend.
pub fn issue(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    key: &LinkKey,
    enrollment: EnrollmentId,
) -> ApiResult<CalendarFeed> {
    let found = Enrollment::find_visible(conn, caller, enrollment)?;
    if !found.status.is_seated() {
        return Err(ApiError::conflict(
            "not_seated",
            format!(
                "enrolment {enrollment} is {}: only a trainee holding a seat (enrolled, completed or did not complete) has a calendar feed",
                found.status
            ),
        ));
    }
    made(conn, actor, key, enrollment)
}

/// The address a seated trainee subscribes to, made on first use: what a session's mail names.
/// `None` when the enrolment holds no seat, or when the service does not know its public address
/// (`TPMS_PUBLIC_URL` is recorded at start). 404 for an enrolment that does not exist.
pub fn feed_url(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &LinkKey,
    enrollment: EnrollmentId,
) -> ApiResult<Option<String>> {
    let (_, status) = seat_of(conn, enrollment)?.ok_or_else(|| ApiError::not_found("enrolment", enrollment))?;
    if !status.is_seated() {
        return Ok(None);
    }
    Ok(made(conn, actor, key, enrollment)?.feed_url)
}

/// The enrolment's feed, inserted when it has none (and audited then), read back either way.
fn made(conn: &mut DbConnection, actor: &Actor, key: &LinkKey, enrollment: EnrollmentId) -> ApiResult<CalendarFeed> {
    let nonce = crate::links::nonce();
    let hash = crate::links::hash(&token(key, enrollment, &nonce)?);
    let now = crate::clock::now();
    if crate::db::dialect::insert_calendar_feed(conn, enrollment, &hash, &nonce, now)? {
        audit::record(
            conn,
            actor,
            Event::created(
                Entity::CalendarFeed,
                enrollment.0,
                &Made {
                    enrollment_id: enrollment,
                },
            ),
        )?;
    }
    let (nonce, created_at): (String, NaiveDateTime) = calendar_feeds::table
        .find(enrollment)
        .select((calendar_feeds::nonce, calendar_feeds::created_at))
        .lookup(conn)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the calendar feed of enrolment {enrollment} vanished")))?;
    let token = token(key, enrollment, &nonce)?;
    Ok(CalendarFeed {
        enrollment_id: enrollment,
        link: crate::links::path_of("calendar-feeds", &token),
        feed_url: key.feed_url(&token),
        created_at,
    })
}

/// The cohort and status of an enrolment, if it exists.
fn seat_of(conn: &mut DbConnection, enrollment: EnrollmentId) -> ApiResult<Option<(CohortId, EnrollmentStatus)>> {
    Ok(enrollments::table
        .find(enrollment)
        .select((enrollments::cohort_id, enrollments::status))
        .lookup(conn)?)
}

/// The calendar a feed's token opens: the cohort's sessions (`METHOD:PUBLISH`, events' `UID`s in
/// `uid_domain`). 404 for a token no feed has, and, saying so, for a trainee who no longer holds
/// a seat.
pub fn calendar(conn: &mut DbConnection, token: &str, uid_domain: &str) -> ApiResult<String> {
    let enrollment: EnrollmentId = calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(crate::links::hash(token)))
        .select(calendar_feeds::enrollment_id)
        .lookup(conn)?
        .ok_or_else(|| {
            ApiError::NotFound("this calendar feed is not valid: check that its address was copied whole".to_owned())
        })?;
    let (cohort, status) = seat_of(conn, enrollment)?.ok_or_else(|| ApiError::not_found("enrolment", enrollment))?;
    if !status.is_seated() {
        return Err(ApiError::NotFound(format!(
            "this calendar feed has ended: its trainee no longer holds a seat in the cohort (the enrolment is {status}); the sessions are no longer theirs to attend"
        )));
    }
    crate::sessions::calendar::published(conn, cohort, uid_domain)
}
