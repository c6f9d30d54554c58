//! What a seed file holds, part by part: a serde type for each section and record. A record
//! holds the API's own create type (so the file takes exactly what the API takes), plus what only
//! the seed knows: its source document, and the references it makes by code.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cohorts::{CohortStatus, CreateCohort};
use crate::contacts::CreateContact;
use crate::participations::ParticipationRole;
use crate::partners::CreatePartner;
use crate::programs::CreateProgram;
use crate::programs::partners::PartnerRole;
use crate::sessions::CreateSession;

/// Keys a record has that its type does not name: each is reported.
pub type Unknown = BTreeMap<String, Value>;

/// A seed file's sections. `partners` are organisations in `partners.toml`, and roles in the
/// programme in a programme file.
#[derive(Debug, Deserialize)]
pub struct Document {
    #[serde(default)]
    pub partners: Vec<Map<String, Value>>,
    pub program: Option<Map<String, Value>>,
    #[serde(default)]
    pub cohorts: Vec<Map<String, Value>>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A partner organisation (`[[partners]]` in `partners.toml`).
#[derive(Debug, Deserialize)]
pub struct PartnerSeed {
    /// The seed document its facts come from.
    pub source: String,
    /// Further seed documents that state its facts, for a record several articles speak of.
    #[serde(default)]
    pub also_sources: Vec<String>,
    /// The partner, as the API creates one.
    #[serde(flatten)]
    pub partner: CreatePartner,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// The programme of a programme file (`[program]`, with its `[[program.figures]]`).
#[derive(Debug, Deserialize)]
pub struct ProgramSeed {
    /// The seed document its facts come from.
    pub source: String,
    /// Further seed documents that state its facts, for a record several articles speak of.
    #[serde(default)]
    pub also_sources: Vec<String>,
    /// The programme, as the API creates one.
    #[serde(flatten)]
    pub program: CreateProgram,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A partner's roles in the programme (`[[partners]]` in a programme file).
#[derive(Debug, Deserialize)]
pub struct RoleSeed {
    /// The seed document its facts come from.
    pub source: String,
    /// Further seed documents that state its facts, for a record several articles speak of.
    #[serde(default)]
    pub also_sources: Vec<String>,
    /// The partner's code in `partners.toml`.
    pub partner: String,
    /// Its roles, as the API takes them.
    pub roles: Vec<PartnerRole>,
    /// What exactly it does.
    pub notes: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A cohort of the programme (`[[cohorts]]`), with its sessions.
#[derive(Debug, Deserialize)]
pub struct CohortSeed {
    /// The seed document its facts come from.
    pub source: String,
    /// Further seed documents that state its facts, for a record several articles speak of.
    #[serde(default)]
    pub also_sources: Vec<String>,
    /// Its status, stated as a fact: set, not moved along the allowed steps (default `planned`).
    #[serde(default)]
    pub status: Option<CohortStatus>,
    /// The cohort, as the API creates one.
    #[serde(flatten)]
    pub cohort: CreateCohort,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A session of the cohort above it (`[[cohorts.sessions]]`).
#[derive(Debug, Deserialize)]
pub struct SessionSeed {
    /// The seed document its facts come from.
    pub source: String,
    /// Further seed documents that state its facts, for a record several articles speak of.
    #[serde(default)]
    pub also_sources: Vec<String>,
    /// Its stable id within the cohort, `^[a-z0-9-]{2,64}$`.
    pub key: String,
    /// The speaker's partner, by code.
    pub speaker_partner: Option<String>,
    /// The session, as the API creates one.
    #[serde(flatten)]
    pub session: CreateSession,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A person at the partner above it (`[[partners.contacts]]` in `partners.toml`).
#[derive(Debug, Deserialize)]
pub struct ContactSeed {
    /// The seed document its facts come from.
    pub source: String,
    /// Further seed documents that state its facts, for a record several articles speak of.
    #[serde(default)]
    pub also_sources: Vec<String>,
    /// Its stable id within the partner, `^[a-z0-9-]{2,64}$`; programme files name the person as
    /// `PARTNER/key`.
    pub key: String,
    /// The contact, as the API creates one (its partner is the one above it).
    #[serde(flatten)]
    pub contact: CreateContact,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A contact's part in the cohort or session above it (`[[cohorts.people]]`,
/// `[[cohorts.sessions.people]]`).
#[derive(Debug, Deserialize)]
pub struct PersonSeed {
    /// The seed document its facts come from.
    pub source: String,
    /// Further seed documents that state its facts, for a record several articles speak of.
    #[serde(default)]
    pub also_sources: Vec<String>,
    /// The person, as `PARTNER/key` of a `[[partners.contacts]]` entry.
    pub contact: String,
    /// The part they took.
    pub role: ParticipationRole,
    /// What exactly they did.
    pub notes: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}
