//! What the seed remembers of each record it owns: its seed key, source document and the
//! snapshot of what its file said at the last run (`seed_data`); and how a file's record differs
//! from that snapshot, as a change of the fields the file changed.

use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::plan::Entry;
use crate::cohorts::Cohort;
use crate::contacts::Contact;
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::participations::Participation;
use crate::partners::Partner;
use crate::programs::Program;
use crate::programs::partners::ProgramPartner;
use crate::provenance::Sources;
use crate::resource::{Change, Create, Record};
use crate::schema::{cohorts, contacts, participations, partners, program_partners, programs, sessions};
use crate::sessions::Session;

/// A record kind some of whose records the seed owns: they carry the seed key, their source
/// document, and the snapshot of what their file last said (`seed_data`).
pub(super) trait Seeded: Change + Create {
    /// The key and last snapshot of the record the seed owns under `seed_key`, if any.
    fn seeded(conn: &mut DbConnection, seed_key: &str) -> ApiResult<Option<(Self::Key, Option<String>)>>;
    /// Store this record's sources (the first as `source`), seed key and the snapshot of its
    /// file's version.
    fn mark<T>(&self, conn: &mut DbConnection, entry: &Entry<T>, sources: &Sources) -> ApiResult<()>;
    /// This copy with its source documents set.
    fn with_sources(self, sources: &Sources) -> Self;
}

/// Implement [`Seeded`] for a kind whose table has `source`, `seed_key` and `seed_data`, and whose
/// key its `$key` columns hold.
macro_rules! seeded {
    ($type:ty, $table:ident, $key:expr) => {
        impl Seeded for $type {
            fn seeded(conn: &mut DbConnection, seed_key: &str) -> ApiResult<Option<(Self::Key, Option<String>)>> {
                Ok($table::table
                    .filter($table::seed_key.eq(seed_key))
                    .select(($key, $table::seed_data))
                    .lookup(conn)?)
            }

            fn mark<T>(&self, conn: &mut DbConnection, entry: &Entry<T>, sources: &Sources) -> ApiResult<()> {
                diesel::update($table::table.filter($table::id.eq(self.audit_id())))
                    .set((
                        $table::source.eq(sources.0.first()),
                        $table::sources.eq(sources.column()),
                        $table::seed_key.eq(Some(&entry.key)),
                        $table::seed_data.eq(Some(Value::Object(entry.snapshot.clone()).to_string())),
                    ))
                    .execute(conn)?;
                Ok(())
            }

            fn with_sources(mut self, sources: &Sources) -> Self {
                self.source = sources.0.first().cloned();
                self.sources = sources.clone();
                self
            }
        }
    };
}

seeded!(Partner, partners, partners::id);
seeded!(Program, programs, programs::id);
seeded!(
    ProgramPartner,
    program_partners,
    (program_partners::program_id, program_partners::partner_id)
);
seeded!(Cohort, cohorts, cohorts::id);
seeded!(Session, sessions, sessions::id);
seeded!(Contact, contacts, contacts::id);
seeded!(Participation, participations, participations::id);

/// The fields whose value the file changed since `stored` (the last snapshot), each with its new
/// value (`null` once the file leaves it out); `None` when nothing changed. Without a stored
/// snapshot every field counts as changed.
pub(super) fn changed_since(stored: Option<&str>, now: &Map<String, Value>) -> Option<Map<String, Value>> {
    let before = match stored.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(before))) => before,
        _ => Map::new(),
    };
    let mut changed = Map::new();
    for key in now.keys().chain(before.keys()) {
        if stored.is_none() || before.get(key) != now.get(key) {
            changed.insert(key.clone(), now.get(key).cloned().unwrap_or(Value::Null));
        }
    }
    (!changed.is_empty()).then_some(changed)
}

/// A change of type `C` holding only the `changed` fields that `C` takes (not the source, nor the
/// values the loader reads apart: `not_fields`), so that fields users edited and the file did not
/// change are kept. A field the file left out is cleared, or set to its default (`defaults`).
pub(super) fn change_of<C: DeserializeOwned>(
    name: &str,
    changed: &Map<String, Value>,
    not_fields: &[&str],
    defaults: &[(&str, Value)],
) -> ApiResult<C> {
    let mut fields = Map::new();
    for (key, value) in changed {
        if key == "source" || key == "also_sources" || not_fields.contains(&key.as_str()) {
            continue;
        }
        let value = match (value, defaults.iter().find(|(field, _)| field == key)) {
            (Value::Null, Some((_, default))) => default.clone(),
            _ => value.clone(),
        };
        fields.insert(key.clone(), value);
    }
    let mut value = Value::Object(fields);
    crate::text::normalize_json(&mut value);
    serde_json::from_value(value).map_err(|e| ApiError::internal(anyhow::anyhow!("{name}: {e}")))
}
