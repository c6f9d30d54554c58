//! SQLite's writers, one after another, several to a commit.
//!
//! SQLite lets one writer at a time into the file. Left to themselves, the others sleep and poll
//! on `busy_timeout` (naps of 1, 2, 5 … 100 ms), which gave creates a p99 over a second under
//! load; and every write paid a commit of its own: WAL frames for each page it touched, and an
//! `fsync`. Here one thread owns the writing connection. Writes queue for it, first come first
//! served, and each time it takes every write waiting (up to [`MAX_GROUP`]) into one transaction:
//! each write runs in a savepoint of its own, so one that fails is rolled back alone, and the
//! group commits once. A write is answered only after its group's commit returned, with
//! `synchronous=FULL`: an acknowledged write is on disk, as before.
//!
//! Writes see each other in order, exactly as if they had committed one after another.
//!
//! Checkpoints (copying the WAL's pages back into the database file) run on a thread of their
//! own, after the commits that call for them, instead of inside them: SQLite's automatic
//! checkpoint runs in the `COMMIT` that takes the WAL past 1,000 pages, so the request whose write
//! happened to cross that line waited for every page of the WAL to be copied and the file synced
//! (opening a round of 10,000 trainees writes 15 MB of WAL; in a model of it the `COMMIT` took 0.08–0.14 s
//! with the checkpoint and 0.03 s without).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection as _, TransactionManager};
use diesel::{Connection, r2d2::ManageConnection};

use super::{ConnectionManager, DbConnection};
use crate::error::ApiError;

/// Most writes in one commit: enough to share the commit among a busy server's writers, few
/// enough that a group's transaction stays short.
const MAX_GROUP: usize = 64;

/// The writing connection's page cache: 64 MiB (SQLite's default is 2 MiB). A transaction whose
/// changed pages outgrow the cache spills them to the WAL before its commit, and writes again
/// those it changes after that: opening a round of 10,000 (invitations and messages, about
/// 15 MB of pages) spilled in mid-transaction for a tenth of its time. Only the writer holds
/// changed pages; the cache grows to this only when a transaction needs it.
const WRITER_CACHE: &str = "PRAGMA cache_size = -65536;";

/// The checkpoint thread's rest after each checkpoint: the commits that come meanwhile share the
/// next one, so a busy writer does not cause one checkpoint (and two `fsync`s) per commit.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(500);

/// The longest the checkpoint thread waits for a nudge before it checkpoints anyway: the record
/// of disclosures commits from reading connections, which nudge nothing. A checkpoint with
/// nothing new in the WAL costs a few microseconds and no `fsync`.
const CHECKPOINT_PERIOD: Duration = Duration::from_secs(2);

/// What a write leaves to do once its group's commit is known: answer its request.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A queued write: runs on the writing connection inside the group's transaction; given no
/// connection (the group could not start), it runs nothing and reports why.
type Job = Box<dyn FnOnce(Result<&mut DbConnection, String>) -> Completion + Send>;

/// The queue of this process's SQLite writes, and the thread that runs them.
#[derive(Debug)]
pub struct GroupWriter {
    queue: mpsc::Sender<Job>,
}

