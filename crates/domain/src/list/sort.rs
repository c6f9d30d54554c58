//! The orders a list offers: `?sort=name` or `?sort=-name`, declared with [`sort_keys!`].

use std::borrow::Cow;

use super::keyset::{Column, NullsLast};

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
///     /// Orders for the partner list; `-` sorts descending. Ties are broken by id, in the same direction.
///     pub PartnerSort = Sort<PartnerOrder> { Code = "code", Name = "name" }
/// }
/// ```
macro_rules! sort_keys {
    ($(#[doc = $doc:literal])* $vis:vis $sort:ident = Sort<$name:ident> { $first:ident = $first_key:literal $(, $variant:ident = $key:literal)* $(,)? }) => {
        $(#[doc = $doc])*
        $vis type $sort = $crate::list::Sort<$name>;

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

        impl $crate::list::SortKey for $name {
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
    /// The term that orders a list by `column` in this sort's direction; `value` reads a row's
    /// value of it, for the cursor to the next page.
    pub fn by<E, F>(self, column: E, value: F) -> Column<E, F> {
        Column::new(self.to_string(), column, self.descending, value)
    }

    /// As [`Sort::by`], for a column that may be empty: rows without a value come last either way.
    /// (SQLite puts `NULL` first and PostgreSQL last; the term makes both agree.)
    pub fn by_nulls_last<E, Row, T>(self, column: E, value: fn(&Row) -> Option<T>) -> NullsLast<E, Row, T> {
        NullsLast::new(self.to_string(), column, self.descending, value)
    }
}

impl<K: SortKey> Sort<K> {
    /// The term that breaks ties, by `id`, in this sort's direction: a descending sort then reads
    /// the index of its column and id backwards, where an ascending id would need a sort of its own.
    pub fn ties_by<E, F>(self, id: E, value: F) -> Column<E, F> {
        Column::new(if self.descending { "-id" } else { "id" }, id, self.descending, value)
    }
}

impl<K: SortKey> std::fmt::Display for Sort<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.descending {
            f.write_str("-")?;
        }
        f.write_str(self.key.name())
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
