//! The outbox: every message the service sends to a person (a trainee's invitation to answer a
//! round, a reissued link, a plan sent back, a certificate, a session's calendar entry, a
//! reminder) is a row of `messages`, written by [`enqueue`] in the transaction of the change that
//! causes it, so that the change and its message commit together or not at all. The sender
//! (`src/delivery/`) delivers queued rows afterwards through [`outbox`]; officers see, retry and
//! cancel them here.
//!
//! A message is stored as it will be sent (subject, plain-text body, calendar), in the
//! recipient's language, so that what was sent to whom can always be read back. Its body holds a
//! personal link, so only admins and officers read it ([`Message::seen_by`]).

pub mod compose;
pub mod outbox;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{Caller, StaffRole};
use crate::audit::{Actor, Entity};
use crate::db::dialect::{SharedTime, on_either_backend};
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, MessageId, ProgramId, RoundId, SessionId, TraineeId, UserId, text_enum};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{self, Expect, List, Record, Store, Trail, keyed_by_id};
use crate::schema::{messages, trainees};

text_enum!(
    /// Where a message stands.
    MessageState {
        /// Waiting for the sender (or for its next attempt after a temporary failure).
        Queued,
        /// Accepted by the mail server.
        Sent,
        /// Not delivered: refused by the mail server, given up after repeated temporary failures,
        /// or never sendable (the recipient has no email address; reach them another way).
        Failed,
        /// Cancelled by an officer before it was sent.
        Cancelled,
    }
);

text_enum!(
    /// What a message is about.
    MessageKind {
        /// A trainee's invitation to answer a round, with their link.
        Invitation,
        /// A new link for an invitation, after the old one was lost.
        LinkReissued,
        /// A trainee's link to write their action plan.
        PlanLink,
        /// A plan sent back to the trainee with the officer's comments.
        PlanReturned,
        /// A certificate issued to a trainee who completed the course.
        CertificateIssued,
        /// A session scheduled, with its calendar entry.
        SessionScheduled,
        /// A session moved or changed, with the updated calendar entry.
        SessionChanged,
        /// A session cancelled, with the calendar's cancellation.
        SessionCancelled,
        /// A reminder to answer a round before it closes.
        RoundReminder,
        /// A reminder to submit an action plan.
        PlanReminder,
        /// A reminder to report on an action plan at a follow-up checkpoint.
        CheckpointReminder,
        /// A reminder to a trainee's supervisor to confirm a checkpoint's report.
        SupervisorReminder,
        /// An officer's morning digest of what fell overdue.
        Digest,
    }
);

text_enum!(
    /// Who a message is written to.
    RecipientRole {
        /// A trainee.
        Trainee,
        /// A trainee's supervisor at home.
        Supervisor,
        /// An officer (their digest).
        Officer,
    }
);

/// A message as officers see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, Queryable)]
pub struct Message {
    /// Id.
    pub id: MessageId,
    /// What it is about.
    pub kind: MessageKind,
    /// Where it stands.
    pub state: MessageState,
    /// The language it is written in: `vi` or `en`.
    pub language: String,
    /// Who it is written to.
    pub recipient_role: RecipientRole,
    /// The recipient's name.
    pub recipient_name: String,
    /// The address it goes to; `null` when the recipient has none (the message is `failed`, and
    /// the person must be reached another way).
    pub recipient_email: Option<String>,
    /// The subject.
    pub subject: String,
    /// The plain-text body, with the recipient's personal link; `null` to reporters.
    #[diesel(deserialize_as = String)]
    pub body: Option<String>,
    /// The attached calendar (RFC 5545), for a session's messages; `null` to reporters.
    pub calendar: Option<String>,
    /// The `Message-ID` header it is sent with, fixed when it was queued.
    pub message_id: String,
    /// The programme it is about.
    pub program_id: Option<ProgramId>,
    /// The cohort it is about.
    pub cohort_id: Option<CohortId>,
    /// The round it is about.
    pub round_id: Option<RoundId>,
    /// The trainee it is to or about.
    pub trainee_id: Option<TraineeId>,
    /// The session it is about.
    pub session_id: Option<SessionId>,
    /// The account it is to (a digest).
    pub user_id: Option<UserId>,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// When the sender tries it next (while `queued`).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: NaiveDateTime,
    /// Until when a sender holds it (while it is being sent).
    #[serde(skip)]
    pub claimed_until: Option<NaiveDateTime>,
    /// Which sender holds it.
    #[serde(skip)]
    pub claimed_by: Option<String>,
    /// Why the last attempt failed, or why it cannot be sent.
    pub error: Option<String>,
    /// When the mail server accepted it (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<NaiveDateTime>,
    /// When it was queued (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
}

