//! What programmes cost: budget lines (what is planned) and expenses (what was committed, then
//! paid), each in the currency it is paid in, in exact minor units, converted to the reporting
//! currency at the rate recorded for its date; and the reports that set them against each other
//! and against what the trainees achieved.
//!
//! - `rates`: exchange rates (`/api/v1/exchange-rates`).
//! - `budget_lines`, `expenses`: the two kinds of cost, one table (`costs`), told apart by status.
//! - `conversion`: the rate each cost is converted at, kept on every write and whenever a rate changes.
//! - `totals`: the sums the reports read (`cost_totals`), kept in the same transactions.
//! - `report`: the cost report; `anomalies`: the checks that catch waste.
//!
//! Who sees what: officers and admins everything; reporters read; a liaison reads the costs of the
//! programmes its partner funds (role `funder`), and a trainee's own costs only where the
//! programme's link to the partner shares trainees' data (`shares_trainee_contacts`).

pub mod anomalies;
mod budget_lines;
pub mod conversion;
mod expenses;
pub mod import;
mod input;
pub mod rates;
pub mod report;
pub mod totals;

pub use budget_lines::BudgetLine;
pub use expenses::Expense;
pub use input::{
    BudgetLineFilters, BudgetLineOrder, BudgetLineSort, CreateBudgetLine, CreateExpense, ExpenseFilters, ExpenseOrder,
    ExpenseSort, UpdateBudgetLine, UpdateExpense,
};
pub use rates::ExchangeRate;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, CostId, EnrollmentId, ExchangeRateId, PartnerId, ProgramId, TraineeId, text_enum};
use crate::money::Currency;
use crate::programs::Program;
use crate::resource::Record;
use crate::schema::{cohorts, costs, enrollments, program_partners};

text_enum!(
    /// What a cost pays for.
    CostCategory {
        /// Flights.
        Airfare,
        /// Daily allowances.
        PerDiem,
        /// Hotels and lodging.
        Accommodation,
        /// Course, tuition and registration fees.
        TuitionAndFees,
        /// Interpreters and translators.
        InterpretationAndTranslation,
        /// Rooms and halls.
        Venue,
        /// Course materials.
        Materials,
        /// Travel and health insurance.
        Insurance,
        /// Visas.
        Visa,
        /// Transport on the spot.
        LocalTransport,
        /// Anything else (say what in `note`).
        Other,
    }
);

text_enum!(
    /// Where an expense stands: a commitment (a contract signed, an order placed), then a payment.
    ExpenseStatus {
        /// Committed, not yet paid.
        Committed,
        /// Paid.
        Paid,
    }
);

text_enum!(
    /// A cost's status as stored: budget lines are `planned`; expenses are `committed` or `paid`.
    CostStatus {
        /// A budget line.
        Planned,
        /// An expense committed.
        Committed,
        /// An expense paid.
        Paid,
    }
);

impl From<ExpenseStatus> for CostStatus {
    fn from(status: ExpenseStatus) -> CostStatus {
        match status {
            ExpenseStatus::Committed => CostStatus::Committed,
            ExpenseStatus::Paid => CostStatus::Paid,
        }
    }
}

/// A budget line or an expense, as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = costs, treat_none_as_null = true)]
pub(crate) struct CostRow {
    #[diesel(skip_insertion)]
    pub id: CostId,
    pub program_id: ProgramId,
    pub cohort_id: Option<CohortId>,
    pub enrollment_id: Option<EnrollmentId>,
    pub status: CostStatus,
    pub category: CostCategory,
    pub payer_id: Option<PartnerId>,
    pub amount_minor: i64,
    pub currency: Currency,
    pub entry_date: NaiveDate,
    pub entry_year: i32,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub rate_id: Option<ExchangeRateId>,
    pub reporting_currency: Currency,
    pub reporting_minor: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
    #[diesel(skip_update)]
    pub source: Option<String>,
    #[diesel(deserialize_as = Option<String>)]
    #[diesel(skip_insertion)]
    #[diesel(skip_update)]
    pub sources: crate::provenance::Sources,
}

/// A cost in the reporting currency, and the rate that took it there.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Reported {
    /// The reporting currency (`TPMS_REPORTING_CURRENCY`).
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// The amount in it, rounded once to its minor unit, half away from zero; `null` when no rate applies.
    #[schema(example = "31812500")]
    pub amount: Option<String>,
    /// The exchange rate used (`GET /api/v1/exchange-rates/{id}`); `null` for an amount already in the
    /// reporting currency, or with no rate.
    pub rate_id: Option<ExchangeRateId>,
    /// Why there is no amount: the rate that is missing, and how to add it.
    pub missing_rate: Option<String>,
}

