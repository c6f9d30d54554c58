//! A search's trainees in name order, read straight from the terms' index.
//!
//! `trainee_terms_spelling_name` is `(term_folded, term_exact, full_name, trainee_id)`: for one
//! spelling of a word (its folded and its exact form) it lists the trainees whose name,
//! organisation or position has that word, in name order. A query word is a prefix of a few
//! spellings ("nguy": nguyễn, nguyên, nguyệt, …), so its trainees are the union of a few such
//! lists; a search's trainees are in every word's union. [`Intersection`] walks them in name
//! order by seeking: each word in turn jumps to the first trainee at or after the furthest one
//! another word reached, so a page costs a few index seeks per trainee it shows, however many
//! trainees each word matches and however they are spread through the alphabet.
//!
//! Names compare by their bytes on both databases (PostgreSQL's column is `COLLATE "C"`), so the
//! comparisons here order them as the databases do.

use std::cmp::Ordering;
use std::collections::VecDeque;

use diesel::prelude::*;

use super::Gender;
use super::search::{Term, prefix_end};
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::TraineeId;
use crate::schema::{trainee_terms, trainees};

/// Most spellings a word may cover for its lists to be read this way. A shorter prefix covers
/// more (a single letter, hundreds), and matches so large a share of trainees that reading the list
/// in its own order finds them as fast.
pub const MAX_SPELLINGS: usize = 64;

/// How many entries of a spelling's list one read takes.
const BATCH: i64 = 64;

/// One spelling of a stored word: as folded, and as written (lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spelling {
    /// Without diacritics (`nguyen`).
    pub folded: String,
    /// As written, lower-cased (`nguyễn`).
    pub exact: String,
}

/// The spellings of the stored words that `word` is a prefix of, ignoring diacritics; `None` when
/// there are more than [`MAX_SPELLINGS`]. Each is one seek in the index.
pub fn spellings(conn: &mut DbConnection, word: &Term) -> ApiResult<Option<Vec<Spelling>>> {
    use trainee_terms::{term_exact, term_folded};
    let end = prefix_end(&word.folded);
    let mut found: Vec<Spelling> = Vec::new();
    // The first spelling with a folded form in `[from, to)` (from included or not).
    let first_in = |conn: &mut DbConnection, from: &str, included: bool| -> ApiResult<Option<(String, String)>> {
        let query = trainee_terms::table
            .filter(term_folded.lt(end.clone()))
            .select((term_folded, term_exact))
            .order((term_folded.asc(), term_exact.asc()))
            .limit(1)
            .into_boxed();
        let query = if included {
            query.filter(term_folded.ge(from.to_owned()))
        } else {
            query.filter(term_folded.gt(from.to_owned()))
        };
        Ok(query.load::<(String, String)>(conn)?.pop())
    };
    loop {
        // The next spelling of the same folded form, else the first of the next folded form.
        let next = match found.last() {
            Some(last) => {
                let same_folded = trainee_terms::table
                    .filter(term_folded.eq(last.folded.clone()))
                    .filter(term_exact.gt(last.exact.clone()))
                    .select((term_folded, term_exact))
                    .order(term_exact.asc())
                    .limit(1)
                    .load::<(String, String)>(conn)?
                    .pop();
                match same_folded {
                    Some(next) => Some(next),
                    None => first_in(conn, &last.folded, false)?,
                }
            }
            None => first_in(conn, &word.folded, true)?,
        };
        let Some((folded, exact)) = next else {
            return Ok(Some(found));
        };
        found.push(Spelling { folded, exact });
        if found.len() > MAX_SPELLINGS {
            return Ok(None);
        }
    }
}

/// Where a trainee stands in name order.
pub type Position = (String, TraineeId);

/// Which of a word's spellings a walk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Those that keep the diacritics typed: the word counts toward the rank.
    Typed,
    /// The others.
    Other,
    /// All.
    All,
}

/// One query word's lists: the spellings that keep what was typed, and the others.
struct Word {
    typed: Vec<Postings>,
    other: Vec<Postings>,
    /// When the walk reads names only: the typed spellings' lists over every field, since a
    /// word counts as typed wherever the trainee has it ([`Word::typed_at`]).
    typed_anywhere: Option<Vec<Postings>>,
}

