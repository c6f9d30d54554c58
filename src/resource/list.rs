//! Lists, written once: the orders a list offers ([`sort_keys!`], [`Sort`]), a page of it
//! ([`Paging`]), and [`page`], which runs a filtered query for one page and its total.
//!
//! A resource's list function builds its filtered query (a diesel boxed query, one `filter` per
//! parameter given), says how to order it, and hands both to [`page`].

use std::borrow::Cow;

use diesel::dsl::CountStar;
use diesel::expression::expression_types::NotSelectable;
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::{LimitDsl, OffsetDsl, SelectDsl, ThenOrderDsl};

use crate::db::{DbConnection, MultiBackend};
use crate::error::ApiResult;

/// One page of a list: how many items, after skipping how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
}

/// One term of a list's `ORDER BY`, over the rows of `QS` (a table, or a join).
pub type Order<QS> = Box<dyn BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send>;

/// The keys a list may be sorted by (`?sort=name`, or `?sort=-name` for descending). Declared
/// with [`sort_keys!`].
pub trait SortKey: Copy + Default + PartialEq + Send + 'static {
    /// Every key, in the order the documentation lists them.
    const ALL: &'static [Self];
    /// Every value `?sort=` takes: each key, then the same descending.
    const VALUES: &'static [&'static str];
    /// What the orders do, as the documentation says it (one line each).
    const DOC: &'static [&'static str];
    /// The key as written in `?sort=`.
    fn name(self) -> &'static str;
}

/// Declare the keys a list may be sorted by: an enum whose first variant is the default, with
/// [`SortKey`] implemented, and the name of its `?sort=` parameter's type. Each variant names the
/// `?sort=` value it answers to.
///
/// ```ignore
/// sort_keys! {
///     /// Orders for the partner list; `-` sorts descending. Ties are broken by id.
///     pub PartnerSort = Sort<PartnerOrder> { Code = "code", Name = "name" }
/// }
/// ```
macro_rules! sort_keys {
    ($(#[doc = $doc:literal])* $vis:vis $sort:ident = Sort<$name:ident> { $first:ident = $first_key:literal $(, $variant:ident = $key:literal)* $(,)? }) => {
        $(#[doc = $doc])*
        $vis type $sort = $crate::resource::list::Sort<$name>;

        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        $vis enum $name {
            #[default]
            #[doc = concat!("`", $first_key, "` (the default)")]
            $first,
            $(
                #[doc = concat!("`", $key, "`")]
                $variant,
            )*
        }

        impl $crate::resource::list::SortKey for $name {
            const ALL: &'static [Self] = &[Self::$first $(, Self::$variant)*];
            const VALUES: &'static [&'static str] = &[$first_key, concat!("-", $first_key) $(, $key, concat!("-", $key))*];
            const DOC: &'static [&'static str] = &[$($doc),*];
            fn name(self) -> &'static str {
                match self {
                    Self::$first => $first_key,
                    $(Self::$variant => $key,)*
                }
            }
        }
    };
}
pub(crate) use sort_keys;

/// A list's order as asked for: a key, ascending or descending (`?sort=-name`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort<K> {
    /// What to sort by.
    pub key: K,
    /// Largest first.
    pub descending: bool,
}

impl<K: SortKey> Sort<K> {
    /// `column` in this sort's direction.
    pub fn by<QS, C>(self, column: C) -> Order<QS>
    where
        C: ExpressionMethods + Send + 'static,
        diesel::dsl::Asc<C>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send,
        diesel::dsl::Desc<C>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send,
    {
        if self.descending {
            Box::new(column.desc())
        } else {
            Box::new(column.asc())
        }
    }

    /// `column` in this sort's direction, rows without a value last either way. (SQLite puts
    /// `NULL` first and PostgreSQL last; ordering on `IS NULL` first makes both agree.)
    pub fn by_nulls_last<QS, C>(self, column: C) -> [Order<QS>; 2]
    where
        C: ExpressionMethods + Clone + Send + 'static,
        diesel::dsl::Asc<diesel::dsl::IsNull<C>>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send,
        diesel::dsl::Asc<C>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send,
        diesel::dsl::Desc<C>: BoxableExpression<QS, MultiBackend, SqlType = NotSelectable> + Send,
    {
        [Box::new(column.clone().is_null().asc()), self.by(column)]
    }
}

impl<'de, K: SortKey> serde::Deserialize<'de> for Sort<K> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text.as_ref()),
        };
        K::ALL
            .iter()
            .find(|key| key.name() == name)
            .map(|&key| Sort { key, descending })
            .ok_or_else(|| serde::de::Error::unknown_variant(&text, K::VALUES))
    }
}

impl<K: SortKey> utoipa::PartialSchema for Sort<K> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        // Doc comments arrive with the space after `///`; the documentation joins the lines.
        let description = K::DOC
            .iter()
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n");
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .description(Some(description))
            .enum_values(Some(K::VALUES.iter().copied()))
            .into()
    }
}

impl<K: SortKey> utoipa::ToSchema for Sort<K> {}

/// One page of a filtered query, after `order` and the paging, with how many rows match in all:
/// `query` builds the filtered query afresh for the total and for the page. Ties in `order` must
/// be broken (by id, last) so that pages neither repeat nor skip rows.
pub fn page<'q, Q, QS, Row>(
    conn: &mut DbConnection,
    query: impl Fn() -> Q,
    order: impl IntoIterator<Item = Order<QS>>,
    paging: Paging,
) -> ApiResult<(Vec<Row>, i64)>
where
    Q: QueryDsl
        + RunQueryDsl<DbConnection>
        + SelectDsl<CountStar>
        + ThenOrderDsl<Order<QS>, Output = Q>
        + LimitDsl<Output = Q>
        + OffsetDsl<Output = Q>
        + LoadQuery<'q, DbConnection, Row>,
    diesel::dsl::Select<Q, CountStar>: RunQueryDsl<DbConnection> + LoadQuery<'q, DbConnection, i64>,
{
    let total: i64 = query().count().get_result(conn)?;
    let mut ordered = query();
    for term in order {
        ordered = QueryDsl::then_order_by(ordered, term);
    }
    let rows = QueryDsl::offset(QueryDsl::limit(ordered, paging.limit), paging.offset).load(conn)?;
    Ok((rows, total))
}
