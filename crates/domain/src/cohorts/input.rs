//! What a request may send about cohorts: the bodies of a create and a change, and the list's
//! filters and orders.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::{CohortStatus, dates_in_order};
use crate::dates::PartialDate;
use crate::resource::list::sort_keys;

/// A new cohort of a programme.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "CreateCohort::dates", skip_on_field_errors = false))]
pub struct CreateCohort {
    /// Short code, unique within the programme.
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(pattern = "^[A-Z0-9_-]{2,32}$", example = "C3")]
    pub code: String,
    /// Name.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Class 3")]
    pub name: String,
    /// Its place in the programme's series.
    #[validate(range(min = 1, max = 10_000))]
    #[schema(minimum = 1, maximum = 10_000)]
    pub sequence: Option<i32>,
    /// First day, month (`2024-02`) or year.
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub start_date: Option<String>,
    /// Last day, month or year; not before `start_date`.
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub end_date: Option<String>,
    /// City.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub location_city: Option<String>,
    /// Country, ISO 3166-1 alpha-2.
    #[validate(custom(function = "crate::validate::country"))]
    #[schema(pattern = "^[A-Z]{2}$", example = "JP")]
    pub location_country: Option<String>,
    /// Most trainees it can enrol; omit for no limit.
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000)]
    pub capacity: Option<i32>,
    /// Where it stands (default `planned`).
    pub status: Option<CohortStatus>,
}

impl CreateCohort {
    fn dates(&self) -> Result<(), ValidationError> {
        // Dates that do not parse are reported by their own field's check.
        let parse = |d: &Option<String>| d.as_deref().and_then(|d| d.parse().ok());
        dates_in_order(parse(&self.start_date), parse(&self.end_date))
    }
}

/// A change to a cohort: only the fields given change; `null` clears a field that may be empty.
/// A status change must follow the allowed moves.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCohort {
    /// Short code.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(nullable = false, pattern = "^[A-Z0-9_-]{2,32}$")]
    pub code: Option<String>,
    /// Name.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Place in the series; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = 1, max = 10_000))]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 10_000)]
    pub sequence: Option<Option<i32>>,
    /// First day, month or year; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub start_date: Option<Option<String>>,
    /// Last day, month or year; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub end_date: Option<Option<String>>,
    /// City; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub location_city: Option<Option<String>>,
    /// Country; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::country"))]
    #[schema(value_type = Option<String>, pattern = "^[A-Z]{2}$")]
    pub location_country: Option<Option<String>>,
    /// Capacity; `null` removes the limit. Never below the trainees enrolled now; raising it
    /// enrols waitlisted trainees into the new seats, longest-waiting first.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = 0, max = 100_000))]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 100_000)]
    pub capacity: Option<Option<i32>>,
    /// The next status.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub status: Option<CohortStatus>,
}

sort_keys! {
    /// Orders for the cohort list; `-` sorts descending. Ties are broken by id, in the same
    /// direction; cohorts without the sorted value come last either way.
    pub CohortSort = Sort<CohortOrder> { Sequence = "sequence", StartDate = "start_date", Code = "code" }
}

/// Filters for the cohort list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CohortFilters {
    /// Only this status.
    pub status: Option<CohortStatus>,
    /// Only cohorts whose facts come from this seed document (a file name), as `source` or among
    /// `sources`.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<CohortSort>,
}