/// What a change queues: one message to one person, written as it will be sent.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// What it is about.
    pub kind: MessageKind,
    /// Who it is written to.
    pub role: RecipientRole,
    /// The recipient's name.
    pub name: String,
    /// Their address, if they have one.
    pub email: Option<String>,
    /// The language it is written in.
    pub language: crate::messages::Lang,
    /// The subject.
    pub subject: String,
    /// The plain-text body (the HTML alternative is made from it when sent).
    pub body: String,
    /// A calendar to attach (RFC 5545).
    pub calendar: Option<String>,
    /// What it is about, for the officers' filters.
    pub about: About,
}

/// The records a message is about, for the officers' filters and counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct About {
    /// The programme.
    pub program: Option<ProgramId>,
    /// The cohort.
    pub cohort: Option<CohortId>,
    /// The round.
    pub round: Option<RoundId>,
    /// The trainee.
    pub trainee: Option<TraineeId>,
    /// The session.
    pub session: Option<SessionId>,
    /// The account.
    pub user: Option<UserId>,
}

/// Why a message to a person without an address was never sent.
pub const NO_ADDRESS: &str = "no email address: reach this person another way, or add their address and retry";

/// A row of `messages` as [`enqueue`] writes it. `None` is written as `NULL`, not as the column's
/// default (`treat_none_as_default_value = false`): given a batch with defaultable values, diesel
/// writes it to SQLite as one `INSERT` a row, each built anew as SQL, in a savepoint of its own,
/// and that was half of opening a round of 10,000. (`treat_none_as_null` is `AsChangeset`'s
/// setting: on an `Insertable` it changed nothing, and the batch went a row at a time; the
/// `one_statement_a_batch` test below keeps it from coming back.) `attempts` and `version` are
/// left to the table's defaults (0 and 1). It owns its values: diesel keeps the prepared
/// statement of a batch only when the row type borrows nothing (see [`INSERT_CHUNK`]).
#[derive(Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
struct NewMessage {
    kind: MessageKind,
    state: MessageState,
    language: &'static str,
    recipient_role: RecipientRole,
    recipient_name: String,
    recipient_email: Option<String>,
    subject: String,
    body: String,
    calendar: Option<String>,
    message_id: String,
    program_id: Option<ProgramId>,
    cohort_id: Option<CohortId>,
    round_id: Option<RoundId>,
    trainee_id: Option<TraineeId>,
    session_id: Option<SessionId>,
    user_id: Option<UserId>,
    next_attempt_at: SharedTime,
    error: Option<&'static str>,
    created_at: SharedTime,
    updated_at: SharedTime,
}

/// Rows per `INSERT`: 2,000 bound values (20 a row), well under SQLite's 32,766 and
/// PostgreSQL's 65,535. A full chunk is given to diesel as an array (`&[NewMessage;
/// INSERT_CHUNK]`), whose statement diesel prepares once and keeps; a slice's statement is
/// written as SQL and parsed again each time. The last, shorter chunk goes as a slice. Not
/// larger: diesel collects a statement's bound values in vectors of its own, and for chunks of
/// 500 rows (10,000 values) a profile showed their growth taking fresh memory, page faults
/// included, chunk after chunk.
const INSERT_CHUNK: usize = 100;

