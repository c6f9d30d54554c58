//! What a request may send about sessions: the bodies of a create and a change, and the list's
//! filters.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
    /// Last day of a session over several days (`2024-09-17`); later than `date`. Leave it out
    /// for a one-day session.
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    #[serde(default)]
    pub end_date: Option<String>,
    /// Start: RFC 3339 with its offset (`2024-09-20T09:30:00+09:00`), or the local time at the
    /// venue without one (`2024-09-20T09:30`), read in `time_zone`. Stored in UTC.
    #[schema(value_type = Option<String>, example = "2024-09-20T09:30")]
    pub starts_at: Option<SessionTime>,
    /// End, after `starts_at`; needs `starts_at`. Written as `starts_at` is.
    #[schema(value_type = Option<String>, example = "2024-09-20T12:00")]
    pub ends_at: Option<SessionTime>,
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
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
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
    /// Last day of a session over several days; `null` makes it a one-day session.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub end_date: Option<Option<String>>,
    /// Start, with its offset or as the local time at the venue (read in the session's
    /// `time_zone`, the one sent with it or the stored one); `null` clears it (and `ends_at` must
    /// go too).
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>)]
    pub starts_at: Option<Option<SessionTime>>,
    /// End, written as `starts_at` is; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<String>)]
    pub ends_at: Option<Option<SessionTime>>,
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
    /// Only sessions whose facts come from this seed document (a file name), as `source` or among
    /// `sources`.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
}

/// A time sent for a session: an instant with its UTC offset, or a local time at the venue,
/// which only the session's time zone turns into an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionTime {
    /// `2024-09-20T09:30:00+09:00` or `…Z`.
    Instant(DateTime<Utc>),
    /// `2024-09-20T09:30` or `2024-09-20T09:30:00`: on the venue's clock.
    Local(NaiveDateTime),
}

/// The forms of a local time a client may send.
const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
];

impl SessionTime {
    /// Read `text` in either form.
    pub fn parse(text: &str) -> Option<SessionTime> {
        if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
            return Some(SessionTime::Instant(instant.with_timezone(&Utc)));
        }
        LOCAL_FORMATS
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(SessionTime::Local)
    }

    /// The instant this is at a venue in `zone`, or why there is none: a local time that the
    /// clocks skip when they go forward. A local time that happens twice (when they go back) is
    /// the first of the two.
    pub fn at(self, zone: &str) -> Result<DateTime<Utc>, String> {
        let local = match self {
            SessionTime::Instant(instant) => return Ok(instant),
            SessionTime::Local(local) => local,
        };
        let tz: chrono_tz::Tz = zone.parse().map_err(|_| format!("{zone} is not a time zone"))?;
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                format!("{local} does not exist in {zone}: the clocks skip it; give the time with its offset")
            })
    }
}

impl<'de> Deserialize<'de> for SessionTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SessionTime::parse(text.trim()).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a time: write it with its UTC offset (2024-09-20T09:30:00+09:00) or as the \
                 local time at the venue (2024-09-20T09:30), which is read in the session's time_zone"
            ))
        })
    }
}

impl Serialize for SessionTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SessionTime::Instant(instant) => serializer.serialize_str(&instant.to_rfc3339()),
            SessionTime::Local(local) => serializer.serialize_str(&local.format("%Y-%m-%dT%H:%M:%S").to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SessionTime;

    #[test]
    fn a_local_time_is_read_on_the_venues_clock() {
        let local = SessionTime::parse("2024-09-20T09:30").expect("a local time");
        assert_eq!(
            local.at("Asia/Tokyo").map(|t| t.to_rfc3339()),
            Ok("2024-09-20T00:30:00+00:00".to_owned())
        );
        let offset = SessionTime::parse("2024-09-20T09:30:00+07:00").expect("an instant");
        assert_eq!(
            offset.at("Asia/Tokyo").map(|t| t.to_rfc3339()),
            Ok("2024-09-20T02:30:00+00:00".to_owned())
        );
        assert!(SessionTime::parse("20/09/2024 9h30").is_none());
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_and_one_they_repeat_is_the_first() {
        let skipped = SessionTime::parse("2024-03-31T02:30").expect("a local time");
        assert!(skipped.at("Europe/Paris").is_err_and(|e| e.contains("skip")));
        let twice = SessionTime::parse("2024-10-27T02:30").expect("a local time");
        assert_eq!(
            twice.at("Europe/Paris").map(|t| t.to_rfc3339()),
            Ok("2024-10-27T00:30:00+00:00".to_owned())
        );
    }
}
