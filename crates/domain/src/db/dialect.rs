//! Everything that differs between SQLite and PostgreSQL, in one place.

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;
// How a database error is classified lives with the error type, which maps it to an answer.
pub use crate::error::{is_foreign_key_violation, is_lock_contention};

/// Run the same diesel statement on the concrete connection of either backend: for statements
/// that are identical on both databases but that diesel's multi-backend connection cannot build
/// (multi-row inserts, `ON CONFLICT`).
#[macro_export]
macro_rules! on_either_backend {
    ($conn:expr, $c:ident => $statement:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $statement,
            $crate::db::DbConnection::Sqlite($c) => $statement,
        }
    };
}
pub use crate::on_either_backend;

/// Migrations for SQLite (`migrations/sqlite`).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
/// Migrations for PostgreSQL (`migrations/postgres`), with the same version names.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// An arbitrary, fixed key for the PostgreSQL advisory lock taken while migrating, so that several
/// app servers starting at once against one database migrate it once, one after another.
const MIGRATION_LOCK_KEY: i64 = 0x0074_706d_736d_6967; // "tpmsmig" in ASCII

/// Any error of a migration or of the upkeep after it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Apply pending migrations; returns the versions applied. Call it through [`migration_locked`]
/// so that several app servers starting at once migrate one after another.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, BoxError> {
    let names = |versions: Vec<diesel::migration::MigrationVersion<'_>>| {
        versions.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    match conn {
        DbConnection::Sqlite(c) => Ok(names(c.run_pending_migrations(SQLITE_MIGRATIONS)?)),
        DbConnection::Postgresql(c) => Ok(names(c.run_pending_migrations(POSTGRES_MIGRATIONS)?)),
    }
}

/// Run `f` (migrating, and the upkeep that follows) holding PostgreSQL's migration lock, so that
/// of several app servers starting at once against one database, one migrates and the others then
/// find nothing left to do. (SQLite has one server, and its writes take turns anyway.)
pub fn migration_locked<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, BoxError>,
) -> Result<T, BoxError> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Postgresql(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
    }
    let result = f(conn);
    if let DbConnection::Postgresql(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
    }
    result
}

/// Run `f` with no statement timeout (PostgreSQL): for commands whose statements may rightly run
/// long (migrating, seeding, generating data), which the timeout meant for requests must not
/// cancel. The connection's timeout is put back afterwards, since it returns to the pool.
pub fn without_statement_timeout<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> T,
) -> diesel::QueryResult<T> {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(f(conn));
    };
    let before: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "current_setting('statement_timeout')",
    ))
    .get_result(pg)?;
    pg.batch_execute("SET statement_timeout = 0")?;
    let result = f(conn);
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(result);
    };
    // A setting as PostgreSQL printed it (`30s`, `0`): quoted back as it came.
    pg.batch_execute(&format!("SET statement_timeout = '{}'", before.replace('\'', "")))?;
    Ok(result)
}

/// How many migrations the database has not applied yet (for `/ready`).
pub fn pending_migrations(conn: &mut DbConnection) -> Result<usize, BoxError> {
    Ok(match conn {
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS)?.len(),
        DbConnection::Postgresql(c) => c.pending_migrations(POSTGRES_MIGRATIONS)?.len(),
    })
}

/// Run `f` in a transaction that holds the write lock from its first statement.
///
/// SQLite: diesel's `BEGIN` is deferred, and a deferred transaction that reads and then writes
/// fails with "database is locked" when another writer got there first (busy_timeout does not
/// help an upgrade). `BEGIN IMMEDIATE` takes the write lock up front and waits for it, so
/// read-check-write sequences are serialised. PostgreSQL: an ordinary transaction; rules that must
/// hold under concurrency there use row locks or conditional updates in the query itself.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Postgresql(_) => conn.transaction(f),
        DbConnection::Sqlite(inner) => {
            // The derived connection delegates transaction state to the inner connection, so
            // beginning on the inner one makes nested `transaction` calls in `f` savepoints.
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            let result = f(conn);
            let DbConnection::Sqlite(inner) = conn else {
                unreachable!("the connection cannot change backend inside a transaction")
            };
            match result {
                Ok(value) => {
                    AnsiTransactionManager::commit_transaction(inner)?;
                    Ok(value)
                }
                Err(e) => {
                    AnsiTransactionManager::rollback_transaction(inner)?;
                    Err(e)
                }
            }
        }
    }
}

