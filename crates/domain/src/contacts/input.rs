//! What a request may send about contacts: the bodies of a create and a change, and the list's
//! filters and orders.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::NameOrder;
use crate::ids::PartnerId;
use crate::resource::list::sort_keys;

/// A new contact.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    /// The partner organisation the person works for.
    pub partner_id: PartnerId,
    /// Full name as written, in the order of `name_order`.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "HIRAOKA Hisakazu")]
    pub full_name: String,
    /// Whether the family name comes first (Vietnamese and Japanese names) or last.
    pub name_order: NameOrder,
    /// The name in its own script, where known.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub name_native: Option<String>,
    /// Title or rank in English (`Ambassador`, `Professor`, `Dr.`).
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Title or rank in Vietnamese (`Đại sứ`, `GS.TS.`).
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title_vi: Option<String>,
    /// Position in English (`Deputy Chief Representative, JICA Vietnam Office`).
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub position: Option<String>,
    /// Position in Vietnamese.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub position_vi: Option<String>,
    /// Email.
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(max_length = 320)]
    pub email: Option<String>,
    /// Phone number.
    #[validate(custom(function = "crate::validate::phone"))]
    #[schema(pattern = r"^\+?[0-9 ().-]{6,32}$")]
    pub phone: Option<String>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// A change to a contact: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    /// The partner organisation the person works for.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub partner_id: Option<PartnerId>,
    /// Full name as written.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub full_name: Option<String>,
    /// Whether the family name comes first.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub name_order: Option<NameOrder>,
    /// The name in its own script; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub name_native: Option<Option<String>>,
    /// Title in English; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub title: Option<Option<String>>,
    /// Title in Vietnamese; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub title_vi: Option<Option<String>>,
    /// Position in English; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub position: Option<Option<String>>,
    /// Position in Vietnamese; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub position_vi: Option<Option<String>>,
    /// Email; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(value_type = Option<String>, max_length = 320)]
    pub email: Option<Option<String>>,
    /// Phone number; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::phone"))]
    #[schema(value_type = Option<String>, pattern = r"^\+?[0-9 ().-]{6,32}$")]
    pub phone: Option<Option<String>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
}

sort_keys! {
    /// Orders for the contact list; `-` sorts descending. Ties are broken by id, in the same direction.
    pub ContactSort = Sort<ContactOrder> { FullName = "full_name", CreatedAt = "created_at" }
}

/// Filters for the contact list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ContactFilters {
    /// Finds contacts whose name (as written or in its own script) or position holds every word, in
    /// any order, ignoring case and Vietnamese diacritics: `vu thanh son` finds Vũ Thanh Sơn.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only the people of this partner.
    pub partner_id: Option<PartnerId>,
    /// Only contacts whose facts come from this seed document (a file name such as
    /// `001_0904e55322f49d83.txt`), as `source` or among `sources`.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<ContactSort>,
}
