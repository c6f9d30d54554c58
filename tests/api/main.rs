//! HTTP tests of the whole service. Every test built with `db_test!` runs twice, on SQLite and
//! on PostgreSQL, each time against a fresh database that it fills itself.

mod support;

mod access;
mod attendance;
mod audit;
mod auth;
mod browser;
mod calendars;
mod cli;
mod cohorts;
mod contacts;
mod cost_import;
mod costs;
mod enrollments;
mod errors;
mod evaluations;
mod exports;
mod follow_ups;
mod hardening;
mod import;
mod layers;
mod mail;
mod messages;
mod openapi;
mod operations;
mod pages;
mod paging;
mod partners;
mod personal_data;
mod program_partners;
mod programs;
mod public_limits;
mod races;
mod readme;
mod reminders;
mod reports;
mod respondent_pages;
mod seeds;
mod servers;
mod sessions;
mod smtp_harness;
mod supervisors;
mod trainees;
mod users;