/// Write one answer of the record of disclosures: its `disclosure_events` row (`event`: the SQL
/// literals of `occurred_at, day, user_id, partner_id, what`), its trainees (`rows`: each set of
/// fields, as stored, with the ids of the trainees given it) and, for each trainee not yet given to
/// `partner` on `day` (`YYYY-MM-DD`), a `disclosure_days` row, all or nothing, in one commit.
///
/// PostgreSQL: one statement, the event inserted in a `WITH` whose id the rows take. SQLite,
/// which has no insert in a `WITH`: the event, then the rows with its id, in one transaction (a
/// savepoint when the caller is in one already).
///
/// A liaison's read that records itself must not wait for the disk, or every page of a list
/// would cost a sync (most of the record's cost, measured by `benches/disclosures.rs`). So when
/// the record is a transaction of its own, its commit does not wait for the sync: PostgreSQL's
/// `synchronous_commit = off` for that transaction, SQLite's `synchronous = NORMAL` (WAL mode)
/// around it. The commit is atomic and survives the app server's crash; only a crash of the
/// database's machine before its next sync (PostgreSQL's WAL writer, within a second; SQLite's
/// next synced commit or checkpoint) can lose the last records. Inside a caller's transaction
/// the caller's commit decides, and it syncs.
pub fn insert_disclosures(
    conn: &mut DbConnection,
    event: &str,
    rows: &[(&str, &[i64])],
    partner: i64,
    day: &str,
) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl as _;
    use std::fmt::Write as _;
    const EVENT: &str = "INSERT INTO disclosure_events (occurred_at, day, user_id, partner_id, what)";
    match conn {
        DbConnection::Postgresql(c) => {
            let own = AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_none();
            // Each set's trainees as one array: in `psql`, a page's statement took 2.6 ms with its
            // 500 trainees as `VALUES` tuples and 1.9 ms as an array (medians of five).
            let mut values = String::with_capacity(rows.iter().map(|(_, trainees)| trainees.len() * 8 + 64).sum());
            for (i, (fields, trainees)) in rows.iter().enumerate() {
                let ids = trainees.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                let union = if i > 0 { " UNION ALL " } else { "" };
                // Writing into a `String` cannot fail.
                let _ = write!(values, "{union}SELECT unnest('{{{ids}}}'::bigint[]), '{fields}'");
            }
            // A trainee already given to the partner that day is a conflict, and writes nothing.
            let insert = format!(
                "WITH e AS ({EVENT} VALUES ({event}) RETURNING id), \
                 v (trainee_id, fields) AS ({values}), \
                 d AS (INSERT INTO disclosure_days (trainee_id, partner_id, day) \
                       SELECT trainee_id, {partner}, DATE '{day}' FROM v ON CONFLICT DO NOTHING) \
                 INSERT INTO disclosures (event_id, trainee_id, fields) \
                 SELECT e.id, v.trainee_id, v.fields FROM e CROSS JOIN v"
            );
            if !own {
                diesel::sql_query(insert).execute(c)?;
                return Ok(());
            }
            // The transaction, its setting, the statement and the commit in one round trip (the
            // statement holds no parameter, so the simple protocol serves): as four round trips,
            // a list of 200's record took 1.2 to 1.8 ms, as one 0.9 to 1.4 ms
            // (`benches/disclosures.rs`, PostgreSQL, two runs each). A statement that fails leaves
            // the transaction open and aborted, so it is rolled back here, where it began.
            let batch = format!("BEGIN; SET LOCAL synchronous_commit = off; {insert}; COMMIT");
            diesel::connection::SimpleConnection::batch_execute(c, &batch).inspect_err(|_| {
                let _ = diesel::connection::SimpleConnection::batch_execute(c, "ROLLBACK");
            })
        }
        DbConnection::Sqlite(c) => {
            let own = AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_none();
            let mut values = String::with_capacity(rows.iter().map(|(_, trainees)| trainees.len() * 64).sum());
            for (fields, trainees) in rows {
                for trainee in *trainees {
                    let comma = if values.is_empty() { "" } else { "," };
                    // Writing into a `String` cannot fail.
                    let _ = write!(values, "{comma}({trainee}, '{fields}')");
                }
            }
            let rows = values;
            let write = |c: &mut diesel::SqliteConnection| {
                c.transaction(|c| {
                    #[derive(diesel::QueryableByName)]
                    struct Id {
                        #[diesel(sql_type = diesel::sql_types::BigInt)]
                        id: i64,
                    }
                    let Id { id } = diesel::sql_query(format!("{EVENT} VALUES ({event}) RETURNING id")).get_result(c)?;
                    diesel::sql_query(format!(
                        "INSERT INTO disclosures (event_id, trainee_id, fields) SELECT {id}, column1, column2 FROM (VALUES {rows})"
                    ))
                    .execute(c)?;
                    // From the rows just written (one read of the answer's key range), not the
                    // `VALUES` again: a second parse of a page's tuples cost more than the insert.
                    diesel::sql_query(format!(
                        "INSERT OR IGNORE INTO disclosure_days (trainee_id, partner_id, day) \
                         SELECT trainee_id, {partner}, '{day}' FROM disclosures WHERE event_id = {id}"
                    ))
                    .execute(c)?;
                    Ok(())
                })
            };
            if !own {
                return write(c);
            }
            // Back to the connection's setting (`SQLITE_PRAGMAS`) whatever the write did.
            diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA synchronous = NORMAL")?;
            let written = write(c);
            diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA synchronous = FULL")?;
            written
        }
    }
}

