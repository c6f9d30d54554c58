//! What a request may send about questionnaires.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::items::Item;
use super::{InstrumentStatus, Purpose};
use crate::ids::InstrumentId;
use crate::resource::list::sort_keys;

/// A new questionnaire: its first revision, as a draft.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstrument {
    /// Unique short code, shared by all its revisions.
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(pattern = "^[A-Z0-9_-]{2,32}$", example = "COURSE-REACTION")]
    pub code: String,
    /// Title in English.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Course reaction questionnaire")]
    pub title: String,
    /// Title in Vietnamese.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Phiếu đánh giá khóa học")]
    pub title_vi: String,
    /// What it evaluates.
    pub purpose: Purpose,
    /// Its questions, in order.
    pub items: Vec<Item>,
}

/// A change to a draft questionnaire: only the fields given change. A published one takes only
/// `status: retired`; to change its questions, make its next revision.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInstrument {
    /// Title in English.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Title in Vietnamese.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub title_vi: Option<String>,
    /// What it evaluates.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub purpose: Option<Purpose>,
    /// Its questions, in order, as a whole.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub items: Option<Vec<Item>>,
    /// For a knowledge test: the earlier published revision of the same code this draft scores
    /// like (the same scored items and points), so that pre- and post-tests asked with the two
    /// pair up; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<InstrumentId>)]
    pub equivalent_to: Option<Option<InstrumentId>>,
    /// `draft → published → retired`.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub status: Option<InstrumentStatus>,
}

sort_keys! {
    /// Orders for the questionnaire list; `-` sorts descending. Ties are broken by id.
    pub InstrumentSort = Sort<InstrumentOrder> { Code = "code", CreatedAt = "created_at" }
}

/// Filters for the questionnaire list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct InstrumentFilters {
    /// Only the revisions of this code.
    #[param(max_length = 32, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 32))]
    pub code: Option<String>,
    /// Only questionnaires with this purpose.
    pub purpose: Option<Purpose>,
    /// Only questionnaires in this state.
    pub status: Option<InstrumentStatus>,
    /// Only the templates shipped with TPMS (`true`), or only the department's own (`false`).
    pub template: Option<bool>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<InstrumentSort>,
}
