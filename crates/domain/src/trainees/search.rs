//! `?q=` for trainees: finds a trainee by the words of their name, organisation and position,
//! with or without Vietnamese diacritics, in any case, by word prefix, the same way on SQLite and
//! PostgreSQL, through an index.
//!
//! Each trainee's words are stored in `trainee_terms`, twice: lower-cased as written
//! (`term_exact`, "tuấn") and folded (`term_folded`, "tuan", see [`crate::text::fold`]). Both
//! columns compare bytes (SQLite's BINARY; PostgreSQL's `COLLATE "C"`), so "starts with `w`" is
//! the range `w <= term < w || U+10FFFF`, which a B-tree index answers on both databases, unlike
//! `LIKE`, whose case rules and index use differ between them.
//!
//! A query matches when every one of its words is a prefix of some folded term of the trainee.
//! Matches rank first by how many query words are a prefix of a word of the name (`in_name`), so
//! "nguyen van duc" puts Nguyễn Văn Đức above a Nguyễn Đức whose position says "Văn phòng"; then
//! by how many are a prefix of an exact term, so the diacritics typed count: "tuấn" finds "Tuấn"
//! and "Tuần" and puts "Tuấn" first; "tuan" finds both, equal. See [`Rank`].

use diesel::dsl::{self, case_when, exists};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Integer;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::Trainee;
use crate::error::{ApiError, ApiResult};
use crate::schema::{trainee_terms, trainees};

/// Most distinct words a query may hold: each adds a lookup, and no name, organisation and
/// position together need more.
pub const MAX_QUERY_WORDS: usize = 100;

/// A word as searched: lower case with its diacritics (NFC), and folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lower case, diacritics kept, NFC: "đức".
    pub exact: String,
    /// Lower case, no diacritics, đ as d: "duc".
    pub folded: String,
}

/// The fields a trainee is found by: full name, organisation, position.
pub fn searched_fields(trainee: &Trainee) -> [Option<&str>; 3] {
    [
        Some(trainee.full_name.as_str()),
        trainee.organisation.as_deref(),
        trainee.position.as_deref(),
    ]
}

/// A trainee's words, each with whether it is a word of the name (a word in the name and in the
/// organisation counts as the name's): what `trainee_terms` stores for it.
pub fn terms_of(trainee: &Trainee) -> Vec<(Term, bool)> {
    marked_terms(searched_fields(trainee))
}

/// The words of a trainee's searched fields (name first, see [`searched_fields`]), each with
/// whether it is one of the name's.
pub fn marked_terms(fields: [Option<&str>; 3]) -> Vec<(Term, bool)> {
    let named = terms([fields[0]]).len();
    terms(fields)
        .into_iter()
        .enumerate()
        // `terms` keeps the first of each word, and the name's come first.
        .map(|(i, term)| (term, i < named))
        .collect()
}

/// The distinct words of `fields`, in order. Text is NFC-normalised first (input arrives
/// composed or decomposed) and split at every character that is neither a letter, a digit nor a
/// combining mark, so "Nguyễn-Thị" is two words and a decomposed accent never splits one.
pub fn terms<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> Vec<Term> {
    let mut terms: Vec<Term> = Vec::new();
    for field in fields.into_iter().flatten() {
        let composed: String = field.nfc().collect();
        for word in composed.split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c))) {
            if word.is_empty() {
                continue;
            }
            // Lower-casing can decompose (a few capitals have no composed lower case): compose again.
            let exact: String = word.to_lowercase().nfc().collect();
            if terms.iter().any(|t| t.exact == exact) {
                continue;
            }
            let folded = crate::text::fold(&exact);
            terms.push(Term { exact, folded });
        }
    }
    terms
}

/// The words of a query `q`, split as stored terms are. An empty result (a blank query, or only
/// punctuation) means no filter; more than [`MAX_QUERY_WORDS`] is 400 `invalid_query`.
pub fn query_terms(q: &str) -> ApiResult<Vec<Term>> {
    let words = terms([Some(q)]);
    if words.len() > MAX_QUERY_WORDS {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("q must hold at most {MAX_QUERY_WORDS} words (got {})", words.len()),
        ));
    }
    Ok(words)
}

/// The smallest string greater than every string that starts with `prefix`, in byte order:
/// U+10FFFF is the last code point, and its UTF-8 form the greatest.
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Ids of trainees with a folded term in `[from, to)`: with `from` a folded query word and `to`
/// its [`prefix_end`], the trainees it is a prefix of a word of. A range scan on the
/// `trainee_terms_folded` index, `(term_folded, trainee_id)`, which covers the query.
#[dsl::auto_type]
pub fn ids_with_folded_term_in(from: String, to: String) -> _ {
    trainee_terms::table
        .filter(trainee_terms::term_folded.ge(from))
        .filter(trainee_terms::term_folded.lt(to))
        .select(trainee_terms::trainee_id)
}