/// Lock cohort `id` for the rest of the transaction, so that seat counts read after this cannot
/// change under the caller: enrolments into one cohort then happen one after another.
///
/// PostgreSQL: `SELECT … FOR UPDATE` on the cohort row; concurrent transactions wait at this
/// statement. SQLite: nothing to do, [`write_transaction`] already holds the database's write lock.
pub fn lock_cohort(conn: &mut DbConnection, id: crate::ids::CohortId) -> diesel::QueryResult<()> {
    lock_row(conn, "SELECT id FROM cohorts WHERE id = $1 FOR UPDATE", id.0)
}

/// Lock round `id` against other anonymous answers for the rest of the transaction: each
/// rewrites a handful of the round's earlier answers (`responses::scatter`), and two that read the
/// same handful at once would both write it back (a duplicate key).
///
/// PostgreSQL: `SELECT … FOR NO KEY UPDATE` on the round row (an answer's reference to the round
/// still goes in). SQLite: nothing to do, [`write_transaction`] already holds the database's write
/// lock.
pub fn lock_round(conn: &mut DbConnection, id: crate::ids::RoundId) -> diesel::QueryResult<()> {
    lock_row(
        conn,
        "SELECT id FROM evaluation_rounds WHERE id = $1 FOR NO KEY UPDATE",
        id.0,
    )
}

/// How [`lock_trainee`] holds a trainee's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraineeLock {
    /// A new record about the trainee (an enrolment) is being made: ordinary changes to the
    /// trainee go on, an erasure waits.
    Referenced,
    /// The trainee is being erased: new records about them wait until it is done, then see it.
    Erasing,
}

/// Lock trainee `id`'s row for the rest of the transaction, so that an erasure and a new
/// enrolment of the same trainee happen one after the other: whichever comes second sees the
/// first (the enrolment sees the trainee erased, the erasure sees the seat).
///
/// PostgreSQL: `FOR KEY SHARE` (what a foreign key's check takes, so editing the trainee is not
/// held up) against the erasure's `FOR UPDATE`, and a locking read returns the row as the other
/// transaction committed it. SQLite: nothing to do, [`write_transaction`] holds the write lock.
pub fn lock_trainee(conn: &mut DbConnection, id: crate::ids::TraineeId, lock: TraineeLock) -> diesel::QueryResult<()> {
    let sql = match lock {
        TraineeLock::Referenced => "SELECT id FROM trainees WHERE id = $1 FOR KEY SHARE",
        TraineeLock::Erasing => "SELECT id FROM trainees WHERE id = $1 FOR UPDATE",
    };
    lock_row(conn, sql, id.0)
}