/// Queue `outgoing` in the caller's transaction. A recipient without an address gets a row too,
/// `failed` with [`NO_ADDRESS`], so that the officers' list says who must be reached another way
/// instead of skipping them in silence. `domain` ends each `Message-ID`. The messages are moved
/// into their rows, a chunk at a time, rather than copied: a round of 10,000 holds megabytes of
/// bodies.
pub fn enqueue(conn: &mut DbConnection, outgoing: Vec<Outgoing>, domain: &str) -> ApiResult<usize> {
    let now = SharedTime::new(crate::clock::now());
    // Each `Message-ID` is `<{batch}.{n}@domain>`: a random UUID for the batch and the row's place
    // in it, as unique as a UUID a row. The unique index on `message_id` then takes a batch's
    // rows side by side, in order, rather than at 10,000 random places, and one draw of
    // randomness serves the batch.
    let batch = uuid::Uuid::new_v4().simple();
    let total = outgoing.len();
    let mut chunk: Vec<NewMessage> = Vec::with_capacity(total.min(INSERT_CHUNK));
    for (n, m) in outgoing.into_iter().enumerate() {
        let email = m.email.filter(|e| !e.trim().is_empty()).map(|e| {
            if e.trim().len() == e.len() {
                e
            } else {
                e.trim().to_owned()
            }
        });
        chunk.push(NewMessage {
            kind: m.kind,
            state: if email.is_some() {
                MessageState::Queued
            } else {
                MessageState::Failed
            },
            language: m.language.tag(),
            recipient_role: m.role,
            recipient_name: m.name,
            error: email.is_none().then_some(NO_ADDRESS),
            recipient_email: email,
            subject: m.subject,
            body: m.body,
            calendar: m.calendar,
            message_id: format!("<{batch}.{n:05}@{domain}>"),
            program_id: m.about.program,
            cohort_id: m.about.cohort,
            round_id: m.about.round,
            trainee_id: m.about.trainee,
            session_id: m.about.session,
            user_id: m.about.user,
            next_attempt_at: now.clone(),
            created_at: now.clone(),
            updated_at: now.clone(),
        });
        if let Ok(full) = <&[NewMessage; INSERT_CHUNK]>::try_from(chunk.as_slice()) {
            on_either_backend!(conn, c => diesel::insert_into(messages::table).values(full).execute(c))?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        on_either_backend!(conn, c => diesel::insert_into(messages::table).values(&chunk).execute(c))?;
    }
    Ok(total)
}

/// What a list of messages may be narrowed to.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct MessageFilters {
    /// Only messages about this round.
    pub round_id: Option<RoundId>,
    /// Only messages about this cohort.
    pub cohort_id: Option<CohortId>,
    /// Only messages to or about this trainee.
    pub trainee_id: Option<TraineeId>,
    /// Only messages in this state (`failed`: who must be reached another way, or retried).
    pub state: Option<MessageState>,
    /// Only messages of this kind.
    pub kind: Option<MessageKind>,
}

/// How many messages are in each state, for a round or a cohort.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MessageCounts {
    /// Waiting to be sent.
    pub queued: i64,
    /// Accepted by the mail server.
    pub sent: i64,
    /// Not delivered (refused, given up, or no address).
    pub failed: i64,
    /// Of the failed, those whose recipient has no email address: people to reach another way.
    pub without_address: i64,
    /// Cancelled by an officer.
    pub cancelled: i64,
    /// All of them.
    pub total: i64,
}

impl Message {
    /// `messages` as `caller` may read them: a reporter reads where each stands, never a body or
    /// calendar (they hold personal links). Liaisons see none (the route admits no liaison).
    pub fn seen_by(caller: &Caller, mut messages: Vec<Message>) -> Vec<Message> {
        if !matches!(
            caller,
            Caller::Staff {
                role: StaffRole::Admin | StaffRole::Officer,
                ..
            }
        ) {
            for message in &mut messages {
                message.body = None;
                message.calendar = None;
            }
        }
        messages
    }

