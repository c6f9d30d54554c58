//! What a request may send about costs: the bodies of a create and a change of a budget line and
//! of an expense, and their lists' filters and orders. Amounts are decimal strings in the
//! currency's own unit (`"1250000"` VND, `"1250.50"` USD), never JSON numbers, which lose digits
//! above 2^53 in JavaScript clients.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CostCategory, ExpenseStatus};
use crate::ids::{CohortId, EnrollmentId, PartnerId};
use crate::money::Currency;
use crate::resource::list::sort_keys;

/// A new budget line.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBudgetLine {
    /// The cohort it plans for; none: the programme as a whole.
    pub cohort_id: Option<CohortId>,
    /// The trainee's enrolment it plans for (an airfare, a per diem); its cohort is taken from it.
    pub enrollment_id: Option<EnrollmentId>,
    /// What it pays for.
    pub category: CostCategory,
    /// The partner that pays (a funder of the programme); none: the department's own budget.
    pub payer_id: Option<PartnerId>,
    /// The amount, exact, in `currency` (as many decimals as the currency has, at most).
    #[schema(pattern = r"^-?[0-9]{1,19}(\.[0-9]{1,3})?$", example = "1250000")]
    pub amount: String,
    /// ISO 4217 currency code.
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "VND")]
    pub currency: Currency,
    /// The day it is planned for; its rate converts it to the reporting currency.
    #[schema(example = "2025-03-01")]
    pub date: NaiveDate,
    /// A decision or plan number.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "QĐ 123/QĐ-HVHC")]
    pub reference: Option<String>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub note: Option<String>,
}

/// A change to a budget line: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBudgetLine {
    /// The cohort; `null`: the programme as a whole.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<CohortId>)]
    pub cohort_id: Option<Option<CohortId>>,
    /// The enrolment; `null`: none.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<EnrollmentId>)]
    pub enrollment_id: Option<Option<EnrollmentId>>,
    /// What it pays for.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub category: Option<CostCategory>,
    /// The payer; `null`: the department's own budget.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<PartnerId>)]
    pub payer_id: Option<Option<PartnerId>>,
    /// The amount, in `currency` (the new one when both change).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false, pattern = r"^-?[0-9]{1,19}(\.[0-9]{1,3})?$", example = "1250000")]
    pub amount: Option<String>,
    /// ISO 4217 currency code; send `amount` with it.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(value_type = Option<String>, nullable = false, pattern = "^[A-Z]{3}$")]
    pub currency: Option<Currency>,
    /// The day.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub date: Option<NaiveDate>,
    /// A decision or plan number; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub reference: Option<Option<String>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub note: Option<Option<String>>,
}

/// A new expense.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExpense {
    /// The cohort it was spent for; none: the programme as a whole.
    pub cohort_id: Option<CohortId>,
    /// The trainee's enrolment it was spent for (an airfare, a per diem); its cohort is taken from it.
    pub enrollment_id: Option<EnrollmentId>,
    /// What it paid for.
    pub category: CostCategory,
    /// The partner that pays (a funder of the programme); none: the department's own budget.
    pub payer_id: Option<PartnerId>,
    /// Committed (a contract signed) or paid; `committed` when left out.
    pub status: Option<ExpenseStatus>,
    /// The amount, exact, in `currency` (as many decimals as the currency has, at most).
    #[schema(pattern = r"^-?[0-9]{1,19}(\.[0-9]{1,3})?$", example = "1250000")]
    pub amount: String,
    /// ISO 4217 currency code.
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "JPY")]
    pub currency: Currency,
    /// The day it was committed or paid; its rate converts it to the reporting currency.
    #[schema(example = "2025-03-01")]
    pub date: NaiveDate,
    /// The first day a per diem or accommodation covers (the overlap check reads it).
    pub period_from: Option<NaiveDate>,
    /// The last day it covers.
    pub period_to: Option<NaiveDate>,
    /// The invoice, receipt or decision number.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "INV-2025-0042")]
    pub reference: Option<String>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub note: Option<String>,
}

/// A change to an expense: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExpense {
    /// The cohort; `null`: the programme as a whole.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<CohortId>)]
    pub cohort_id: Option<Option<CohortId>>,
    /// The enrolment; `null`: none.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<EnrollmentId>)]
    pub enrollment_id: Option<Option<EnrollmentId>>,
    /// What it paid for.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub category: Option<CostCategory>,
    /// The payer; `null`: the department's own budget.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<PartnerId>)]
    pub payer_id: Option<Option<PartnerId>>,
    /// `paid` once paid.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub status: Option<ExpenseStatus>,
    /// The amount, in `currency` (the new one when both change).
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false, pattern = r"^-?[0-9]{1,19}(\.[0-9]{1,3})?$", example = "1250000")]
    pub amount: Option<String>,
    /// ISO 4217 currency code; send `amount` with it.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(value_type = Option<String>, nullable = false, pattern = "^[A-Z]{3}$")]
    pub currency: Option<Currency>,
    /// The day.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub date: Option<NaiveDate>,
    /// The first day covered; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub period_from: Option<Option<NaiveDate>>,
    /// The last day covered; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub period_to: Option<Option<NaiveDate>>,
    /// The invoice or decision number; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub reference: Option<Option<String>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub note: Option<Option<String>>,
}

sort_keys! {
    /// Orders for the budget lines; `-` sorts descending. Ties are broken by id, in the same direction.
    pub BudgetLineSort = Sort<BudgetLineOrder> { Date = "date", CreatedAt = "created_at" }
}

sort_keys! {
    /// Orders for the expenses; `-` sorts descending. Ties are broken by id, in the same direction.
    pub ExpenseSort = Sort<ExpenseOrder> { Date = "date", CreatedAt = "created_at" }
}

/// Filters for the budget lines.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct BudgetLineFilters {
    /// Only this cohort's.
    pub cohort_id: Option<CohortId>,
    /// Only this enrolment's.
    pub enrollment_id: Option<EnrollmentId>,
    /// Only this category.
    pub category: Option<CostCategory>,
    /// Only those this partner pays.
    pub payer_id: Option<PartnerId>,
    /// `true`: only those the department pays from its own budget.
    pub own_budget: Option<bool>,
    /// Only those dated on or after this day.
    pub date_from: Option<NaiveDate>,
    /// Only those dated on or before this day.
    pub date_to: Option<NaiveDate>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<BudgetLineSort>,
}

/// Filters for the expenses.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ExpenseFilters {
    /// Only this cohort's.
    pub cohort_id: Option<CohortId>,
    /// Only this enrolment's.
    pub enrollment_id: Option<EnrollmentId>,
    /// Only this category.
    pub category: Option<CostCategory>,
    /// Only those this partner pays.
    pub payer_id: Option<PartnerId>,
    /// `true`: only those the department pays from its own budget.
    pub own_budget: Option<bool>,
    /// Only those dated on or after this day.
    pub date_from: Option<NaiveDate>,
    /// Only those dated on or before this day.
    pub date_to: Option<NaiveDate>,
    /// Only committed or only paid ones.
    pub status: Option<ExpenseStatus>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<ExpenseSort>,
}