/// Run `locking_select` (a `SELECT … FOR …` of one row by its id, `$1`) on PostgreSQL, where it
/// holds the row until the transaction ends. SQLite: nothing, [`write_transaction`] already
/// holds the database's write lock for the whole transaction.
fn lock_row(conn: &mut DbConnection, locking_select: &str, id: i64) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    match conn {
        DbConnection::Postgresql(c) => {
            diesel::sql_query(locking_select)
                .bind::<diesel::sql_types::BigInt, _>(id)
                .execute(c)?;
            Ok(())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Insert the claim on an `Idempotency-Key`, or do nothing if (user, key) is already there.
/// Returns whether this call claimed it. On PostgreSQL a concurrent claim of the
/// same key waits here for the first transaction to finish.
pub fn claim_idempotency_key(
    conn: &mut DbConnection,
    user: crate::ids::UserId,
    key: &str,
    request_hash: &str,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<bool> {
    use crate::schema::idempotency_keys::dsl as k;
    use diesel::{ExpressionMethods, RunQueryDsl};
    let row = (
        k::user_id.eq(user),
        k::idempotency_key.eq(key),
        k::request_hash.eq(request_hash),
        k::created_at.eq(now),
    );
    let inserted = on_either_backend!(conn, c => diesel::insert_into(k::idempotency_keys)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)?);
    Ok(inserted == 1)
}

/// An SQL condition: text column `haystack` holds the text of `value` (an SQL expression) as
/// JSON writes it inside a string, escaped as `serde_json` escapes it (`"`, `\` and control
/// characters; other characters, Vietnamese letters included, as they are), without its quotes.
/// SQLite quotes with `json_quote`, PostgreSQL with `to_json`, and both escape that same set.
/// A plain search (`instr`, `strpos`), not a `LIKE` pattern, so a `%` or `_` in the value stands
/// for itself. A missing or empty value is held by nothing.
pub fn holds_json_text(conn: &DbConnection, haystack: &str, value: &str) -> String {
    match conn {
        DbConnection::Postgresql(_) => {
            let quoted = format!("to_json(CAST({value} AS TEXT))::text");
            format!("({value} <> '' AND strpos({haystack}, substr({quoted}, 2, length({quoted}) - 2)) > 0)")
        }
        DbConnection::Sqlite(_) => {
            let quoted = format!("json_quote(CAST({value} AS TEXT))");
            format!("({value} <> '' AND instr({haystack}, substr({quoted}, 2, length({quoted}) - 2)) > 0)")
        }
    }
}

/// Insert a trainee's calendar feed, or nothing when the enrolment has one already; returns
/// whether this call made it. Two first requests at once make one feed: on PostgreSQL the second
/// waits for the first's transaction and then inserts nothing, and both read the same row after.
pub fn insert_calendar_feed(
    conn: &mut DbConnection,
    enrollment: crate::ids::EnrollmentId,
    token_hash: &str,
    nonce: &str,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<bool> {
    use crate::schema::calendar_feeds::dsl as f;
    use diesel::{ExpressionMethods, RunQueryDsl};
    let row = (
        f::enrollment_id.eq(enrollment),
        f::token_hash.eq(token_hash),
        f::nonce.eq(nonce),
        f::created_at.eq(now),
    );
    let inserted = on_either_backend!(conn, c => diesel::insert_into(f::calendar_feeds)
        .values(row)
        .on_conflict(f::enrollment_id)
        .do_nothing()
        .execute(c)?);
    Ok(inserted == 1)
}

/// The advisory-lock key taken while seeding ("tpmsseed" in ASCII).
pub const SEED_LOCK_KEY: i64 = 0x0074_706d_7373_6565;

/// Run `f` holding PostgreSQL advisory lock `key`, so that app servers starting together against
/// one database do it one after another. SQLite needs nothing: its write transactions already
/// take turns.
pub fn with_lock<T>(
    conn: &mut DbConnection,
    key: i64,
    f: impl FnOnce(&mut DbConnection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Postgresql(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_lock({key})"))?;
    }
    let result = f(conn);
    if let DbConnection::Postgresql(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_unlock({key})"))?;
    }
    result
}

/// The advisory-lock key of the cost anomaly checks ("tpmsanom" in ASCII).
pub const ANOMALY_LOCK_KEY: i64 = 0x7470_6d73_616e_6f6d;

/// Make the writes of expenses that could pair as an anomaly take turns until their transactions
/// end, so that the later of two always sees the earlier (`costs::anomalies::mark`).
/// PostgreSQL: a transaction-scoped advisory lock (under `READ COMMITTED`, a statement after the
/// wait sees what the other transaction committed). One key for all: a transaction that writes
/// many expenses takes no second key in another order, so two cannot wait for each other. SQLite:
/// nothing, [`write_transaction`] already holds the database's write lock.
pub fn lock_anomaly_checks(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    match conn {
        DbConnection::Postgresql(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({ANOMALY_LOCK_KEY})")).execute(c)?;
            Ok(())
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// The SQL of an aggregate that lists a group's values of the integer `column`, comma-separated,
/// in no set order: `string_agg` on PostgreSQL, `group_concat` on SQLite.
pub fn listed_ids(conn: &DbConnection, column: &str) -> String {
    match conn {
        DbConnection::Postgresql(_) => format!("string_agg(CAST({column} AS TEXT), ',')"),
        DbConnection::Sqlite(_) => format!("group_concat({column}, ',')"),
    }
}

/// The SQL for the year of a `DATE` column, as an integer. SQLite keeps dates as
/// `YYYY-MM-DD` text; PostgreSQL has a date type to take the year from.
pub fn year_of(conn: &DbConnection, column: &str) -> String {
    match conn {
        DbConnection::Postgresql(_) => format!("CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"),
        DbConnection::Sqlite(_) => format!("CAST(substr({column}, 1, 4) AS INTEGER)"),
    }
}

/// Run a report's grouped queries with room to aggregate in memory. PostgreSQL's default
/// `work_mem` (4 MB) makes a hash aggregate over 100,000 enrolments spill to disk; the report
/// raises it for its own transaction only (`SET LOCAL`). SQLite needs nothing.
pub fn with_report_memory<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, crate::error::ApiError>,
) -> Result<T, crate::error::ApiError> {
    use diesel::RunQueryDsl;
    match conn {
        DbConnection::Postgresql(_) => conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL work_mem = '32MB'").execute(conn)?;
            f(conn)
        }),
        DbConnection::Sqlite(_) => f(conn),
    }
}

/// Claim up to `limit` queued messages due at `now` for sender `by` until `until`, and return
/// their ids. A claim is a lease: a sender that dies holding it loses it at `until`, and another
/// takes the message then.
///
/// PostgreSQL: the due rows are picked `FOR UPDATE SKIP LOCKED`, so app servers claiming at the
/// same moment take different rows instead of waiting for (or double-claiming) each other's.
/// SQLite: the same statement without the lock clause; the write transaction it runs in already
/// holds the database's only write lock.
pub fn claim_messages(
    conn: &mut DbConnection,
    by: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
    limit: i64,
) -> diesel::QueryResult<Vec<crate::ids::MessageId>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Text, Timestamp};

    #[derive(diesel::QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let pick = "SELECT id FROM messages WHERE state = 'queued' AND next_attempt_at <= $1 \
                AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT $2";
    let rows: Vec<Claimed> = match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(format!(
            "UPDATE messages SET claimed_until = $3, claimed_by = $4, attempts = attempts + 1 \
             WHERE id IN ({pick} FOR UPDATE SKIP LOCKED) RETURNING id"
        ))
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .bind::<Timestamp, _>(until)
        .bind::<Text, _>(by)
        .load(c)?,
        // `?NNN` numbers a parameter in SQLite; `$1` there would be a name, numbered by where it
        // first appears.
        DbConnection::Sqlite(c) => diesel::sql_query(
            format!(
                "UPDATE messages SET claimed_until = $3, claimed_by = $4, attempts = attempts + 1 \
                 WHERE id IN ({pick}) RETURNING id"
            )
            .replace('$', "?"),
        )
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .bind::<Timestamp, _>(until)
        .bind::<Text, _>(by)
        .load(c)?,
    };
    Ok(rows.into_iter().map(|r| crate::ids::MessageId(r.id)).collect())
}

/// Claim the recurring job that is due (its `run_at` reached, no live claim on it) and has waited
/// longest, for `by` until `until`: its name, or `None` when nothing is due. Run it in a write
/// transaction of its own, so that the claim is committed before the job runs. On PostgreSQL the
/// row is locked and skipped by a server claiming at the same moment; on SQLite the write
/// transaction's single writer does the same.
pub fn claim_job(
    conn: &mut DbConnection,
    by: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
) -> diesel::QueryResult<Option<String>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{Text, Timestamp};

    #[derive(diesel::QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let pick = "SELECT name FROM jobs WHERE run_at <= $1 \
                AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY run_at, name LIMIT 1";
    let update = "UPDATE jobs SET claimed_until = $2, claimed_by = $3, last_started_at = $1 WHERE name";
    let rows: Vec<Claimed> = match conn {
        DbConnection::Postgresql(c) => {
            diesel::sql_query(format!("{update} = ({pick} FOR UPDATE SKIP LOCKED) RETURNING name"))
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(until)
                .bind::<Text, _>(by)
                .load(c)?
        }
        // `?NNN` numbers a parameter in SQLite (see `claim_messages`).
        DbConnection::Sqlite(c) => diesel::sql_query(format!("{update} = ({pick}) RETURNING name").replace('$', "?"))
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(until)
            .bind::<Text, _>(by)
            .load(c)?,
    };
    Ok(rows.into_iter().next().map(|r| r.name))
}