impl GroupWriter {
    /// Start the writing thread, on a connection of its own from `manager`, and the checkpoint
    /// thread on another.
    pub fn start(manager: ConnectionManager) -> anyhow::Result<Self> {
        let conn = writing_connection(&manager)?;
        let checkpointing = manager.connect()?;
        // One pending nudge is enough: the checkpoint after it covers every commit before it.
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("tpms-sqlite-checkpoint".to_owned())
            .spawn(move || checkpoints(checkpointing, &nudged))?;
        let (queue, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tpms-sqlite-writer".to_owned())
            .spawn(move || run(manager, conn, &jobs, &nudge))?;
        Ok(Self { queue })
    }

    /// Run `f` in a write transaction (its own savepoint within its group's), and its result
    /// once the group committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn: Result<&mut DbConnection, String>| {
            let outcome = match conn {
                Ok(conn) => conn.transaction(f),
                Err(why) => Err(ApiError::Unavailable(format!("{why}; retry the request"))),
            };
            Box::new(move |committed: Result<(), String>| {
                let result = match (outcome, committed) {
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(why)) => Err(ApiError::Unavailable(format!(
                        "the change could not be committed ({why}); retry the request"
                    ))),
                    (Ok(value), Ok(())) => Ok(value),
                };
                // The request may have gone away meanwhile: nobody to answer.
                let _ = answer.send(result);
            }) as Completion
        });
        self.queue
            .send(job)
            .map_err(|_| ApiError::internal(anyhow::anyhow!("the SQLite writer stopped")))?;
        answered
            .await
            .map_err(|_| ApiError::internal(anyhow::anyhow!("the SQLite writer dropped a write")))?
    }
}

/// A connection for the writing thread: like every connection it leaves checkpoints to the
/// checkpoint thread (see `SQLITE_PRAGMAS`), and it has room in its cache for a large
/// transaction's pages.
fn writing_connection(manager: &ConnectionManager) -> anyhow::Result<DbConnection> {
    let mut conn = manager.connect()?;
    conn.batch_execute(WRITER_CACHE)?;
    Ok(conn)
}

/// The checkpoint thread: after the writer's commits, and at least every [`CHECKPOINT_PERIOD`]
/// for what other connections committed, copy the WAL into the database file (`PASSIVE`: it waits
/// for no reader or writer, and copies what no reader still needs), until the writing thread is
/// gone.
fn checkpoints(mut conn: DbConnection, nudged: &mpsc::Receiver<()>) {
    while !matches!(
        nudged.recv_timeout(CHECKPOINT_PERIOD),
        Err(mpsc::RecvTimeoutError::Disconnected)
    ) {
        if let Err(error) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
            // The next commit nudges again; meanwhile the WAL only grows.
            tracing::warn!(%error, "a WAL checkpoint failed");
        }
        std::thread::sleep(CHECKPOINT_PAUSE);
    }
}

/// The writing thread: a group at a time, until every sender is gone.
fn run(manager: ConnectionManager, mut conn: DbConnection, jobs: &mpsc::Receiver<Job>, nudge: &mpsc::SyncSender<()>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let finished = catch_unwind(AssertUnwindSafe(|| commit_group(&mut conn, group)));
        // Full means a checkpoint is already due.
        let _ = nudge.try_send(());
        if finished.is_err() {
            // A write panicked: its group was lost with the transaction, whose state is now
            // unknown. Start again on a fresh connection.
            tracing::error!("a write panicked; its group was rolled back");
            match writing_connection(&manager) {
                Ok(fresh) => conn = fresh,
                Err(e) => {
                    tracing::error!(error = %e, "the SQLite writer cannot reconnect; writes will fail");
                    return;
                }
            }
        }
    }
}

/// One group: `BEGIN IMMEDIATE`, each write in its savepoint, one `COMMIT`, then the answers.
fn commit_group(conn: &mut DbConnection, group: Vec<Job>) {
    let DbConnection::Sqlite(inner) = conn else {
        return;
    };
    if let Err(e) = AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE") {
        // Another process holds the write lock past busy_timeout: every write of the group is
        // answered so, and none runs.
        let why = ApiError::from(e).to_string();
        tracing::warn!("a group of writes could not start: {why}");
        for job in group {
            job(Err(why.clone()))(Ok(()));
        }
        return;
    }
    let completions: Vec<Completion> = group.into_iter().map(|job| job(Ok(&mut *conn))).collect();
    let DbConnection::Sqlite(inner) = conn else {
        return;
    };
    let committed = match AnsiTransactionManager::commit_transaction(inner) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(inner);
            Err(e.to_string())
        }
    };
    for complete in completions {
        complete(committed.clone());
    }
}
