//! What a request may send about partners: the bodies of a create and a change, and the list's
//! filters and orders.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::PartnerKind;
use crate::ids::ProgramId;
use crate::resource::list::sort_keys;

/// A new partner.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartner {
    /// Unique short code.
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(pattern = "^[A-Z0-9_-]{2,32}$", example = "JICA")]
    pub code: String,
    /// Name in English.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Japan International Cooperation Agency")]
    pub name: String,
    /// Name in its own language and script.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "国際協力機構")]
    pub name_local: Option<String>,
    /// Kind of organisation.
    pub kind: PartnerKind,
    /// ISO 3166-1 alpha-2 country code.
    #[validate(custom(function = "crate::validate::country"))]
    #[schema(pattern = "^[A-Z]{2}$", example = "JP")]
    pub country: String,
    /// Web site (http or https).
    #[validate(custom(function = "crate::validate::web_url"))]
    #[schema(max_length = 2048, example = "https://www.jica.go.jp/")]
    pub website: Option<String>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// A change to a partner: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartner {
    /// Unique short code.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(nullable = false, pattern = "^[A-Z0-9_-]{2,32}$")]
    pub code: Option<String>,
    /// Name in English.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Name in its own language and script; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub name_local: Option<Option<String>>,
    /// Kind of organisation.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub kind: Option<PartnerKind>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::country"))]
    #[schema(nullable = false, pattern = "^[A-Z]{2}$")]
    pub country: Option<String>,
    /// Web site; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::web_url"))]
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub website: Option<Option<String>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
}

sort_keys! {
    /// Orders for the partner list; `-` sorts descending. Ties are broken by id, in the same direction.
    pub PartnerSort = Sort<PartnerOrder> { Code = "code", Name = "name", Country = "country", CreatedAt = "created_at" }
}

/// Filters for the partner list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PartnerFilters {
    /// Finds partners whose code, English or local name holds every word, in any order, ignoring
    /// case and Vietnamese diacritics.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only this kind of organisation.
    pub kind: Option<PartnerKind>,
    /// Only partners from this country (ISO 3166-1 alpha-2).
    #[param(max_length = 2, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 2))]
    pub country: Option<String>,
    /// Only partners whose facts come from this seed document (a file name such as
    /// `003_f763ceca04e3ab24.txt`), as `source` or among `sources`.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Only partners taking part in this programme.
    pub program_id: Option<ProgramId>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<PartnerSort>,
}
