//! The shape every resource shares, written once.
//!
//! A record kind (a partner, a cohort, ...) is found by its key, changes only from the version it
//! was read at, and every create, change and delete writes an audit event in the same
//! transaction. A resource implements the traits below for its type, and so writes only what is
//! its own: its queries ([`Record::find`], [`List::list`]), its rules ([`Change::patched`],
//! [`Remove::in_use`]) and the statements that store it. The functions here run the sequence
//! around them ([`create`], [`change`], [`save`], [`remove`]); the seed loader calls the same
//! functions, and the HTTP layer serves them (the route table is in `app.rs`).
//!
//! See `docs/architecture.md` for the recipe that adds a resource.

/// Lists are below the resources: the audit trail, which every write uses, is listed too.
pub use crate::list::{self, List};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::access::Caller;
use crate::audit::{self, Actor, Entity, Event};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};

pub use list::{Paging, Slice, Sort, SortKey};

/// A kind of record the API serves: found by a key, versioned, audited.
pub trait Record: Clone + PartialEq + Serialize + Send + 'static {
    /// What a request names one record by: its typed id, or for a record that lives under
    /// another (a partner's roles in a programme), the pair of ids in its path.
    type Key: Copy + Send + 'static;
    /// How the audit trail names the kind.
    const ENTITY: Entity;
    /// What people call one record of the kind, in messages and the API's documentation.
    const NOUN: &'static str;

    /// This record's key.
    fn key(&self) -> Self::Key;
    /// This record's id in the audit trail.
    fn audit_id(&self) -> i64;
    /// This record's version (sent as its `ETag`).
    fn version(&self) -> i32;
    /// Give this copy the version and time of a change about to be stored (`None`: keep the time
    /// it has, see [`Trail::Untraced`]).
    fn stamp(&mut self, version: i32, at: Option<NaiveDateTime>);

    /// The record, or 404.
    fn find(conn: &mut DbConnection, key: Self::Key) -> ApiResult<Self>;

    /// The record if `caller` may see it, else 404 as if it did not exist. By default a
    /// liaison sees none (a kind it may see in part says which, by overriding this), and every
    /// other role that may read the kind sees every record: a kind that forgets stays closed.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, key: Self::Key) -> ApiResult<Self> {
        let found = Self::find(conn, key)?;
        match caller.liaison_partner() {
            Some(_) => Err(ApiError::NotFound(format!("no such {}", Self::NOUN))),
            None => Ok(found),
        }
    }

    /// This record as `caller` may read it: what [`Record::find_visible`] and a list answer, and
    /// what a change answers its caller. By default all of it; a kind that hides part of a
    /// record from a role (a supervisor's email from a liaison) overrides this.
    fn shown_to(self, caller: &Caller) -> Self {
        let _ = caller;
        self
    }
}

/// Implements the bookkeeping methods of [`Record`] for a type with `id`, `version` and
/// `updated_at` fields whose key is its `id`. Use inside the `impl Record for …` block.
macro_rules! keyed_by_id {
    () => {
        fn key(&self) -> Self::Key {
            self.id
        }
        fn audit_id(&self) -> i64 {
            self.id.0
        }
        fn version(&self) -> i32 {
            self.version
        }
        fn stamp(&mut self, version: i32, at: Option<chrono::NaiveDateTime>) {
            self.version = version;
            if let Some(at) = at {
                self.updated_at = at;
            }
        }
    };
}
pub(crate) use keyed_by_id;

/// A kind that is created through the API.
pub trait Create: Record {
    /// The body of a create.
    type New: Send + 'static;
    /// What it is created under: `()` for a top-level collection, else the parent's id (the
    /// programme of a cohort).
    type Parent: Copy + Send + 'static;
    /// What the answer to a create says it made, in the API's documentation.
    const CREATED: &'static str = "Created";

    /// Check `new` against the rules the schema cannot state, and insert it into `parent`
    /// (404 when the parent does not exist).
    fn insert(conn: &mut DbConnection, parent: Self::Parent, new: Self::New) -> ApiResult<Self>;

    /// [`Create::insert`] on behalf of `caller`, as the API does it. A kind that a role may create
    /// only in part of the data (a liaison assesses only its partner's trainees), or that records
    /// who made it, overrides this; by default the caller changes nothing.
    fn insert_for(conn: &mut DbConnection, caller: &Caller, parent: Self::Parent, new: Self::New) -> ApiResult<Self> {
        let _ = caller;
        Self::insert(conn, parent, new)
    }

    /// What follows a create in the same transaction (a seated trainee is invited to the open
    /// rounds); by default nothing. Raises events for modules above ([`crate::actor::Event`]).
    fn after_create(conn: &mut DbConnection, actor: &Actor, created: &Self) -> ApiResult<()> {
        let _ = (conn, actor, created);
        Ok(())
    }
}