    /// Send a failed or cancelled message again (audited): queued now, its attempts counted from
    /// nought. A message to a trainee takes the trainee's address as it is now, so that an officer
    /// who added a missing address retries the message that could not go; 409 `no_address` when
    /// there is still none.
    pub fn retry(conn: &mut DbConnection, actor: &Actor, id: MessageId, expect: &impl Expect) -> ApiResult<Message> {
        resource::act(
            conn,
            actor,
            id,
            expect,
            Trail::Because("retried by an officer"),
            |conn, before: &Message| {
                if !matches!(before.state, MessageState::Failed | MessageState::Cancelled) {
                    return Err(ApiError::conflict(
                        "message_not_failed",
                        format!(
                            "message {id} is {}; only a failed or cancelled message is retried",
                            before.state
                        ),
                    ));
                }
                let mut email = before.recipient_email.clone();
                if before.recipient_role == RecipientRole::Trainee
                    && let Some(trainee) = before.trainee_id
                {
                    let current: Option<Option<String>> =
                        trainees::table.find(trainee).select(trainees::email).lookup(conn)?;
                    email = current.flatten().or(email);
                }
                if email.is_none() {
                    return Err(ApiError::conflict(
                        "no_address",
                        format!(
                            "message {id} has no address to go to; add the recipient's email (PATCH /api/v1/trainees/{{id}}) and retry, or reach them another way"
                        ),
                    ));
                }
                Ok(Message {
                    state: MessageState::Queued,
                    recipient_email: email,
                    attempts: 0,
                    next_attempt_at: crate::clock::now(),
                    claimed_until: None,
                    claimed_by: None,
                    error: None,
                    ..before.clone()
                })
            },
        )
    }

    /// Cancel a queued message (audited); 409 for one already sent, failed or cancelled, or one
    /// a sender is delivering at this moment.
    pub fn cancel(conn: &mut DbConnection, actor: &Actor, id: MessageId, expect: &impl Expect) -> ApiResult<Message> {
        resource::act(
            conn,
            actor,
            id,
            expect,
            Trail::Because("cancelled by an officer"),
            |_, before: &Message| {
                if before.state != MessageState::Queued {
                    return Err(ApiError::conflict(
                        "message_not_queued",
                        format!("message {id} is {}; only a queued message is cancelled", before.state),
                    ));
                }
                if before.claimed_until.is_some_and(|until| until > crate::clock::now()) {
                    return Err(ApiError::conflict(
                        "message_sending",
                        format!("message {id} is being sent at this moment; look again in a minute"),
                    ));
                }
                Ok(Message {
                    state: MessageState::Cancelled,
                    ..before.clone()
                })
            },
        )
    }

    /// How many messages about `round` (or, without one, `cohort`; without either, all) are in
    /// each state.
    pub fn counts(
        conn: &mut DbConnection,
        round: Option<RoundId>,
        cohort: Option<CohortId>,
    ) -> ApiResult<MessageCounts> {
        let about = || {
            let mut query = messages::table.into_boxed();
            if let Some(round) = round {
                query = query.filter(messages::round_id.eq(round));
            } else if let Some(cohort) = cohort {
                query = query.filter(messages::cohort_id.eq(cohort));
            }
            query
        };
        let by_state = (messages::state, diesel::dsl::count_star());
        let rows: Vec<(MessageState, i64)> = match (round, cohort) {
            (Some(round), _) => messages::table
                .filter(messages::round_id.eq(round))
                .group_by(messages::state)
                .select(by_state)
                .load(conn)?,
            (None, Some(cohort)) => messages::table
                .filter(messages::cohort_id.eq(cohort))
                .group_by(messages::state)
                .select(by_state)
                .load(conn)?,
            (None, None) => messages::table.group_by(messages::state).select(by_state).load(conn)?,
        };
        let mut counts = MessageCounts {
            without_address: about()
                .filter(messages::state.eq(MessageState::Failed))
                .filter(messages::recipient_email.is_null())
                .count()
                .get_result(conn)?,
            ..MessageCounts::default()
        };
        for (state, n) in rows {
            match state {
                MessageState::Queued => counts.queued = n,
                MessageState::Sent => counts.sent = n,
                MessageState::Failed => counts.failed = n,
                MessageState::Cancelled => counts.cancelled = n,
            }
            counts.total += n;
        }
        Ok(counts)
    }
}