/// The terms that a folded query word is a prefix of (a range on `trainee_terms_folded`): how
/// many there are tells how many trainees the word can match.
#[dsl::auto_type]
pub fn terms_with_folded_prefix(from: String, to: String) -> _ {
    trainee_terms::table
        .filter(trainee_terms::term_folded.ge(from))
        .filter(trainee_terms::term_folded.lt(to))
}

/// Whether the trainee of the outer query has a folded term in `[from, to)`: checked a trainee at
/// a time through the primary key, `(trainee_id, term_exact)`, where [`ids_with_folded_term_in`]
/// reads every match of the word first.
#[dsl::auto_type]
pub fn has_folded_term_in(from: String, to: String) -> _ {
    exists(
        trainee_terms::table
            .filter(trainee_terms::trainee_id.eq(trainees::id))
            .filter(trainee_terms::term_folded.ge(from))
            .filter(trainee_terms::term_folded.lt(to))
            .select(trainee_terms::trainee_id),
    )
}

/// What one query word adds to a trainee's rank: `weight` when it (`folded`, up to `folded_end`,
/// see [`prefix_end`]) is a prefix of a word of the name, plus 1 when it is a prefix of an exact term (the diacritics typed are as stored). Both
/// are ranges on a trainee's own terms, through `(trainee_id, term_folded)` and the primary key.
#[dsl::auto_type]
pub fn word_rank(folded: String, folded_end: String, exact: String, exact_end: String, weight: i32) -> _ {
    let in_name = trainee_terms::table
        .filter(trainee_terms::trainee_id.eq(trainees::id))
        .filter(trainee_terms::term_folded.ge(folded))
        .filter(trainee_terms::term_folded.lt(folded_end))
        .filter(trainee_terms::in_name.eq(true))
        .select(trainee_terms::trainee_id);
    let typed = trainee_terms::table
        .filter(trainee_terms::trainee_id.eq(trainees::id))
        .filter(trainee_terms::term_exact.ge(exact))
        .filter(trainee_terms::term_exact.lt(exact_end))
        .select(trainee_terms::trainee_id);
    let named: dsl::AsExprOf<i32, Integer> = weight.into_sql::<Integer>();
    let one: dsl::AsExprOf<i32, Integer> = 1.into_sql::<Integer>();
    let zero: dsl::AsExprOf<i32, Integer> = 0.into_sql::<Integer>();
    let zero_too: dsl::AsExprOf<i32, Integer> = 0.into_sql::<Integer>();
    case_when(exists(in_name), named).otherwise(zero) + case_when(exists(typed), one).otherwise(zero_too)
}

/// A trainee's rank for a search of `n` words, as one number that orders best first: how many
/// words are a prefix of a word of its name (`names`), then how many keep the diacritics typed
/// (`typed`). Encoded as `names × (n + 1) + typed`; since `typed ≤ n`, the two never mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    /// Words found in the name.
    pub names: i32,
    /// Words found as typed, in any field.
    pub typed: i32,
}

impl Rank {
    /// The weight of a word found in the name, for a search of `words` words.
    pub fn weight(words: usize) -> i32 {
        i32::try_from(words).unwrap_or(i32::MAX).saturating_add(1)
    }

    /// The number the SQL of [`rank`] gives.
    pub fn value(self, words: usize) -> i32 {
        self.names
            .saturating_mul(Self::weight(words))
            .saturating_add(self.typed)
    }

    /// The rank a number stands for.
    pub fn of_value(value: i32, words: usize) -> Rank {
        let weight = Self::weight(words);
        Rank {
            names: value / weight,
            typed: value % weight,
        }
    }

    /// How many words a word found in the name of `name` (its full name) makes.
    pub fn names_in(words: &[Term], name: &str) -> i32 {
        let own = terms([Some(name)]);
        let found = words
            .iter()
            .filter(|word| own.iter().any(|term| term.folded.starts_with(&word.folded)))
            .count();
        i32::try_from(found).unwrap_or(i32::MAX)
    }
}

/// The rank [`rank`] gives `trainee` in SQL, worked out from its fields. (Its stored terms are
/// made from the same fields by [`terms_of`] on every change, so both agree.)
pub fn rank_of(words: &[Term], trainee: &Trainee) -> i32 {
    let own = terms(searched_fields(trainee));
    let typed = words
        .iter()
        .filter(|word| own.iter().any(|term| term.exact.starts_with(&word.exact)))
        .count();
    Rank {
        names: Rank::names_in(words, &trainee.full_name),
        typed: i32::try_from(typed).unwrap_or(i32::MAX),
    }
    .value(words.len())
}

/// The rank of a trainee for `words` (see [`Rank`]). Only for a search of at least one word: with
/// none, it would be `(0)`, and a constant in `ORDER BY` names a column.
pub fn rank(words: &[Term]) -> Sum<word_rank> {
    let weight = Rank::weight(words.len());
    Sum(words
        .iter()
        .map(|w| {
            word_rank(
                w.folded.clone(),
                prefix_end(&w.folded),
                w.exact.clone(),
                prefix_end(&w.exact),
                weight,
            )
        })
        .collect())
}

