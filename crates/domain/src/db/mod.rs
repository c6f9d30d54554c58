//! The database layer: one connection type over SQLite and PostgreSQL, an r2d2 pool that picks the
//! backend from the URL scheme, embedded migrations, and [`Db`], which runs every query on actix's
//! blocking thread pool so no async worker ever waits on the database.
//!
//! SQL that differs between the two backends lives in [`dialect`] and nowhere else.

pub mod dialect;
mod group;
pub mod idempotency;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

use crate::config::{DatabaseConfig, DatabaseUrl};
use crate::error::ApiError;

/// A connection to either backend. Queries written against it compile for both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// The production database.
    Postgresql(PgConnection),
    /// The embedded default.
    Sqlite(SqliteConnection),
}

/// A lookup by a unique key: the row, if there is one. The hot path of every request (the
/// caller's account, the record asked for), so it is written for speed:
/// - without diesel's `.first()`, whose `LIMIT ?` made SQLite re-prepare the cached statement on
///   every call: SQLite (built with STAT4) lets a value bound to a `LIMIT` steer the plan, so
///   binding it again expires the statement; a lookup by a unique key needs no limit;
/// - on the backend's own connection, where diesel finds the prepared statement by the query's
///   type, instead of building its SQL text again to find it, as the two-backend connection does.
pub trait Lookup: Sized {
    /// The row the query finds, or `None`.
    fn lookup<'query, T>(self, conn: &mut DbConnection) -> diesel::QueryResult<Option<T>>
    where
        Self: diesel::query_dsl::LoadQuery<'query, SqliteConnection, T>
            + diesel::query_dsl::LoadQuery<'query, PgConnection, T>;
}

impl<Q: diesel::RunQueryDsl<SqliteConnection> + diesel::RunQueryDsl<PgConnection>> Lookup for Q {
    fn lookup<'query, T>(self, conn: &mut DbConnection) -> diesel::QueryResult<Option<T>>
    where
        Self: diesel::query_dsl::LoadQuery<'query, SqliteConnection, T>
            + diesel::query_dsl::LoadQuery<'query, PgConnection, T>,
    {
        let rows = match conn {
            DbConnection::Sqlite(c) => diesel::RunQueryDsl::load::<T>(self, c)?,
            DbConnection::Postgresql(c) => diesel::RunQueryDsl::load::<T>(self, c)?,
        };
        Ok(rows.into_iter().next())
    }
}

/// The connection pool shared by all workers.
pub type DbPool = r2d2::Pool<ConnectionManager>;

/// An r2d2 manager that opens the backend named by the URL scheme, and sets SQLite's pragmas on
/// every new connection (they are per connection, not per file).
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// PostgreSQL's `statement_timeout`, in seconds.
    statement_timeout_secs: u64,
}

impl ConnectionManager {
    /// A manager for `url`.
    pub fn new(url: DatabaseUrl, statement_timeout_secs: u64) -> Self {
        Self {
            url,
            statement_timeout_secs,
        }
    }
}

/// Why a connection could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The server or file could not be opened.
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    /// A statement on a fresh connection failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Pragmas for every SQLite connection (they hold per connection, not per file).
/// - `busy_timeout` first: a writer waits for the lock instead of failing at once.
/// - `foreign_keys`: SQLite leaves them off unless asked.
/// - `synchronous=FULL`: a write the API acknowledged survives a power cut; one fsync per commit
///   costs nothing at an officer's write rate, and losing attendance records would.
/// - `mmap_size`: reads map the file (up to 1 GiB of it) instead of copying each page out of the
///   kernel's cache into the connection's own small one; for a database larger than that cache
///   those copies were most of a search's time. The pages stay the kernel's, shared by every
///   connection, and writes still go through the WAL.
/// - `wal_autocheckpoint`: checkpoints run on a thread of their own (`group::GroupWriter`), not
///   inside the commit that takes the WAL past SQLite's 1,000 pages. The commits of the group
///   writer crossed that line, and so did the record of disclosures a liaison's read writes from
///   its reading connection: one export page in ten waited for a checkpoint, which made the record
///   cost an export twice what its inserts cost (`benches/disclosures.rs`). 10,000 pages stays as a
///   bound for when that thread falls behind.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
                              PRAGMA mmap_size = 1073741824; PRAGMA wal_autocheckpoint = 10000;";

