//! The trainee list: its filters, its orders, and `?q=`, whose pages cost the same however many
//! trainees a word matches.
//!
//! A search ranks its matches (see [`search`]) and orders each rank as the list asks. Two ways
//! find a page of that, and each is cheap where the other is not:
//! - a word that few stored terms start with: its trainees are read from the terms' index and
//!   ranked all at once (at most [`FEW`] of them);
//! - words that many terms start with (a common surname's first letters): the list is read in
//!   the order asked for, through that order's index, a rank at a time, each trainee's terms
//!   checked as it comes; since many match, a page is found after reading a few rows per match.

use diesel::prelude::*;

use std::collections::HashMap;

use super::postings::{self, Field, Intersection, Kept, Spelling};
use super::search::{self, Rank, Term};
use super::{Trainee, TraineeFilters, TraineeOrder, TraineeSort, visible_to_partner};
use crate::access::Caller;
use crate::db::{DbConnection, MultiBackend};
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, PartnerId, TraineeId};
use crate::resource::list::{self, COUNT_BOUND, Count, Cursor, Keyset, Paging, Slice, Start};
use crate::resource::{List, Record};
use crate::schema::{enrollments, trainee_terms, trainees};
use crate::statuses::{EnrollmentStatus, SEATED};

use super::Gender;

/// How many stored terms a query word may start for its trainees to be ranked all at once.
const FEW: i64 = 1_000;

/// The trainee list's filters other than `q`.
struct Narrowing {
    liaison_partner: Option<PartnerId>,
    organisation: Option<String>,
    province: Option<String>,
    gender: Option<Gender>,
    /// A cohort, and the enrolment statuses in it that count.
    cohort: Option<(CohortId, &'static [EnrollmentStatus])>,
}

type TraineeQuery = trainees::BoxedQuery<'static, MultiBackend>;

impl Narrowing {
    /// Whether any filter is given.
    fn narrows(&self) -> bool {
        self.liaison_partner.is_some()
            || self.organisation.is_some()
            || self.province.is_some()
            || self.gender.is_some()
            || self.cohort.is_some()
    }

    /// `Some(province)` (perhaps none) when no filter but the province is given: the terms carry
    /// it, so a search's trainees are read from the terms alone.
    fn province_only(&self) -> Option<Option<String>> {
        let others = self.liaison_partner.is_some()
            || self.organisation.is_some()
            || self.gender.is_some()
            || self.cohort.is_some();
        (!others).then(|| self.province.clone())
    }

    /// The filters an index in name order answers, for a search to walk with its words.
    fn fields(&self) -> Vec<Field> {
        let mut fields = Vec::new();
        fields.extend(self.province.clone().map(Field::Province));
        fields.extend(self.organisation.clone().map(Field::Organisation));
        fields.extend(self.gender.map(Field::Gender));
        fields
    }

    /// The trainees these filters let through.
    fn query(&self) -> TraineeQuery {
        let mut query = trainees::table.into_boxed();
        if let Some(partner) = self.liaison_partner {
            query = query.filter(trainees::id.eq_any(visible_to_partner(partner)));
        }
        if let Some(organisation) = &self.organisation {
            query = query.filter(trainees::organisation_key.eq(organisation.clone()));
        }
        if let Some(province) = &self.province {
            query = query.filter(trainees::province_key.eq(province.clone()));
        }
        if let Some(gender) = self.gender {
            query = query.filter(trainees::gender.eq(gender));
        }
        if let Some((cohort_id, statuses)) = self.cohort {
            let enrolled = enrollments::table
                .filter(enrollments::cohort_id.eq(cohort_id))
                .filter(enrollments::status.eq_any(statuses.to_vec()))
                .select(enrollments::trainee_id);
            query = query.filter(trainees::id.eq_any(enrolled));
        }
        query
    }
}

impl List for Trainee {
    const NOUNS: &'static str = "trainees";
    type Filters = TraineeFilters;
    type Parent = ();

