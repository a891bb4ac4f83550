//! A bulk load's deferred upkeep on PostgreSQL, as its manual advises for populating a
//! database: the loaded tables' foreign keys and secondary indexes are dropped before the
//! `COPY`s and made again afterwards, each in one pass over its table, instead of one
//! foreign-key check and one insertion into every index per row loaded.
//!
//! Kept during the load: primary keys and every unique index, so that a duplicate still fails
//! the batch that brings it. Autovacuum is also off for those tables meanwhile (unless a
//! table's own settings name it), and on again after. On SQLite nothing is deferred.
//!
//! A load that fails is followed by [`Deferred::restore`] all the same. A process killed during
//! the load leaves its tables without the deferred indexes and foreign keys: such a database is
//! half seeded anyway (`bench seed` refuses one that holds dossiers) and is to be dropped.

use std::sync::Mutex;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Instant;

use diesel::prelude::*;
use diesel::sql_types::{Array, Text};

use crate::db::{DbConn, Pool};

/// The statements that make again what [`defer`] dropped, foreign keys after indexes.
#[derive(Debug, Default)]
pub struct Deferred {
    restore: Vec<String>,
}

#[derive(QueryableByName)]
struct Upkeep {
    #[diesel(sql_type = Text)]
    drop_sql: String,
    #[diesel(sql_type = Text)]
    create_sql: String,
}

/// Autovacuum off first (it would vacuum and analyze the tables over and over while they
/// grow), then foreign keys (none of them rests on a dropped index), then indexes.
const DEFINITIONS: &str = "\
    SELECT 0 AS step, \
           format('ALTER TABLE %s SET (autovacuum_enabled = off)', oid::regclass) AS drop_sql, \
           format('ALTER TABLE %s RESET (autovacuum_enabled)', oid::regclass) AS create_sql \
    FROM pg_class WHERE oid = ANY($1::text[]::regclass[]) \
    AND NOT coalesce(array_to_string(reloptions, ',') LIKE '%autovacuum_enabled%', false) \
    UNION ALL \
    SELECT 1, format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname), \
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, \
                  pg_get_constraintdef(oid)) \
    FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[]) \
    UNION ALL \
    SELECT 2, format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid) \
    FROM pg_index WHERE indrelid = ANY($1::text[]::regclass[]) AND NOT indisunique \
    ORDER BY step, drop_sql";

/// Drops the foreign keys and the non-unique indexes of `tables` and turns their autovacuum
/// off (in one transaction); returns what undoes it.
pub fn defer(conn: &mut DbConn, tables: &[&str]) -> QueryResult<Deferred> {
    let DbConn::Pg(pg) = conn else {
        return Ok(Deferred::default());
    };
    pg.transaction(|pg| {
        let upkeep: Vec<Upkeep> = diesel::sql_query(DEFINITIONS)
            .bind::<Array<Text>, _>(tables)
            .load(pg)?;
        for u in &upkeep {
            diesel::sql_query(&u.drop_sql).execute(pg)?;
        }
        // Undone in the reverse order: indexes, foreign keys, autovacuum.
        let restore = upkeep.into_iter().rev().map(|u| u.create_sql).collect();
        Ok(Deferred { restore })
    })
}

impl Deferred {
    /// Makes the indexes and the foreign keys again and turns autovacuum back on, two
    /// statements at a time on two connections (an index build and a foreign key's check
    /// each run on one core); returns the seconds it took. A foreign key that the loaded rows
    /// break fails here.
    pub fn restore(self, pool: &Pool) -> Result<f64, String> {
        let started = Instant::now();
        if self.restore.is_empty() {
            return Ok(0.0);
        }
        let queue = Mutex::new(self.restore.into_iter());
        let next = || Ok(queue.lock().map_err(|e| e.to_string())?.next());
        let run = |conn: &mut DbConn, sql: String| {
            diesel::sql_query(&sql)
                .execute(conn)
                .map(|_| ())
                .map_err(|e| format!("{sql}: {e}"))
        };
        std::thread::scope(|scope| join(workers(scope, pool, 2, &next, &run)))?;
        Ok(started.elapsed().as_secs_f64())
    }
}

/// `count` threads, each with a connection of its own from `pool`, each doing `work` on the
/// next item that `next` hands out until there is none, stopping at its first failure.
pub fn workers<'scope, 'env, T, N, W>(
    scope: &'scope Scope<'scope, 'env>,
    pool: &'env Pool,
    count: usize,
    next: &'env N,
    work: &'env W,
) -> Vec<ScopedJoinHandle<'scope, Result<(), String>>>
where
    N: Fn() -> Result<Option<T>, String> + Sync,
    W: Fn(&mut DbConn, T) -> Result<(), String> + Sync,
{
    (0..count)
        .map(|_| {
            scope.spawn(move || {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                while let Some(item) = next()? {
                    work(&mut conn, item)?;
                }
                Ok(())
            })
        })
        .collect()
}

/// Waits for the workers; the first failure.
pub fn join(workers: Vec<ScopedJoinHandle<'_, Result<(), String>>>) -> Result<(), String> {
    workers
        .into_iter()
        .try_for_each(|w| w.join().unwrap_or_else(|_| Err("a worker panicked".into())))
}
