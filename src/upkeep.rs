//! Work on existing rows that a migration cannot do in SQL, because it needs Rust's text folding
//! ([`crate::text::fold`]), which both databases must agree on. Each step runs once, right after
//! the migrations (under the same lock on PostgreSQL), a batch per transaction so that a database
//! of a million trainees is neither held nor lost half-done: a step interrupted is redone whole
//! at the next start, and every step can be redone. The `upkeep` table records the steps done.
//!
//! A new step is a function here and a line in [`STEPS`]; its name is never reused.

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::BoxError;
use crate::ids::{ProgramId, TraineeId};
use crate::schema::{programs, trainee_terms, trainees, upkeep};

/// Trainees read and written per transaction.
const BATCH: i64 = 2_000;

type Step = fn(&mut DbConnection) -> Result<(), BoxError>;

/// Every step, in the order they run, by the name `upkeep` records.
const STEPS: [(&str, Step); 2] = [
    // Migration 2026-12-02-000006_folded_places.
    ("folded_places", folded_places),
    // Programme search finds words of the description since that same change.
    ("programme_descriptions_searched", programme_search_text),
];

/// Run the steps not yet recorded as done.
pub fn run(conn: &mut DbConnection) -> Result<(), BoxError> {
    for (name, step) in STEPS {
        let done: bool =
            diesel::select(diesel::dsl::exists(upkeep::table.filter(upkeep::name.eq(name)))).get_result(conn)?;
        if done {
            continue;
        }
        tracing::info!(step = name, "upkeep: starting");
        step(conn)?;
        diesel::insert_into(upkeep::table)
            .values((upkeep::name.eq(name), upkeep::done_at.eq(crate::clock::now())))
            .execute(conn)?;
        tracing::info!(step = name, "upkeep: done");
    }
    Ok(())
}

/// Fill `province_key` and `organisation_key` of every trainee, and mark which of its search terms
/// are words of its name (`in_name`).
fn folded_places(conn: &mut DbConnection) -> Result<(), BoxError> {
    let total: i64 = trainees::table.count().get_result(conn)?;
    let mut after = TraineeId(0);
    let mut done: i64 = 0;
    loop {
        let batch: Vec<(TraineeId, String, Option<String>, Option<String>)> = trainees::table
            .filter(trainees::id.gt(after))
            .order(trainees::id)
            .select((
                trainees::id,
                trainees::full_name,
                trainees::province,
                trainees::organisation,
            ))
            .limit(BATCH)
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        crate::db::dialect::write_transaction(conn, |conn| fold_batch(conn, &batch))?;
        done += i64::try_from(batch.len()).unwrap_or(i64::MAX);
        if done % 100_000 < BATCH || done >= total {
            tracing::info!(done, total, "upkeep: trainees' places folded and name words marked");
        }
    }
    Ok(())
}

/// One batch of [`folded_places`]: an update per distinct pair of keys, and one per distinct word of
/// the names, each over the trainees that share it (names and places repeat a great deal).
fn fold_batch(
    conn: &mut DbConnection,
    batch: &[(TraineeId, String, Option<String>, Option<String>)],
) -> Result<(), diesel::result::Error> {
    let mut by_keys: BTreeMap<(Option<String>, Option<String>), Vec<TraineeId>> = BTreeMap::new();
    let mut by_word: BTreeMap<String, Vec<TraineeId>> = BTreeMap::new();
    for (id, name, province, organisation) in batch {
        let keys = (
            province.as_deref().map(crate::text::key),
            organisation.as_deref().map(crate::text::key),
        );
        by_keys.entry(keys).or_default().push(*id);
        for term in crate::trainees::search::terms([Some(name.as_str())]) {
            by_word.entry(term.exact).or_default().push(*id);
        }
    }
    for ((province, organisation), ids) in by_keys {
        diesel::update(trainees::table.filter(trainees::id.eq_any(&ids)))
            .set((
                trainees::province_key.eq(&province),
                trainees::organisation_key.eq(organisation),
            ))
            .execute(conn)?;
        // The terms carry the province too (a search with `?province=` reads them by it).
        diesel::update(trainee_terms::table.filter(trainee_terms::trainee_id.eq_any(ids)))
            .set(trainee_terms::province_key.eq(province))
            .execute(conn)?;
    }
    for (word, ids) in by_word {
        diesel::update(
            trainee_terms::table
                .filter(trainee_terms::trainee_id.eq_any(ids))
                .filter(trainee_terms::term_exact.eq(word)),
        )
        .set(trainee_terms::in_name.eq(true))
        .execute(conn)?;
    }
    Ok(())
}

/// Recompute every programme's search text ([`crate::programs::search_text_of`]).
fn programme_search_text(conn: &mut DbConnection) -> Result<(), BoxError> {
    type Searched = (ProgramId, String, String, Option<String>, Option<String>);
    let all: Vec<Searched> = programs::table
        .select((
            programs::id,
            programs::code,
            programs::title,
            programs::title_vi,
            programs::description,
        ))
        .load(conn)?;
    crate::db::dialect::write_transaction(conn, |conn| {
        for (id, code, title, title_vi, description) in &all {
            let text = crate::programs::search_text_of(code, title, title_vi.as_deref(), description.as_deref());
            diesel::update(programs::table.find(id))
                .set(programs::search_text.eq(text))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}
