//! Initial data: the real partners, programmes, cohorts and sessions from the seed documents,
//! kept as TOML under `seeds/` (see `seeds/README.md`) and compiled into the binary.
//!
//! A run has two stages. [`parse`] reads and checks every file as the API would check a request
//! (the same `Create…` types and validators) and fails with every problem, each naming the file,
//! the record and the field, before anything is written. [`apply`] then writes everything in one
//! transaction: each record is found by its seed key (`partner:JICA`, `cohort:JICA-YL/C3`, ...);
//! a missing one is created. For one that exists, the run compares the file with what the file
//! said last time (`seed_data`), not with the record: only the fields the file has changed since
//! are written, so a second run changes nothing and officers' own edits to seeded records (a
//! capacity, a status moved on) are kept. Records users made carry no seed key and are never
//! touched; a user-made record in the way of a seed record (same code) is reported and skipped.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use validator::Validate;

use crate::audit::{self, Actor, AuditAction};
use crate::cohorts::{Cohort, CohortStatus, CreateCohort, UpdateCohort};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, PartnerId, ProgramId, SessionId};
use crate::partners::{CreatePartner, Partner, UpdatePartner};
use crate::programs::partners::PartnerRole;
use crate::programs::{CreateProgram, Program, UpdateProgram};
use crate::schema::{app_secrets, cohorts, partners, program_partners, programs, sessions};
use crate::sessions::{CreateSession, Session, UpdateSession};

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

/// A record as read, still JSON, with where it came from.
#[derive(Debug, Clone)]
struct Record {
    file: String,
    name: String,
    key: String,
    source: String,
    /// The fields the API's types take.
    fields: Map<String, Value>,
}

#[derive(Debug, Clone)]
struct LinkSeed {
    record: Record,
    partner: String,
}

#[derive(Debug, Clone)]
struct SessionSeed {
    record: Record,
    speaker_partner: Option<String>,
}

#[derive(Debug, Clone)]
struct CohortSeed {
    record: Record,
    code: String,
    status: CohortStatus,
    sessions: Vec<SessionSeed>,
}

#[derive(Debug, Clone)]
struct ProgramSeed {
    record: Record,
    code: String,
    links: Vec<LinkSeed>,
    cohorts: Vec<CohortSeed>,
}

/// Checked seed files, ready to [`apply`].
#[derive(Debug, Clone)]
pub struct Plan {
    files: Vec<(String, Vec<Record>, Option<ProgramSeed>)>,
}

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
        for reason in &self.skipped {
            write!(f, "\n    skipped: {reason}")?;
        }
        Ok(())
    }
}

/// Collects problems while reading.
struct Reader<'a> {
    file: &'a str,
    errors: Vec<SeedError>,
}

impl Reader<'_> {
    fn fail(&mut self, record: &str, field: &str, message: impl Into<String>) {
        self.errors.push(SeedError {
            file: self.file.to_owned(),
            record: record.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// Take `field` out of a record as a string.
    fn take_string(
        &mut self,
        record: &str,
        fields: &mut Map<String, Value>,
        field: &str,
        required: bool,
    ) -> Option<String> {
        match fields.remove(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(_) => {
                self.fail(record, field, "must be a non-empty string");
                None
            }
            None if required => {
                self.fail(record, field, "is required");
                None
            }
            None => None,
        }
    }

    /// The record's `source`: the file name of a seed document.
    fn source(&mut self, record: &str, fields: &mut Map<String, Value>) -> String {
        let source = self.take_string(record, fields, "source", true).unwrap_or_default();
        let looks_right = source.ends_with(".txt") && !source.contains(['/', '\\']) && source.len() <= 200;
        if !source.is_empty() && !looks_right {
            self.fail(
                record,
                "source",
                format!("must be the file name of a seed document, such as 003_f763ceca04e3ab24.txt (got `{source}`)"),
            );
        }
        source
    }

    /// Check `fields` as the API would check a request body of type `T`.
    fn check<T: DeserializeOwned + Validate>(&mut self, record: &str, fields: &Map<String, Value>) -> Option<T> {
        let mut value = Value::Object(fields.clone());
        crate::text::normalize_json(&mut value);
        let parsed: T = match serde_json::from_value(value) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.fail(record, "-", e.to_string());
                return None;
            }
        };
        if let Err(errors) = parsed.validate() {
            for error in crate::error::field_errors(&errors) {
                self.fail(record, error.pointer.trim_start_matches("#/"), error.detail);
            }
            return None;
        }
        Some(parsed)
    }
}

