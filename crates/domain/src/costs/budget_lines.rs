//! Budget lines: what a programme plans to spend (`/api/v1/programs/{id}/budget-lines`,
//! `/api/v1/budget-lines/{id}`). Stored in `costs` with status `planned`.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    BudgetLineFilters, BudgetLineOrder, CostCategory, CostChange, CostRow, CostStatus, CostView, CreateBudgetLine,
    Narrowing, NewCost, Reported, UpdateBudgetLine,
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

/// What a programme plans to spend on one thing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BudgetLine {
    /// Id.
    pub id: CostId,
    /// The programme.
    pub program_id: ProgramId,
    /// The cohort it plans for; `null`: the programme as a whole.
    pub cohort_id: Option<CohortId>,
    /// The trainee's enrolment it plans for.
    pub enrollment_id: Option<EnrollmentId>,
    /// What it pays for.
    pub category: CostCategory,
    /// The partner that pays; `null`: the department's own budget.
    pub payer_id: Option<PartnerId>,
    /// The amount, exact, as a decimal string in `currency`.
    #[schema(example = "1250000")]
    pub amount: String,
    /// ISO 4217 currency code.
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// The day it is planned for.
    pub date: NaiveDate,
    /// A decision or plan number.
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

impl From<CostRow> for BudgetLine {
    fn from(row: CostRow) -> BudgetLine {
        BudgetLine {
            id: row.id,
            program_id: row.program_id,
            cohort_id: row.cohort_id,
            enrollment_id: row.enrollment_id,
            category: row.category,
            payer_id: row.payer_id,
            amount: row.amount(),
            currency: row.currency,
            date: row.entry_date,
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

const STATUSES: [CostStatus; 1] = [CostStatus::Planned];

impl Record for BudgetLine {
    type Key = CostId;
    const ENTITY: Entity = Entity::BudgetLine;
    const NOUN: &'static str = "budget line";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: CostId) -> ApiResult<BudgetLine> {
        CostRow::find(conn, id, &STATUSES, Self::NOUN).map(BudgetLine::from)
    }

    /// 404 for a liaison outside the programmes its partner funds, and for a trainee's own line
    /// where the programme does not share trainees' data with it.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: CostId) -> ApiResult<BudgetLine> {
        super::find_visible(conn, caller, id, &STATUSES, Self::NOUN).map(BudgetLine::from)
    }
}

impl Create for BudgetLine {
    type New = CreateBudgetLine;
    type Parent = ProgramId;

    fn insert(conn: &mut DbConnection, program: ProgramId, new: CreateBudgetLine) -> ApiResult<BudgetLine> {
        let new = NewCost {
            cohort_id: new.cohort_id,
            enrollment_id: new.enrollment_id,
            status: CostStatus::Planned,
            category: new.category,
            payer_id: new.payer_id,
            amount: new.amount,
            currency: new.currency,
            date: new.date,
            period_from: None,
            period_to: None,
            reference: new.reference,
            note: new.note,
        };
        CostRow::create(conn, program, new).map(BudgetLine::from)
    }
}

impl Store for BudgetLine {
    fn store(&self, conn: &mut DbConnection, current: &BudgetLine) -> ApiResult<Option<BudgetLine>> {
        Ok(self.row.store(conn, &current.row)?.map(BudgetLine::from))
    }
}

impl Change for BudgetLine {
    type Change = UpdateBudgetLine;

    fn patched(&self, conn: &mut DbConnection, change: UpdateBudgetLine) -> ApiResult<BudgetLine> {
        let change = CostChange {
            cohort_id: change.cohort_id,
            enrollment_id: change.enrollment_id,
            category: change.category,
            payer_id: change.payer_id,
            amount: change.amount,
            currency: change.currency,
            date: change.date,
            reference: change.reference,
            note: change.note,
            ..CostChange::default()
        };
        self.row.changed(conn, change).map(BudgetLine::from)
    }
}

impl Remove for BudgetLine {
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        self.row.delete(conn)
    }
}

impl List for BudgetLine {
    const NOUNS: &'static str = "budget lines";
    type Filters = BudgetLineFilters;
    type Parent = ProgramId;

    /// A liaison of a funder lists the programme's lines (a trainee's own only where shared);
    /// any other liaison gets 404 for the programme.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        program: ProgramId,
        filters: BudgetLineFilters,
        paging: Paging,
    ) -> ApiResult<Slice<BudgetLine>> {
        let narrowing = Narrowing {
            statuses: STATUSES.to_vec(),
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
            BudgetLineOrder::Date => Keyset::by(sort.by(costs::entry_date, |r: &CostRow| r.entry_date)),
            BudgetLineOrder::CreatedAt => Keyset::by(sort.by(costs::created_at, |r: &CostRow| r.created_at)),
        };
        let keys = keys.then(sort.ties_by(costs::id, |r: &CostRow| r.id));
        list::page(conn, || narrowing.query(program), &keys, &paging)?.try_with(|rows| {
            super::disclose(conn, caller, &rows)?;
            Ok(rows.into_iter().map(BudgetLine::from).collect())
        })
    }
}
