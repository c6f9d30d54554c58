//! The audit trail: every create, change and delete writes an event (actor, action, entity, id,
//! the changed fields before and after, time, request id) in the same transaction as the change.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::DbConnection;
use crate::error::ApiError;
use crate::ids::{AuditEventId, text_enum};
use crate::list::{self, Keyset, Paging, Slice};
use crate::schema::audit_events;

text_enum!(
    /// What happened to the entity.
    AuditAction { Create, Update, Delete }
);

text_enum!(
    /// The kinds of record the audit trail names (its `entity_type`).
    Entity {
        /// A partner organisation.
        Partner,
        /// A programme.
        Program,
        /// A partner's roles in a programme.
        ProgramPartner,
        /// A cohort.
        Cohort,
        /// A session of a cohort.
        Session,
        /// The attendance sheet of a session, saved as a whole.
        SessionAttendance,
        /// A trainee.
        Trainee,
        /// An enrolment.
        Enrollment,
        /// An account.
        User,
        /// A questionnaire revision.
        Instrument,
        /// An evaluation round.
        EvaluationRound,
        /// A trainee's invitation to answer a round (its link and whether it was used).
        Invitation,
        /// Answers to a round (never written for an anonymous round's answers).
        Response,
        /// A cohort's completion rule.
        CompletionRule,
        /// A certificate.
        Certificate,
        /// An action plan.
        ActionPlan,
        /// A follow-up checkpoint.
        Checkpoint,
        /// A programme's follow-up schedule.
        FollowUpSchedule,
        /// A person at a partner organisation.
        Contact,
        /// A contact's part in a cohort or session.
        Participation,
        /// A message in the outbox (an officer's retry or cancel).
        Message,
        /// A trainee's calendar feed (that it was made; never its address).
        CalendarFeed,
        /// An exchange rate.
        ExchangeRate,
        /// A budget line.
        BudgetLine,
        /// An expense.
        Expense,
        /// A trainee's language certificate.
        LanguageCertificate,
        /// What a cohort asks of its nominees.
        EligibilityCriteria,
        /// A trainee's consent to one purpose.
        Consent,
    }
);

pub use crate::actor::Actor;

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    occurred_at: NaiveDateTime,
    actor: &'a str,
    action: AuditAction,
    entity_type: Entity,
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

/// Snapshot a record as JSON for [`diff`], with every personal link it shows left out: the trail
/// records that a link was issued or reissued (its `issued_at`, the event's reason), never the
/// link, which would open the trainee's questionnaire, plan or report to whoever reads the trail.
pub fn snapshot(record: &impl Serialize) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(record).map_err(ApiError::internal)?;
    drop_links(&mut value);
    Ok(value)
}

/// Replace every string in `value` that is a personal link, at any depth, by `null`.
fn drop_links(value: &mut Value) {
    match value {
        Value::String(text) if crate::links::is_link(text) => *value = Value::Null,
        Value::Array(values) => values.iter_mut().for_each(drop_links),
        Value::Object(fields) => fields.values_mut().for_each(drop_links),
        _ => {}
    }
}

/// One event to write: what happened to which record, with its state before and after.
#[derive(Debug)]
pub struct Event<'a, T> {
    action: AuditAction,
    entity: Entity,
    entity_id: i64,
    before: Option<&'a T>,
    after: Option<&'a T>,
    reason: Option<&'a str>,
}

impl<'a, T: Serialize> Event<'a, T> {
    /// `record` was created.
    pub fn created(entity: Entity, entity_id: i64, record: &'a T) -> Self {
        Self::new(AuditAction::Create, entity, entity_id, None, Some(record))
    }

    /// The record changed from `before` to `after`.
    pub fn changed(entity: Entity, entity_id: i64, before: &'a T, after: &'a T) -> Self {
        Self::new(AuditAction::Update, entity, entity_id, Some(before), Some(after))
    }

    /// `record` was deleted.
    pub fn deleted(entity: Entity, entity_id: i64, record: &'a T) -> Self {
        Self::new(AuditAction::Delete, entity, entity_id, Some(record), None)
    }

    /// Why it happened, when the actor did not ask for it directly (a waitlisted trainee enrolled
    /// because another withdrew).
    pub fn because(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }

    fn new(action: AuditAction, entity: Entity, entity_id: i64, before: Option<&'a T>, after: Option<&'a T>) -> Self {
        Self {
            action,
            entity,
            entity_id,
            before,
            after,
            reason: None,
        }
    }
}

/// Write one audit event; call it inside the transaction that makes the change.
pub fn record<T: Serialize>(conn: &mut DbConnection, actor: &Actor, event: Event<'_, T>) -> Result<(), ApiError> {
    let before = event.before.map(snapshot).transpose()?;
    let after = event.after.map(snapshot).transpose()?;
    let changes = diff(before.as_ref(), after.as_ref());
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            occurred_at: crate::clock::now(),
            actor: &actor.name,
            action: event.action,
            entity_type: event.entity,
            entity_id: event.entity_id,
            changes: changes.to_string(),
            request_id: actor.request_id.as_deref(),
            reason: event.reason,
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
    #[serde(serialize_with = "crate::wire::rfc3339")]
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

/// Filters for the audit trail.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AuditFilters {
    /// Only events about this kind of record (`partner`, `program`, `program_partner`).
    #[param(max_length = 64, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 64))]
    pub entity_type: Option<String>,
    /// Only events about this record id.
    pub entity_id: Option<i64>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only changes by this actor.
    #[param(max_length = 320, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 320))]
    pub actor: Option<String>,
    /// Only changes made in the request with this `X-Request-Id`.
    #[param(max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 128))]
    pub request_id: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

impl crate::list::List for AuditEvent {
    const NOUNS: &'static str = "audit events, newest first";
    type Filters = AuditFilters;
    type Parent = ();

    /// Newest first.
    fn list(
        conn: &mut DbConnection,
        _: &crate::access::Caller,
        _: (),
        filters: AuditFilters,
        paging: Paging,
    ) -> Result<Slice<AuditEvent>, ApiError> {
        let query = || {
            let mut query = audit_events::table.into_boxed();
            if let Some(entity_type) = &filters.entity_type {
                query = query.filter(audit_events::entity_type.eq(entity_type.clone()));
            }
            if let Some(entity_id) = filters.entity_id {
                query = query.filter(audit_events::entity_id.eq(entity_id));
            }
            if let Some(action) = filters.action {
                query = query.filter(audit_events::action.eq(action));
            }
            if let Some(actor) = &filters.actor {
                query = query.filter(audit_events::actor.eq(actor.clone()));
            }
            if let Some(request_id) = &filters.request_id {
                query = query.filter(audit_events::request_id.eq(request_id.clone()));
            }
            if let Some(since) = filters.since {
                query = query.filter(audit_events::occurred_at.ge(since.naive_utc()));
            }
            if let Some(until) = filters.until {
                query = query.filter(audit_events::occurred_at.lt(until.naive_utc()));
            }
            query
        };
        let keys = Keyset::by(list::descending("-id", audit_events::id, |e: &AuditEventRow| e.id));
        Ok(list::page(conn, query, &keys, &paging)?.map(AuditEvent::from))
    }
}