impl CostRow {
    /// The amount as the API writes it.
    pub fn amount(&self) -> String {
        crate::money::format_amount(self.amount_minor, self.currency)
    }

    /// The amount in the reporting currency, as the API shows it.
    pub fn reported(&self) -> Reported {
        Reported {
            currency: self.reporting_currency,
            amount: self
                .reporting_minor
                .map(|minor| crate::money::format_amount(minor, self.reporting_currency)),
            rate_id: self.rate_id,
            missing_rate: self
                .reporting_minor
                .is_none()
                .then(|| conversion::missing_rate(self.currency, self.reporting_currency, self.entry_date)),
        }
    }

    /// Apply a change's `amount` and `currency`: a new currency needs its amount (the old
    /// amount's digits mean something else in it).
    fn set_amount(&mut self, amount: Option<&str>, currency: Option<Currency>) -> ApiResult<()> {
        match (amount, currency) {
            (None, Some(currency)) if currency != self.currency => Err(ApiError::invalid(
                "amount",
                "required",
                format!("send the amount in {currency} with the new currency"),
            )),
            (None, _) => Ok(()),
            (Some(amount), currency) => {
                let currency = currency.unwrap_or(self.currency);
                self.amount_minor = parse_amount(amount, currency)?;
                self.currency = currency;
                Ok(())
            }
        }
    }

    /// Read one cost of `status`es, 404 naming `noun` otherwise.
    fn find(conn: &mut DbConnection, id: CostId, statuses: &[CostStatus], noun: &str) -> ApiResult<CostRow> {
        costs::table
            .find(id)
            .filter(costs::status.eq_any(statuses))
            .lookup::<CostRow>(conn)?
            .ok_or_else(|| ApiError::not_found(noun, id))
    }

