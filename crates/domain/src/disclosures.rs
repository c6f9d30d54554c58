//! The record of what left the department: every read of a trainee's personal data by a partner's
//! liaison (a partner abroad, for Decree 13/2023/ND-CP's transfer dossier), one row per trainee a
//! request was answered with, naming the account, its partner, the trainee, the fields given and
//! when (`GET /api/v1/disclosures`, admins; the transfers report reads the same rows).
//!
//! Written where a liaison's answer is made: by the function that decides what a liaison may read
//! of a record (`Trainee::seen_by`, an enrolment's, a sheet's), with the rows it released
//! ([`record`]). Staff reads are not recorded: they do not leave the department.
//!
//! Stored as what a page costs least to write (issue 31 allows a list or an export at most 10 %
//! more), in one transaction, one commit per page:
//! - one `disclosure_events` row per answer (when, account, partner, what was read; the filters'
//!   indexes are on it, one entry per answer);
//! - one narrow `disclosures` row per trainee (the answer, the trainee, the fields), keyed by
//!   answer, so that a page's rows go at the end of one B-tree;
//! - for each trainee not yet given to that partner that day, a `disclosure_days` row: a partner
//!   reading the same trainees again that day writes nothing more there.
//!
//! Nothing indexes the answers by trainee: an export of every trainee wrote into every leaf of
//! such an index, which cost the export 28 % (`benches/disclosures.rs`). A trainee's answers are
//! found through `disclosure_days` instead: the answers of each partner on each day it was given
//! the trainee's data, then `disclosures`' key (answer, trainee). The trainee filter of the list
//! and the personal-data holdings read them so.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{DisclosureId, PartnerId, TraineeId, UserId, text_enum};
use crate::list::{self, Keyset, Paging, Slice};
use crate::schema::{disclosure_events, disclosures};

text_enum!(
    /// A field of a trainee's personal data that may be shown outside the department.
    PersonalField {
        /// Full name.
        FullName,
        /// Position held.
        Position,
        /// Organisation worked for.
        Organisation,
        /// Province or city.
        Province,
        /// Email.
        Email,
        /// Phone number.
        Phone,
        /// Attendance at sessions.
        Attendance,
        /// Their action plan: its title, problem, items and supervisor (name and position).
        ActionPlan,
        /// Their follow-up after return: checkpoint reports, and their supervisor's ratings.
        FollowUp,
        /// Assessments of them: a partner's or officer's answers about the trainee.
        Assessment,
        /// What was spent on them: costs recorded against the trainee.
        Costs,
        /// Their results: completion, certificate and test scores in each cohort.
        Results,
        /// How they stand against a cohort's eligibility criteria, as a nominee.
        Eligibility,
    }
);

/// What a liaison may have read, as `what` names it in the record: the closed list
/// `docs/api-conventions.md` documents.
pub const WHAT: [&str; 9] = [
    "trainees",
    "enrollments",
    "attendance",
    "action_plans",
    "follow_ups",
    "assessments",
    "costs",
    "trainee_records",
    "nominees",
];

/// The fields of one trainee a request released.
pub type Fields = Vec<PersonalField>;

/// What a liaison was answered with: one trainee and the fields of theirs it held.
#[derive(Debug, Clone)]
pub struct Disclosed {
    /// The trainee.
    pub trainee: TraineeId,
    /// The fields with a value in the answer.
    pub fields: Fields,
}

impl Disclosed {
    /// `trainee`'s fields among `candidates` that hold a value (`Some` and not blank).
    pub fn of(trainee: TraineeId, candidates: &[(PersonalField, Option<&str>)]) -> Disclosed {
        let fields = candidates
            .iter()
            .filter(|(_, value)| value.is_some_and(|v| !v.trim().is_empty()))
            .map(|(field, _)| *field)
            .collect();
        Disclosed { trainee, fields }
    }
}