/// `journal_mode=WAL` (readers never block the writer) is a property of the file: set once when
/// the pool opens, not on every connection, where it needs a lock a busy writer may hold.
const SQLITE_WAL: &str = "PRAGMA journal_mode = WAL;";

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConnection, ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // A statement that runs past this is cancelled by the server, so a request
                // cannot hold its connection for longer, whether or not its client still waits.
                conn.batch_execute(&format!("SET statement_timeout = '{}s'", self.statement_timeout_secs))?;
                Ok(DbConnection::Postgresql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectionError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        match conn {
            DbConnection::Postgresql(c) => diesel::r2d2::R2D2Connection::is_broken(c),
            DbConnection::Sqlite(_) => false,
        }
    }
}

/// Open a pool, failing fast (with the URL, password masked) when the database cannot be reached.
pub fn connect(config: &DatabaseConfig) -> anyhow::Result<DbPool> {
    use anyhow::Context as _;
    let pool = r2d2::Pool::builder()
        .max_size(config.db_pool_size)
        .connection_timeout(Duration::from_secs(config.db_wait_secs))
        // No test query on every checkout (a round trip each on PostgreSQL): a connection that
        // broke is found by `has_broken` when it is returned, and its request fails once.
        .test_on_check_out(false)
        .build(ConnectionManager::new(
            config.database_url.clone(),
            config.statement_timeout_secs,
        ))
        .with_context(|| format!("cannot open the database at {}", config.database_url))?;
    let mut conn = pool.get()?;
    if let DbConnection::Sqlite(sqlite) = &mut *conn {
        sqlite
            .batch_execute(SQLITE_WAL)
            .context("cannot switch the SQLite database to WAL mode")?;
    }
    drop(conn);
    Ok(pool)
}

/// Handle to the database for request handlers: every call runs on the blocking pool.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    /// SQLite: this process's writes, queued for one writing thread and committed several at a
    /// time (see [`group`]). PostgreSQL writes run on the pool, in parallel.
    writer: Option<Arc<group::GroupWriter>>,
}

impl Db {
    /// Wrap a pool of the database `config` names. On SQLite, this starts the thread that makes
    /// every write of this handle, on a connection of its own.
    pub fn new(pool: DbPool, config: &DatabaseConfig) -> anyhow::Result<Self> {
        let writer = match &config.database_url {
            DatabaseUrl::Sqlite(_) => {
                let manager = ConnectionManager::new(config.database_url.clone(), config.statement_timeout_secs);
                Some(Arc::new(group::GroupWriter::start(manager)?))
            }
            DatabaseUrl::Postgres(_) => None,
        };
        Ok(Self { pool, writer })
    }

    /// The underlying pool, for start-up work outside a request.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// How many calls of this handle each of `workers` HTTP workers runs at once unless told
    /// otherwise (`TPMS_DB_THREADS`): on SQLite two, since a call is mostly CPU work on the same
    /// cores and more threads only switch between each other; on PostgreSQL the pool's
    /// connections shared among the workers (at least one each), since a call mostly waits on
    /// the network, and a thread more than there are connections would only wait for one.
    pub fn default_threads(&self, workers: usize) -> usize {
        match self.writer {
            Some(_) => 2,
            None => (usize::try_from(self.pool.max_size()).unwrap_or(2) / workers.max(1)).clamp(1, 256),
        }
    }

    /// Whether a commit on one connection leaves what the others have cached: on PostgreSQL (the
    /// server's shared buffers) it does, so a write can run beside a read at no cost to it; on
    /// SQLite, a connection empties its page cache when it next reads after another one committed.
    pub fn writes_keep_other_caches(&self) -> bool {
        self.writer.is_none()
    }

    /// Run `f` with a pooled connection on actix's blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            // Every connection busy for the whole wait: the server is overloaded, not broken.
            let mut conn = pool.get().map_err(|e| {
                tracing::warn!(error = %e, "no database connection came free");
                ApiError::Unavailable("the server is busy; retry in a moment".to_owned())
            })?;
            f(&mut conn)
        })
        .await
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?
    }

    /// Run `f` inside a write transaction: all or nothing. On SQLite, on the writing thread,
    /// after this process's earlier writes (see [`group`]); on PostgreSQL, in a transaction of
    /// its own on the pool (see [`dialect::write_transaction`]).
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(f).await,
            None => self.run(move |conn| dialect::write_transaction(conn, f)).await,
        }
    }
}

/// An insert that another transaction beat to the same key wrote nothing: 0 rows, so that the
/// versioned sequence treats it like any change someone else made first (`resource::act` runs the
/// step again on what that transaction stored), instead of failing with a duplicate.
pub fn nothing_if_taken(error: diesel::result::Error) -> diesel::QueryResult<usize> {
    match error {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => Ok(0),
        error => Err(error),
    }
}
