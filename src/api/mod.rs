//! The HTTP layer's own handlers: one module per resource, for the operations that are not one of
//! the standard five (`http::crud` serves those from the route table in `app.rs`). A handler
//! extracts the request, names the roles it admits in its `Auth<Policy>` type, calls one domain
//! function on the blocking pool, and answers. Domain modules never name this layer.

pub mod action_plans;
pub mod assessments;
pub mod attendance;
pub mod auth;
pub mod calendars;
pub mod certificates;
pub mod checkpoints;
pub mod completion;
pub mod consents;
pub mod costs;
pub mod eligibility;
pub mod enrollments;
pub mod instruments;
pub mod invitations;
pub mod messages;
pub mod personal_data;
pub mod reports;
pub mod rounds;
pub mod users;