/// The stored form of a set of fields: their names, sorted (so that equal sets are stored
/// alike), comma-separated.
pub fn fields_text(fields: &[PersonalField]) -> String {
    let mut names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// The fields of their stored form; an unknown name (none is written) is left out.
pub fn fields_of(text: &str) -> Fields {
    text.split(',').filter_map(|name| name.parse().ok()).collect()
}

/// Record that `caller` was answered with `disclosed` by `what` (the kind read, a fixed name,
/// never a request's words: one of [`WHAT`]): one answer, and one row per trainee (a trainee
/// named twice is one row with the fields of both), in one transaction. Nothing for staff, and nothing for an answer
/// that held no one's data.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    what: &'static str,
    disclosed: impl IntoIterator<Item = Disclosed>,
) -> ApiResult<()> {
    debug_assert!(WHAT.contains(&what), "`{what}` is not in disclosures::WHAT");
    let Caller::Liaison { id, partner } = *caller else {
        return Ok(());
    };
    #[cfg(feature = "bench-probes")]
    if bench::UNRECORDED.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(());
    }
    // One row per trainee: an answer that names someone twice (their checkpoints, their costs)
    // gave their data once, the union of the fields.
    let mut merged: Vec<Disclosed> = Vec::new();
    let mut at_index: std::collections::HashMap<TraineeId, usize> = std::collections::HashMap::new();
    for d in disclosed.into_iter().filter(|d| !d.fields.is_empty()) {
        match at_index.get(&d.trainee) {
            Some(&i) => merged[i].fields.extend(d.fields),
            None => {
                at_index.insert(d.trainee, merged.len());
                merged.push(d);
            }
        }
    }
    if merged.is_empty() {
        return Ok(());
    }
    // The values are written into the statements: every one is an integer, a name from a closed
    // list or the time formatted here, so nothing a request sent reaches the SQL. Binding 3
    // parameters a trainee cost more than the page's read (a page of 200 was 1,200 parameters
    // in the one-table record); a literal statement costs one parse. The time as diesel writes
    // a timestamp to SQLite (text compared as text), which PostgreSQL reads too.
    let now = crate::clock::now();
    let at = now.format("%F %T%.f");
    let day = now.format("%F").to_string();
    let event = format!("'{at}', '{day}', {}, {}, '{what}'", id.0, partner.0);
    // A page's trainees mostly share one set of fields: its trainees are written together, the
    // set's stored form once.
    let mut sets: Vec<(u32, FieldSet)> = Vec::new();
    for d in &merged {
        let bits = d.fields.iter().fold(0u32, |set, field| set | 1 << (*field as u32));
        match sets.iter_mut().find(|(b, _)| *b == bits) {
            Some((_, set)) => set.trainees.push(d.trainee.0),
            None => sets.push((
                bits,
                FieldSet {
                    fields: fields_text(&d.fields),
                    trainees: vec![d.trainee.0],
                },
            )),
        }
    }
    let rows = sets.into_iter().map(|(_, set)| set).collect();
    let taken = Taken {
        event,
        rows,
        partner: partner.0,
        day,
    };
    // Inside [`held`] (an export's page) it waits for the export to write it; else it is written now.
    match HELD.with_borrow_mut(|held| match held {
        Some(waiting) => {
            waiting.0.push(taken);
            None
        }
        None => Some(taken),
    }) {
        Some(taken) => taken.write(conn),
        None => Ok(()),
    }
}

/// The trainees of an answer given one set of fields, and that set's stored form.
#[derive(Debug)]
struct FieldSet {
    /// The fields, as [`fields_text`] stores them.
    fields: String,
    /// The trainees' ids.
    trainees: Vec<i64>,
}

/// One answer's record, made and not yet written.
#[derive(Debug)]
struct Taken {
    event: String,
    rows: Vec<FieldSet>,
    partner: i64,
    day: String,
}

impl Taken {
    fn write(self, conn: &mut DbConnection) -> ApiResult<()> {
        let rows: Vec<(&str, &[i64])> = self
            .rows
            .iter()
            .map(|set| (set.fields.as_str(), set.trainees.as_slice()))
            .collect();
        crate::db::dialect::insert_disclosures(conn, &self.event, &rows, self.partner, &self.day)?;
        Ok(())
    }
}

/// The records [`record`] made inside [`held`] and did not write: they must be written
/// ([`Held::write`]) before what they record leaves the server.
#[derive(Debug, Default)]
#[must_use = "what a liaison reads leaves the server only once its record is written"]
pub struct Held(Vec<Taken>);

