//! Initial data: the real partners, programmes, cohorts and sessions from the seed documents,
//! kept as TOML under `seeds/` (see `seeds/README.md`) and compiled into the binary.
//!
//! A run has two stages. [`parse`] reads every file into the typed records of [`plan`] and
//! checks each as the API would check a request (the same `Create…` types and validators); it
//! fails with every problem, each naming the file, the record and the field, before anything is
//! written. [`apply`] then writes everything in one transaction, through the same domain
//! functions as the API (`insert`, `patched`, [`crate::resource::save`]): each record is found by
//! its seed key (`partner:JICA`, `cohort:JICA-YL/C3`, ...); a missing one is created. For one that
//! exists, the run compares the file with what the file said last time (`seed_data`), not with
//! the record: only the fields the file has changed since are written, so a second run changes
//! nothing and officers' own edits to seeded records (a capacity, a status moved on) are kept.
//! Records users made carry no seed key and are never touched; a user-made record in the way of a
//! seed record (same code) is reported and skipped.

mod apply;
pub mod model;
pub mod plan;
mod snapshot;

pub use apply::apply;
pub use plan::{Plan, parse};

use std::path::Path;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::app_secrets;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/seed_files.rs"));
}

/// The `app_secrets` row that records the first seeding, so that a restart does not seed again.
const SEEDED_MARKER: &str = "seeded_at";

/// One seed file: its path below `seeds/` and its text.
#[derive(Debug, Clone)]
pub struct SeedFile {
    /// Path relative to `seeds/`, e.g. `programs/jica-young-leaders.toml`.
    pub path: String,
    /// The TOML text.
    pub text: String,
}

/// The seed files compiled into this binary.
pub fn embedded_files() -> Vec<SeedFile> {
    embedded::FILES
        .iter()
        .map(|(path, text)| SeedFile {
            path: (*path).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

/// Every `.toml` file below `dir` (for trying edits without rebuilding).
pub fn files_in(dir: &Path) -> anyhow::Result<Vec<SeedFile>> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<SeedFile>) -> anyhow::Result<()> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot read the seed directory {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                walk(&path, &format!("{prefix}{name}/"), out)?;
            } else if name.ends_with(".toml") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read seed file {}: {e}", path.display()))?;
                out.push(SeedFile {
                    path: format!("{prefix}{name}"),
                    text,
                });
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, "", &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// One problem in a seed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedError {
    /// The file, relative to `seeds/`.
    pub file: String,
    /// The record, e.g. `partners[3] (code JICA)`.
    pub record: String,
    /// The field, or `-` for the record as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeds/{}: {}: {}: {}",
            self.file, self.record, self.field, self.message
        )
    }
}

/// Every problem found in the seed files.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the seed files, nothing was written:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct SeedErrors(pub Vec<SeedError>);

/// What a run did to one file's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub file: String,
    /// Records created.
    pub created: usize,
    /// Records changed to match the file.
    pub updated: usize,
    /// Records already as the file says.
    pub unchanged: usize,
    /// Records the seed made that the file no longer holds, removed.
    pub removed: usize,
    /// Why records were skipped (user-made records in the way).
    pub skipped: Vec<String>,
}

impl std::fmt::Display for FileReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeds/{}: {} created, {} updated, {} unchanged",
            self.file, self.created, self.updated, self.unchanged
        )?;
        if self.removed > 0 {
            write!(f, ", {} removed", self.removed)?;
        }
        for reason in &self.skipped {
            write!(f, "\n    skipped: {reason}")?;
        }
        Ok(())
    }
}

/// Record that this database has been seeded, so that a restart does not seed it again.
fn mark_seeded(conn: &mut DbConnection) -> ApiResult<()> {
    let now = crate::clock::now();
    let marked = diesel::update(app_secrets::table.find(SEEDED_MARKER))
        .set(app_secrets::value.eq(now.to_string()))
        .execute(conn)?;
    if marked == 0 {
        diesel::insert_into(app_secrets::table)
            .values((
                app_secrets::name.eq(SEEDED_MARKER),
                app_secrets::value.eq(now.to_string()),
                app_secrets::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether this database was ever seeded.
pub fn was_seeded(conn: &mut DbConnection) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(app_secrets::table.find(SEEDED_MARKER))).get_result(conn)?)
}

/// Parse `files` and apply them in one transaction (under the seeding lock on PostgreSQL, so that
/// app servers starting together seed once). With `only_if_new`, a database seeded before is
/// left alone. Returns `None` when it was.
pub fn run(
    conn: &mut DbConnection,
    files: &[SeedFile],
    only_if_new: bool,
    progress: &mut dyn FnMut(&FileReport),
) -> anyhow::Result<Option<Vec<FileReport>>> {
    let plan = parse(files)?;
    crate::db::dialect::with_lock(conn, crate::db::dialect::SEED_LOCK_KEY, |conn| {
        crate::db::dialect::write_transaction(conn, |conn| {
            if only_if_new && was_seeded(conn)? {
                return Ok(None);
            }
            apply(conn, &plan, progress).map(Some)
        })
        .map_err(|e: ApiError| match e {
            ApiError::Internal(cause) => cause,
            other => anyhow::anyhow!("{other}"),
        })
    })
}