impl Record for Message {
    type Key = MessageId;
    const ENTITY: Entity = Entity::Message;
    const NOUN: &'static str = "message";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: MessageId) -> ApiResult<Message> {
        messages::table
            .find(id)
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("message", id))
    }

    /// Liaisons never reach a message (the routes admit none); reporters read it without its body.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: MessageId) -> ApiResult<Message> {
        if caller.liaison_partner().is_some() {
            return Err(ApiError::not_found("message", id));
        }
        let message = Message::find(conn, id)?;
        Message::seen_by(caller, vec![message])
            .pop()
            .ok_or_else(|| ApiError::not_found("message", id))
    }
}

impl Store for Message {
    /// An officer's retry or cancel: the state, the address, and the sender's bookkeeping.
    fn store(&self, conn: &mut DbConnection, current: &Message) -> ApiResult<Option<Message>> {
        let updated = diesel::update(
            messages::table
                .find(self.id)
                .filter(messages::version.eq(current.version)),
        )
        .set((
            messages::state.eq(self.state),
            messages::recipient_email.eq(&self.recipient_email),
            messages::attempts.eq(self.attempts),
            messages::next_attempt_at.eq(self.next_attempt_at),
            messages::claimed_until.eq(self.claimed_until),
            messages::claimed_by.eq(&self.claimed_by),
            messages::error.eq(&self.error),
            messages::updated_at.eq(self.updated_at),
            messages::version.eq(self.version),
        ))
        .execute(conn)?;
        (updated == 1).then(|| Message::find(conn, self.id)).transpose()
    }
}

impl List for Message {
    const NOUNS: &'static str = "messages";
    type Filters = MessageFilters;
    type Parent = ();

    /// Newest first.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        _: (),
        filters: MessageFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Message>> {
        let query = || {
            let mut query = messages::table.into_boxed();
            if let Some(round) = filters.round_id {
                query = query.filter(messages::round_id.eq(round));
            }
            if let Some(cohort) = filters.cohort_id {
                query = query.filter(messages::cohort_id.eq(cohort));
            }
            if let Some(trainee) = filters.trainee_id {
                query = query.filter(messages::trainee_id.eq(trainee));
            }
            if let Some(state) = filters.state {
                query = query.filter(messages::state.eq(state));
            }
            if let Some(kind) = filters.kind {
                query = query.filter(messages::kind.eq(kind));
            }
            query
        };
        let keys = Keyset::by(list::descending("id", messages::id, |m: &Message| m.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| Ok(Message::seen_by(caller, rows)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize, now: &SharedTime) -> NewMessage {
        NewMessage {
            kind: MessageKind::Invitation,
            state: MessageState::Queued,
            language: "vi",
            recipient_role: RecipientRole::Trainee,
            recipient_name: format!("Học viên {n}"),
            recipient_email: None,
            subject: "s".to_owned(),
            body: "b".to_owned(),
            calendar: None,
            message_id: format!("<{n}@test>"),
            program_id: None,
            cohort_id: None,
            round_id: None,
            trainee_id: None,
            session_id: None,
            user_id: None,
            next_attempt_at: now.clone(),
            error: None,
            created_at: now.clone(),
            updated_at: now.clone(),
        }
    }

    /// A batch goes to SQLite as one multi-row `INSERT`, its `None`s as `NULL`s: with a
    /// defaultable value in the row, diesel would write it a row at a time (its debug output is
    /// then `BEGIN`, one `INSERT` a row, `COMMIT`).
    #[test]
    fn one_statement_a_batch() {
        let now = SharedTime::new(NaiveDateTime::default());
        let rows = [row(1, &now), row(2, &now), row(3, &now)];
        let insert = diesel::insert_into(messages::table).values(&rows);
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&insert).to_string();
        assert_eq!(sql.matches("INSERT INTO").count(), 1, "{sql}");
        assert!(!sql.contains("BEGIN"), "{sql}");
        assert!(!sql.contains("DEFAULT"), "{sql}");
    }
}