/// A kind whose records change: through `PATCH` ([`Change`]) or through a named step of its
/// workflow (a review, a reissued link, a revocation; see [`act`]). Either way the change goes
/// through [`save`], which stores it with [`Store::store`] only if the row still holds the version
/// it was read at.
pub trait Store: Record {
    /// The record about to change. By default [`Record::find`]; a kind whose changes must not
    /// race with others (a cohort's seats) locks here.
    fn find_for_change(conn: &mut DbConnection, key: Self::Key) -> ApiResult<Self> {
        Self::find(conn, key)
    }

    /// Write this (already stamped) record over `current`, the stored one as read, if it is still
    /// at `current`'s version. Returns the record as the API now shows it (the stored row, or
    /// `self` when nothing the statement stores can differ from it), or `None` when someone else
    /// changed it first.
    fn store(&self, conn: &mut DbConnection, current: &Self) -> ApiResult<Option<Self>>;

    /// What follows a change in the same transaction (a cohort whose capacity rose enrols its
    /// waitlist; a completed enrolment gets its certificate); returns the record as it now stands.
    /// By default nothing. This is the one place a reader of the kind looks for the consequences
    /// of its changes.
    fn after_change(conn: &mut DbConnection, actor: &Actor, before: &Self, after: Self) -> ApiResult<Self> {
        let _ = (conn, actor, before);
        Ok(after)
    }
}

/// A kind whose records change through `PATCH`.
pub trait Change: Store {
    /// The body of a change: only the fields given change.
    type Change: Clone + Send + 'static;

    /// This record with `change` applied and checked against the kind's rules; not stored.
    fn patched(&self, conn: &mut DbConnection, change: Self::Change) -> ApiResult<Self>;

    /// [`Change::patched`] on behalf of `caller`, as the API does it. A kind whose changes some
    /// roles may make only in part (a liaison approves a plan, never writes it) overrides this; by
    /// default the caller changes nothing.
    fn patched_for(&self, conn: &mut DbConnection, caller: &Caller, change: Self::Change) -> ApiResult<Self> {
        let _ = caller;
        self.patched(conn, change)
    }
}

/// A kind whose records can be deleted.
pub trait Remove: Record {
    /// Why this record cannot be deleted now (what still refers to it), as a sentence that says
    /// what to do first; `None` when it can go.
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let _ = conn;
        Ok(None)
    }

    /// Delete the stored row, and whatever belongs to it alone.
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()>;
}

/// The version a write expects to find (an `If-Match` header).
pub trait Expect {
    /// `Ok` when `version` is what the writer read; 412 otherwise.
    fn check(&self, version: i32) -> ApiResult<()>;

    /// Whether a version was named: a change that names none applies to whatever is stored when
    /// it runs (see [`act`]).
    fn names_version(&self) -> bool;
}

/// No expectation: a change made on the caller's own behalf to whatever is stored (a new
/// password of one's own account).
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyVersion;

impl Expect for AnyVersion {
    fn check(&self, _version: i32) -> ApiResult<()> {
        Ok(())
    }

    fn names_version(&self) -> bool {
        false
    }
}

/// Create a record under `parent` and audit it.
pub fn create<R: Create>(conn: &mut DbConnection, actor: &Actor, parent: R::Parent, new: R::New) -> ApiResult<R> {
    let record = R::insert(conn, parent, new)?;
    audit::record(conn, actor, Event::created(R::ENTITY, record.audit_id(), &record))?;
    R::after_create(conn, actor, &record)?;
    Ok(record)
}

/// Create a record under `parent` on behalf of `caller` ([`Create::insert_for`]) and audit it.
pub fn create_for<R: Create>(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    parent: R::Parent,
    new: R::New,
) -> ApiResult<R> {
    let record = R::insert_for(conn, caller, parent, new)?;
    audit::record(conn, actor, Event::created(R::ENTITY, record.audit_id(), &record))?;
    R::after_create(conn, actor, &record)?;
    Ok(record)
}

/// How a change is written into the audit trail.
#[derive(Debug, Clone, Copy, Default)]
pub enum Trail<'a> {
    /// An event with the fields before and after: what every change writes.
    #[default]
    Audited,
    /// The same, with the reason the step gives (a reissued link, a promotion from the waitlist).
    Because(&'a str),
    /// No event, and the record's `updated_at` left as the step set it: a step whose event would
    /// say more than the record does (a trainee's answer to an anonymous round marks the
    /// invitation answered; the event would sit in the trail beside the events of the request).
    Untraced,
}

/// How many times a change made without `If-Match` is run again when another request changed
/// the record between its read and its write (PostgreSQL only: SQLite serialises writers).
const RERUNS: usize = 3;

