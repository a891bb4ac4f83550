//! The report merger of each server process: every `MOTCUA_REPORT_MERGE_MS` it moves the
//! deltas that writes append (`report_deltas`) into the report buckets
//! (`store::reports::merge`), so that the deltas stay few and reports read mostly buckets.
//! Reports count the deltas too, so what they show never waits for a merge. Several replicas
//! may merge at once.

use std::time::Duration;

use crate::db::Pool;
use crate::store;

/// Starts the merger on the current actix system, merging every `every`; it ends with the
/// system.
pub fn start(pool: Pool, every: Duration) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(every).await;
            let pool = pool.clone();
            let merged = actix_web::rt::task::spawn_blocking(move || {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                store::reports::merge(&mut conn).map_err(|e| e.to_string())
            })
            .await;
            match merged {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot merge the report deltas"),
                Err(e) => tracing::error!(error = %e, "the report merge panicked"),
            }
        }
    });
}
