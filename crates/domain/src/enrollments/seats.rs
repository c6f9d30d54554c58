//! Seats: the checks before a trainee takes one, and the waitlist that fills the seats a change
//! frees, longest-waiting first. Every caller holds the cohort's lock
//! ([`crate::db::dialect::lock_cohort`]), so counts read here cannot move under it.

use diesel::prelude::*;

use super::{Enrollment, EnrollmentStatus};
use crate::audit::Actor;
use crate::cohorts::{Cohort, CohortStatus};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::EnrollmentId;
use crate::resource::{self, AnyVersion, Trail};
use crate::schema::enrollments;

/// 409 unless `cohort` (locked, with current counts) takes enrolments and has a free seat.
pub(super) fn check_seat_free(cohort: &Cohort) -> ApiResult<()> {
    if !cohort.status.takes_enrolments() {
        return Err(closed(&cohort.code, cohort.status));
    }
    if cohort.free_seats() == Some(0) {
        return Err(ApiError::conflict(
            "cohort_full",
            format!(
                "cohort {} is full ({} of {} seats taken); move the enrolment to waitlisted, or raise the capacity",
                cohort.code,
                cohort.enrolled,
                cohort.capacity.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// 409 `review_required`: a partner reviews the nominations of cohort `code`'s programme, so a
/// trainee is nominated there, never seated directly.
pub(super) fn review_required(code: &str) -> ApiError {
    ApiError::conflict(
        "review_required",
        format!(
            "a partner of the programme of cohort {code} reviews its nominations: nominate the trainee \
             (`status: nominated`) and seat them once the partner has accepted"
        ),
    )
}

/// 409 `cohort_closed`: the cohort `code`, being `status`, takes no more enrolments.
pub(super) fn closed(code: &str, status: CohortStatus) -> ApiError {
    ApiError::conflict(
        "cohort_closed",
        format!("cohort {code} is {status} and takes no more enrolments"),
    )
}

/// Enrol waitlisted trainees of `cohort` (locked, with current counts) into its free seats,
/// longest-waiting first, each with an audit event that gives `reason`. Nothing happens in a
/// cohort that takes no more enrolments.
pub fn fill_free_seats(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    reason: &str,
) -> ApiResult<Vec<Enrollment>> {
    if !cohort.status.takes_enrolments() {
        return Ok(Vec::new());
    }
    let waiting = enrollments::table
        .filter(enrollments::cohort_id.eq(cohort.id))
        .filter(enrollments::status.eq(EnrollmentStatus::Waitlisted))
        .order((enrollments::waitlisted_at.asc(), enrollments::id.asc()))
        .select(enrollments::id)
        .into_boxed();
    let waiting: Vec<EnrollmentId> = match cohort.free_seats() {
        Some(0) => return Ok(Vec::new()),
        Some(free) => waiting.limit(free).load(conn)?,
        None => waiting.load(conn)?,
    };
    let mut promoted = Vec::with_capacity(waiting.len());
    let why = format!("enrolled from the waitlist automatically: {reason}");
    for id in waiting {
        // The seated trainee's invitations follow from `Enrollment::after_change`.
        let after = resource::act(
            conn,
            actor,
            id,
            &AnyVersion,
            Trail::Because(&why),
            |_, before: &Enrollment| {
                Ok(Enrollment {
                    status: EnrollmentStatus::Enrolled,
                    ..before.clone()
                })
            },
        )?;
        promoted.push(after);
    }
    Ok(promoted)
}

/// End the waitlist and the nominations not yet seated (undecided or accepted) of `cohort` (locked), which has just been
/// completed or cancelled: each moves to `rejected`, with `reason` recorded on it and in its
/// audit event. Without this they would wait for a seat that can no longer come.
pub fn close_waitlist(conn: &mut DbConnection, actor: &Actor, cohort: &Cohort, reason: &str) -> ApiResult<usize> {
    let waiting: Vec<(EnrollmentId, EnrollmentStatus)> = enrollments::table
        .filter(enrollments::cohort_id.eq(cohort.id))
        .filter(enrollments::status.eq_any([
            EnrollmentStatus::Waitlisted,
            EnrollmentStatus::Nominated,
            EnrollmentStatus::Accepted,
        ]))
        .order(enrollments::id.asc())
        .select((enrollments::id, enrollments::status))
        .load(conn)?;
    for &(id, status) in &waiting {
        let why = format!("{reason} while it was {status}");
        resource::act(
            conn,
            actor,
            id,
            &AnyVersion,
            Trail::Because(&why),
            |_, before: &Enrollment| {
                let now = crate::clock::now();
                Ok(Enrollment {
                    status: EnrollmentStatus::Rejected,
                    ended_at: Some(now),
                    end_reason: Some(why.clone()),
                    ..before.clone()
                })
            },
        )?;
    }
    Ok(waiting.len())
}
