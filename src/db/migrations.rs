//! Embedded migrations, one folder per backend with identical names, run at start-up.

use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies pending migrations and returns the names of those applied. On PostgreSQL an advisory
/// lock keeps several replicas starting at once from racing.
pub fn run(conn: &mut DbConn) -> Result<Vec<String>, BoxError> {
    let applied = match conn {
        DbConn::Pg(pg) => {
            diesel::sql_query("SELECT pg_advisory_lock(7242001)").execute(pg)?;
            let result = pg.run_pending_migrations(POSTGRES).map(names);
            diesel::sql_query("SELECT pg_advisory_unlock(7242001)").execute(pg)?;
            result?
        }
        DbConn::Sqlite(sqlite) => names(sqlite.run_pending_migrations(SQLITE)?),
    };
    Ok(applied)
}

/// Whether migrations remain to be applied (the `/ready` check).
pub fn pending(conn: &mut DbConn) -> Result<bool, BoxError> {
    Ok(match conn {
        DbConn::Pg(pg) => pg.has_pending_migration(POSTGRES)?,
        DbConn::Sqlite(sqlite) => sqlite.has_pending_migration(SQLITE)?,
    })
}

fn names(versions: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    versions.into_iter().map(|v| v.to_string()).collect()
}
