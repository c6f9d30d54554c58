//! The audit trail: every create, change and delete writes an event (actor, action, entity, id,
//! the changed fields before and after, time, request id) in the same transaction as the change.

mod handlers;

pub use handlers::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::error::ApiError;
use crate::ids::{AuditEventId, text_enum};
use crate::schema::audit_events;

text_enum!(
    /// What happened to the entity.
    AuditAction { Create, Update, Delete }
);

/// Who is acting, and in which request: every change names both in its audit event. Made by
/// [`crate::auth::Auth`] from the signed-in account.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The email of the account acting.
    pub name: String,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    occurred_at: NaiveDateTime,
    actor: &'a str,
    action: AuditAction,
    entity_type: &'a str,
    entity_id: i64,
    changes: String,
    request_id: Option<&'a str>,
    reason: Option<&'a str>,
}

/// Fields that change on every write and say nothing about what the user changed.
const BOOKKEEPING: [&str; 4] = ["id", "created_at", "updated_at", "version"];

/// `{field: {"before": …, "after": …}}` for every field that differs between two snapshots of
/// a record (`None` before a create, after a delete).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut changes = Map::new();
    let keys = before.keys().chain(after.keys().filter(|k| !before.contains_key(*k)));
    for key in keys {
        if BOOKKEEPING.contains(&key.as_str()) {
            continue;
        }
        let old = before.get(key).unwrap_or(&Value::Null);
        let new = after.get(key).unwrap_or(&Value::Null);
        if old != new {
            changes.insert(key.clone(), serde_json::json!({"before": old, "after": new}));
        }
    }
    Value::Object(changes)
}

/// Snapshot a record as JSON for [`diff`].
pub fn snapshot(record: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(record).map_err(ApiError::internal)
}

/// Write one audit event; call it inside the transaction that makes the change.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: AuditAction,
    entity_type: &str,
    entity_id: i64,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<(), ApiError> {
    record_with_reason(conn, actor, action, entity_type, entity_id, before, after, None)
}

/// [`record`], saying why the change happened when the actor did not ask for it directly
/// (a waitlisted trainee enrolled because another withdrew).
#[allow(clippy::too_many_arguments)]
pub fn record_with_reason(
    conn: &mut DbConnection,
    actor: &Actor,
    action: AuditAction,
    entity_type: &str,
    entity_id: i64,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let before = before.map(snapshot).transpose()?;
    let after = after.map(snapshot).transpose()?;
    let changes = diff(before.as_ref(), after.as_ref());
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            occurred_at: crate::http::now(),
            actor: &actor.name,
            action,
            entity_type,
            entity_id,
            changes: changes.to_string(),
            request_id: actor.request_id.as_deref(),
            reason,
        })
        .execute(conn)?;
    Ok(())
}

/// A stored audit event.
#[derive(Debug, Queryable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    id: AuditEventId,
    occurred_at: NaiveDateTime,
    actor: String,
    action: AuditAction,
    entity_type: String,
    entity_id: i64,
    changes: String,
    request_id: Option<String>,
    reason: Option<String>,
}

/// An audit event as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Event id; later events have larger ids.
    pub id: AuditEventId,
    /// When the change was committed (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
    /// Who made the change.
    pub actor: String,
    /// What happened.
    pub action: AuditAction,
    /// The kind of record: `partner`, `program`, `program_partner`, ...
    pub entity_type: String,
    /// The record's id.
    pub entity_id: i64,
    /// The changed fields: `{"name": {"before": "…", "after": "…"}}`.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<String>,
    /// Why the change happened, when the actor did not ask for it directly.
    pub reason: Option<String>,
}

impl From<AuditEventRow> for AuditEvent {
    fn from(row: AuditEventRow) -> Self {
        Self {
            id: row.id,
            occurred_at: row.occurred_at,
            actor: row.actor,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            changes: serde_json::from_str(&row.changes).unwrap_or(Value::Null),
            request_id: row.request_id,
            reason: row.reason,
        }
    }
}
