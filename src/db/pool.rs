//! The r2d2 pool and its connection manager. The manager picks PostgreSQL or SQLite from the URL
//! (never `DbConn::establish`, which falls back to SQLite and would create a stray file when
//! PostgreSQL is down) and prepares every SQLite connection for concurrent, durable use.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

use super::{Backend, DbConn};

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// Applied to every SQLite connection: foreign keys enforced, writers wait for the lock instead
/// of failing, WAL so readers never block the writer, and `synchronous = FULL` so that a write
/// acknowledged to a client survives a power cut.
pub(crate) const SQLITE_SETUP: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";

/// Applied to every PostgreSQL connection: no JIT compilation and no parallel workers. The
/// service's statements are short and many run at once; on two cores PostgreSQL planned the
/// reports' scans and the count of open dossiers overdue as parallel plans compiled by JIT, which
/// took 100 ms where the plain plan takes 10 (compiling alone 20–180 ms), and parallel workers
/// take the cores the other requests need.
pub(crate) const PG_SETUP: &str = "SET jit = off; SET max_parallel_workers_per_gather = 0";

/// Makes every SQLite connection the process opens from now on plan a statement once, whatever
/// values are bound to it (`SQLITE_DBCONFIG_ENABLE_QPSG`, through `sqlite3_auto_extension`, as
/// diesel does not hand out its connection's handle).
///
/// Otherwise SQLite looks at some bound values when it plans (a `LIMIT ?`, which diesel's
/// `first` binds, is one), marks the statement to be planned again whenever such a value is
/// bound anew, and so prepares a cached statement from its SQL text on every execution: for the
/// `GET /dossiers/{id}` statement 950,000 instructions, two thirds of the request. (The plans
/// it might pick from the values would only matter with `ANALYZE`'s samples, which the service
/// never takes.)
pub(crate) fn plan_sqlite_statements_once() {
    use libsqlite3_sys as ffi;
    use std::ffi::{c_char, c_int};
    unsafe extern "C" fn stable_plans(
        db: *mut ffi::sqlite3,
        _error: *mut *mut c_char,
        _api: *const ffi::sqlite3_api_routines,
    ) -> c_int {
        // SAFETY: SQLite calls this with the handle of a connection it is opening.
        unsafe {
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as c_int,
                std::ptr::null_mut::<c_int>(),
            );
        }
        ffi::SQLITE_OK
    }
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    // SAFETY: registers a function of the signature SQLite calls its extensions' entry points
    // with; it stays valid for the life of the process.
    REGISTERED.call_once(|| unsafe {
        ffi::sqlite3_auto_extension(Some(stable_plans));
    });
}

#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        let backend = Backend::from_url(url);
        let url = match backend {
            Backend::Postgres => url.to_string(),
            Backend::Sqlite => url.strip_prefix("sqlite://").unwrap_or(url).to_string(),
        };
        ConnectionManager { url, backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => {
                let mut conn =
                    PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(PG_SETUP)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Pg(conn))
            }
            Backend::Sqlite => {
                plan_sqlite_statements_once();
                let mut conn =
                    SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_SETUP)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection whose server went away, or left inside a transaction by a panic, is
    /// dropped when it comes back to the pool.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        std::thread::panicking()
            || match conn {
                DbConn::Pg(c) => c.is_broken(),
                DbConn::Sqlite(c) => c.is_broken(),
            }
    }
}

/// Builds the pool; for SQLite the database file's folder is created first.
/// `size` is the most connections held; `wait` how long a request waits for one before the
/// service answers 503.
pub fn build(url: &str, size: u32, wait: Duration) -> Result<Pool, String> {
    let manager = ConnectionManager::new(url);
    if manager.backend == Backend::Sqlite {
        if let Some(dir) = Path::new(&manager.url).parent() {
            if !dir.as_os_str().is_empty() && !manager.url.starts_with("file:") {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
        }
    }
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(size.min(4)))
        // No `SELECT 1` before each use (a round trip per request): a broken connection
        // fails its request and is dropped (`has_broken`), and the next one reconnects.
        .test_on_check_out(false)
        .connection_timeout(wait)
        .build(manager)
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

#[cfg(test)]
mod tests {
    /// A statement with a bound `LIMIT` (as diesel's `first` binds it) is prepared once, however
    /// often it runs with new values: without stable plans SQLite prepared it again each time.
    #[test]
    fn sqlite_prepares_a_statement_once_whatever_is_bound() {
        super::plan_sqlite_statements_once();
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); \
             INSERT INTO t (v) VALUES ('a'), ('b'), ('c');",
        )
        .unwrap();
        let mut statement = conn
            .prepare("SELECT v FROM t WHERE id > ?1 ORDER BY id LIMIT ?2")
            .unwrap();
        let mut read = |after: i64, limit: i64| -> Vec<String> {
            statement
                .query_map((after, limit), |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(read(0, 1), ["a"]);
        assert_eq!(read(1, 2), ["b", "c"]);
        assert_eq!(read(0, 3), ["a", "b", "c"]);
        assert_eq!(
            statement.get_status(rusqlite::StatementStatus::RePrepare),
            0
        );
    }
}