impl Word {
    /// The first position at or after `to` in the union of the lists `kept` names.
    fn seek(
        &mut self,
        conn: &mut DbConnection,
        to: Option<&Position>,
        kept: Kept,
        descending: bool,
    ) -> ApiResult<Option<Position>> {
        if let (Kept::Typed, Some(anywhere)) = (kept, self.typed_anywhere.as_mut()) {
            // Names only, every word typed: the word in the name (in any spelling) and typed as
            // stored somewhere (perhaps outside the name). Leapfrog between the two until they
            // agree.
            let mut to = to.cloned();
            loop {
                let typed = seek_any(conn, &mut self.typed, to.as_ref(), descending)?;
                let other = seek_any(conn, &mut self.other, to.as_ref(), descending)?;
                let Some(named) = earliest(typed, other, descending) else {
                    return Ok(None);
                };
                let Some(typed) = seek_any(conn, anywhere, Some(&named), descending)? else {
                    return Ok(None);
                };
                if typed == named {
                    return Ok(Some(named));
                }
                to = Some(typed);
            }
        }
        let mut first: Option<Position> = None;
        let lists = match kept {
            Kept::Typed => &mut self.typed[..],
            Kept::Other => &mut self.other[..],
            Kept::All => {
                let typed = seek_any(conn, &mut self.typed, to, descending)?;
                let other = seek_any(conn, &mut self.other, to, descending)?;
                return Ok(earliest(typed, other, descending));
            }
        };
        for list in lists.iter_mut() {
            let found = list.seek(conn, to, descending)?;
            first = earliest(first, found, descending);
        }
        Ok(first)
    }

    /// Whether a spelling that keeps what was typed lists the trainee at `at`.
    fn typed_at(&mut self, conn: &mut DbConnection, at: &Position, descending: bool) -> ApiResult<bool> {
        let lists = self.typed_anywhere.as_mut().unwrap_or(&mut self.typed);
        Ok(seek_any(conn, lists, Some(at), descending)?.as_ref() == Some(at))
    }
}

fn seek_any(
    conn: &mut DbConnection,
    lists: &mut [Postings],
    to: Option<&Position>,
    descending: bool,
) -> ApiResult<Option<Position>> {
    let mut first = None;
    for list in lists.iter_mut() {
        let found = list.seek(conn, to, descending)?;
        first = earliest(first, found, descending);
    }
    Ok(first)
}

/// `a` before `b` in the walk's direction.
fn before(a: &Position, b: &Position, descending: bool) -> bool {
    let order = a.cmp(b);
    if descending {
        order == Ordering::Greater
    } else {
        order == Ordering::Less
    }
}

fn earliest(a: Option<Position>, b: Option<Position>, descending: bool) -> Option<Position> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if before(&b, &a, descending) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The position right after `at` in the walk's direction: ids are whole numbers.
fn successor(at: &Position, descending: bool) -> Position {
    let (name, id) = at;
    let next = if descending {
        id.0.saturating_sub(1)
    } else {
        id.0.saturating_add(1)
    };
    (name.clone(), TraineeId(next))
}

/// A filter of the trainee list on a column of the trainee: read with each spelling's entries, so
/// that a walk skips the trainees it leaves out in the same read, without a round trip for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `?province=`, folded.
    Province(String),
    /// `?organisation=`, folded.
    Organisation(String),
    /// `?gender=`.
    Gender(Gender),
}

/// The trainees every query word matches, in name order (or its reverse), with their rank.
pub struct Intersection {
    words: Vec<Word>,
    kept: Kept,
    descending: bool,
    /// Where the walk stands: the next match is here or after.
    at: Option<Position>,
    done: bool,
}

