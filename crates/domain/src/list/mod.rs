//! Lists, written once: the orders a list offers ([`sort_keys!`], [`Sort`]), the order as terms a
//! cursor can resume from ([`Keyset`]), where a page starts ([`Paging`]), and [`page`], which runs
//! a filtered query for one page.
//!
//! A resource's list function builds its filtered query (a diesel boxed query, one `filter` per
//! parameter given), says how to order it, and hands both to [`page`].
//!
//! What a page costs does not grow with the table: the next page starts after the previous
//! page's last row ([`Cursor`]), found through the index of the order; `offset` is kept for
//! clients that use it, up to [`MAX_OFFSET`]; and the total is counted only up to
//! [`COUNT_BOUND`], past which it says how many there are at least.

pub mod keyset;
mod sort;

use diesel::dsl;
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::{FilterDsl, SelectDsl, ThenOrderDsl};
use diesel::sql_types::Integer;

use crate::access::Caller;
use crate::db::DbConnection;
use crate::error::ApiResult;

pub use keyset::{Cursor, Keyset, Order, Predicate, Term, ascending, descending};
pub(crate) use sort::sort_keys;
pub use sort::{Sort, SortKey};

/// The deepest page `offset` reaches; deeper pages follow a cursor.
pub const MAX_OFFSET: i64 = 10_000;

/// How far a list's total is counted exactly; past it the total is a lower bound.
pub const COUNT_BOUND: i64 = 1_000;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// After skipping this many rows (`?offset=`).
    Offset(i64),
    /// Just after the row the cursor was made from (`?cursor=`).
    After(Cursor),
}

/// One page of a list: how many items, from where.
#[derive(Debug, Clone, PartialEq)]
pub struct Paging {
    /// Page size.
    pub limit: i64,
    /// Where the page starts.
    pub start: Start,
    /// Whether to count the list's total (pages for people do; an export, which reads every
    /// page, does not).
    pub counted: bool,
}

impl Paging {
    /// The first `limit` items.
    pub fn first(limit: i64) -> Self {
        Self {
            limit,
            start: Start::Offset(0),
            counted: true,
        }
    }
}

/// One page of a list, with where it stands in the whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice<T> {
    /// The page's items, in the list's order.
    pub items: Vec<T>,
    /// How many items of the list come before the page.
    pub offset: i64,
    /// How many items the list holds: exactly when `total_exact`, else at least this many.
    pub total: i64,
    /// Whether `total` was counted to the end.
    pub total_exact: bool,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
}

impl<T> Slice<T> {
    /// The same page of other items, made one by one from these.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Slice<U> {
        Slice {
            items: self.items.into_iter().map(f).collect(),
            offset: self.offset,
            total: self.total,
            total_exact: self.total_exact,
            next: self.next,
        }
    }

    /// The same page of other items, made from all of these at once (reading what they share in
    /// one query, say).
    pub fn try_with<U>(self, f: impl FnOnce(Vec<T>) -> ApiResult<Vec<U>>) -> ApiResult<Slice<U>> {
        Ok(Slice {
            items: f(self.items)?,
            offset: self.offset,
            total: self.total,
            total_exact: self.total_exact,
            next: self.next,
        })
    }
}

/// `SELECT 1`: what the bounded count loads.
type One = diesel::expression::SqlLiteral<Integer>;

/// One page of a filtered query in the order of `keys`, with the list's total. `query` builds
/// the filtered query afresh for the page and for the total.
pub fn page<'q, Q, QS, Row>(
    conn: &mut DbConnection,
    query: impl Fn() -> Q,
    keys: &Keyset<QS, Row>,
    paging: &Paging,
) -> ApiResult<Slice<Row>>
where
    QS: 'static,
    Row: 'static,
    Q: FilterDsl<Predicate<QS>, Output = Q> + ThenOrderDsl<Order<QS>, Output = Q> + SelectDsl<One>,
    Limited<Q>: LoadQuery<'q, DbConnection, Row>,
    CountRows<dsl::Select<Q, One>>: LoadQuery<'q, DbConnection, i64>,
{
    // One row more than the page: whether it comes tells whether a next page does.
    let found = rows(conn, query(), keys, &paging.start, paging.limit.saturating_add(1))?;
    slice(found, keys, paging, || {
        Ok(Count::to_bound(count_up_to(conn, query(), COUNT_BOUND)?))
    })
}

/// At most `limit` rows of `query` in the order of `keys`, from `start`.
pub fn rows<'q, Q, QS, Row>(
    conn: &mut DbConnection,
    mut query: Q,
    keys: &Keyset<QS, Row>,
    start: &Start,
    limit: i64,
) -> ApiResult<Vec<Row>>
where
    QS: 'static,
    Row: 'static,
    Q: FilterDsl<Predicate<QS>, Output = Q> + ThenOrderDsl<Order<QS>, Output = Q>,
    Limited<Q>: LoadQuery<'q, DbConnection, Row>,
{
    if let Start::After(cursor) = start {
        query = FilterDsl::filter(query, keys.after(cursor)?);
    }
    for term in keys.order() {
        query = ThenOrderDsl::then_order_by(query, term);
    }
    let offset = match start {
        Start::Offset(skip @ 1..) => Some(*skip),
        _ => None,
    };
    Ok(Limited { query, limit, offset }.load(conn)?)
}

/// The largest limit [`Limited`] writes into its SQL: a page and the row after it.
const MAX_WRITTEN_LIMIT: i64 = 201;