/// TOML tables (an array of them under `key`) as JSON objects.
fn tables(value: &mut Map<String, Value>, key: &str) -> Result<Vec<Map<String, Value>>, String> {
    match value.remove(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => Ok(map),
                _ => Err(format!("`{key}` must be an array of tables ([[{key}]])")),
            })
            .collect(),
        Some(_) => Err(format!("`{key}` must be an array of tables ([[{key}]])")),
    }
}

/// Read and check every file. Partner codes named by programme files must be in some file's
/// `[[partners]]`.
pub fn parse(files: &[SeedFile]) -> Result<Plan, SeedErrors> {
    let mut plan = Plan { files: Vec::new() };
    let mut errors = Vec::new();
    let mut partner_codes = HashSet::new();
    let mut program_codes = HashSet::new();
    // Partners first: programme files refer to them.
    let mut ordered: Vec<&SeedFile> = files.iter().collect();
    ordered.sort_by_key(|f| (!f.path.ends_with("partners.toml"), f.path.clone()));
    let mut references: Vec<(String, String, String, String)> = Vec::new(); // file, record, field, code
    for file in ordered {
        let mut reader = Reader {
            file: &file.path,
            errors: Vec::new(),
        };
        let document: Value = match toml::from_str::<toml::Table>(&file.text) {
            Ok(table) => serde_json::to_value(table).unwrap_or(Value::Null),
            Err(e) => {
                reader.fail("-", "-", format!("is not valid TOML: {}", e.to_string().trim()));
                errors.extend(reader.errors);
                continue;
            }
        };
        let Value::Object(mut document) = document else {
            continue;
        };
        let mut partners_read = Vec::new();
        match tables(&mut document, "partners") {
            Err(message) => reader.fail("-", "partners", message),
            Ok(list) => {
                for (i, mut fields) in list.into_iter().enumerate() {
                    let code = fields.get("code").and_then(Value::as_str).unwrap_or("?").to_owned();
                    if document.contains_key("program") {
                        // In a programme file, [[partners]] are roles in the programme.
                        let name = format!(
                            "partners[{}] (partner {})",
                            i + 1,
                            fields.get("partner").and_then(Value::as_str).unwrap_or("?")
                        );
                        let source = reader.source(&name, &mut fields);
                        let partner = reader
                            .take_string(&name, &mut fields, "partner", true)
                            .unwrap_or_default();
                        references.push((file.path.clone(), name.clone(), "partner".into(), partner.clone()));
                        if let Some(roles) = fields.get("roles") {
                            if serde_json::from_value::<Vec<PartnerRole>>(roles.clone()).is_err() {
                                reader.fail(&name, "roles", "must be a list of roles: funder, host, implementing_agency, counterpart, sponsor, co_organiser, lecturer, coordinator");
                            }
                        } else {
                            reader.fail(&name, "roles", "is required");
                        }
                        for unknown in fields.keys().filter(|k| !["roles", "notes"].contains(&k.as_str())) {
                            reader.fail(
                                &name,
                                unknown,
                                "is not a field of a partner's role (roles, notes, partner, source)",
                            );
                        }
                        partners_read.push(LinkSeed {
                            record: Record {
                                file: file.path.clone(),
                                name,
                                key: String::new(),
                                source,
                                fields,
                            },
                            partner,
                        });
                        continue;
                    }
                    let name = format!("partners[{}] (code {code})", i + 1);
                    let source = reader.source(&name, &mut fields);
                    if reader.check::<CreatePartner>(&name, &fields).is_some() && !partner_codes.insert(code.clone()) {
                        reader.fail(&name, "code", format!("partner {code} is defined twice"));
                    }
                    plan_partner(
                        &mut plan,
                        &file.path,
                        Record {
                            file: file.path.clone(),
                            name,
                            key: format!("partner:{code}"),
                            source,
                            fields,
                        },
                    );
                }
            }
        }
        let program = match document.remove("program") {
            None => None,
            Some(Value::Object(mut fields)) => {
                let code = fields.get("code").and_then(Value::as_str).unwrap_or("?").to_owned();
                let name = format!("program (code {code})");
                let source = reader.source(&name, &mut fields);
                if reader.check::<CreateProgram>(&name, &fields).is_some() && !program_codes.insert(code.clone()) {
                    reader.fail(&name, "code", format!("programme {code} is defined in two files"));
                }
                let mut cohorts_read = Vec::new();
                let mut cohort_codes = HashSet::new();
                match tables(&mut document, "cohorts") {
                    Err(message) => reader.fail("-", "cohorts", message),
                    Ok(list) => {
                        for (i, mut fields) in list.into_iter().enumerate() {
                            let cohort_code = fields.get("code").and_then(Value::as_str).unwrap_or("?").to_owned();
                            let cohort_name = format!("cohorts[{}] (code {cohort_code})", i + 1);
                            let source = reader.source(&cohort_name, &mut fields);
                            let sessions = tables(&mut fields, "sessions").unwrap_or_else(|message| {
                                reader.fail(&cohort_name, "sessions", message);
                                Vec::new()
                            });
                            // Seeds state a cohort's status as a fact, so it is set, not moved.
                            let status = match fields.remove("status") {
                                None => CohortStatus::Planned,
                                Some(value) => serde_json::from_value(value).unwrap_or_else(|_| {
                                    reader.fail(
                                        &cohort_name,
                                        "status",
                                        "must be planned, open, in_progress, completed or cancelled",
                                    );
                                    CohortStatus::Planned
                                }),
                            };
                            if reader.check::<CreateCohort>(&cohort_name, &fields).is_some()
                                && !cohort_codes.insert(cohort_code.clone())
                            {
                                reader.fail(&cohort_name, "code", format!("cohort {cohort_code} appears twice"));
                            }
                            let mut session_seeds = Vec::new();
                            let mut keys = HashSet::new();
                            for (j, mut fields) in sessions.into_iter().enumerate() {
                                let key = fields.get("key").and_then(Value::as_str).unwrap_or("?").to_owned();
                                let session_name = format!("cohorts[{}].sessions[{}] (key {key})", i + 1, j + 1);
                                let source = reader.source(&session_name, &mut fields);
                                let key = reader
                                    .take_string(&session_name, &mut fields, "key", true)
                                    .unwrap_or_default();
                                let key_ok = (2..=64).contains(&key.len())
                                    && key
                                        .bytes()
                                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                                if !key_ok {
                                    reader.fail(&session_name, "key", "must be 2 to 64 of a-z, 0-9 and -");
                                } else if !keys.insert(key.clone()) {
                                    reader.fail(&session_name, "key", format!("`{key}` is used twice in this cohort"));
                                }
                                let speaker_partner =
                                    reader.take_string(&session_name, &mut fields, "speaker_partner", false);
                                if let Some(code) = &speaker_partner {
                                    references.push((
                                        file.path.clone(),
                                        session_name.clone(),
                                        "speaker_partner".into(),
                                        code.clone(),
                                    ));
                                }
                                reader.check::<CreateSession>(&session_name, &fields);
                                session_seeds.push(SessionSeed {
                                    record: Record {
                                        file: file.path.clone(),
                                        name: session_name,
                                        key: format!("session:{code}/{cohort_code}/{key}"),
                                        source,
                                        fields,
                                    },
                                    speaker_partner,
                                });
                            }
                            cohorts_read.push(CohortSeed {
                                record: Record {
                                    file: file.path.clone(),
                                    name: cohort_name,
                                    key: format!("cohort:{code}/{cohort_code}"),
                                    source,
                                    fields,
                                },
                                code: cohort_code,
                                status,
                                sessions: session_seeds,
                            });
                        }
                    }
                }
                let links = partners_read
                    .drain(..)
                    .map(|mut link| {
                        link.record.key = format!("program_partner:{code}/{}", link.partner);
                        link
                    })
                    .collect();
                Some(ProgramSeed {
                    record: Record {
                        file: file.path.clone(),
                        name,
                        key: format!("program:{code}"),
                        source,
                        fields,
                    },
                    code,
                    links,
                    cohorts: cohorts_read,
                })
            }
            Some(_) => {
                reader.fail("program", "-", "must be a table ([program])");
                None
            }
        };
        for unknown in document.keys() {
            reader.fail(
                "-",
                unknown,
                "is not a section of a seed file (partners, program, cohorts)",
            );
        }
        if let Some(entry) = plan.files.iter_mut().find(|(path, _, _)| path == &file.path) {
            entry.2 = program;
        } else {
            plan.files.push((file.path.clone(), Vec::new(), program));
        }
        errors.extend(reader.errors);
    }
    for (file, record, field, code) in references {
        if !code.is_empty() && !partner_codes.contains(&code) {
            errors.push(SeedError {
                file,
                record,
                field,
                message: format!("names partner {code}, which no [[partners]] entry defines"),
            });
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(SeedErrors(errors))
    }
}

fn plan_partner(plan: &mut Plan, file: &str, record: Record) {
    match plan.files.iter_mut().find(|(path, _, _)| path == file) {
        Some(entry) => entry.1.push(record),
        None => plan.files.push((file.to_owned(), vec![record], None)),
    }
}

impl Record {
    /// The record as its file states it, with what the API's types do not take (`source`, and
    /// `extras` such as a cohort's status): stored as `seed_data`, to see later what the file
    /// changed.
    fn snapshot(&self, extras: &[(&str, Value)]) -> String {
        let mut all = self.fields.clone();
        all.insert("source".to_owned(), Value::from(self.source.as_str()));
        for (name, value) in extras {
            all.insert((*name).to_owned(), value.clone());
        }
        Value::Object(all).to_string()
    }

    /// The fields whose value the file changed since `stored` (the last snapshot), each with
    /// its new value (`null` once the file leaves it out); `None` when nothing changed. Without
    /// a stored snapshot every field counts as changed.
    fn changed_since(&self, stored: Option<&str>, extras: &[(&str, Value)]) -> Option<Map<String, Value>> {
        let Ok(Value::Object(now)) = serde_json::from_str::<Value>(&self.snapshot(extras)) else {
            return None;
        };
        let before = match stored.map(serde_json::from_str::<Value>) {
            Some(Ok(Value::Object(before))) => before,
            _ => Map::new(),
        };
        let mut changed = Map::new();
        for key in now.keys().chain(before.keys()) {
            let new = now.get(key).cloned().unwrap_or(Value::Null);
            if before.get(key) != now.get(key) || (stored.is_none() && !changed.contains_key(key)) {
                changed.insert(key.clone(), new);
            }
        }
        (!changed.is_empty()).then_some(changed)
    }
}

/// A change of type `T` holding only the `changed` fields that `T` takes (`source` and other
/// extras are not its), so that fields users edited and the file did not change are kept. A field
/// the file left out is cleared, or set to its default (`defaults`); `extra` fields are added.
fn change<T: DeserializeOwned>(
    record: &Record,
    changed: &Map<String, Value>,
    not_fields: &[&str],
    defaults: &[(&str, Value)],
    extra: &[(&str, Value)],
) -> ApiResult<T> {
    let mut fields = Map::new();
    for (key, value) in changed {
        if key == "source" || not_fields.contains(&key.as_str()) {
            continue;
        }
        let value = match (value, defaults.iter().find(|(name, _)| name == key)) {
            (Value::Null, Some((_, default))) => default.clone(),
            _ => value.clone(),
        };
        fields.insert(key.clone(), value);
    }
    for (name, value) in extra {
        fields.insert((*name).to_owned(), value.clone());
    }
    let mut value = Value::Object(fields);
    crate::text::normalize_json(&mut value);
    serde_json::from_value(value).map_err(|e| ApiError::internal(anyhow::anyhow!("{}: {e}", record.name)))
}

/// The fields of `record` as a new record of type `T`, with `extra` fields added.
fn create<T: DeserializeOwned>(record: &Record, extra: &[(&str, Value)]) -> ApiResult<T> {
    let mut fields = record.fields.clone();
    for (name, value) in extra {
        fields.insert((*name).to_owned(), value.clone());
    }
    let mut value = Value::Object(fields);
    crate::text::normalize_json(&mut value);
    serde_json::from_value(value).map_err(|e| ApiError::internal(anyhow::anyhow!("{}: {e}", record.name)))
}

/// What happened to one record.
enum Outcome<Id> {
    Created(Id),
    Updated(Id),
    Unchanged(Id),
    Skipped(Option<Id>, String),
}

impl<Id: Copy> Outcome<Id> {
    fn map<To>(self, f: impl FnOnce(Id) -> To) -> Outcome<To> {
        match self {
            Outcome::Created(id) => Outcome::Created(f(id)),
            Outcome::Updated(id) => Outcome::Updated(f(id)),
            Outcome::Unchanged(id) => Outcome::Unchanged(f(id)),
            Outcome::Skipped(id, why) => Outcome::Skipped(id.map(f), why),
        }
    }

    fn count(&self, report: &mut FileReport) -> Option<Id> {
        match self {
            Outcome::Created(id) => {
                report.created += 1;
                Some(*id)
            }
            Outcome::Updated(id) => {
                report.updated += 1;
                Some(*id)
            }
            Outcome::Unchanged(id) => {
                report.unchanged += 1;
                Some(*id)
            }
            Outcome::Skipped(id, why) => {
                report.skipped.push(why.clone());
                *id
            }
        }
    }
}

/// A record kind the seed loader writes: what it needs beyond the kind's own create and save.
trait Seeded: Clone + PartialEq + serde::Serialize {
    /// The audit trail's name for the kind.
    const ENTITY: &'static str;
    /// The record's id.
    fn id(&self) -> i64;
    /// The record's source document.
    fn source(&self) -> Option<&str>;
    /// Set the source document on this copy (after [`Seeded::mark`] stored it).
    fn set_source(&mut self, source: String);
    /// Store `next` over `self`, as the API's PATCH does.
    fn save(&self, conn: &mut DbConnection, next: Self) -> ApiResult<Self>;
    /// Store the record's source document, seed key and the snapshot of its file's version.
    fn mark(conn: &mut DbConnection, id: i64, record: &Record, snapshot: &str) -> QueryResult<usize>;
    /// The snapshot stored by the last run.
    fn stored(conn: &mut DbConnection, id: i64) -> QueryResult<Option<String>>;
}

/// Implement [`Seeded`] for a kind whose table has `source` and `seed_key` columns.
macro_rules! seeded {
    ($type:ty, $table:ident, $entity:literal, $id:ident) => {
        impl Seeded for $type {
            const ENTITY: &'static str = $entity;
            fn id(&self) -> i64 {
                self.id.0
            }
            fn source(&self) -> Option<&str> {
                self.source.as_deref()
            }
            fn set_source(&mut self, source: String) {
                self.source = Some(source);
            }
            fn save(&self, conn: &mut DbConnection, next: Self) -> ApiResult<Self> {
                <$type>::save(self, conn, next)
            }
            fn mark(conn: &mut DbConnection, id: i64, record: &Record, snapshot: &str) -> QueryResult<usize> {
                diesel::update($table::table.find(crate::ids::$id(id)))
                    .set((
                        $table::source.eq(Some(record.source.clone())),
                        $table::seed_key.eq(Some(record.key.clone())),
                        $table::seed_data.eq(Some(snapshot.to_owned())),
                    ))
                    .execute(conn)
            }
            fn stored(conn: &mut DbConnection, id: i64) -> QueryResult<Option<String>> {
                $table::table
                    .find(crate::ids::$id(id))
                    .select($table::seed_data)
                    .first(conn)
            }
        }
    };
}

seeded!(Partner, partners, "partner", PartnerId);
seeded!(Program, programs, "program", ProgramId);
seeded!(Cohort, cohorts, "cohort", CohortId);
seeded!(Session, sessions, "session", SessionId);

/// A record the seed just created: mark it as the seed's and audit it.
fn created<T: Seeded>(
    conn: &mut DbConnection,
    actor: &Actor,
    record: &Record,
    extras: &[(&str, Value)],
    mut new: T,
) -> ApiResult<i64> {
    T::mark(conn, new.id(), record, &record.snapshot(extras))?;
    new.set_source(record.source.clone());
    audit::record(
        conn,
        actor,
        AuditAction::Create,
        T::ENTITY,
        new.id(),
        None::<&T>,
        Some(&new),
    )?;
    Ok(new.id())
}

/// Bring a seeded record to `next` (what the file changed, applied): save and audit it if that
/// changes it; in any case remember the file's new version.
fn reconcile<T: Seeded>(
    conn: &mut DbConnection,
    actor: &Actor,
    record: &Record,
    extras: &[(&str, Value)],
    current: T,
    next: T,
) -> ApiResult<Outcome<i64>> {
    let id = current.id();
    T::mark(conn, id, record, &record.snapshot(extras))?;
    if next == current && current.source() == Some(record.source.as_str()) {
        return Ok(Outcome::Unchanged(id));
    }
    let mut saved = if next == current {
        current.clone()
    } else {
        current.save(conn, next)?
    };
    saved.set_source(record.source.clone());
    audit::record(
        conn,
        actor,
        AuditAction::Update,
        T::ENTITY,
        id,
        Some(&current),
        Some(&saved),
    )?;
    Ok(Outcome::Updated(id))
}

fn apply_partner(conn: &mut DbConnection, actor: &Actor, record: &Record) -> ApiResult<Outcome<PartnerId>> {
    let code = record
        .fields
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let existing: Option<Partner> = partners::table
        .filter(partners::seed_key.eq(&record.key))
        .first(conn)
        .optional()?;
    let Some(current) = existing else {
        if let Some(id) = partners::table
            .filter(partners::code.eq(&code))
            .select(partners::id)
            .first::<PartnerId>(conn)
            .optional()?
        {
            return Ok(Outcome::Skipped(
                Some(id),
                format!("partner {code} was made by a user; left as it is"),
            ));
        }
        let new = Partner::create(conn, create(record, &[])?)?;
        return Ok(Outcome::Created(PartnerId(created(conn, actor, record, &[], new)?)));
    };
    let stored = Partner::stored(conn, current.id.0)?;
    let Some(changed) = record.changed_since(stored.as_deref(), &[]) else {
        return Ok(Outcome::Unchanged(current.id));
    };
    let next = current.patched(change::<UpdatePartner>(record, &changed, &[], &[], &[])?);
    Ok(reconcile(conn, actor, record, &[], current, next)?.map(PartnerId))
}

fn program_defaults() -> [(&'static str, Value); 3] {
    [
        ("status", Value::from("planned")),
        ("focus_areas", Value::Array(Vec::new())),
        ("figures", Value::Array(Vec::new())),
    ]
}

fn apply_program(conn: &mut DbConnection, actor: &Actor, seed: &ProgramSeed) -> ApiResult<Outcome<ProgramId>> {
    let record = &seed.record;
    let existing = programs::table
        .filter(programs::seed_key.eq(&record.key))
        .select(programs::id)
        .first::<ProgramId>(conn)
        .optional()?;
    let Some(id) = existing else {
        let taken = programs::table
            .filter(programs::code.eq(&seed.code))
            .select(programs::id)
            .first::<ProgramId>(conn)
            .optional()?;
        if taken.is_some() {
            return Ok(Outcome::Skipped(
                None,
                format!(
                    "programme {} was made by a user; it and its partners, cohorts and sessions are left as they are",
                    seed.code
                ),
            ));
        }
        let new = Program::create(conn, create(record, &[])?)?;
        return Ok(Outcome::Created(ProgramId(created(conn, actor, record, &[], new)?)));
    };
    let stored = Program::stored(conn, id.0)?;
    let Some(changed) = record.changed_since(stored.as_deref(), &[]) else {
        return Ok(Outcome::Unchanged(id));
    };
    let current = Program::find(conn, id)?;
    let next = current.patched(change::<UpdateProgram>(
        record,
        &changed,
        &[],
        &program_defaults(),
        &[],
    )?)?;
    Ok(reconcile(conn, actor, record, &[], current, next)?.map(ProgramId))
}

/// A seeded link as stored: id, roles (JSON), notes, source, version, seed snapshot.
type StoredLink = (i64, String, Option<String>, Option<String>, i32, Option<String>);

/// A partner's role in a programme, as stored and audited.
#[derive(Debug, PartialEq, serde::Serialize)]
struct LinkState {
    roles: Vec<PartnerRole>,
    notes: Option<String>,
    source: Option<String>,
}

fn apply_link(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    partner: PartnerId,
    link: &LinkSeed,
) -> ApiResult<Outcome<i64>> {
    let record = &link.record;
    let mut value = Value::Object(record.fields.clone());
    crate::text::normalize_json(&mut value);
    let roles: Vec<PartnerRole> = serde_json::from_value(value["roles"].clone())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{}: {e}", record.name)))?;
    let wanted = LinkState {
        roles,
        notes: value.get("notes").and_then(Value::as_str).map(str::to_owned),
        source: Some(record.source.clone()),
    };
    let roles_json = serde_json::to_string(&wanted.roles).map_err(ApiError::internal)?;
    let existing: Option<StoredLink> = program_partners::table
        .filter(program_partners::seed_key.eq(&record.key))
        .select((
            program_partners::id,
            program_partners::roles,
            program_partners::notes,
            program_partners::source,
            program_partners::version,
            program_partners::seed_data,
        ))
        .first(conn)
        .optional()?;
    let now = crate::http::now();
    let extras = [("partner", Value::from(link.partner.as_str()))];
    let Some((id, roles, notes, source, version, stored)) = existing else {
        let taken: Option<i64> = program_partners::table
            .filter(program_partners::program_id.eq(program))
            .filter(program_partners::partner_id.eq(partner))
            .select(program_partners::id)
            .first(conn)
            .optional()?;
        if taken.is_some() {
            return Ok(Outcome::Skipped(
                None,
                format!(
                    "{}: a user already gave partner {} a role in this programme; left as it is",
                    record.name, link.partner
                ),
            ));
        }
        let id: i64 = diesel::insert_into(program_partners::table)
            .values((
                program_partners::program_id.eq(program),
                program_partners::partner_id.eq(partner),
                program_partners::roles.eq(&roles_json),
                program_partners::notes.eq(&wanted.notes),
                program_partners::created_at.eq(now),
                program_partners::updated_at.eq(now),
                program_partners::version.eq(1),
                program_partners::source.eq(&wanted.source),
                program_partners::seed_key.eq(Some(&record.key)),
                program_partners::seed_data.eq(Some(record.snapshot(&extras))),
            ))
            .returning(program_partners::id)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            AuditAction::Create,
            "program_partner",
            id,
            None::<&LinkState>,
            Some(&wanted),
        )?;
        return Ok(Outcome::Created(id));
    };
    let Some(changed) = record.changed_since(stored.as_deref(), &extras) else {
        return Ok(Outcome::Unchanged(id));
    };
    let current = LinkState {
        roles: serde_json::from_str(&roles).map_err(ApiError::internal)?,
        notes,
        source,
    };
    // Only what the file changed since the last run; what users changed otherwise stays.
    let wanted = LinkState {
        roles: if changed.contains_key("roles") {
            wanted.roles
        } else {
            current.roles.clone()
        },
        notes: if changed.contains_key("notes") {
            wanted.notes
        } else {
            current.notes.clone()
        },
        source: wanted.source,
    };
    diesel::update(program_partners::table.find(id))
        .set(program_partners::seed_data.eq(Some(record.snapshot(&extras))))
        .execute(conn)?;
    if current == wanted {
        return Ok(Outcome::Unchanged(id));
    }
    diesel::update(program_partners::table.find(id))
        .set((
            program_partners::roles.eq(serde_json::to_string(&wanted.roles).map_err(ApiError::internal)?),
            program_partners::notes.eq(&wanted.notes),
            program_partners::source.eq(&wanted.source),
            program_partners::updated_at.eq(now),
            program_partners::version.eq(version + 1),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        AuditAction::Update,
        "program_partner",
        id,
        Some(&current),
        Some(&wanted),
    )?;
    Ok(Outcome::Updated(id))
}

fn apply_cohort(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    seed: &CohortSeed,
) -> ApiResult<Outcome<CohortId>> {
    let record = &seed.record;
    let extras = [("status", serde_json::to_value(seed.status).map_err(ApiError::internal)?)];
    let existing = cohorts::table
        .filter(cohorts::seed_key.eq(&record.key))
        .select(cohorts::id)
        .first::<CohortId>(conn)
        .optional()?;
    let Some(id) = existing else {
        let taken = cohorts::table
            .filter(cohorts::program_id.eq(program))
            .filter(cohorts::code.eq(&seed.code))
            .select(cohorts::id)
            .first::<CohortId>(conn)
            .optional()?;
        if taken.is_some() {
            return Ok(Outcome::Skipped(
                None,
                format!(
                    "cohort {} was made by a user; it and its sessions are left as they are",
                    seed.code
                ),
            ));
        }
        let new = Cohort::create(conn, program, create::<CreateCohort>(record, &extras)?)?;
        return Ok(Outcome::Created(CohortId(created(conn, actor, record, &extras, new)?)));
    };
    let stored = Cohort::stored(conn, id.0)?;
    let Some(changed) = record.changed_since(stored.as_deref(), &extras) else {
        return Ok(Outcome::Unchanged(id));
    };
    let current = Cohort::find_for_seats(conn, id)?;
    let mut next = current.patched(change::<UpdateCohort>(record, &changed, &["status"], &[], &[])?)?;
    // When the file changes the status it states a fact: it is set, not moved along the allowed
    // steps. A status users moved on is otherwise theirs, like every field the file leaves alone.
    if changed.contains_key("status") {
        next.status = seed.status;
    }
    Ok(reconcile(conn, actor, record, &extras, current, next)?.map(CohortId))
}

fn apply_session(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: CohortId,
    seed: &SessionSeed,
    speaker_partner: Option<PartnerId>,
) -> ApiResult<Outcome<i64>> {
    let record = &seed.record;
    let partner = (
        "speaker_partner_id",
        speaker_partner.map_or(Value::Null, |p| Value::from(p.0)),
    );
    let existing: Option<SessionId> = sessions::table
        .filter(sessions::seed_key.eq(&record.key))
        .select(sessions::id)
        .first(conn)
        .optional()?;
    // The file names the speaker's partner by code; the snapshot keeps the code.
    let extras = [(
        "speaker_partner",
        seed.speaker_partner.clone().map_or(Value::Null, Value::from),
    )];
    let Some(id) = existing else {
        let new = Session::create(conn, cohort, create::<CreateSession>(record, &[partner])?)?;
        return Ok(Outcome::Created(created(conn, actor, record, &extras, new)?));
    };
    let stored = Session::stored(conn, id.0)?;
    let Some(changed) = record.changed_since(stored.as_deref(), &extras) else {
        return Ok(Outcome::Unchanged(id.0));
    };
    let mut changed = changed;
    if changed.get("date") == Some(&Value::Null) {
        changed.remove("date"); // a file that gives only starts_at: the date follows from it
    }
    let current = Session::find(conn, id)?;
    let speaker = if changed.contains_key("speaker_partner") {
        vec![partner]
    } else {
        Vec::new()
    };
    let next = current.patched(
        conn,
        change::<UpdateSession>(record, &changed, &["speaker_partner"], &[], &speaker)?,
    )?;
    reconcile(conn, actor, record, &extras, current, next)
}

/// Write `plan` (call inside one write transaction): create what is missing, update what differs
/// from its file, leave the rest. Reports each file through `progress` as it is done.
pub fn apply(
    conn: &mut DbConnection,
    plan: &Plan,
    progress: &mut dyn FnMut(&FileReport),
) -> ApiResult<Vec<FileReport>> {
    let actor = Actor {
        name: "tpms seed".to_owned(),
        request_id: None,
    };
    let in_record = |record: &Record| {
        let where_ = format!("seeds/{}: {}", record.file, record.name);
        move |e: ApiError| match e {
            ApiError::Conflict { code, detail } => ApiError::Conflict {
                code,
                detail: format!("{where_}: {detail}"),
            },
            ApiError::Validation(errors) => ApiError::Internal(anyhow::anyhow!(
                "{where_}: {}",
                errors
                    .iter()
                    .map(|e| format!("{} {}", e.pointer, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            other => other,
        }
    };
    let mut partner_ids: HashMap<String, PartnerId> = HashMap::new();
    let mut reports = Vec::new();
    for (file, partner_records, program) in &plan.files {
        let mut report = FileReport {
            file: file.clone(),
            ..FileReport::default()
        };
        for record in partner_records {
            let outcome = apply_partner(conn, &actor, record).map_err(in_record(record))?;
            if let Some(id) = outcome.count(&mut report) {
                let code = record.fields.get("code").and_then(Value::as_str).unwrap_or_default();
                partner_ids.insert(code.to_owned(), id);
            }
        }
        if let Some(program) = program {
            let outcome = apply_program(conn, &actor, program).map_err(in_record(&program.record))?;
            if let Some(program_id) = outcome.count(&mut report) {
                for link in &program.links {
                    let Some(partner) = partner_ids.get(&link.partner).copied() else {
                        report.skipped.push(format!(
                            "{}: partner {} was not written",
                            link.record.name, link.partner
                        ));
                        continue;
                    };
                    apply_link(conn, &actor, program_id, partner, link)
                        .map_err(in_record(&link.record))?
                        .count(&mut report);
                }
                for cohort in &program.cohorts {
                    let outcome = apply_cohort(conn, &actor, program_id, cohort).map_err(in_record(&cohort.record))?;
                    let Some(cohort_id) = outcome.count(&mut report) else {
                        continue;
                    };
                    for session in &cohort.sessions {
                        let speaker = session
                            .speaker_partner
                            .as_ref()
                            .and_then(|code| partner_ids.get(code).copied());
                        apply_session(conn, &actor, cohort_id, session, speaker)
                            .map_err(in_record(&session.record))?
                            .count(&mut report);
                    }
                }
            }
        }
        progress(&report);
        reports.push(report);
    }
    let now = crate::http::now();
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
    Ok(reports)
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
