//! Expenses: what a programme spent, committed then paid (`/api/v1/programs/{id}/expenses`,
//! `/api/v1/expenses/{id}`). Stored in `costs` with status `committed` or `paid`.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    CostCategory, CostChange, CostRow, CostStatus, CostView, CreateExpense, ExpenseFilters, ExpenseOrder,
    ExpenseStatus, Narrowing, NewCost, Reported, UpdateExpense,
};
use crate::access::Caller;
use crate::audit::Entity;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::{CohortId, CostId, EnrollmentId, PartnerId, ProgramId};
use crate::money::Currency;
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::costs;

/// What a programme spent (or committed to spend) on one thing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Expense {
    /// Id.
    pub id: CostId,
    /// The programme.
    pub program_id: ProgramId,
    /// The cohort it was spent for; `null`: the programme as a whole.
    pub cohort_id: Option<CohortId>,
    /// The trainee's enrolment it was spent for.
    pub enrollment_id: Option<EnrollmentId>,
    /// What it paid for.
    pub category: CostCategory,
    /// The partner that pays; `null`: the department's own budget.
    pub payer_id: Option<PartnerId>,
    /// Committed or paid.
    pub status: ExpenseStatus,
    /// The amount, exact, as a decimal string in `currency`.
    #[schema(example = "1250000")]
    pub amount: String,
    /// ISO 4217 currency code.
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// The day it was committed or paid.
    pub date: NaiveDate,
    /// The first day a per diem or accommodation covers.
    pub period_from: Option<NaiveDate>,
    /// The last day it covers.
    pub period_to: Option<NaiveDate>,
    /// The invoice, receipt or decision number.
    pub reference: Option<String>,
    /// Free notes.
    pub note: Option<String>,
    /// The amount in the reporting currency.
    pub reporting: Reported,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
    /// For a record loaded by `tpms seed`: the seed document its facts come from (the seeds hold no
    /// amounts, so none does yet).
    pub source: Option<String>,
    /// Every seed document its facts come from.
    #[schema(value_type = Vec<String>)]
    pub sources: crate::provenance::Sources,
    #[serde(skip)]
    row: CostRow,
}

impl From<CostRow> for Expense {
    fn from(row: CostRow) -> Expense {
        Expense {
            id: row.id,
            program_id: row.program_id,
            cohort_id: row.cohort_id,
            enrollment_id: row.enrollment_id,
            category: row.category,
            payer_id: row.payer_id,
            status: match row.status {
                CostStatus::Paid => ExpenseStatus::Paid,
                CostStatus::Committed | CostStatus::Planned => ExpenseStatus::Committed,
            },
            amount: row.amount(),
            currency: row.currency,
            date: row.entry_date,
            period_from: row.period_from,
            period_to: row.period_to,
            reference: row.reference.clone(),
            note: row.note.clone(),
            reporting: row.reported(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            source: row.source.clone(),
            sources: row.sources.clone(),
            row,
        }
    }
}

const STATUSES: [CostStatus; 2] = [CostStatus::Committed, CostStatus::Paid];

impl Record for Expense {
    type Key = CostId;
    const ENTITY: Entity = Entity::Expense;
    const NOUN: &'static str = "expense";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: CostId) -> ApiResult<Expense> {
        CostRow::find(conn, id, &STATUSES, Self::NOUN).map(Expense::from)
    }

    /// 404 for a liaison outside the programmes its partner funds, and for a trainee's own expense
    /// where the programme does not share trainees' data with it.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: CostId) -> ApiResult<Expense> {
        super::find_visible(conn, caller, id, &STATUSES, Self::NOUN).map(Expense::from)
    }
}

impl Create for Expense {
    type New = CreateExpense;
    type Parent = ProgramId;

    fn insert(conn: &mut DbConnection, program: ProgramId, new: CreateExpense) -> ApiResult<Expense> {
        let new = NewCost {
            cohort_id: new.cohort_id,
            enrollment_id: new.enrollment_id,
            status: new.status.unwrap_or(ExpenseStatus::Committed).into(),
            category: new.category,
            payer_id: new.payer_id,
            amount: new.amount,
            currency: new.currency,
            date: new.date,
            period_from: new.period_from,
            period_to: new.period_to,
            reference: new.reference,
            note: new.note,
        };
        CostRow::create(conn, program, new).map(Expense::from)
    }
}

impl Store for Expense {
    fn store(&self, conn: &mut DbConnection, current: &Expense) -> ApiResult<Option<Expense>> {
        Ok(self.row.store(conn, &current.row)?.map(Expense::from))
    }
}

impl Change for Expense {
    type Change = UpdateExpense;

    fn patched(&self, conn: &mut DbConnection, change: UpdateExpense) -> ApiResult<Expense> {
        let change = CostChange {
            cohort_id: change.cohort_id,
            enrollment_id: change.enrollment_id,
            status: change.status.map(CostStatus::from),
            category: change.category,
            payer_id: change.payer_id,
            amount: change.amount,
            currency: change.currency,
            date: change.date,
            period_from: change.period_from,
            period_to: change.period_to,
            reference: change.reference,
            note: change.note,
        };
        self.row.changed(conn, change).map(Expense::from)
    }
}

impl Remove for Expense {
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        self.row.delete(conn)
    }
}

impl List for Expense {
    const NOUNS: &'static str = "expenses";
    type Filters = ExpenseFilters;
    type Parent = ProgramId;

    /// A liaison of a funder lists the programme's expenses (a trainee's own only where shared);
    /// any other liaison gets 404 for the programme.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        program: ProgramId,
        filters: ExpenseFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Expense>> {
        let narrowing = Narrowing {
            statuses: match filters.status {
                Some(status) => vec![status.into()],
                None => STATUSES.to_vec(),
            },
            cohort_id: filters.cohort_id,
            enrollment_id: filters.enrollment_id,
            category: filters.category,
            payer_id: filters.payer_id,
            own_budget: filters.own_budget,
            date_from: filters.date_from,
            date_to: filters.date_to,
            view: CostView::of(conn, caller, program)?,
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            ExpenseOrder::Date => Keyset::by(sort.by(costs::entry_date, |r: &CostRow| r.entry_date)),
            ExpenseOrder::CreatedAt => Keyset::by(sort.by(costs::created_at, |r: &CostRow| r.created_at)),
        };
        let keys = keys.then(sort.ties_by(costs::id, |r: &CostRow| r.id));
        list::page(conn, || narrowing.query(program), &keys, &paging)?.try_with(|rows| {
            super::disclose(conn, caller, &rows)?;
            Ok(rows.into_iter().map(Expense::from).collect())
        })
    }
}