    /// Check where a new or changed cost belongs (its cohort in its programme, its enrolment in
    /// its cohort, its payer a funder of the programme, its period in order), take the cohort
    /// from the enrolment when only that is given, and convert it.
    fn settled(mut self, conn: &mut DbConnection) -> ApiResult<CostRow> {
        // The field an error about the cohort names: the one the client sent, which is the
        // enrolment's when the cohort was taken from it.
        let mut cohort_field = "cohort_id";
        if let Some(enrollment) = self.enrollment_id {
            let cohort: CohortId = enrollments::table
                .find(enrollment)
                .select(enrollments::cohort_id)
                .lookup(conn)?
                .ok_or_else(|| {
                    ApiError::invalid(
                        "enrollment_id",
                        "not_found",
                        format!("names no enrolment (id {enrollment}); see GET /api/v1/cohorts/{{id}}/enrollments"),
                    )
                })?;
            match self.cohort_id {
                Some(given) if given != cohort => {
                    return Err(ApiError::invalid(
                        "enrollment_id",
                        "not_in_cohort",
                        format!(
                            "enrolment {enrollment} is in cohort {cohort}, not {given}; give its cohort or leave cohort_id out"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    self.cohort_id = Some(cohort);
                    cohort_field = "enrollment_id";
                }
            }
        }
        if let Some(cohort) = self.cohort_id {
            let program: ProgramId = cohorts::table
                .find(cohort)
                .select(cohorts::program_id)
                .lookup(conn)?
                .ok_or_else(|| {
                    ApiError::invalid(
                        "cohort_id",
                        "not_found",
                        format!(
                            "names no cohort (id {cohort}); see GET /api/v1/programs/{}/cohorts",
                            self.program_id
                        ),
                    )
                })?;
            if program != self.program_id {
                let whose = match cohort_field {
                    "enrollment_id" => format!("the enrolment's cohort {cohort}"),
                    _ => format!("cohort {cohort}"),
                };
                return Err(ApiError::invalid(
                    cohort_field,
                    "not_in_program",
                    format!(
                        "{whose} belongs to programme {program}, not {}; record the cost under its own programme",
                        self.program_id
                    ),
                ));
            }
        }
        if let Some(payer) = self.payer_id
            && !funders_of(conn, self.program_id)?.contains(&payer)
        {
            return Err(ApiError::invalid(
                "payer_id",
                "not_a_funder",
                format!(
                    "partner {payer} is not a funder of programme {}: give it the role `funder` (PUT /api/v1/programs/{}/partners/{payer}), or leave payer_id out for the department's own budget",
                    self.program_id, self.program_id
                ),
            ));
        }
        if let (Some(from), Some(to)) = (self.period_from, self.period_to)
            && to < from
        {
            return Err(ApiError::invalid(
                "period_to",
                "before_start",
                format!("ends ({to}) before period_from ({from})"),
            ));
        }
        self.entry_year = self.entry_date.year();
        let reporting = conversion::reporting_currency(conn)?;
        conversion::Rates::for_currency(conn, self.currency, reporting)?.convert_row(&mut self)?;
        Ok(self)
    }

    /// Insert a new cost with its totals.
    fn insert(self, conn: &mut DbConnection) -> ApiResult<CostRow> {
        let row = self.settled(conn)?;
        let stored: CostRow = diesel::insert_into(costs::table)
            .values(&row)
            .returning(costs::all_columns)
            .get_result(conn)?;
        totals::apply(conn, &stored, 1)?;
        anomalies::mark(conn, &stored)?;
        Ok(stored)
    }

    /// Store a changed cost if it still holds `current`'s version, moving its totals.
    fn store(&self, conn: &mut DbConnection, current: &CostRow) -> ApiResult<Option<CostRow>> {
        let stored: Option<CostRow> =
            diesel::update(costs::table.find(self.id).filter(costs::version.eq(current.version)))
                .set(self)
                .returning(costs::all_columns)
                .get_result(conn)
                .optional()?;
        if let Some(stored) = &stored {
            totals::apply(conn, current, -1)?;
            totals::apply(conn, stored, 1)?;
            anomalies::mark(conn, stored)?;
        }
        Ok(stored)
    }

    /// Delete a cost and take it out of its totals.
    fn delete(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(costs::table.find(self.id)).execute(conn)?;
        anomalies::unmark(conn, self.id)?;
        totals::apply(conn, self, -1)
    }
}

/// What a new budget line or expense says, whichever it is.
pub(crate) struct NewCost {
    pub cohort_id: Option<CohortId>,
    pub enrollment_id: Option<EnrollmentId>,
    pub status: CostStatus,
    pub category: CostCategory,
    pub payer_id: Option<PartnerId>,
    pub amount: String,
    pub currency: Currency,
    pub date: NaiveDate,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub reference: Option<String>,
    pub note: Option<String>,
}

/// What a change to a budget line or an expense says: only what is given changes; `Some(None)`
/// clears.
#[derive(Default)]
pub(crate) struct CostChange {
    pub cohort_id: Option<Option<CohortId>>,
    pub enrollment_id: Option<Option<EnrollmentId>>,
    pub status: Option<CostStatus>,
    pub category: Option<CostCategory>,
    pub payer_id: Option<Option<PartnerId>>,
    pub amount: Option<String>,
    pub currency: Option<Currency>,
    pub date: Option<NaiveDate>,
    pub period_from: Option<Option<NaiveDate>>,
    pub period_to: Option<Option<NaiveDate>>,
    pub reference: Option<Option<String>>,
    pub note: Option<Option<String>>,
}

impl CostRow {
    /// Record a new cost of programme `program`: placed, converted and counted in its totals.
    pub(crate) fn create(conn: &mut DbConnection, program: ProgramId, new: NewCost) -> ApiResult<CostRow> {
        Program::find(conn, program)?;
        let now = crate::clock::now();
        CostRow {
            id: CostId(0),
            program_id: program,
            cohort_id: new.cohort_id,
            enrollment_id: new.enrollment_id,
            status: new.status,
            category: new.category,
            payer_id: new.payer_id,
            amount_minor: parse_amount(&new.amount, new.currency)?,
            currency: new.currency,
            entry_date: new.date,
            entry_year: new.date.year(),
            period_from: new.period_from,
            period_to: new.period_to,
            reference: new.reference,
            note: new.note,
            rate_id: None,
            reporting_currency: new.currency,
            reporting_minor: None,
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            sources: Default::default(),
        }
        .insert(conn)
    }

    /// This cost with `change` applied, placed and converted again.
    pub(crate) fn changed(&self, conn: &mut DbConnection, change: CostChange) -> ApiResult<CostRow> {
        let mut row = self.clone();
        row.cohort_id = change.cohort_id.unwrap_or(row.cohort_id);
        row.enrollment_id = change.enrollment_id.unwrap_or(row.enrollment_id);
        row.status = change.status.unwrap_or(row.status);
        row.category = change.category.unwrap_or(row.category);
        row.payer_id = change.payer_id.unwrap_or(row.payer_id);
        row.set_amount(change.amount.as_deref(), change.currency)?;
        row.entry_date = change.date.unwrap_or(row.entry_date);
        row.period_from = change.period_from.unwrap_or(row.period_from);
        row.period_to = change.period_to.unwrap_or(row.period_to);
        row.reference = change.reference.unwrap_or(row.reference);
        row.note = change.note.unwrap_or(row.note);
        row.settled(conn)
    }
}

/// The partners that fund programme `program` (role `funder`).
pub fn funders_of(conn: &mut DbConnection, program: ProgramId) -> ApiResult<Vec<PartnerId>> {
    Ok(program_partners::table
        .filter(program_partners::program_id.eq(program))
        .filter(program_partners::roles.like("%\"funder\"%"))
        .select(program_partners::partner_id)
        .load(conn)?)
}

/// What a caller may read of a programme's costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostView {
    /// Staff: every cost.
    Everything,
    /// A liaison of a funder: the programme's costs, and a trainee's own only when `trainee_lines`.
    Funder {
        /// Whether the programme's link to the partner shares trainees' data.
        trainee_lines: bool,
    },
}

impl CostView {
    /// What `caller` may read of programme `program`'s costs: 404 (as the programme) for a liaison
    /// whose partner does not fund it.
    pub fn of(conn: &mut DbConnection, caller: &Caller, program: ProgramId) -> ApiResult<CostView> {
        let Some(partner) = caller.liaison_partner() else {
            Program::find(conn, program)?;
            return Ok(CostView::Everything);
        };
        let link: Option<bool> = program_partners::table
            .filter(program_partners::program_id.eq(program))
            .filter(program_partners::partner_id.eq(partner))
            .filter(program_partners::roles.like("%\"funder\"%"))
            .select(program_partners::shares_trainee_contacts)
            .lookup(conn)?;
        match link {
            Some(trainee_lines) => Ok(CostView::Funder { trainee_lines }),
            None => Err(ApiError::not_found("programme", program)),
        }
    }

    /// Whether a trainee's own costs may be shown.
    pub fn shows_trainee_lines(self) -> bool {
        match self {
            CostView::Everything => true,
            CostView::Funder { trainee_lines } => trainee_lines,
        }
    }

    /// Whether a cost may be shown: a trainee's own cost only where trainee lines are shared.
    pub fn shows(self, row_enrollment: Option<EnrollmentId>) -> bool {
        row_enrollment.is_none() || self.shows_trainee_lines()
    }
}

/// Read one cost as `caller` may see it: 404 for a liaison outside its funded programmes, and
/// for a trainee's own cost its link does not share.
fn find_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CostId,
    statuses: &[CostStatus],
    noun: &str,
) -> ApiResult<CostRow> {
    let row = CostRow::find(conn, id, statuses, noun)?;
    let view = CostView::of(conn, caller, row.program_id).map_err(|_| ApiError::not_found(noun, id))?;
    if view.shows(row.enrollment_id) {
        disclose(conn, caller, std::slice::from_ref(&row))?;
        Ok(row)
    } else {
        Err(ApiError::not_found(noun, id))
    }
}

/// Record that a liaison was given what was spent on trainees: the trainee of each cost among
/// `rows` that belongs to an enrolment (a trainee's own cost), once each, in one statement. A
/// cost line names no one, but its enrolment does, so the line is the trainee's personal data.
/// Nothing for staff, and no query at all for a page without a trainee's cost.
fn disclose(conn: &mut DbConnection, caller: &Caller, rows: &[CostRow]) -> ApiResult<()> {
    use crate::disclosures::{Disclosed, PersonalField};
    if caller.liaison_partner().is_none() {
        return Ok(());
    }
    let mut owned: Vec<EnrollmentId> = rows.iter().filter_map(|r| r.enrollment_id).collect();
    if owned.is_empty() {
        return Ok(());
    }
    owned.sort_unstable();
    owned.dedup();
    let mut trainees: Vec<TraineeId> = enrollments::table
        .filter(enrollments::id.eq_any(&owned))
        .select(enrollments::trainee_id)
        .load(conn)?;
    trainees.sort_unstable();
    trainees.dedup();
    crate::disclosures::record(
        conn,
        caller,
        "costs",
        trainees.into_iter().map(|trainee| Disclosed {
            trainee,
            fields: vec![PersonalField::Costs],
        }),
    )
}

/// 422 naming `amount` when it is not an exact amount of `currency`.
fn parse_amount(text: &str, currency: Currency) -> ApiResult<i64> {
    crate::money::parse_amount(text, currency).map_err(|e| ApiError::invalid("amount", "invalid_amount", e.to_string()))
}

/// What a cost list is narrowed to: the statuses of its kind, the filters asked for, and what the
/// caller may see.
pub(crate) struct Narrowing {
    pub statuses: Vec<CostStatus>,
    pub cohort_id: Option<CohortId>,
    pub enrollment_id: Option<EnrollmentId>,
    pub category: Option<CostCategory>,
    pub payer_id: Option<PartnerId>,
    pub own_budget: Option<bool>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub view: CostView,
}

type CostQuery = costs::BoxedQuery<'static, crate::db::MultiBackend>;

impl Narrowing {
    /// Programme `program`'s costs as narrowed.
    fn query(&self, program: ProgramId) -> CostQuery {
        let mut query = costs::table
            .filter(costs::program_id.eq(program))
            .filter(costs::status.eq_any(self.statuses.clone()))
            .into_boxed();
        if let Some(cohort) = self.cohort_id {
            query = query.filter(costs::cohort_id.eq(cohort));
        }
        if let Some(enrollment) = self.enrollment_id {
            query = query.filter(costs::enrollment_id.eq(enrollment));
        }
        if let Some(category) = self.category {
            query = query.filter(costs::category.eq(category));
        }
        if let Some(payer) = self.payer_id {
            query = query.filter(costs::payer_id.eq(payer));
        }
        match self.own_budget {
            Some(true) => query = query.filter(costs::payer_id.is_null()),
            Some(false) => query = query.filter(costs::payer_id.is_not_null()),
            None => {}
        }
        if let Some(from) = self.date_from {
            query = query.filter(costs::entry_date.ge(from));
        }
        if let Some(to) = self.date_to {
            query = query.filter(costs::entry_date.le(to));
        }
        if !self.view.shows_trainee_lines() {
            query = query.filter(costs::enrollment_id.is_null());
        }
        query
    }
}

/// A trainee's own costs in one cohort (those recorded against their enrolment), in the reporting
/// currency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TraineeCosts {
    /// The reporting currency.
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// Budgeted for them.
    pub planned: String,
    /// Committed, not yet paid.
    pub committed: String,
    /// Paid.
    pub paid: String,
    /// Their costs left out for want of an exchange rate.
    pub unconverted_costs: i64,
}