/// A row of cost totals' key: programme, cohort (0: programme-wide), payer (0: the department),
/// category, year.
pub type CostTotalsKey<'a> = (crate::ids::ProgramId, i64, i64, &'a str, i32);

/// A row of the totals by cohort and category's key: programme, cohort (0: programme-wide),
/// category.
pub type CohortCostTotalsKey<'a> = (crate::ids::ProgramId, i64, &'a str);

/// The upsert both kept totals tables take: insert the row of `$key` (its columns and values)
/// with the amounts, or add them to it. One statement both databases read alike.
macro_rules! add_to_totals {
    ($conn:expr, $table:ident, [$($column:ident = $value:expr),+], $amounts:expr) => {{
        use crate::schema::$table::dsl as t;
        use diesel::upsert::excluded;
        use diesel::{ExpressionMethods, RunQueryDsl};
        let [planned, committed, paid, unconverted, entries]: [i64; 5] = $amounts;
        let row = (
            $(t::$column.eq($value),)+
            t::planned.eq(planned),
            t::committed.eq(committed),
            t::paid.eq(paid),
            t::unconverted.eq(unconverted),
            t::entries.eq(entries),
        );
        on_either_backend!($conn, c => diesel::insert_into(t::$table)
            .values(row)
            .on_conflict(($(t::$column),+))
            .do_update()
            .set((
                t::planned.eq(t::planned + excluded(t::planned)),
                t::committed.eq(t::committed + excluded(t::committed)),
                t::paid.eq(t::paid + excluded(t::paid)),
                t::unconverted.eq(t::unconverted + excluded(t::unconverted)),
                t::entries.eq(t::entries + excluded(t::entries)),
            ))
            .execute(c)?);
        Ok(())
    }};
}

