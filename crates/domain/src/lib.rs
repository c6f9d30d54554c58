//! The domain of TPMS and what it stands on: storage (`db`, `schema`, `list`), the one write
//! sequence (`resource`, `audit`, `actor`), and one module per resource with its types, rules and
//! queries, up to `effects`, which hands what one module's change sets off to the module that owns
//! it.
//!
//! A crate of its own so that the compiler keeps HTTP out of it: nothing here can name a handler,
//! an extractor or the route table. The foundations' modules are re-exported at its root, so
//! `crate::ids` reads the same here as in the crate they live in; the service's crate re-exports
//! this crate's modules the same way.

pub use tpms_core::{
    access, clock, config, dates, error, ids, messages, money, provenance, ratio, tabular, text, texts, validate, wire,
};

pub mod action_plans;
pub mod actor;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod calendar_feeds;
pub mod certificates;
pub mod checkpoints;
pub mod cohorts;
pub mod completion;
pub mod contacts;
pub mod costs;
pub mod db;
pub mod disclosures;
pub mod effects;
pub mod eligibility;
pub mod enrollments;
pub mod instruments;
pub mod invitations;
pub mod links;
pub mod list;
pub mod mail;
pub mod participations;
pub mod partners;
pub mod personal_data;
pub mod programs;
pub mod reminders;
pub mod reports;
pub mod resource;
pub mod responses;
pub mod rounds;
pub mod schema;
pub mod sessions;
pub mod statuses;
pub mod trainees;
pub mod users;
