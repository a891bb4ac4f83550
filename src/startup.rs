//! Building the service: the data folder, the pool, migrations, the first administrator, the
//! token secret, and the HTTP server with its middleware and routes.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api;
use crate::auth::jwt::TokenKeys;
use crate::auth::password;
use crate::config::Config;
use crate::db::{self, migrations, Backend, Pool};
use crate::domain::accounts::Role;
use crate::id::Id;
use crate::ratelimit::RateLimiter;
use crate::state::AppState;
use crate::storage::FileStore;
use crate::store;

/// A built, not yet running, server.
pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Binds `config.bind` and builds the server.
    pub fn build(config: Config) -> Result<Application, String> {
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        Self::build_with_listener(config, listener)
    }

    /// Builds the server on an already bound listener (tests bind port 0).
    pub fn build_with_listener(
        config: Config,
        listener: TcpListener,
    ) -> Result<Application, String> {
        let state = prepare(config)?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let workers = state.config.workers;
        let blocking = state.config.db_pool_size as usize + 1;
        let document = crate::openapi::document();
        let (pool, config) = (state.pool.clone(), state.config.clone());
        let server = HttpServer::new(move || {
            let limits = &state.config.limits;
            App::new()
                .into_utoipa_app()
                .app_data(web::Data::new(state.clone()))
                .app_data(api::extract::json_config(limits))
                .app_data(api::extract::query_config())
                .app_data(api::extract::path_config())
                .configure(api::configure)
                .into_app()
                .service(web::redirect("/docs", "/docs/"))
                .service(
                    SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", document.clone()),
                )
                .default_service(web::to(api::not_found))
                .wrap(from_fn(api::middleware::problem_details))
                .wrap(from_fn(api::metrics::record))
                .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
        })
        .workers(workers)
        // Database work runs on blocking threads; more of them than pooled connections would
        // only wait for one, each with its own stack and allocator arena.
        .worker_max_blocking_threads(blocking)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        crate::merger::start(pool.clone(), Duration::from_millis(config.report_merge_ms));
        crate::notify::start(pool, config)?;
        tracing::info!(port, "listening");
        Ok(Application { server, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The configured file store: the S3 bucket, or the data folder.
pub fn file_store(config: &Config) -> Result<FileStore, String> {
    match &config.s3 {
        Some(s3) => FileStore::s3(s3),
        None => FileStore::local(&config.data_dir)
            .map_err(|e| format!("cannot open the file store: {e}")),
    }
}

/// Opens the database and migrates it, then makes sure an administrator exists and the token
/// secret is known.
pub fn prepare(config: Config) -> Result<AppState, String> {
    // TLS for outgoing calls (SMTP, SMS gateway, webhooks, S3) uses one crypto provider; a
    // second call (tests build several apps) finds it installed.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    let backend = Backend::from_url(&config.database_url);
    tracing::info!(database = backend.name(), "opening the database");
    let pool = open(&config)?;
    let secret = match &config.jwt_secret {
        Some(secret) => secret.clone().into_bytes(),
        None => stored_secret(&config.data_dir)?,
    };
    if secret.len() < 32 {
        return Err("MOTCUA_JWT_SECRET must have at least 32 bytes".to_string());
    }
    let mut tokens = TokenKeys::new(&secret, config.token_ttl_seconds);
    if let Some(previous) = &config.jwt_previous_secret {
        tokens = tokens.with_previous(previous.as_bytes());
    }
    if let Some(provider) = &config.identity_provider {
        tokens = tokens.with_provider(provider)?;
    }
    bootstrap_admin(&pool, config.admin_password.clone())?;
    let files = file_store(&config)?;
    tracing::info!(storage = files.kind(), "file storage");
    Ok(AppState {
        pool,
        tokens,
        files,
        lookups: Arc::new(RateLimiter::per_minute(
            config.limits.public_lookups_per_minute,
        )),
        logins: Arc::new(RateLimiter::per_minute(config.limits.logins_per_minute)),
        logins_from: Arc::new(RateLimiter::per_minute(
            config.limits.logins_per_minute.saturating_mul(10),
        )),
        per_account: Arc::new(RateLimiter::per_minute(config.limits.requests_per_minute)),
        metrics: Arc::new(crate::api::metrics::Metrics::new()),
        reports: Arc::new(crate::state::Workers::start(
            "report",
            config.limits.concurrent_reports as usize,
        )),
        config: Arc::new(config),
    })
}

/// The pool, with every pending migration applied.
pub fn open(config: &Config) -> Result<Pool, String> {
    let pool = db::pool::build(
        &config.database_url,
        config.db_pool_size,
        Duration::from_secs(config.db_wait_seconds),
    )?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let applied = migrations::run(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    Ok(pool)
}

/// The token secret kept in the data folder, created on first start.
fn stored_secret(data_dir: &Path) -> Result<Vec<u8>, String> {
    let path = data_dir.join("jwt_secret");
    if let Ok(secret) = std::fs::read_to_string(&path) {
        return Ok(secret.trim().as_bytes().to_vec());
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    match write_private(&path, &secret) {
        Ok(()) => {}
        // Another replica on the same volume wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let secret = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            return Ok(secret.trim().as_bytes().to_vec());
        }
        Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
    }
    tracing::info!(path = %path.display(), "generated the token secret");
    Ok(secret.into_bytes())
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}

/// On a database without an administrator (a new one), creates `admin` with the configured
/// password, or a generated one that is logged once.
fn bootstrap_admin(pool: &Pool, configured: Option<String>) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    if store::accounts::count_with_role(&mut conn, Role::Admin).map_err(|e| e.to_string())? > 0 {
        return Ok(());
    }
    let generated = configured.is_none();
    let password = configured.unwrap_or_else(|| hex::encode(rand::random::<[u8; 12]>()));
    let created = create_account(
        &mut conn,
        "admin",
        &password,
        "Administrator",
        Role::Admin,
        None,
    );
    if let Err(e) = created {
        // Another replica starting on the same new database created it first.
        let now = store::accounts::count_with_role(&mut conn, Role::Admin);
        return if now.map_err(|e| e.to_string())? > 0 {
            Ok(())
        } else {
            Err(e)
        };
    }
    if generated {
        tracing::warn!(
            username = "admin",
            password = %password,
            "created the first administrator with a generated password: change it"
        );
    } else {
        tracing::info!(username = "admin", "created the first administrator");
    }
    Ok(())
}

/// Creates an official's account (the `admin create-account` command and the first start).
pub fn create_account(
    conn: &mut db::DbConn,
    username: &str,
    password: &str,
    full_name: &str,
    role: Role,
    unit_id: Option<Id>,
) -> Result<(), String> {
    let now = db::now();
    let account = store::accounts::Account {
        id: Id::new(),
        username: username.to_string(),
        password_hash: password::hash(password),
        full_name: full_name.to_string(),
        role: role.as_str().to_string(),
        unit_id,
        national_id: None,
        phone: None,
        email: None,
        disabled: false,
        created_at: now,
        updated_at: now,
        token_generation: 0,
    };
    store::accounts::create(conn, &account).map_err(|e| e.to_string())
}