impl Held {
    /// Whether nothing is waiting (staff's reads, or no one's data).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Write each record, in the order they were made, each in a transaction of its own as
    /// [`record`] writes them.
    pub fn write(self, conn: &mut DbConnection) -> ApiResult<()> {
        self.0.into_iter().try_for_each(|taken| taken.write(conn))
    }
}

std::thread_local! {
    /// Where [`record`] puts what it makes while [`held`] runs on this thread. A thread-local,
    /// not a parameter: the functions that record are the same for a page of JSON and a page of
    /// an export, many calls below the export, and only the export waits to write.
    static HELD: std::cell::RefCell<Option<Held>> = const { std::cell::RefCell::new(None) };
}

/// Run `read` (one page of an export) with the records it makes kept back rather than written,
/// and return them with its result. An export sends a page once its record is written, and
/// meanwhile reads the next page (on PostgreSQL beside the write, on SQLite just after it, on the
/// same connection): the page's sending and the client's reading of it no longer wait for the
/// next page. Nothing read inside is recorded unless the caller writes the [`Held`] it gets back.
pub fn held<T>(read: impl FnOnce() -> T) -> (T, Held) {
    /// Puts back what held before (an export inside an export holds its own) however `read` ends.
    struct Restore(Option<Held>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            HELD.with_borrow_mut(|held| *held = before);
        }
    }
    let restore = Restore(HELD.with_borrow_mut(|held| held.replace(Held::default())));
    let result = read();
    let taken = HELD.with_borrow_mut(|held| held.take()).unwrap_or_default();
    drop(restore);
    (result, taken)
}

/// The benchmark's switch: a build with the `bench-probes` feature (never the service you run)
/// can answer a liaison without writing the record, so that `cargo bench --bench disclosures`
/// times the same request with and without it, alternately, in one process.
#[cfg(feature = "bench-probes")]
pub mod bench {
    use std::sync::atomic::AtomicBool;

    /// While set, [`super::record`] writes nothing.
    pub static UNRECORDED: AtomicBool = AtomicBool::new(false);
}

/// The SQL for the answers to partners' liaisons that may have given the data of the trainees in
/// `trainees` (SQL: a parenthesised list, or a sub-query of ids): every answer of a partner on a day
/// it was given one of them (`disclosure_days`). Nothing indexes answers by trainee, so this is
/// the one way in, for the trainee filter of [`Disclosure::list`] and for `personal_data`'s
/// holdings alike.
pub fn answers_that_may_name(trainees: &str) -> String {
    format!(
        "(SELECT e.id FROM disclosure_days d JOIN disclosure_events e \
         ON e.partner_id = d.partner_id AND e.day = d.day WHERE d.trainee_id IN {trainees})"
    )
}

/// A stored disclosure: one trainee of one answer.
#[derive(Debug, Queryable)]
pub struct DisclosureRow {
    event_id: DisclosureId,
    trainee_id: TraineeId,
    fields: String,
}

/// A stored answer: when, to whom, what was read.
#[derive(Debug, Queryable)]
pub struct EventRow {
    id: DisclosureId,
    occurred_at: NaiveDateTime,
    user_id: UserId,
    partner_id: PartnerId,
    what: String,
}

/// One trainee's personal data given to a partner's liaison.
#[derive(Debug, Serialize, ToSchema)]
pub struct Disclosure {
    /// The answer's id: every trainee one answer (a page of a list or an export) gave shares it;
    /// later answers have larger ids.
    pub id: DisclosureId,
    /// When the answer was made (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
    /// The liaison's account.
    pub user_id: UserId,
    /// The partner the liaison speaks for.
    pub partner_id: PartnerId,
    /// Whose data it was.
    pub trainee_id: TraineeId,
    /// The fields given (those with a value).
    pub fields: Vec<PersonalField>,
    /// What was read: `trainees` (a trainee, the list, its CSV), `enrollments` (a cohort's
    /// enrolments, one enrolment, their CSV, a bulk move's answer), `attendance` (a session's
    /// sheet, a cohort's attendance report), `action_plans` (a plan, a cohort's plans),
    /// `follow_ups` (a checkpoint, the follow-up list), `assessments` (a round's assessments, one
    /// assessment, the assessments still to make), `costs` (a trainee's own budget lines and
    /// expenses), `trainee_records` (the cohorts of a trainee's record) or `nominees` (a cohort's
    /// eligibility list).
    pub what: String,
}