    /// A liaison sees only those enrolled in cohorts of its partner's programmes.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        _: (),
        filters: TraineeFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Trainee>> {
        let words = search::query_terms(filters.q.as_deref().unwrap_or_default())?;
        let liaison_partner = caller.liaison_partner();
        // A partner does not read a trainee's gender (see `Trainee::seen_by`), so it may not
        // narrow them by it either.
        if liaison_partner.is_some() && filters.gender.is_some() {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`gender`: a partner's liaison cannot filter trainees by gender; leave it out",
            ));
        }
        // A liaison may filter only by a cohort it can see, and learns only of seated trainees
        // there; any other cohort is 404, as if it did not exist.
        if let (Some(_), Some(cohort)) = (liaison_partner, filters.cohort_id) {
            crate::cohorts::Cohort::find_visible(conn, caller, cohort)?;
        }
        let statuses: &'static [EnrollmentStatus] = if liaison_partner.is_some() {
            &SEATED
        } else {
            <EnrollmentStatus as strum::VariantArray>::VARIANTS
        };
        let narrowing = Narrowing {
            liaison_partner,
            // Compared folded, as stored in `organisation_key` and `province_key`.
            organisation: filters.organisation.as_deref().map(crate::text::key),
            province: filters.province.as_deref().map(crate::text::key),
            gender: filters.gender,
            cohort: filters.cohort_id.map(|cohort| (cohort, statuses)),
        };
        let sort = filters.sort.unwrap_or_default();
        let page = if words.is_empty() {
            list::page(conn, || narrowing.query(), &order(sort), &paging)?
        } else {
            search_page(conn, &words, &narrowing, sort, &paging)?
        };
        page.try_with(|rows| Trainee::seen_by(conn, caller, rows))
    }
}

/// The order asked for, ties broken by id.
fn order(sort: TraineeSort) -> Keyset<trainees::table, Trainee> {
    let keys = match sort.key {
        TraineeOrder::FullName => Keyset::by(sort.by(trainees::full_name, |t: &Trainee| t.full_name.clone())),
        TraineeOrder::CreatedAt => Keyset::by(sort.by(trainees::created_at, |t: &Trainee| t.created_at)),
    };
    keys.then(sort.ties_by(trainees::id, |t: &Trainee| t.id))
}

/// The best matches of `words` first, then the order asked for.
fn ranked_order(words: &[Term], sort: TraineeSort) -> Keyset<trainees::table, Trainee> {
    let typed = words.to_vec();
    let rank = list::descending("-rank", search::rank(words), move |t: &Trainee| {
        search::rank_of(&typed, t)
    });
    Keyset::by(rank).followed_by(order(sort))
}