/// The own costs of each of `enrollments` that has any.
pub fn of_enrollments(
    conn: &mut DbConnection,
    enrollments: &[EnrollmentId],
) -> ApiResult<std::collections::HashMap<EnrollmentId, TraineeCosts>> {
    let currency = conversion::reporting_currency(conn)?;
    let rows: Vec<(Option<EnrollmentId>, CostStatus, Option<i64>)> = costs::table
        .filter(costs::enrollment_id.eq_any(enrollments))
        .select((costs::enrollment_id, costs::status, costs::reporting_minor))
        .load(conn)?;
    let mut sums: std::collections::HashMap<EnrollmentId, [i64; 4]> = std::collections::HashMap::new();
    for (enrollment, status, minor) in rows {
        let Some(enrollment) = enrollment else { continue };
        let sum = sums.entry(enrollment).or_default();
        // Past 64 bits the sum is refused as the report refuses it, never held at the limit.
        let (slot, minor) = match (status, minor) {
            (_, None) => (3, 1),
            (CostStatus::Planned, Some(m)) => (0, m),
            (CostStatus::Committed, Some(m)) => (1, m),
            (CostStatus::Paid, Some(m)) => (2, m),
        };
        sum[slot] = sum[slot].checked_add(minor).ok_or_else(report::too_large)?;
    }
    let money = |minor: i64| crate::money::format_amount(minor, currency);
    Ok(sums
        .into_iter()
        .map(|(enrollment, [planned, committed, paid, unconverted])| {
            let costs = TraineeCosts {
                currency,
                planned: money(planned),
                committed: money(committed),
                paid: money(paid),
                unconverted_costs: unconverted,
            };
            (enrollment, costs)
        })
        .collect())
}
