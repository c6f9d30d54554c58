//! Who is acting, and what their changes set off.
//!
//! A change to one kind of record can have consequences that belong to a module above it: a
//! trainee who takes a seat is invited to the cohort's open rounds (`invitations`), an approved
//! plan gets its follow-up checkpoints (`checkpoints`). The changed kind cannot call up there
//! without tying the layers into a circle, so its `Store::after_change` raises an [`Event`]
//! through the actor ([`Actor::raise`]), and [`Actor::reactions`], which the layer that made the
//! actor supplies (`effects::react`, at the top of the domain), carries it out in the same
//! transaction.

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::{ActionPlanId, CohortId, EnrollmentId, RoundId};

/// Something a change set off, for the module that owns its consequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A trainee took a seat in a cohort: the cohort's open rounds that trainees answer invite
    /// them.
    Seated {
        /// The cohort.
        cohort: CohortId,
        /// The enrolment that took the seat.
        enrollment: EnrollmentId,
    },
    /// A round that trainees answer opened: every seated trainee of its cohort is invited.
    RoundOpened {
        /// The round.
        round: RoundId,
    },
    /// An action plan was approved: its follow-up checkpoints are scheduled.
    PlanApproved {
        /// The plan.
        plan: ActionPlanId,
    },
    /// A cohort was completed or cancelled: its waitlist and undecided nominations end.
    CohortEnded {
        /// The cohort.
        cohort: CohortId,
        /// Why, for each enrolment's record and audit event.
        reason: String,
    },
    /// A cohort's seats may have freed (a higher capacity, or none): the waitlist moves up.
    SeatsMayHaveFreed {
        /// The cohort.
        cohort: CohortId,
        /// Why, for each promotion's audit event.
        reason: String,
    },
}

/// What carries out an event's consequences, in the transaction of the change that raised it.
pub type Reactions = fn(&mut DbConnection, &Actor, Event) -> ApiResult<()>;

/// Who is acting, and in which request: every change names both in its audit event. Made by
/// `http::auth::Auth` from the signed-in account, by a trainee's link, or by a command
/// (`tpms seed`), each with the domain's reactions.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The email of the account acting (or what acts: "trainee link").
    pub name: String,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
    /// What carries out the events this actor's changes raise.
    pub reactions: Reactions,
}

impl Actor {
    /// Carry out what `event` sets off, now, in the caller's transaction.
    pub fn raise(&self, conn: &mut DbConnection, event: Event) -> ApiResult<()> {
        (self.reactions)(conn, self, event)
    }
}
