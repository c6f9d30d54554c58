//! What a request may send about programmes: the bodies of a create and a change, and the
//! list's filters and orders.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::{Figure, ProgramKind, ProgramStatus, dates_in_order};
use crate::dates::PartialDate;
use crate::ids::PartnerId;
use crate::resource::list::sort_keys;

/// Focus areas: at most 30 distinct tags, each `[a-z0-9_]{2,50}`.
fn valid_focus_areas(tags: &[String]) -> Result<(), ValidationError> {
    let message = if tags.len() > 30 {
        Some(format!("must hold at most 30 tags (got {})", tags.len()))
    } else if let Some(bad) = tags.iter().find(|t| !crate::validate::tag(t)) {
        Some(format!(
            "tags are 2 to 50 lower-case letters, digits or `_`, such as urban_planning (got `{bad}`)"
        ))
    } else {
        crate::validate::first_repeat(tags).map(|dup| format!("lists `{dup}` twice"))
    };
    match message {
        Some(message) => Err(ValidationError::new("invalid_tags").with_message(message.into())),
        None => Ok(()),
    }
}

/// A new programme.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "CreateProgram::dates", skip_on_field_errors = false))]
pub struct CreateProgram {
    /// Unique short code.
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(pattern = "^[A-Z0-9_-]{2,32}$", example = "JICA-YL")]
    pub code: String,
    /// Title in English.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Title in Vietnamese.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title_vi: Option<String>,
    /// Form of the programme.
    pub kind: ProgramKind,
    /// Where it stands (default `planned`).
    pub status: Option<ProgramStatus>,
    /// First day, month (`2022-03`) or year (`2022`).
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub start_date: Option<String>,
    /// Last day, month or year; never before `start_date`.
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub end_date: Option<String>,
    /// When the cooperation agreement was signed: a day, month or year.
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub agreement_signed_on: Option<String>,
    /// Planned number of trainees.
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub planned_trainees: Option<i32>,
    /// Planned number of cohorts.
    #[validate(range(min = 0, max = 10_000))]
    #[schema(minimum = 0, maximum = 10_000)]
    pub planned_cohorts: Option<i32>,
    /// How long each course lasts, as an ISO 8601 duration of years, months, weeks or days
    /// (`P1M`: one month, `P2W`: two weeks, `P10D`).
    #[validate(custom(function = "crate::validate::duration"))]
    #[schema(
        pattern = "^P([0-9]{1,3}Y)?([0-9]{1,3}M)?([0-9]{1,3}W)?([0-9]{1,3}D)?$",
        example = "P1M"
    )]
    pub course_length: Option<String>,
    /// Months after a cohort's end after which its trainees' free-text answers, plans' free text
    /// and contact details are erased (default: kept; see docs/personal-data.md).
    #[validate(range(min = 1, max = 1200))]
    #[schema(minimum = 1, maximum = 1200)]
    pub retention_months: Option<i32>,
    /// Short tags (default none).
    #[validate(custom(function = "valid_focus_areas"))]
    #[schema(max_items = 30)]
    pub focus_areas: Option<Vec<String>>,
    /// Free description.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub description: Option<String>,
    /// Reported figures (default none).
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub figures: Option<Vec<Figure>>,
}

impl CreateProgram {
    fn dates(&self) -> Result<(), ValidationError> {
        // Dates that do not parse are reported by their own field's check.
        let parse = |d: &Option<String>| d.as_deref().and_then(|d| d.parse().ok());
        dates_in_order(parse(&self.start_date), parse(&self.end_date))
    }
}

/// A change to a programme: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProgram {
    /// Unique short code.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(nullable = false, pattern = "^[A-Z0-9_-]{2,32}$")]
    pub code: Option<String>,
    /// Title in English.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Title in Vietnamese; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub title_vi: Option<Option<String>>,
    /// Form of the programme.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub kind: Option<ProgramKind>,
    /// Where it stands.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub status: Option<ProgramStatus>,
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
    /// Agreement date (day, month or year); `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::dates::valid"))]
    #[schema(value_type = Option<PartialDate>)]
    pub agreement_signed_on: Option<Option<String>>,
    /// Planned number of trainees; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 1_000_000)]
    pub planned_trainees: Option<Option<i32>>,
    /// Planned number of cohorts; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = 0, max = 10_000))]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 10_000)]
    pub planned_cohorts: Option<Option<i32>>,
    /// How long each course lasts (ISO 8601, `P1M`); `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::duration"))]
    #[schema(value_type = Option<String>, pattern = "^P([0-9]{1,3}Y)?([0-9]{1,3}M)?([0-9]{1,3}W)?([0-9]{1,3}D)?$")]
    pub course_length: Option<Option<String>>,
    /// Months after a cohort's end after which free text and contact details are erased; `null`
    /// keeps them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = 1, max = 1200))]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 1200)]
    pub retention_months: Option<Option<i32>>,
    /// Short tags; `[]` clears them.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "valid_focus_areas"))]
    #[schema(nullable = false, max_items = 30)]
    pub focus_areas: Option<Vec<String>>,
    /// Free description; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub description: Option<Option<String>>,
    /// Reported figures; `[]` clears them.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(length(max = 50), nested)]
    #[schema(nullable = false, max_items = 50)]
    pub figures: Option<Vec<Figure>>,
}

sort_keys! {
    /// Orders for the programme list; `-` sorts descending. Ties are broken by id, in the same
    /// direction; programmes without a start date come last either way.
    pub ProgramSort = Sort<ProgramOrder> { Code = "code", Title = "title", StartDate = "start_date", CreatedAt = "created_at" }
}

/// Filters for the programme list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ProgramFilters {
    /// Finds programmes whose code, English or Vietnamese title or description holds every word,
    /// in any order, ignoring case and Vietnamese diacritics.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only this status.
    pub status: Option<ProgramStatus>,
    /// Only this kind.
    pub kind: Option<ProgramKind>,
    /// Only programmes with this focus area tag.
    #[param(max_length = 50, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 50))]
    pub focus_area: Option<String>,
    /// Only programmes this partner takes part in.
    pub partner_id: Option<PartnerId>,
    /// Only programmes whose facts come from this seed document (a file name), as `source` or among
    /// `sources`.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<ProgramSort>,
}