/// A page of the trainees that `words` find among those `narrowing` lets through.
fn search_page(
    conn: &mut DbConnection,
    words: &[Term],
    narrowing: &Narrowing,
    sort: TraineeSort,
    paging: &Paging,
) -> ApiResult<Slice<Trainee>> {
    let ranked = ranked_order(words, sort);
    // The word that starts the fewest stored terms, and how many (up to one past FEW).
    let mut rarest: Option<(&Term, i64)> = None;
    for word in words {
        let starts = list::count_up_to(
            conn,
            search::terms_with_folded_prefix(word.folded.clone(), search::prefix_end(&word.folded)),
            FEW,
        )?;
        if rarest.is_none_or(|(_, fewest)| starts < fewest) {
            rarest = Some((word, starts));
        }
    }
    let Some((driver, starts)) = rarest else {
        return list::page(conn, || narrowing.query(), &ranked, paging);
    };
    let search = Search {
        words,
        driver,
        narrowing,
    };
    let few_trainees = narrowing.narrows() && list::count_up_to(conn, narrowing.query(), FEW)? <= FEW;
    if starts <= FEW || few_trainees {
        // Few: read them all (the rarest word's trainees, from its terms; or those the other
        // filters let through), and rank them at once.
        let from_terms = starts <= FEW;
        let query = || {
            if from_terms {
                let theirs = search::ids_with_folded_term_in(driver.folded.clone(), search::prefix_end(&driver.folded));
                search.matching(narrowing.query().filter(trainees::id.eq_any(theirs)), Some(driver))
            } else {
                search.matching(narrowing.query(), None)
            }
        };
        return list::page(conn, query, &ranked, paging);
    }
    // Many: a rank at a time, best first, each in the order asked for.
    let spellings: Vec<Option<Vec<Spelling>>> = words
        .iter()
        .map(|word| postings::spellings(conn, word))
        .collect::<ApiResult<_>>()?;
    let count = i32::try_from(words.len()).unwrap_or(i32::MAX);
    let best = Rank {
        names: count,
        typed: count,
    }
    .value(words.len());
    let (top, mut after, skip) = match &paging.start {
        Start::Offset(skip) => (best, None, *skip),
        Start::After(cursor) => {
            let values = ranked.values(cursor)?;
            let (rank, position) = values.split_first().ok_or_else(Cursor::not_ours)?;
            let rank: i32 = serde_json::from_value(rank.clone()).map_err(|_| Cursor::not_ours())?;
            (rank.min(best), Some(position.to_vec()), 0)
        }
    };
    // The rows an offset skips, the page, and one more to tell whether a next page follows.
    let wanted = usize::try_from(skip.saturating_add(paging.limit).saturating_add(1)).unwrap_or(usize::MAX);
    // Each word with its spellings, when every word has few enough to walk them.
    let walkable: Option<Vec<(Term, Vec<Spelling>)>> = words
        .iter()
        .zip(&spellings)
        .map(|(word, spellings)| spellings.clone().map(|s| (word.clone(), s)))
        .collect();
    let mut found: Vec<Trainee> = Vec::new();
    for rank in (0..=top).rev() {
        if found.len() >= wanted {
            break;
        }
        let resume = after.take();
        if !search.may_hold(rank, &spellings) {
            continue;
        }
        let left = wanted - found.len();
        let tier = match (&walkable, sort.key) {
            (Some(walkable), TraineeOrder::FullName) => {
                let position = resume.map(|values| name_position(&values)).transpose()?;
                search.walked(conn, rank, walkable, sort.descending, position, left)?
            }
            _ => {
                let start = match resume {
                    Some(values) => Start::After(Cursor::for_values(&order(sort), values)),
                    None => Start::Offset(0),
                };
                let tier = search
                    .matching(narrowing.query(), None)
                    .filter(search::rank(words).eq(rank));
                list::rows(
                    conn,
                    tier,
                    &order(sort),
                    &start,
                    i64::try_from(left).unwrap_or(i64::MAX),
                )?
            }
        };
        found.extend(tier);
    }
    let found = found.split_off(usize::try_from(skip).unwrap_or(usize::MAX).min(found.len()));
    list::slice(found, &ranked, paging, || search.count_at_least(conn))
}

/// A search of one or more words.
struct Search<'a> {
    words: &'a [Term],
    /// The word that starts the fewest stored terms.
    driver: &'a Term,
    narrowing: &'a Narrowing,
}