/// `(a + b + …)` over integer expressions of one type. Diesel adds two expressions whose types
/// are fixed when compiling; the number of query words is known only when running.
#[derive(Debug, Clone)]
pub struct Sum<E>(Vec<E>);

impl<E: Expression<SqlType = Integer>> Expression for Sum<E> {
    type SqlType = Integer;
}

impl<E, DB> QueryFragment<DB> for Sum<E>
where
    DB: diesel::backend::Backend,
    E: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        if self.0.is_empty() {
            out.push_sql("0");
        }
        for (i, term) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_sql(" + ");
            }
            term.walk_ast(out.reborrow())?;
        }
        out.push_sql(")");
        Ok(())
    }
}

// The SQL depends on how many terms there are, so no two sums may share a cached statement.
impl<E> QueryId for Sum<E> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<E, QS> AppearsOnTable<QS> for Sum<E>
where
    E: AppearsOnTable<QS>,
    Self: Expression,
{
}

impl<E, QS> SelectableExpression<QS> for Sum<E>
where
    E: SelectableExpression<QS>,
    Self: AppearsOnTable<QS>,
{
}

impl<E, GB> ValidGrouping<GB> for Sum<E>
where
    E: ValidGrouping<GB>,
{
    type IsAggregate = E::IsAggregate;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(text: &str) -> Vec<String> {
        terms([Some(text)]).into_iter().map(|t| t.exact).collect()
    }

    #[test]
    fn words_are_lower_cased_with_their_diacritics_and_folded() {
        assert_eq!(
            terms([Some("Nguyễn Văn Đức")]),
            [("nguyễn", "nguyen"), ("văn", "van"), ("đức", "duc")].map(|(exact, folded)| Term {
                exact: exact.to_owned(),
                folded: folded.to_owned()
            })
        );
    }

    #[test]
    fn words_split_at_punctuation_and_repeat_once() {
        assert_eq!(exact("Sở Nội vụ - Sở nội vụ (Hà Nội)"), ["sở", "nội", "vụ", "hà"]);
        assert_eq!(exact("O'Brien, J.-P."), ["o", "brien", "j", "p"]);
    }

    #[test]
    fn decomposed_input_makes_the_same_words() {
        assert_eq!(exact("Nguye\u{0302}\u{0303}n"), ["nguyễn"]);
    }

    #[test]
    fn a_word_of_the_name_stays_the_name_s_when_the_organisation_repeats_it() {
        let trainee = |name: &str, position: &str| Trainee {
            full_name: name.to_owned(),
            position: Some(position.to_owned()),
            ..crate::trainees::tests::blank()
        };
        let marked: Vec<(String, bool)> = terms_of(&trainee("Lê Văn An", "Chánh Văn phòng"))
            .into_iter()
            .map(|(term, in_name)| (term.exact, in_name))
            .collect();
        let expected = [
            ("lê", true),
            ("văn", true),
            ("an", true),
            ("chánh", false),
            ("phòng", false),
        ];
        assert_eq!(marked, expected.map(|(w, n)| (w.to_owned(), n)));
    }

    #[test]
    fn every_word_in_the_name_outranks_any_spelling_elsewhere() {
        let words = query_terms("nguyen van duc").unwrap_or_default();
        let named = Trainee {
            full_name: "Nguyễn Văn Đức".to_owned(),
            ..crate::trainees::tests::blank()
        };
        let office = Trainee {
            full_name: "Nguyễn Đức Anh".to_owned(),
            position: Some("Chánh văn phòng".to_owned()),
            ..crate::trainees::tests::blank()
        };
        assert!(rank_of(&words, &named) > rank_of(&words, &office));
        let typed = query_terms("nguyễn văn đức").unwrap_or_default();
        assert!(rank_of(&typed, &named) > rank_of(&typed, &office));
        let rank = Rank { names: 2, typed: 3 };
        assert_eq!(Rank::of_value(rank.value(3), 3), rank);
    }

    #[test]
    fn a_query_of_punctuation_only_has_no_words() {
        assert_eq!(query_terms(" -- ").map(|t| t.len()).ok(), Some(0));
        let words = |n: usize| (0..n).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        assert!(query_terms(&words(MAX_QUERY_WORDS)).is_ok());
        assert!(query_terms(&words(MAX_QUERY_WORDS + 1)).is_err());
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_words_that_start_with_it() {
        let end = prefix_end("tuan");
        for inside in ["tuan", "tuana", "tuanz", "tuan\u{10FFFE}"] {
            assert!("tuan" <= inside && inside < end.as_str(), "{inside}");
        }
        for outside in ["tua", "tuao", "tub", "tuyen"] {
            assert!(!("tuan" <= outside && outside < end.as_str()), "{outside}");
        }
    }
}