/// Every state change of a record, in one transaction: find the record `key` names (and lock it,
/// where the kind locks: [`Store::find_for_change`]), check `expect` (`If-Match`), let `step` check
/// the move and make the next state, then [`save`] it (stored only if the row still holds the
/// version it was read at, audited as `trail` says, followed by [`Store::after_change`]).
///
/// `PATCH` is one such step ([`change_for`]); a workflow's actions (a review, a reissued link, a
/// revocation, a submission) are the others. When another request changed the record between the
/// read and the write, a caller who named a version gets 412; one who did not has `step` run
/// again on the record as it now stands, so its rules see the other change (two officers
/// reviewing one report: the second is told it is no longer awaiting review, not silently
/// overwritten).
pub fn act<R: Store>(
    conn: &mut DbConnection,
    actor: &Actor,
    key: R::Key,
    expect: &impl Expect,
    trail: Trail<'_>,
    mut step: impl FnMut(&mut DbConnection, &R) -> ApiResult<R>,
) -> ApiResult<R> {
    let mut runs = 0;
    loop {
        runs += 1;
        let current = R::find_for_change(conn, key)?;
        expect.check(current.version())?;
        let next = step(conn, &current)?;
        // Only the store's own version check reruns: a 412 from further down (an `after_change`
        // that changed another record) comes after writes that must not be made twice.
        match save_traced(conn, actor, current, next, trail)? {
            Some(saved) => return Ok(saved),
            None if !expect.names_version() && runs < RERUNS => continue,
            None => return Err(stale::<R>()),
        }
    }
}

/// Apply `change` to the record `key` names, if it is still at the version `expect` names: the
/// whole `PATCH`, made as the system (the seed loader) makes it.
pub fn change<R: Change>(
    conn: &mut DbConnection,
    actor: &Actor,
    key: R::Key,
    expect: &impl Expect,
    change: R::Change,
) -> ApiResult<R> {
    act(conn, actor, key, expect, Trail::Audited, |conn, current: &R| {
        current.patched(conn, change.clone())
    })
}

/// [`change`] on behalf of `caller` ([`Change::patched_for`]): the `PATCH` of the API.
pub fn change_for<R: Change>(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    key: R::Key,
    expect: &impl Expect,
    change: R::Change,
) -> ApiResult<R> {
    act(conn, actor, key, expect, Trail::Audited, |conn, current: &R| {
        current.patched_for(conn, caller, change.clone())
    })
}

/// Store `next` over `current`: nothing happens when nothing changed; otherwise the version goes
/// up by one, the change is audited, and the kind's [`Store::after_change`] runs. `current` must
/// have been read by [`Store::find_for_change`] in this transaction, so that a kind's locks hold
/// from the read to the write. 412 when the row no longer holds `current`'s version.
pub fn save<R: Store>(conn: &mut DbConnection, actor: &Actor, current: R, next: R) -> ApiResult<R> {
    save_traced(conn, actor, current, next, Trail::Audited)?.ok_or_else(stale::<R>)
}

/// 412: the record changed between this request's read and its write.
fn stale<R: Record>() -> ApiError {
    ApiError::PreconditionFailed(format!(
        "the {} changed while this request ran; fetch it again and retry",
        R::NOUN
    ))
}

/// [`save`] with the audit trail `trail` asks for; `None` (nothing written) when the row no longer
/// holds `current`'s version.
fn save_traced<R: Store>(
    conn: &mut DbConnection,
    actor: &Actor,
    current: R,
    mut next: R,
    trail: Trail<'_>,
) -> ApiResult<Option<R>> {
    if next == current {
        return Ok(Some(current));
    }
    let at = match trail {
        Trail::Untraced => None,
        Trail::Audited | Trail::Because(_) => Some(crate::clock::now()),
    };
    next.stamp(current.version() + 1, at);
    let Some(saved) = next.store(conn, &current)? else {
        return Ok(None);
    };
    let event = Event::changed(R::ENTITY, saved.audit_id(), &current, &saved);
    match trail {
        Trail::Audited => audit::record(conn, actor, event)?,
        Trail::Because(why) => audit::record(conn, actor, event.because(why))?,
        Trail::Untraced => {}
    }
    R::after_change(conn, actor, &current, saved).map(Some)
}

/// Delete the record `key` names, if it is still at the version `expect` names and nothing
/// refers to it (409 `in_use` otherwise), and audit it.
pub fn remove<R: Remove>(conn: &mut DbConnection, actor: &Actor, key: R::Key, expect: &impl Expect) -> ApiResult<()> {
    let current = R::find(conn, key)?;
    expect.check(current.version())?;
    if let Some(why) = current.in_use(conn)? {
        return Err(ApiError::conflict("in_use", why));
    }
    current.delete_row(conn)?;
    audit::record(conn, actor, Event::deleted(R::ENTITY, current.audit_id(), &current))
}
