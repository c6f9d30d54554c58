//! What a request may send about action plans.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::PlanStatus;
use crate::ids::EnrollmentId;

/// One thing the trainee will change at home, and how it will be seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItem {
    /// What will be measured.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Share of procedures filed online")]
    pub indicator: String,
    /// Where it stands now.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "10 %")]
    pub baseline: String,
    /// Where it should be.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "60 %")]
    pub target: String,
    /// By when.
    #[schema(example = "2025-06-30")]
    pub due_on: NaiveDate,
}

/// A plan as the trainee submits it through the link: whole, since it goes to approval as it is
/// (every missing part is named in the one 422 with whatever else is wrong).
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanContent {
    /// Its title.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Online filing of household registrations in Long Biên"
    )]
    pub title: String,
    /// The problem it addresses at the trainee's home organisation.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub problem: String,
    /// Its items, in order (at least one); progress names them by their number (1, 2, ...).
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<PlanItem>,
    /// The trainee's supervisor at home, who is asked at each checkpoint to rate the items'
    /// application and confirm the report (optional; a position or email needs a name).
    #[serde(default)]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Trần Văn Hùng")]
    pub supervisor_name: Option<String>,
    /// The supervisor's position.
    #[serde(default)]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Trưởng phòng Tư pháp")]
    pub supervisor_position: Option<String>,
    /// The supervisor's email (staff only read it).
    #[serde(default)]
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(max_length = 320, example = "hung.tv@longbien.gov.vn")]
    pub supervisor_email: Option<String>,
}

/// A new action plan for a seated trainee of the cohort, as a draft; its content may follow
/// through the trainee's link.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActionPlan {
    /// The trainee's enrolment in this cohort.
    pub enrollment_id: EnrollmentId,
    /// Its title.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// The problem it addresses.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub problem: Option<String>,
    /// Its items.
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    pub items: Vec<PlanItem>,
    /// The trainee's supervisor at home, asked at each checkpoint (a position or email needs a
    /// name).
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub supervisor_name: Option<String>,
    /// The supervisor's position.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub supervisor_position: Option<String>,
    /// The supervisor's email.
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(max_length = 320)]
    pub supervisor_email: Option<String>,
}

/// A change to a plan: its content (while a draft), or a move through its states.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActionPlan {
    /// Its title (draft only).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// The problem it addresses (draft only).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(nullable = false, min_length = 1, max_length = 20000)]
    pub problem: Option<String>,
    /// Its items, as a whole (draft only).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(length(max = 50), nested)]
    #[schema(nullable = false)]
    pub items: Option<Vec<PlanItem>>,
    /// `draft → submitted → approved → in_progress → completed`, or `partially_completed` or
    /// `abandoned` (with a `reason`); `submitted → draft` sends it back (with `review_comments`).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub status: Option<PlanStatus>,
    /// Why it was partially completed or abandoned.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(nullable = false, min_length = 1, max_length = 20000)]
    pub reason: Option<String>,
    /// What to change, when sending it back (or a remark on approval).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(nullable = false, min_length = 1, max_length = 20000)]
    pub review_comments: Option<String>,
    /// The trainee's supervisor at home; `null` clears it (with the position and email). Staff
    /// may change the supervisor in any state (the person changes; the plan does not); a
    /// checkpoint already scheduled gets a link for a new supervisor through
    /// `POST /checkpoints/{id}/supervisor-link`.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub supervisor_name: Option<Option<String>>,
    /// The supervisor's position; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub supervisor_position: Option<Option<String>>,
    /// The supervisor's email; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(value_type = Option<String>, max_length = 320)]
    pub supervisor_email: Option<Option<String>>,
}

impl UpdateActionPlan {
    /// Whether it names any of the supervisor's fields.
    pub(super) fn names_supervisor(&self) -> bool {
        self.supervisor_name.is_some() || self.supervisor_position.is_some() || self.supervisor_email.is_some()
    }
}

/// Filters for a cohort's plans.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ActionPlanFilters {
    /// Only plans in this state.
    pub status: Option<PlanStatus>,
}

/// What a trainee has written of a plan so far, saved as a draft through the link: every part
/// is optional, and each item given must be whole (a half-written item stays on the page).
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDraft {
    /// The plan's title so far.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// The problem so far.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub problem: Option<String>,
    /// The items so far (they replace the stored ones).
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub items: Vec<PlanItem>,
}