/// Add `[planned, committed, paid, unconverted, entries]` to the row of cost totals `key`, making
/// it when there is none. Two transactions adding to one row at once both count: the second's `ON CONFLICT … DO
/// UPDATE` waits for the first's row lock on PostgreSQL and then adds to what it committed.
pub fn add_cost_totals(conn: &mut DbConnection, key: CostTotalsKey<'_>, amounts: [i64; 5]) -> diesel::QueryResult<()> {
    add_to_totals!(
        conn,
        cost_totals,
        [
            program_id = key.0,
            cohort_key = key.1,
            payer_key = key.2,
            category = key.3,
            year = key.4
        ],
        amounts
    )
}

/// Add `[planned, committed, paid, unconverted, entries]` to the row of the totals by cohort and
/// category `key`, as [`add_cost_totals`] adds to its own.
pub fn add_cohort_cost_totals(
    conn: &mut DbConnection,
    key: CohortCostTotalsKey<'_>,
    amounts: [i64; 5],
) -> diesel::QueryResult<()> {
    add_to_totals!(
        conn,
        cohort_cost_totals,
        [program_id = key.0, cohort_key = key.1, category = key.2],
        amounts
    )
}

/// The columns of `table`, in their order, from the database's own catalogue (SQLite's
/// `pragma_table_info`, PostgreSQL's `information_schema.columns`): what a person's data export
/// writes, so that a column added later is exported with nothing more to write.
pub fn columns_of(conn: &mut DbConnection, table: &str) -> diesel::QueryResult<Vec<String>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;

    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<Column> = match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(table)
        .load(c)?,
        DbConnection::Sqlite(c) => diesel::sql_query("SELECT name FROM pragma_table_info(?) ORDER BY cid")
            .bind::<Text, _>(table)
            .load(c)?,
    };
    Ok(rows.into_iter().map(|c| c.name).collect())
}

