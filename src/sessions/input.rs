//! What a request may send about sessions: the bodies of a create and a change, and the list's
//! filters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::SessionKind;
use crate::dates::PartialDate;
use crate::ids::PartnerId;

/// A new session.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// Title.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Kind.
    pub kind: SessionKind,
    /// Local date at the venue (`2024-09-20`, or `2024-09` when only the month is known).
    /// Required without `starts_at`; with it, may be left out and must agree when given.
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub date: Option<String>,
    /// Start, RFC 3339 (stored in UTC).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    /// End, after `starts_at`; needs `starts_at`.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<DateTime<Utc>>,
    /// IANA time zone of the venue.
    #[validate(custom(function = "crate::validate::time_zone"))]
    #[schema(example = "Asia/Tokyo", min_length = 1, max_length = 64)]
    pub time_zone: String,
    /// Venue.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub location: Option<String>,
    /// Speaker.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub speaker_name: Option<String>,
    /// Speaker's title.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub speaker_title: Option<String>,
    /// The organisation the speaker comes from, as written.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub speaker_affiliation: Option<String>,
    /// The speaker's partner organisation.
    pub speaker_partner_id: Option<PartnerId>,
    /// Language, ISO 639.
    #[validate(custom(function = "crate::validate::language"))]
    #[schema(pattern = "^[a-z]{2,3}$", example = "ja")]
    pub language: Option<String>,
    /// Free description.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub description: Option<String>,
}

/// A change to a session: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    /// Title.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Kind.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub kind: Option<SessionKind>,
    /// Local date; follows `starts_at` when that is set.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = PartialDate, nullable = false)]
    pub date: Option<String>,
    /// Start; `null` clears it (and `ends_at` must go too).
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    /// End; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    /// IANA time zone.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::time_zone"))]
    #[schema(nullable = false, min_length = 1, max_length = 64)]
    pub time_zone: Option<String>,
    /// Venue; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub location: Option<Option<String>>,
    /// Speaker; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub speaker_name: Option<Option<String>>,
    /// Speaker's title; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub speaker_title: Option<Option<String>>,
    /// Speaker's organisation as written; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub speaker_affiliation: Option<Option<String>>,
    /// Speaker's partner organisation; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<i64>)]
    pub speaker_partner_id: Option<Option<PartnerId>>,
    /// Language; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::language"))]
    #[schema(value_type = Option<String>, pattern = "^[a-z]{2,3}$")]
    pub language: Option<Option<String>>,
    /// Description; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub description: Option<Option<String>>,
}

/// Filters for the session list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct SessionFilters {
    /// Only this kind.
    pub kind: Option<SessionKind>,
    /// Only sessions seeded from this source document (a file name).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
}