/// A trainee's row with its answer.
type Joined = (DisclosureRow, EventRow);

impl From<Joined> for Disclosure {
    fn from((row, event): Joined) -> Self {
        Disclosure {
            id: event.id,
            occurred_at: event.occurred_at,
            user_id: event.user_id,
            partner_id: event.partner_id,
            trainee_id: row.trainee_id,
            fields: fields_of(&row.fields),
            what: event.what,
        }
    }
}

/// Filters for the disclosures.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct DisclosureFilters {
    /// Only what this partner's liaisons read.
    pub partner_id: Option<PartnerId>,
    /// Only this trainee's data.
    pub trainee_id: Option<TraineeId>,
    /// Only what this account read.
    pub user_id: Option<UserId>,
    /// Only disclosures on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Only disclosures on or before this day (UTC).
    pub to: Option<NaiveDate>,
}

/// 422 when `from` is after `to`.
pub fn check_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> ApiResult<()> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(ApiError::bad_request(
            "invalid_query",
            format!("`to` ({to}) is before `from` ({from}); give a period that ends after it starts"),
        )),
        _ => Ok(()),
    }
}

/// The instants `[from 00:00, the day after `to` 00:00)` of a period of days.
pub fn bounds(from: Option<NaiveDate>, to: Option<NaiveDate>) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    (
        from.map(|day| day.and_time(chrono::NaiveTime::MIN)),
        to.and_then(|day| day.succ_opt())
            .map(|day| day.and_time(chrono::NaiveTime::MIN)),
    )
}

impl crate::list::List for Disclosure {
    const NOUNS: &'static str = "disclosures, newest first";
    type Filters = DisclosureFilters;
    type Parent = ();

    /// Newest first.
    fn list(
        conn: &mut DbConnection,
        _: &Caller,
        _: (),
        filters: DisclosureFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Disclosure>> {
        check_period(filters.from, filters.to)?;
        let (since, before) = bounds(filters.from, filters.to);
        // Each trainee's row with its answer: the account, partner and period filters read the
        // answers' indexes, the trainee filter the trainee's. Newest answer first, and within
        // one, trainees by id (descending: the key's order read backwards).
        let query = || {
            let mut query = disclosures::table
                .inner_join(disclosure_events::table)
                .select((
                    disclosures::all_columns,
                    (
                        disclosure_events::id,
                        disclosure_events::occurred_at,
                        disclosure_events::user_id,
                        disclosure_events::partner_id,
                        disclosure_events::what,
                    ),
                ))
                .into_boxed();
            if let Some(trainee) = filters.trainee_id {
                // The only answers that can hold the trainee; the id is an integer, so it is
                // written into the SQL as it is.
                let answers = answers_that_may_name(&format!("({})", trainee.0));
                query =
                    query.filter(disclosures::trainee_id.eq(trainee)).filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("disclosures.event_id IN {answers}")),
                    );
            }
            if let Some(partner) = filters.partner_id {
                query = query.filter(disclosure_events::partner_id.eq(partner));
            }
            if let Some(user) = filters.user_id {
                query = query.filter(disclosure_events::user_id.eq(user));
            }
            if let Some(since) = since {
                query = query.filter(disclosure_events::occurred_at.ge(since));
            }
            if let Some(before) = before {
                query = query.filter(disclosure_events::occurred_at.lt(before));
            }
            query
        };
        // The same order, named on the table whose index the filter reads, so that the page is
        // read in the index's order instead of sorted: the trainee's index is by answer
        // (`disclosures.event_id`), an account's or partner's by answer id (`disclosure_events.id`,
        // the same value). SQLite does not carry the order across the join's equality.
        let newest = if filters.trainee_id.is_some() {
            Keyset::by(list::descending("-id", disclosures::event_id, |(d, _): &Joined| {
                d.event_id
            }))
        } else {
            Keyset::by(list::descending("-id", disclosure_events::id, |(d, _): &Joined| {
                d.event_id
            }))
        };
        let keys = newest.then(list::descending(
            "-trainee_id",
            disclosures::trainee_id,
            |(d, _): &Joined| d.trainee_id,
        ));
        Ok(list::page(conn, query, &keys, &paging)?.map(Disclosure::from))
    }
}
