//! Moving many enrolments of one cohort in one request (`POST /cohorts/{id}/enrollments/moves`):
//! approve a list of nominations, withdraw several trainees. All or nothing: each enrolment takes
//! the same path as its own `PATCH` (the same checks, seats counted as the moves before it left
//! them, an audit event each), and if any is refused, none moves and the `409 refused` names
//! every refusal by its place in the list.
//!
//! A liaison of a partner that reviews the programme's nominations moves them too, only to
//! `accepted` or `declined` (403 for any other status), and only the nominations it sees: the
//! cohort of another partner's programme is 404, and an enrolment it may not see is refused as
//! `not_found`, as one of another cohort is.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{Enrollment, EnrollmentStatus, UpdateEnrollment};
use crate::access::Caller;
use crate::audit::Actor;
use crate::cohorts::Cohort;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{CohortId, EnrollmentId};
use crate::resource::{self, Change, Record};

/// Most enrolments moved in one request: a large class, twice over.
pub const MAX_MOVES: usize = 500;

/// One status for many enrolments of a cohort.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkMove {
    /// The status each moves to, as in a single enrolment's `PATCH`.
    pub status: EnrollmentStatus,
    /// The enrolments, in the order to move them (seats go to the first while they last).
    #[validate(length(min = 1, max = 500))]
    #[schema(min_items = 1, max_items = 500)]
    pub enrollment_ids: Vec<EnrollmentId>,
    /// Why they end, recorded on each as `end_reason` with a move to a final status (and not
    /// kept with any other move).
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub reason: Option<String>,
}

/// What a bulk move did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Moved {
    /// Enrolments moved (those already at the status are counted, unchanged).
    pub moved: usize,
    /// Each enrolment as it now stands, in the order given.
    pub items: Vec<Enrollment>,
}

/// Move every enrolment of `bulk` in `cohort`, or none, on behalf of `caller`.
pub fn move_many(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    cohort: CohortId,
    bulk: BulkMove,
) -> ApiResult<Moved> {
    if let Some(partner) = caller.liaison_partner() {
        if !bulk.status.is_decision() {
            return Err(ApiError::Forbidden(
                "a partner's liaison moves nominations only to `accepted` or `declined`".to_owned(),
            ));
        }
        let seen = Cohort::find_visible(conn, caller, cohort)?;
        if !crate::programs::partners::reviews_nominations(conn, partner, seen.program_id)? {
            return Err(ApiError::not_found("cohort", cohort));
        }
    }
    // Locked once: every move below counts seats under the same lock.
    let cohort = Cohort::find_for_seats(conn, cohort)?;
    let mut refused = Vec::new();
    let mut moved = Vec::with_capacity(bulk.enrollment_ids.len());
    for (i, &id) in bulk.enrollment_ids.iter().enumerate() {
        let at = format!("enrollment_ids/{i}");
        if bulk.enrollment_ids[..i].contains(&id) {
            refused.push(FieldError::new(
                &at,
                "duplicate",
                format!("enrolment {id} is listed twice"),
            ));
            continue;
        }
        let current = match Enrollment::find_open_to(conn, caller, id) {
            Ok(found) if found.cohort_id == cohort.id => found,
            Ok(_) | Err(ApiError::NotFound(_)) => {
                refused.push(FieldError::new(
                    &at,
                    "not_found",
                    format!("cohort {} has no enrolment {id}", cohort.code),
                ));
                continue;
            }
            Err(other) => return Err(other),
        };
        let change = UpdateEnrollment {
            status: Some(bulk.status),
            notes: None,
            reason: bulk.reason.clone(),
            partner_reason: None,
        };
        let outcome = current
            .patched_for(conn, caller, change)
            .and_then(|next| resource::save(conn, actor, current, next));
        match outcome {
            Ok(saved) => moved.push(saved.id),
            Err(ApiError::Conflict { code, detail }) => refused.push(FieldError::new(&at, code, detail)),
            Err(other) => return Err(other),
        }
    }
    if !refused.is_empty() {
        return Err(ApiError::Refused(refused));
    }
    // Read again at the end: a later move may have changed an earlier one (a withdrawal seats
    // someone from the waitlist).
    // As the caller reads them (a liaison, no officer's notes), recorded once for the lot.
    let items = Enrollment::seen_after_move(conn, caller, &moved)?;
    Ok(Moved {
        moved: items.len(),
        items,
    })
}
