//! The state every handler shares: the pool, the configuration, the token keys, the file store
//! and the rate limiters.

use std::sync::Arc;

use actix_web::web;

use crate::auth::jwt::TokenKeys;
use crate::config::Config;
use crate::db::{DbConn, Pool};
use crate::error::ApiError;
use crate::ratelimit::RateLimiter;
use crate::storage::FileStore;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub tokens: TokenKeys,
    pub files: FileStore,
    /// Limits the public status look-up per client address.
    pub lookups: Arc<RateLimiter>,
    /// Permits to compute a report (`limits.concurrent_reports`).
    pub reports: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// [`AppState::db`] for a report: waits for one of the report permits first.
    pub async fn report<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self.reports.acquire().await.map_err(ApiError::internal)?;
        self.db(f).await
    }

    /// Runs synchronous database work on the blocking pool with a pooled connection. A pool that
    /// cannot give a connection in time answers 503 with `Retry-After`.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}