/// Each row of `table` that `filter` (an SQL condition made by the caller from fixed text and
/// integer ids, never from request text) chooses, as a JSON object of `columns`, in the order of
/// the first column. SQLite builds the object with `json_object`, PostgreSQL with `row_to_json`;
/// values come out as each database keeps them (an instant is `2024-09-16 01:30:00` on SQLite and
/// `2024-09-16T01:30:00` on PostgreSQL, a flag `1`/`0` on SQLite and `true`/`false` on PostgreSQL).
pub fn rows_as_json(
    conn: &mut DbConnection,
    table: &str,
    columns: &[String],
    filter: &str,
) -> diesel::QueryResult<Vec<String>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;

    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        row: String,
    }
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let sql = match conn {
        DbConnection::Postgresql(_) => format!(
            "SELECT row_to_json(x)::text AS row FROM (SELECT {} FROM {table} WHERE {filter} ORDER BY 1) x",
            quoted.join(", ")
        ),
        DbConnection::Sqlite(_) => {
            let pairs: Vec<String> = columns
                .iter()
                .zip(&quoted)
                .map(|(c, q)| format!("'{c}', {q}"))
                .collect();
            format!(
                "SELECT json_object({}) AS row FROM {table} WHERE {filter} ORDER BY 1",
                pairs.join(", ")
            )
        }
    };
    let rows: Vec<Row> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| r.row).collect())
}

/// Set text `column` of the row of `table` whose `id` is `id` to `value` (a value rewritten in
/// Rust, such as a JSON document with its free text erased).
pub fn set_text_by_id(
    conn: &mut DbConnection,
    table: &str,
    column: &str,
    id: i64,
    value: &str,
) -> diesel::QueryResult<usize> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Text};
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
    match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(sql)
            .bind::<Text, _>(value)
            .bind::<BigInt, _>(id)
            .execute(c),
        // `?NNN` numbers a parameter in SQLite (see `claim_messages`).
        DbConnection::Sqlite(c) => diesel::sql_query(sql.replace('$', "?"))
            .bind::<Text, _>(value)
            .bind::<BigInt, _>(id)
            .execute(c),
    }
}

/// One time written to many rows of a multi-row `INSERT` (when a batch was queued), formatted
/// for SQLite once instead of once a value: SQLite stores a timestamp as text, and diesel formats
/// a `NaiveDateTime` anew for every value it binds (three a row of `messages`, 30,000 formats
/// when a round of 10,000 opens). PostgreSQL takes it as a `NaiveDateTime`, as always.
#[derive(Debug, Clone, diesel::AsExpression)]
#[diesel(sql_type = diesel::sql_types::Timestamp)]
pub struct SharedTime {
    at: chrono::NaiveDateTime,
    /// `at` as diesel writes a timestamp to SQLite (`%F %T%.f`), so that rows written either way
    /// compare and sort alike.
    sqlite: String,
}

impl SharedTime {
    /// `at`, ready to be bound to many rows.
    pub fn new(at: chrono::NaiveDateTime) -> SharedTime {
        SharedTime {
            at,
            sqlite: at.format("%F %T%.f").to_string(),
        }
    }
}

impl diesel::serialize::ToSql<diesel::sql_types::Timestamp, diesel::sqlite::Sqlite> for SharedTime {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
    ) -> diesel::serialize::Result {
        out.set_value(self.sqlite.as_str());
        Ok(diesel::serialize::IsNull::No)
    }
}

impl diesel::serialize::ToSql<diesel::sql_types::Timestamp, diesel::pg::Pg> for SharedTime {
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
        diesel::serialize::ToSql::<diesel::sql_types::Timestamp, diesel::pg::Pg>::to_sql(&self.at, out)
    }
}
