//! TPMS, the training-programme management service: a REST backend for the bodies that send civil
//! servants abroad for training. It runs on embedded SQLite by default and on PostgreSQL in
//! production, from one binary.
//!
//! Layout, from the bottom up (`docs/architecture.md` draws it; `tests/api/layers.rs` checks that
//! no module reaches back up): foundations ([`ids`], [`error`], [`access`], [`config`], ...);
//! storage ([`db`], [`schema`], [`list`]); the shared write sequence ([`resource`], [`audit`]);
//! one module per resource ([`partners`], [`programs`], [`cohorts`], [`enrollments`], ...) with its
//! types, rules and queries; the HTTP layer ([`http`], [`openapi`], and [`api`], the handlers of
//! the operations that are not standard); and [`app`], which assembles them.

pub use tpms_core::{access, clock, config, dates, error, ids, provenance, ratio, tabular, text, validate, wire};

pub mod action_plans;
pub mod actor;
pub mod api;
pub mod app;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod certificates;
pub mod checkpoints;
pub mod cli;
pub mod cohorts;
pub mod completion;
pub mod contacts;
pub mod db;
pub mod dev;
pub mod effects;
pub mod enrollments;
pub mod health;
pub mod http;
pub mod instruments;
pub mod invitations;
pub mod list;
pub mod openapi;
pub mod participations;
pub mod partners;
pub mod programs;
pub mod reports;
pub mod resource;
pub mod responses;
pub mod rounds;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod statuses;
pub mod telemetry;
pub mod trainees;
pub mod upkeep;
pub mod users;

/// mimalloc instead of glibc's malloc. Each password hash allocates and frees ~19 MiB; glibc raises
/// its mmap threshold after the first such free and then keeps those blocks in per-thread arenas, so
/// a sign-in flood left the server holding ~500-780 MiB. mimalloc hands them back: measured with
/// `cargo bench --bench login` (figures in the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
