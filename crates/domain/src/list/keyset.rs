//! Keyset paging. A list's order is a [`Keyset`]: terms, each of which can order the query, read a
//! row's value, and select the rows that come after a value. The last row of a page becomes a
//! [`Cursor`] (its value for each term), and the next page is the rows after it: found through
//! the order's index, so a page deep in a million rows costs what the first one does.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::dsl;
use diesel::expression::AsExpression;
use diesel::expression::expression_types::NotSelectable;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, SingleValue, SqlType, is_nullable};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::db::MultiBackend;
use crate::error::{ApiError, ApiResult};

/// One term of a list's `ORDER BY`, over the rows of `QS` (a table, or a join). (Boxable
/// expressions are `Send` already; diesel's impls are for the plain `dyn` type.)
pub type Order<QS> = Box<dyn BoxableExpression<QS, MultiBackend, SqlType = NotSelectable>>;

/// A condition on the rows of `QS`.
pub type Predicate<QS> = Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool>>;

/// Where a value falls in a term's order: the rows at it or after it, and those strictly after.
pub struct Bounds<QS> {
    /// Rows whose value is this one or comes after it.
    pub from: Predicate<QS>,
    /// Rows whose value comes after this one.
    pub after: Predicate<QS>,
}

/// One term of a list's order over rows of `QS` loaded as `Row`.
pub trait Term<QS, Row> {
    /// The term as a cursor names it (`full_name`, `-created_at`).
    fn name(&self) -> &str;
    /// The `ORDER BY` terms.
    fn order(&self) -> Vec<Order<QS>>;
    /// A row's value of the term, as a cursor stores it.
    fn value(&self, row: &Row) -> Value;
    /// Where `value` falls in this order; `None` when it is not a value of the term.
    fn bounds(&self, value: Value) -> Option<Bounds<QS>>;
}

/// A term over a column (or any expression) that always has a value, read from a row by `F`.
pub struct Column<E, F> {
    name: Cow<'static, str>,
    expr: E,
    descending: bool,
    value: F,
}

impl<E, F> Column<E, F> {
    /// `expr` in the given direction, read from a row by `value`.
    pub fn new(name: impl Into<Cow<'static, str>>, expr: E, descending: bool, value: F) -> Self {
        Self {
            name: name.into(),
            expr,
            descending,
            value,
        }
    }
}

/// `expr`, smallest first: for a fixed order, such as the id that breaks ties.
pub fn ascending<E, F>(name: &'static str, expr: E, value: F) -> Column<E, F> {
    Column::new(name, expr, false, value)
}

/// `expr`, largest first.
pub fn descending<E, F>(name: &'static str, expr: E, value: F) -> Column<E, F> {
    Column::new(name, expr, true, value)
}

impl<QS, Row, E, F, T> Term<QS, Row> for Column<E, F>
where
    F: Fn(&Row) -> T,
    E: Expression + Clone + 'static,
    E::SqlType: SingleValue,
    T: Serialize + DeserializeOwned + AsExpression<E::SqlType> + Clone,
    dsl::Asc<E>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send + 'static,
    dsl::Desc<E>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send + 'static,
    dsl::Gt<E, T>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
    dsl::GtEq<E, T>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
    dsl::Lt<E, T>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
    dsl::LtEq<E, T>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn order(&self) -> Vec<Order<QS>> {
        let expr = self.expr.clone();
        vec![if self.descending {
            Box::new(expr.desc())
        } else {
            Box::new(expr.asc())
        }]
    }

    fn value(&self, row: &Row) -> Value {
        serde_json::to_value((self.value)(row)).unwrap_or(Value::Null)
    }

    fn bounds(&self, value: Value) -> Option<Bounds<QS>> {
        let value: T = serde_json::from_value(value).ok()?;
        let expr = self.expr.clone();
        Some(if self.descending {
            Bounds {
                from: Box::new(expr.clone().le(value.clone())),
                after: Box::new(expr.lt(value)),
            }
        } else {
            Bounds {
                from: Box::new(expr.clone().ge(value.clone())),
                after: Box::new(expr.gt(value)),
            }
        })
    }
}

