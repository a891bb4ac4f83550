//! The connection layer: one [`DbConn`] over PostgreSQL and bundled SQLite, the pool that picks
//! the backend from the URL, migrations, and the write-transaction helper every store uses.

pub mod literal;
pub mod migrations;
pub mod pool;
pub mod schema;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

pub use pool::{Pool, PooledConn};

/// A connection to either database; every query in `store/` runs through it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL or a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` are PostgreSQL; anything else is a SQLite path.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Runs `f` in a write transaction, committed when it returns `Ok`, rolled back otherwise.
/// On SQLite the transaction begins IMMEDIATE, taking the write lock up front so that two
/// writers never deadlock upgrading a read lock; PostgreSQL uses an ordinary transaction.
/// Not to be nested: inside `f`, use `conn.transaction` for a savepoint.
///
/// SQLite has one writer at a time; writers of this process queue for it on a mutex, woken
/// the moment it is free, rather than in SQLite's busy handler, which sleeps up to 100 ms
/// between tries (that sleep was a 100 ms p99 at 1,000 submissions/s). The busy timeout
/// still covers writers in other processes (the CLI's commands).
pub fn write<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Pg(_) => conn.transaction(f),
        DbConn::Sqlite(inner) => {
            static WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _writer = WRITER.lock().unwrap_or_else(|e| e.into_inner());
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            finish(conn, f)
        }
    }
}

/// Runs `f` in the transaction just begun on `conn`: commits if it succeeds, rolls back if not.
fn finish<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Tm::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Runs `f` in a read-only transaction that sees one state of the database throughout:
/// `REPEATABLE READ` on PostgreSQL, a read transaction on SQLite (one snapshot in WAL mode).
pub fn snapshot<T, F>(conn: &mut DbConn, f: F) -> QueryResult<T>
where
    F: FnOnce(&mut DbConn) -> QueryResult<T>,
{
    match conn {
        DbConn::Pg(inner) => {
            AnsiTransactionManager::begin_transaction_sql(
                inner,
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            )?;
            finish(conn, f)
        }
        DbConn::Sqlite(_) => conn.transaction(f),
    }
}

/// Inserts many rows at once: `COPY … FROM STDIN (FORMAT binary)` on PostgreSQL, multi-row
/// `INSERT`s of 100 rows on SQLite. The rows' struct derives `Insertable` with
/// `treat_none_as_default_value = false`.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        match $conn {
            $crate::db::DbConn::Pg(c) => diesel::copy_from($table)
                .from_insertable(&rows)
                .execute(c)
                .map(|_| ()),
            $crate::db::DbConn::Sqlite(c) => rows.chunks(100).try_for_each(|chunk| {
                diesel::insert_into($table)
                    .values(chunk)
                    .execute(c)
                    .map(|_| ())
            }),
        }
    }};
}
pub(crate) use insert_all;

/// Runs `$body` with `$c` bound to the connection of the database itself (a `PgConnection` or a
/// `SqliteConnection`), so that a query built in it is typed for that database; `$body` is
/// compiled once for each.
///
/// For the hottest statements only. Through [`DbConn`], diesel's multi-connection writes a
/// statement's whole SQL text twice on every execution (to ask whether it may be cached, and
/// around collecting its binds), even when its prepared statement is cached by the query's
/// type; on the database's own connection a cached statement is found by its type, and only
/// its binds are collected. For the `GET /dossiers/{id}` statement, 100 columns, that was
/// 105,000 of the server's 368,000 instructions per request.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// The current instant in UTC, truncated to microseconds (what PostgreSQL stores), so that a
/// value returned on creation equals the value read back later on either database.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{DurationRound, TimeDelta};
    chrono::Utc::now()
        .naive_utc()
        .duration_trunc(TimeDelta::microseconds(1))
        .expect("truncating to microseconds cannot overflow")
}