impl Intersection {
    /// A walk over the trainees that match each of `words`, given each word's spellings, through
    /// the spellings `kept` names, and each of `fields`, starting after `after`. With
    /// `names_only`, only trainees with every word in their name.
    pub fn new(
        words: &[(Term, Vec<Spelling>)],
        fields: &[Field],
        kept: Kept,
        names_only: bool,
        descending: bool,
        after: Option<&Position>,
    ) -> Self {
        // With a province, a spelling's entries are read from the index that leads with it, where
        // entries in names and elsewhere are apart: a list for each, whose union is the spelling's.
        let by_province = fields.iter().any(|f| matches!(f, Field::Province(_)));
        let parts: &[Option<bool>] = if by_province {
            &[Some(true), Some(false)]
        } else {
            &[None]
        };
        let lists = |spellings: &mut dyn Iterator<Item = &Spelling>, names_only: bool| {
            spellings
                .flat_map(|s| {
                    let parts: &[Option<bool>] = if names_only { &[Some(true)] } else { parts };
                    parts
                        .iter()
                        .map(|in_name| Postings::new(s.clone(), fields.to_vec(), *in_name))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let words = words
            .iter()
            .map(|(word, spellings)| {
                let typed = |s: &&Spelling| s.exact.starts_with(&word.exact);
                Word {
                    typed: lists(&mut spellings.iter().filter(typed), names_only),
                    other: lists(&mut spellings.iter().filter(|s| !typed(s)), names_only),
                    typed_anywhere: names_only.then(|| lists(&mut spellings.iter().filter(typed), false)),
                }
            })
            .collect();
        Self {
            words,
            kept,
            descending,
            at: after.map(|after| successor(after, descending)),
            done: false,
        }
    }

    /// The next trainee every word matches, with how many words it matches as typed.
    pub fn next(&mut self, conn: &mut DbConnection) -> ApiResult<Option<(Position, i32)>> {
        if self.done || self.words.is_empty() {
            return Ok(None);
        }
        let count = self.words.len();
        let mut agreed = 0;
        let mut turn = 0;
        while agreed < count {
            let word = &mut self.words[turn % count];
            let Some(found) = word.seek(conn, self.at.as_ref(), self.kept, self.descending)? else {
                self.done = true;
                return Ok(None);
            };
            if self.at.as_ref() == Some(&found) {
                agreed += 1;
            } else {
                self.at = Some(found);
                agreed = 1;
            }
            turn += 1;
        }
        let Some(at) = self.at.clone() else {
            return Ok(None);
        };
        let mut rank = 0;
        for word in &mut self.words {
            if word.typed_at(conn, &at, self.descending)? {
                rank += 1;
            }
        }
        self.at = Some(successor(&at, self.descending));
        Ok(Some((at, rank)))
    }
}

/// One spelling's trainees (those the fields let through) in name order, read a batch at a time
/// from where a seek asks.
struct Postings {
    spelling: Spelling,
    fields: Vec<Field>,
    /// Only the entries of the spelling in trainees' names (`true`) or elsewhere (`false`).
    in_name: Option<bool>,
    buffer: VecDeque<Position>,
    /// The buffer holds every entry from its front to the end of the last read.
    done: bool,
}

impl Postings {
    fn new(spelling: Spelling, fields: Vec<Field>, in_name: Option<bool>) -> Self {
        Self {
            spelling,
            fields,
            in_name,
            buffer: VecDeque::new(),
            done: false,
        }
    }

    /// The first entry at or after `to` (from the start when `None`).
    fn seek(
        &mut self,
        conn: &mut DbConnection,
        to: Option<&Position>,
        descending: bool,
    ) -> ApiResult<Option<Position>> {
        loop {
            while let Some(front) = self.buffer.front() {
                if to.is_some_and(|to| before(front, to, descending)) {
                    self.buffer.pop_front();
                } else {
                    return Ok(Some(front.clone()));
                }
            }
            if self.done {
                return Ok(None);
            }
            let read = self.read(conn, to, descending)?;
            self.done = (read.len() as i64) < BATCH;
            self.buffer.extend(read);
            if self.buffer.is_empty() {
                return Ok(None);
            }
        }
    }

    fn read(&self, conn: &mut DbConnection, from: Option<&Position>, descending: bool) -> ApiResult<Vec<Position>> {
        use trainee_terms::{full_name, in_name, province_key, term_exact, term_folded, trainee_id};
        let spelling = &self.spelling;
        // The province is on the entries themselves; the other fields are the trainee's.
        let province = self.fields.iter().find_map(|field| match field {
            Field::Province(province) => Some(province.clone()),
            _ => None,
        });
        let joined = self.fields.iter().any(|field| !matches!(field, Field::Province(_)));
        let found = if joined {
            let mut query = trainee_terms::table
                .inner_join(trainees::table)
                .filter(term_folded.eq(spelling.folded.clone()))
                .filter(term_exact.eq(spelling.exact.clone()))
                .select((full_name, trainee_id))
                .into_boxed();
            if let Some(province) = province {
                query = query.filter(province_key.eq(province));
            }
            if let Some(named) = self.in_name {
                query = query.filter(in_name.eq(named));
            }
            for field in &self.fields {
                query = match field {
                    Field::Province(_) => query,
                    Field::Organisation(organisation) => {
                        query.filter(trainees::organisation_key.eq(organisation.clone()))
                    }
                    Field::Gender(gender) => query.filter(trainees::gender.eq(*gender)),
                };
            }
            in_name_order!(query, full_name, trainee_id, from, descending).load(conn)?
        } else {
            let mut query = trainee_terms::table
                .filter(term_folded.eq(spelling.folded.clone()))
                .filter(term_exact.eq(spelling.exact.clone()))
                .select((full_name, trainee_id))
                .into_boxed();
            // `trainee_terms_province_postings` (with a province) or `trainee_terms_name_postings`
            // (names only) reads them in name order.
            if let Some(province) = province {
                query = query.filter(province_key.eq(province));
            }
            if let Some(named) = self.in_name {
                query = query.filter(in_name.eq(named));
            }
            in_name_order!(query, full_name, trainee_id, from, descending).load(conn)?
        };
        Ok(found)
    }
}

/// `$query` from the position `$from` on (inclusive), in name order or its reverse, a batch:
/// the same on the terms and on the trainees, whose columns differ in type only.
macro_rules! in_name_order {
    ($query:expr, $name:expr, $id:expr, $from:expr, $descending:expr) => {{
        let mut query = $query;
        // At or after `from`; the outer bound lets the index start there.
        if let Some((from_name, from_id)) = $from {
            query = if $descending {
                query.filter(
                    $name
                        .le(from_name.clone())
                        .and($name.lt(from_name.clone()).or($id.le(*from_id))),
                )
            } else {
                query.filter(
                    $name
                        .ge(from_name.clone())
                        .and($name.gt(from_name.clone()).or($id.ge(*from_id))),
                )
            };
        }
        query = if $descending {
            query.order(($name.desc(), $id.desc()))
        } else {
            query.order(($name.asc(), $id.asc()))
        };
        query.limit(BATCH)
    }};
}
use in_name_order;
