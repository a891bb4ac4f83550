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
    /// Limits log-in attempts per username (`login:` keys) and per client address (`from:`).
    pub logins: Arc<RateLimiter>,
    pub logins_from: Arc<RateLimiter>,
    /// Limits requests per account.
    pub per_account: Arc<RateLimiter>,
    /// The threads that compute reports.
    pub reports: Arc<Workers>,
    /// Request counts and latencies, for `/metrics`.
    pub metrics: Arc<crate::api::metrics::Metrics>,
}

impl AppState {
    /// [`AppState::db`] for a report: runs on one of the report threads
    /// (`limits.concurrent_reports`), waiting for a free one. A report over every unit holds
    /// megabytes while it is built; on a few threads of its own, that memory is reused from one
    /// report to the next instead of being kept by each of the many blocking threads.
    pub async fn report<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        self.reports
            .run(move || {
                let mut conn = pool.get()?;
                f(&mut conn)
            })
            .await
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

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads running jobs in turn, for work that should not spread over the
/// blocking pool.
pub struct Workers {
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

impl Workers {
    /// Starts `count` threads named `name`.
    pub fn start(name: &str, count: usize) -> Workers {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        for n in 0..count.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || loop {
                    let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        // A panicking job answers an internal error (its sender is dropped)
                        // and leaves the thread running.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a {name} thread");
            }
        }
        Workers {
            jobs: std::sync::Mutex::new(sender),
        }
    }

    /// Runs `f` on one of the threads and waits for its answer.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            .map_err(ApiError::internal)?;
        rx.await.map_err(ApiError::internal)?
    }
}
