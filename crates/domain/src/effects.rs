//! What the domain's changes set off, at the top of the domain: each [`Event`] a kind raises in
//! its `after_change` is handed to the module that owns the consequence. Read this match to see
//! every consequence that crosses modules; the layers below it never name the layers above.

use crate::action_plans::ActionPlan;
use crate::actor::{Actor, Event};
use crate::cohorts::Cohort;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::resource::Record;
use crate::rounds::Round;

/// Carry out `event`, raised by a change `actor` made, in the same transaction.
pub fn react(conn: &mut DbConnection, actor: &Actor, event: Event) -> ApiResult<()> {
    match event {
        Event::Seated { cohort, enrollment } => crate::invitations::invite_late(conn, cohort, enrollment),
        Event::RoundOpened { round } => {
            let round = Round::find(conn, round)?;
            crate::invitations::invite_seated(conn, &round).map(|_| ())
        }
        Event::PlanApproved { plan } => {
            let plan = ActionPlan::find(conn, plan)?;
            crate::checkpoints::schedule(conn, &plan)
        }
        Event::CohortEnded { cohort, reason } => {
            let cohort = Cohort::find_for_seats(conn, cohort)?;
            crate::enrollments::close_waitlist(conn, actor, &cohort, &reason).map(|_| ())
        }
        Event::SeatsMayHaveFreed { cohort, reason } => {
            let cohort = Cohort::find_for_seats(conn, cohort)?;
            crate::enrollments::fill_free_seats(conn, actor, &cohort, &reason).map(|_| ())
        }
    }
}

/// An actor whose changes set off what the domain's changes set off.
pub fn actor(name: impl Into<String>, request_id: Option<String>) -> Actor {
    Actor {
        name: name.into(),
        request_id,
        reactions: react,
    }
}

/// The actor of a trainee's personal link: audited as "trainee link", never by name.
pub fn trainee_link() -> Actor {
    actor("trainee link", None)
}

/// The actor of a supervisor's link: audited as "supervisor link", never by name.
pub fn supervisor_link() -> Actor {
    actor("supervisor link", None)
}
