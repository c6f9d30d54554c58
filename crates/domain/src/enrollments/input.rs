//! What a request may send about enrolments: the body of an enrolment and of a move, and the
//! list's filters.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::EnrollmentStatus;
use crate::ids::TraineeId;

/// Where to place a new enrolment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Take a seat if one is free, else join the waitlist (the default).
    #[default]
    Enrolled,
    /// Record the nomination only; an officer decides later.
    Nominated,
}

/// A trainee to place in a cohort.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnrollment {
    /// The trainee.
    pub trainee_id: TraineeId,
    /// `enrolled` (default): a seat if one is free, else the waitlist. `nominated`: only record
    /// the nomination.
    pub status: Option<Placement>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// A move of an enrolment, and/or a change to its notes.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnrollment {
    /// The next status: from `nominated` to `enrolled`, `waitlisted`, `rejected` or `withdrawn`;
    /// from `waitlisted` to `enrolled`, `withdrawn` or `rejected`; from `enrolled` to
    /// `withdrawn`, `completed` or `did_not_complete`. Anything else is 409; `enrolled` into a
    /// full cohort is 409. Where a partner reviews the programme's nominations, a nomination
    /// moves to `accepted` or `declined` (with a `reason`) first, and only an accepted one moves
    /// to `enrolled` or `waitlisted`; a partner's liaison makes only these two moves.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub status: Option<EnrollmentStatus>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
    /// Why it ends, recorded as `end_reason` with a move to a final status (and not kept with
    /// any other move: put that in `notes`). Required to decline a nomination.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub reason: Option<String>,
    /// The reason as a partner's liaison may read it, when that is less than `reason` (a
    /// completion run's reasons without the anonymous rounds a trainee did not answer). Set by
    /// the service, never by a request.
    #[serde(skip)]
    pub partner_reason: Option<String>,
}

/// Filters for an enrolment list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EnrollmentFilters {
    /// Only this status.
    pub status: Option<EnrollmentStatus>,
    /// Only this trainee's.
    pub trainee_id: Option<TraineeId>,
    /// Only those that reached their final status on or after this day (UTC), e.g. with
    /// `status=completed`: completed since.
    pub ended_from: Option<NaiveDate>,
    /// Only those that reached their final status on or before this day (UTC).
    pub ended_to: Option<NaiveDate>,
}
