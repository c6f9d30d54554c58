//! What a request may send about evaluation rounds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{Anonymity, Respondent, RoundStatus, Subject, Wave};
use crate::ids::{InstrumentId, RoundId, SessionId};

/// A new round of a cohort, as a draft.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRound {
    /// The published questionnaire revision it asks.
    pub instrument_id: InstrumentId,
    /// A title for people, e.g. "End-of-course reaction".
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "End-of-course reaction")]
    pub title: String,
    /// What it is about: the cohort as a course, one of its sessions, or each trainee.
    pub subject: Subject,
    /// For `subject: session`: the session (of this cohort).
    pub session_id: Option<SessionId>,
    /// Who answers.
    pub respondent: Respondent,
    /// When in the training it is asked.
    pub wave: Wave,
    /// Whether answers name who gave them. Only a round trainees answer may be anonymous.
    #[serde(default)]
    pub anonymity: Anonymity,
    /// When answers start to be taken (UTC, RFC 3339); none: as soon as it opens.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<DateTime<Utc>>,
    /// When answers stop being taken and links expire; none: when it is closed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<DateTime<Utc>>,
    /// For a knowledge post-test (`wave: post`, trainees, a questionnaire with scored items): the
    /// cohort's pre-test round (`wave: pre`) asked with the same revision or an equivalent one;
    /// its results then give the gain.
    #[serde(default)]
    pub pre_round_id: Option<RoundId>,
}

/// A change to a round: only the fields given change; `null` clears a time. What it asks, of
/// whom and how anonymously change only while it is a draft.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRound {
    /// A title for people.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// The published questionnaire revision it asks (draft only).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub instrument_id: Option<InstrumentId>,
    /// Whether answers name who gave them (draft only).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub anonymity: Option<Anonymity>,
    /// When answers start to be taken; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<Option<DateTime<Utc>>>,
    /// When answers stop being taken; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<Option<DateTime<Utc>>>,
    /// The pre-test this post-test is compared with; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<RoundId>)]
    pub pre_round_id: Option<Option<RoundId>>,
    /// `draft → open → closed`. Opening a round that trainees answer sends each seated trainee an
    /// invitation; closing it expires their links.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub status: Option<RoundStatus>,
}

/// Filters for a cohort's rounds.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct RoundFilters {
    /// Only rounds in this state.
    pub status: Option<RoundStatus>,
    /// Only rounds answered by these people.
    pub respondent: Option<Respondent>,
}