/// A term over a column that may be empty: rows without a value come last in either direction.
pub struct NullsLast<E, Row, T> {
    name: Cow<'static, str>,
    expr: E,
    descending: bool,
    value: fn(&Row) -> Option<T>,
}

impl<E, Row, T> NullsLast<E, Row, T> {
    /// `expr` in the given direction, empty values last, read from a row by `value`.
    pub fn new(name: impl Into<Cow<'static, str>>, expr: E, descending: bool, value: fn(&Row) -> Option<T>) -> Self {
        Self {
            name: name.into(),
            expr,
            descending,
            value,
        }
    }
}

/// `E IS NULL OR <comparison>`: never `NULL` itself, so it may be assumed a plain boolean.
type NullOr<E, Cmp> = dsl::AssumeNotNull<dsl::Or<dsl::IsNull<E>, Cmp>>;

impl<QS, Row, E, ST, T> Term<QS, Row> for NullsLast<E, Row, T>
where
    E: Expression<SqlType = Nullable<ST>> + Clone + 'static,
    ST: SqlType<IsNull = is_nullable::NotNull> + SingleValue,
    T: Serialize + DeserializeOwned + AsExpression<Nullable<ST>> + Clone,
    T::Expression: 'static,
    dsl::IsNull<E>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
    dsl::Asc<dsl::IsNull<E>>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send + 'static,
    dsl::Asc<E>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send + 'static,
    dsl::Desc<E>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send + 'static,
    NullOr<E, dsl::Gt<E, T>>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
    NullOr<E, dsl::GtEq<E, T>>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
    NullOr<E, dsl::Lt<E, T>>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
    NullOr<E, dsl::LtEq<E, T>>: BoxableExpression<QS, MultiBackend, SqlType = Bool> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn order(&self) -> Vec<Order<QS>> {
        let expr = self.expr.clone();
        let direction: Order<QS> = if self.descending {
            Box::new(expr.clone().desc())
        } else {
            Box::new(expr.clone().asc())
        };
        vec![Box::new(expr.is_null().asc()), direction]
    }

    fn value(&self, row: &Row) -> Value {
        serde_json::to_value((self.value)(row)).unwrap_or(Value::Null)
    }

    fn bounds(&self, value: Value) -> Option<Bounds<QS>> {
        let value: Option<T> = serde_json::from_value(value).ok()?;
        let expr = self.expr.clone();
        let Some(value) = value else {
            // Empty values come last: only other empty ones are at or after one.
            return Some(Bounds {
                from: Box::new(expr.is_null()),
                after: Box::new(diesel::dsl::sql::<Bool>("1 = 0")),
            });
        };
        let empty = || expr.clone().is_null();
        Some(if self.descending {
            Bounds {
                from: Box::new(empty().or(expr.clone().le(value.clone())).assume_not_null()),
                after: Box::new(empty().or(expr.clone().lt(value)).assume_not_null()),
            }
        } else {
            Bounds {
                from: Box::new(empty().or(expr.clone().ge(value.clone())).assume_not_null()),
                after: Box::new(empty().or(expr.clone().gt(value)).assume_not_null()),
            }
        })
    }
}

/// A list's whole order, its terms in turn; the last must be unique (the id), so that pages
/// neither repeat nor skip rows.
pub struct Keyset<QS, Row> {
    terms: Vec<Box<dyn Term<QS, Row>>>,
}

impl<QS, Row> Default for Keyset<QS, Row> {
    fn default() -> Self {
        Self { terms: Vec::new() }
    }
}

impl<QS: 'static, Row: 'static> Keyset<QS, Row> {
    /// An order of one term.
    pub fn by(term: impl Term<QS, Row> + 'static) -> Self {
        Self::default().then(term)
    }

    /// This order, then `other` among rows it finds equal.
    pub fn followed_by(mut self, other: Keyset<QS, Row>) -> Self {
        self.terms.extend(other.terms);
        self
    }

    /// This order, then `term` among rows it finds equal.
    pub fn then(mut self, term: impl Term<QS, Row> + 'static) -> Self {
        self.terms.push(Box::new(term));
        self
    }

