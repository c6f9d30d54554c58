//! TPMS, the training-programme management service: a REST backend for the bodies that send civil
//! servants abroad for training. It runs on embedded SQLite by default and on PostgreSQL in
//! production, from one binary.
//!
//! Layout, from the bottom up (`docs/architecture.md` draws it; `tests/api/layers.rs` checks that
//! no module reaches back up): the foundations ([`ids`], [`error`], [`access`], [`config`], ...) in
//! the `tpms-core` crate; storage ([`db`], [`schema`], [`list`]), the shared write sequence
//! ([`resource`], [`audit`], [`actor`]) and one module per resource ([`partners`], [`cohorts`],
//! [`enrollments`], ...) in the `tpms-domain` crate, both re-exported here; and in this crate the
//! HTTP layer ([`http`], [`openapi`], and [`api`], the handlers of the operations that are not
//! standard), [`app`], which assembles them, and the commands ([`cli`], [`seed`]). Beside the HTTP
//! layer and below it, [`documents`] renders what is printed (a certificate as PDF) from the
//! domain's content, knowing nothing of requests.

pub use tpms_core::{
    access, clock, config, dates, error, ids, messages, money, provenance, ratio, tabular, text, texts, validate, wire,
};
pub use tpms_domain::{
    action_plans, actor, attendance, audit, auth, calendar_feeds, certificates, checkpoints, cohorts, completion,
    contacts, costs, db, disclosures, effects, enrollments, instruments, invitations, links, list, mail,
    participations, partners, programs, reminders, reports, resource, responses, rounds, schema, sessions, statuses,
    trainees, users,
};

pub mod api;
pub mod app;
pub mod cli;
pub mod delivery;
pub mod dev;
pub mod documents;
pub mod health;
pub mod http;
pub mod openapi;
pub mod pages;
pub mod schedule;
pub mod seed;
pub mod telemetry;
pub mod upkeep;

/// mimalloc instead of glibc's malloc. Each password hash allocates and frees ~19 MiB; glibc raises
/// its mmap threshold after the first such free and then keeps those blocks in per-thread arenas, so
/// a sign-in flood left the server holding ~500-780 MiB. mimalloc hands them back: measured with
/// `cargo bench --bench login` (figures in the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
