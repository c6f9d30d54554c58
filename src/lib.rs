//! TPMS, the training-programme management service: a REST backend for the bodies that send civil
//! servants abroad for training. It runs on embedded SQLite by default and on PostgreSQL in
//! production, from one binary.
//!
//! Layout: one module per resource ([`partners`], [`programs`], [`audit`]) with its types,
//! queries and handlers side by side; shared machinery in [`config`], [`db`], [`error`],
//! [`http`] and [`openapi`]; [`app`] assembles them.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod http;
pub mod ids;
pub mod openapi;
pub mod partners;
pub mod programs;
pub mod schema;
pub mod telemetry;
pub mod text;
pub mod users;
pub mod validate;