    /// The `ORDER BY` terms, in turn.
    pub fn order(&self) -> impl Iterator<Item = Order<QS>> + '_ {
        self.terms.iter().flat_map(|term| term.order())
    }

    /// What a cursor of this order says it is for: its terms' names.
    fn signature(&self) -> String {
        self.terms.iter().map(|term| term.name()).collect::<Vec<_>>().join(",")
    }

    /// The cursor that follows `row`, the last of a page that ends `offset` rows into the list.
    pub fn cursor_after(&self, row: &Row, offset: i64) -> Cursor {
        Cursor {
            order: self.signature(),
            key: self.terms.iter().map(|term| term.value(row)).collect(),
            offset,
        }
    }

    /// The values of the row `cursor` was made from, one per term of this order. 400 when the
    /// cursor was made for another order (the request's `sort` changed).
    pub fn values<'c>(&self, cursor: &'c Cursor) -> ApiResult<&'c [Value]> {
        if cursor.order != self.signature() || cursor.key.len() != self.terms.len() {
            return Err(ApiError::bad_request(
                "invalid_query",
                "cursor was given out for another order of this list; keep the sort and filters of the \
                 request it came from, or start again from the first page without it",
            ));
        }
        Ok(&cursor.key)
    }

    /// The rows that come after the row `cursor` was made from. 400 when the cursor was made for
    /// another order (the request's `sort` changed) or is not one this list gave out.
    pub fn after(&self, cursor: &Cursor) -> ApiResult<Predicate<QS>> {
        self.values(cursor)?;
        // Row after (v1, v2, .., vn): t1 at or after v1, and either strictly after it or, among
        // rows equal on t1, after (v2, .., vn). The outer `t1 >= v1` lets the index of the order
        // find the first row directly.
        let mut rest: Option<Predicate<QS>> = None;
        for (term, value) in self.terms.iter().zip(cursor.key.iter().cloned()).rev() {
            let bounds = term.bounds(value).ok_or_else(Cursor::not_ours)?;
            rest = Some(match rest {
                None => bounds.after,
                Some(rest) => Box::new(bounds.from.and(bounds.after.or(rest))),
            });
        }
        rest.ok_or_else(Cursor::not_ours)
    }
}

/// Where the next page of a list starts: the last row's value for each term of the order, and how
/// many rows came before the next page. Sent to clients as opaque text ([`Cursor::encode`]).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    order: String,
    #[serde(rename = "k")]
    key: Vec<Value>,
    #[serde(rename = "n")]
    offset: i64,
}

impl Cursor {
    /// How many rows of the list came before the page this cursor starts (when it was made).
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// A cursor of `keys` at a row with these values (the rest of a cursor that
    /// [`Cursor::split_first`] took apart, say), at offset 0.
    pub fn for_values<QS: 'static, Row: 'static>(keys: &Keyset<QS, Row>, key: Vec<Value>) -> Cursor {
        Cursor {
            order: keys.signature(),
            key,
            offset: 0,
        }
    }

    /// The cursor as a client sees it: URL-safe text.
    pub fn encode(&self) -> String {
        let json = serde_json::json!({ "o": self.order, "k": self.key, "n": self.offset });
        URL_SAFE_NO_PAD.encode(json.to_string())
    }

    /// A cursor from a client; 400 when it is not one [`Cursor::encode`] made.
    pub fn decode(text: &str) -> ApiResult<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| Self::not_ours())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| Self::not_ours())?;
        if cursor.offset < 0 {
            return Err(Self::not_ours());
        }
        Ok(cursor)
    }

    /// 400: the cursor is not one a list gave out.
    pub fn not_ours() -> ApiError {
        ApiError::bad_request(
            "invalid_query",
            "cursor is not one this list gave out; copy it whole from the previous page's next_cursor \
             (or its Link header), or start again from the first page without it",
        )
    }
}

/// For the benchmark and tests: a cursor as a list would make it, for rows whose order has these
/// term names and values.
#[doc(hidden)]
pub fn cursor_for(order: &[&str], key: Vec<Value>, offset: i64) -> Cursor {
    Cursor {
        order: order.join(","),
        key,
        offset,
    }
}
