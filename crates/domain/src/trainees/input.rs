//! What a request may send about trainees: the bodies of a create and a change, and the list's
//! filters and orders.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{BIRTH_YEAR_MAX, BIRTH_YEAR_MIN, Gender, Language};
use crate::ids::CohortId;
use crate::resource::list::sort_keys;

/// A new trainee.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainee {
    /// Full name as written.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Nguyễn Thị Bích Dung")]
    pub full_name: String,
    /// Gender.
    pub gender: Option<Gender>,
    /// Year of birth.
    #[validate(range(min = BIRTH_YEAR_MIN, max = BIRTH_YEAR_MAX))]
    #[schema(minimum = 1900, maximum = 2030)]
    pub birth_year: Option<i32>,
    /// Position held.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub position: Option<String>,
    /// Organisation.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub organisation: Option<String>,
    /// Province or city.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub province: Option<String>,
    /// Email, unique regardless of case.
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(max_length = 320, example = "dung.ntb@moha.gov.vn")]
    pub email: Option<String>,
    /// Phone number.
    #[validate(custom(function = "crate::validate::phone"))]
    #[schema(pattern = r"^\+?[0-9 ().-]{6,32}$", example = "+84 24 3825 1234")]
    pub phone: Option<String>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
    /// The language mails are written in: `vi` (the default) or `en`.
    pub language: Option<Language>,
    /// The year they entered the service.
    #[validate(range(min = BIRTH_YEAR_MIN, max = BIRTH_YEAR_MAX))]
    #[schema(minimum = 1900, maximum = 2030)]
    pub service_start_year: Option<i32>,
    /// Their position level, in the department's words; a cohort's accepted levels are compared
    /// with it ignoring case and diacritics.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub position_level: Option<String>,
}

/// A change to a trainee: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrainee {
    /// Full name as written.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub full_name: Option<String>,
    /// Gender; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<Gender>)]
    pub gender: Option<Option<Gender>>,
    /// Year of birth; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = BIRTH_YEAR_MIN, max = BIRTH_YEAR_MAX))]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2030)]
    pub birth_year: Option<Option<i32>>,
    /// Position; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub position: Option<Option<String>>,
    /// Organisation; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub organisation: Option<Option<String>>,
    /// Province or city; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub province: Option<Option<String>>,
    /// Email, unique regardless of case; `null` clears it.
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
    /// The language mails are written in: `vi` or `en`.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub language: Option<Language>,
    /// The year they entered the service; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = BIRTH_YEAR_MIN, max = BIRTH_YEAR_MAX))]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2030)]
    pub service_start_year: Option<Option<i32>>,
    /// Their position level; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub position_level: Option<Option<String>>,
}

sort_keys! {
    /// Orders for the trainee list; `-` sorts descending. Ties are broken by id, in the same
    /// direction. With `q`, the best matches come first and this order applies among equals.
    pub TraineeSort = Sort<TraineeOrder> { FullName = "full_name", CreatedAt = "created_at" }
}

/// Filters for the trainee list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct TraineeFilters {
    /// Finds trainees by words of their name, organisation or position, by word prefix, ignoring
    /// case and Vietnamese diacritics; every word must match. Trainees with more of the words in
    /// their name come first (`nguyen van duc` lists Nguyễn Văn Đức before a Nguyễn Đức whose
    /// position says "Văn phòng"); then those whose match keeps the diacritics typed: `tuấn`
    /// lists Tuấn before Tuần, `tuan` lists both as equals.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only trainees of this organisation, ignoring case, Vietnamese diacritics and repeated
    /// spaces.
    #[param(max_length = 300, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 300))]
    pub organisation: Option<String>,
    /// Only trainees from this province, ignoring case, Vietnamese diacritics and repeated spaces:
    /// `Ha Noi` finds Hà Nội.
    #[param(max_length = 300, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 300))]
    pub province: Option<String>,
    /// Only this gender.
    pub gender: Option<Gender>,
    /// Only trainees with an enrolment (in any status) in this cohort.
    pub cohort_id: Option<CohortId>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<TraineeSort>,
}
