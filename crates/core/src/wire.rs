//! How values look in the API's JSON, for serde attributes on the resources' types: stored UTC
//! instants written as RFC 3339 with `Z`, and PATCH fields that may be left out but not sent as
//! `null`.

use chrono::NaiveDateTime;

/// Serialise a stored UTC instant as RFC 3339 with `Z`.
pub fn rfc3339<S: serde::Serializer>(value: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&value.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Serialise an optional stored UTC instant as RFC 3339 with `Z`, or `null`.
pub fn rfc3339_opt<S: serde::Serializer>(value: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => rfc3339(value, s),
        None => s.serialize_none(),
    }
}

/// Deserialise `Some(value)` from a present field, refusing `null` (for PATCH fields that cannot
/// be cleared); an absent field stays `None` through `#[serde(default)]`.
pub fn some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}