impl Search<'_> {
    /// `query`, narrowed to the trainees that have every word but `except`.
    fn matching(&self, mut query: TraineeQuery, except: Option<&Term>) -> TraineeQuery {
        for word in self.words.iter().filter(|w| Some(*w) != except) {
            query = query.filter(search::has_folded_term_in(
                word.folded.clone(),
                search::prefix_end(&word.folded),
            ));
        }
        query
    }

    /// Whether trainees of `rank` may exist, from the words' spellings: a rank counts words typed
    /// as stored, so it needs that many words with a spelling that keeps what was typed. (A word
    /// with too many spellings to know might.) Any number of them may be in the name.
    fn may_hold(&self, rank: i32, spellings: &[Option<Vec<Spelling>>]) -> bool {
        let typed_as_stored = |(word, spellings): (&Term, &Option<Vec<Spelling>>)| match spellings {
            Some(spellings) => spellings.iter().any(|s| s.exact.starts_with(&word.exact)),
            None => true,
        };
        let could = self
            .words
            .iter()
            .zip(spellings)
            .filter(|pair| typed_as_stored(*pair))
            .count();
        Rank::of_value(rank, self.words.len()).typed <= i32::try_from(could).unwrap_or(i32::MAX)
    }

    /// Up to `n` trainees of `rank`, after `position`, in name order: walked through the words'
    /// spellings ([`Intersection`]), then checked against the other filters a batch at a time.
    fn walked(
        &self,
        conn: &mut DbConnection,
        rank: i32,
        words: &[(Term, Vec<Spelling>)],
        descending: bool,
        position: Option<postings::Position>,
        n: usize,
    ) -> ApiResult<Vec<Trainee>> {
        // A rank with every word as typed, or none, is found among those spellings only.
        let all = i32::try_from(words.len()).unwrap_or(i32::MAX);
        let kept = match Rank::of_value(rank, words.len()).typed {
            0 => Kept::Other,
            typed if typed == all => Kept::Typed,
            _ => Kept::All,
        };
        // A rank with every word in the name is found among the names' entries only.
        let names_only = Rank::of_value(rank, words.len()).names == all;
        let mut walk = Intersection::new(
            words,
            &self.narrowing.fields(),
            kept,
            names_only,
            descending,
            position.as_ref(),
        );
        let mut found = Vec::new();
        let mut batch = n.max(16);
        while found.len() < n {
            let mut candidates: Vec<TraineeId> = Vec::new();
            let mut ended = false;
            while candidates.len() < batch {
                match walk.next(conn)? {
                    Some(((name, id), typed))
                        if Rank {
                            names: Rank::names_in(self.words, &name),
                            typed,
                        }
                        .value(words.len())
                            == rank =>
                    {
                        candidates.push(id)
                    }
                    Some(_) => {}
                    None => {
                        ended = true;
                        break;
                    }
                }
            }
            let passing: Vec<Trainee> = self
                .narrowing
                .query()
                .filter(trainees::id.eq_any(&candidates))
                .load(conn)?;
            let mut passing: HashMap<TraineeId, Trainee> = passing.into_iter().map(|t| (t.id, t)).collect();
            found.extend(
                candidates
                    .iter()
                    .filter_map(|id| passing.remove(id))
                    .take(n - found.len()),
            );
            if ended {
                break;
            }
            batch = (batch * 2).min(1_024);
        }
        Ok(found)
    }

    /// How many trainees the search finds, counted to one past [`COUNT_BOUND`], so that a total
    /// that is not exact is still at least 1,001, as documented. With no filter but a province,
    /// the driving word's entries are read from the terms' index (one province's, with one), each
    /// trainee counted at its first entry of the word; with other filters, from the trainees
    /// those filters let through.
    fn count_at_least(&self, conn: &mut DbConnection) -> ApiResult<Count> {
        let rows = match self.narrowing.province_only() {
            Some(province) => list::count_up_to(conn, self.first_entries(province), COUNT_BOUND)?,
            None => list::count_up_to(conn, self.matching(self.narrowing.query(), None), COUNT_BOUND)?,
        };
        Ok(Count::to_bound(rows))
    }

    /// One entry of `trainee_terms` for each trainee (of `province`, when given) the search
    /// finds: its first entry, in `(term_folded, term_exact)` order, that the driving word is a
    /// prefix of. A range of `trainee_terms_province_postings` (or, with no province, of an index
    /// that leads with the folded term), each entry checked through the trainee's own terms.
    fn first_entries(&self, province: Option<String>) -> TermQuery {
        use trainee_terms::{province_key, term_exact, term_folded, trainee_id};
        let other = diesel::alias!(trainee_terms as other_term);
        let (from, to) = (self.driver.folded.clone(), search::prefix_end(&self.driver.folded));
        let earlier = other
            .filter(other.field(trainee_id).eq(trainee_id))
            .filter(other.field(term_folded).ge(from.clone()))
            .filter(
                other.field(term_folded).lt(term_folded).or(other
                    .field(term_folded)
                    .eq(term_folded)
                    .and(other.field(term_exact).lt(term_exact))),
            )
            .select(other.field(trainee_id));
        let mut query = trainee_terms::table
            .filter(term_folded.ge(from))
            .filter(term_folded.lt(to))
            .filter(diesel::dsl::not(diesel::dsl::exists(earlier)))
            .into_boxed();
        if let Some(province) = province {
            query = query.filter(province_key.eq(province));
        }
        for word in self.words.iter().filter(|w| *w != self.driver) {
            let has = other
                .filter(other.field(trainee_id).eq(trainee_id))
                .filter(other.field(term_folded).ge(word.folded.clone()))
                .filter(other.field(term_folded).lt(search::prefix_end(&word.folded)))
                .select(other.field(trainee_id));
            query = query.filter(diesel::dsl::exists(has));
        }
        query
    }
}

type TermQuery = trainee_terms::BoxedQuery<'static, MultiBackend>;

/// A position in name order, from the values of a cursor's name and id terms.
fn name_position(values: &[serde_json::Value]) -> ApiResult<postings::Position> {
    match values {
        [name, id] => Ok((
            serde_json::from_value(name.clone()).map_err(|_| Cursor::not_ours())?,
            serde_json::from_value(id.clone()).map_err(|_| Cursor::not_ours())?,
        )),
        _ => Err(Cursor::not_ours()),
    }
}