/// `query LIMIT limit [OFFSET ?]`, with the limit written into the SQL rather than bound.
///
/// SQLite (3.47 on) lets a bound `LIMIT` steer the plan, so binding one marks the prepared
/// statement expired and every execution parsed and planned its SQL again. Page sizes are few
/// (1 to 200), so a statement per size stays in the cache; a larger limit is bound. The offset
/// is still bound: it does not steer the plan, and its values are many.
#[derive(Debug, Clone)]
pub struct Limited<Q> {
    query: Q,
    limit: i64,
    offset: Option<i64>,
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Limited<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> diesel::query_builder::QueryId for Limited<Q> {
    type QueryId = ();
    // Found in the statement cache by its SQL, which holds the limit.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Conn> RunQueryDsl<Conn> for Limited<Q> {}

impl<DB, Q> diesel::query_builder::QueryFragment<DB> for Limited<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        if self.limit <= MAX_WRITTEN_LIMIT {
            out.push_sql(&format!(" LIMIT {}", self.limit));
        } else {
            // A rare large limit (a search's tier after a deep offset) is bound, so that the
            // statement cache holds at most one statement per size up to the bound.
            out.push_sql(" LIMIT ");
            out.push_bind_param::<diesel::sql_types::BigInt, i64>(&self.limit)?;
        }
        if let Some(offset) = &self.offset {
            out.push_sql(" OFFSET ");
            out.push_bind_param::<diesel::sql_types::BigInt, i64>(offset)?;
        }
        Ok(())
    }
}

/// How many rows a list holds, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Rows counted.
    pub rows: i64,
    /// Whether those are all there are (else there are at least that many).
    pub complete: bool,
}

impl Count {
    /// A count that stopped one past [`COUNT_BOUND`]: complete when it stopped short of it.
    pub fn to_bound(rows: i64) -> Count {
        Count {
            rows,
            complete: rows <= COUNT_BOUND,
        }
    }
}

/// The page made of `found`, the rows of a list in the order of `keys` read from
/// `paging.start`, one more than the page holds if there are that many. `count` counts the whole
/// list (see [`Count`]); it runs only when the rows cannot tell the total.
pub fn slice<QS: 'static, Row: 'static>(
    mut found: Vec<Row>,
    keys: &Keyset<QS, Row>,
    paging: &Paging,
    count: impl FnOnce() -> ApiResult<Count>,
) -> ApiResult<Slice<Row>> {
    let offset = match &paging.start {
        Start::Offset(skip) => *skip,
        Start::After(cursor) => cursor.offset(),
    };
    let more = found.len() as i64 > paging.limit;
    found.truncate(usize::try_from(paging.limit).unwrap_or(usize::MAX));
    let end = offset.saturating_add(found.len() as i64);
    let next = if more {
        found.last().map(|row| keys.cursor_after(row, end))
    } else {
        None
    };
    // A page from an offset that reached the end of the list has seen all there is; any other
    // page counts, up to the bound.
    let reached_end = matches!(paging.start, Start::Offset(skip) if !more && (skip == 0 || !found.is_empty()));
    let (total, total_exact) = if reached_end {
        (end, true)
    } else if !paging.counted {
        (end + i64::from(more), false)
    } else {
        let counted = count()?;
        if counted.complete {
            (counted.rows, true)
        } else {
            (counted.rows.max(end + i64::from(more)), false)
        }
    };
    Ok(Slice {
        items: found,
        offset,
        total,
        total_exact,
        next,
    })
}

/// How many rows `query` finds, counting no further than one past `bound`.
///
/// The database counts them (`SELECT COUNT(*) FROM (… LIMIT bound + 1)`) and answers one row:
/// loading the rows to count them here cost a trip through the driver for each, which was most of
/// a list page's time.
pub fn count_up_to<'q, Q>(conn: &mut DbConnection, query: Q, bound: i64) -> ApiResult<i64>
where
    Q: SelectDsl<One>,
    CountRows<dsl::Select<Q, One>>: LoadQuery<'q, DbConnection, i64>,
{
    let one: One = dsl::sql::<Integer>("1");
    let rows = CountRows {
        query: SelectDsl::select(query, one),
        limit: bound + 1,
    };
    Ok(rows.get_result(conn)?)
}

/// `SELECT COUNT(*) FROM (query LIMIT limit) AS counted`: how many rows a query answers, up to
/// `limit`, counted by the database. Diesel has no subquery in `FROM`; this is the one it needs.
/// The limit is written into the SQL, as [`Limited`]'s is.
#[derive(Debug, Clone)]
pub struct CountRows<Q> {
    query: Q,
    limit: i64,
}

impl<Q> diesel::query_builder::Query for CountRows<Q> {
    type SqlType = diesel::sql_types::BigInt;
}

impl<Q> diesel::query_builder::QueryId for CountRows<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Conn> RunQueryDsl<Conn> for CountRows<Q> {}

impl<DB, Q> diesel::query_builder::QueryFragment<DB> for CountRows<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(&format!(" LIMIT {}) AS counted", self.limit));
        Ok(())
    }
}

/// A kind listed a page at a time. (Not necessarily a record that changes: audit events are listed, never
/// changed.)
pub trait List: serde::Serialize + Send + Sized + 'static {
    /// What people call several of the kind, in the API's documentation.
    const NOUNS: &'static str;
    /// The query parameters that narrow and order the list.
    type Filters: Clone + Send + 'static;
    /// What the list is of: `()` for a top-level collection, else the parent's id.
    type Parent: Copy + Send + 'static;

    /// One page of the records under `parent` that match `filters` and that `caller` may see,
    /// with how many match in all ([`page`] does the paging). A parent `caller` may not see
    /// is 404.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        parent: Self::Parent,
        filters: Self::Filters,
        paging: Paging,
    ) -> ApiResult<Slice<Self>>;
}
