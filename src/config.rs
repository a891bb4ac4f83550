//! Configuration: defaults, then an optional TOML file (`MOTCUA_CONFIG`), then environment
//! variables (`DATABASE_URL` and `MOTCUA_*`), each overriding the one before.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::calendar::WorkingHours;

/// Bắc Giang's campaigns: results before 2009, 2010–2019, 2020 onward.
pub const DEFAULT_BACKLOG_PERIODS: &str = "-2009,2010-2019,2020-";

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// An S3-compatible bucket for files (instead of the local data folder).
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// For S3-compatible services other than AWS (e.g. `http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// Limits applied to every request.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest `limit` of a list.
    pub max_page_size: i64,
    /// The largest uploaded file, in bytes.
    pub max_upload_bytes: usize,
    /// Public status look-ups allowed per client address and minute.
    pub public_lookups_per_minute: u32,
    /// Log-in attempts per username and minute (ten times as many per client address); 0 is
    /// no limit.
    pub logins_per_minute: u32,
    /// Requests per account and minute; 0 is no limit.
    pub requests_per_minute: u32,
    /// How far the change feed trails real time, in seconds.
    pub feed_lag_seconds: u32,
    /// Reports computed at once by one process; more wait their turn (a report over every
    /// unit holds megabytes while it is built).
    pub concurrent_reports: u32,
}

/// Where and how notifications are delivered.
#[derive(Debug, Clone)]
pub struct Notifications {
    /// The SMTP server for e-mail (`smtp://user:pass@host:587?tls=required`, `smtps://…`,
    /// `smtp://127.0.0.1:25` for a local relay); no e-mail when unset.
    pub smtp_url: Option<String>,
    /// The sender of e-mails.
    pub mail_from: String,
    /// The SMS gateway: a URL that takes `POST {"to", "text", "id"}`; no SMS when unset.
    pub sms_url: Option<String>,
    /// Sent to the gateway as a bearer token.
    pub sms_token: Option<String>,
    /// How often a worker looks for messages to deliver, in milliseconds.
    pub poll_ms: u64,
    /// The wait after the first failed try, doubled after each next one, in milliseconds.
    pub retry_base_ms: u64,
    /// Tries before a message is dead.
    pub max_attempts: i32,
    /// How often the officials' warnings and overdue lists are looked for, in seconds.
    pub schedule_seconds: u64,
    /// Days a sent message is kept in the outbox (dead ones stay until retried).
    pub keep_days: u32,
    /// Whether webhooks may call loopback, private and link-local addresses (the service's own
    /// network); off, such a call is refused and the message dead.
    pub webhook_private_addresses: bool,
}

impl Notifications {
    /// The applicant's channels that are configured.
    pub fn channels(&self) -> crate::store::outbox::Channels {
        crate::store::outbox::Channels {
            email: self.smtp_url.is_some(),
            sms: self.sms_url.is_some(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub data_dir: PathBuf,
    /// Load balancers whose `X-Forwarded-For` names the client (for rate limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// When set, `/metrics` answers only a scrape that sends it as a bearer token.
    pub metrics_token: Option<String>,
    /// The HMAC secret of access tokens; generated and kept in the data folder when unset.
    pub jwt_secret: Option<String>,
    /// The secret used before the current one: its tokens verify until they expire.
    pub jwt_previous_secret: Option<String>,
    /// An identity provider whose tokens are accepted, mapped to citizens by national id.
    pub identity_provider: Option<crate::auth::jwt::Provider>,
    pub token_ttl_seconds: i64,
    pub time_zone: Tz,
    pub working_hours: WorkingHours,
    /// The first administrator's password; generated and logged once when unset.
    pub admin_password: Option<String>,
    /// The secret the payment gateway signs its callbacks with; online payment is off when unset.
    pub payment_secret: Option<String>,
    pub db_pool_size: u32,
    /// Seconds a request waits for a database connection before a 503.
    pub db_wait_seconds: u64,
    /// How often each process merges the report deltas into the buckets, in milliseconds.
    pub report_merge_ms: u64,
    pub workers: usize,
    pub log_format: LogFormat,
    pub limits: Limits,
    /// Files go to this bucket when set, else under the data folder.
    pub s3: Option<S3Config>,
    /// The issue periods of the digitization backlog's report.
    pub backlog_periods: Vec<crate::domain::documents::Period>,
    pub notifications: Notifications,
}

/// The keys a config file may hold: the environment variables' names without the `MOTCUA_`
/// prefix, in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    jwt_secret: Option<String>,
    trusted_proxies: Option<String>,
    jwt_previous_secret: Option<String>,
    idp_public_key_file: Option<String>,
    idp_issuer: Option<String>,
    idp_audience: Option<String>,
    metrics_token: Option<String>,
    token_ttl_seconds: Option<i64>,
    time_zone: Option<String>,
    working_hours: Option<String>,
    admin_password: Option<String>,
    payment_secret: Option<String>,
    db_pool_size: Option<u32>,
    db_wait_seconds: Option<u64>,
    report_merge_ms: Option<u64>,
    workers: Option<usize>,
    log_format: Option<String>,
    backlog_periods: Option<String>,
    s3_bucket: Option<String>,
    s3_region: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key_id: Option<String>,
    s3_secret_access_key: Option<String>,
    max_body_bytes: Option<usize>,
    max_page_size: Option<i64>,
    max_upload_bytes: Option<usize>,
    public_lookups_per_minute: Option<u32>,
    concurrent_reports: Option<u32>,
    feed_lag_seconds: Option<u32>,
    logins_per_minute: Option<u32>,
    requests_per_minute: Option<u32>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    sms_url: Option<String>,
    sms_token: Option<String>,
    notify_poll_ms: Option<u64>,
    notify_retry_base_ms: Option<u64>,
    notify_max_attempts: Option<i32>,
    notify_schedule_seconds: Option<u64>,
    notify_keep_days: Option<u32>,
    webhook_private_addresses: Option<bool>,
}

impl Config {
    /// The defaults with data kept in `data_dir` (a SQLite file `motcua.db` in it).
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        let data_dir = data_dir.into();
        Config {
            database_url: data_dir.join("motcua.db").to_string_lossy().into_owned(),
            bind: "127.0.0.1:8080".to_string(),
            data_dir,
            jwt_secret: None,
            trusted_proxies: Vec::new(),
            jwt_previous_secret: None,
            identity_provider: None,
            metrics_token: None,
            token_ttl_seconds: 3600,
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            working_hours: WorkingHours::default(),
            admin_password: None,
            payment_secret: None,
            db_pool_size: 10,
            db_wait_seconds: 5,
            report_merge_ms: 1000,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            log_format: LogFormat::Text,
            s3: None,
            backlog_periods: crate::domain::documents::parse_periods(DEFAULT_BACKLOG_PERIODS)
                .expect("the default periods parse"),
            limits: Limits {
                max_body_bytes: 256 * 1024,
                max_page_size: 100,
                max_upload_bytes: 10 * 1024 * 1024,
                public_lookups_per_minute: 10,
                concurrent_reports: 2,
                feed_lag_seconds: 15,
                logins_per_minute: 10,
                requests_per_minute: 3000,
            },
            notifications: Notifications {
                smtp_url: None,
                mail_from: "Một cửa <no-reply@motcua.local>".to_string(),
                sms_url: None,
                sms_token: None,
                poll_ms: 1000,
                retry_base_ms: 60_000,
                max_attempts: 8,
                schedule_seconds: 300,
                keep_days: 90,
                webhook_private_addresses: false,
            },
        }
    }

    /// Reads the configuration of this process.
    pub fn load() -> Result<Config, String> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let file = match env("MOTCUA_CONFIG") {
            Some(path) => read_file(Path::new(&path))?,
            None => FileConfig::default(),
        };
        let pick = |var: &str, from_file: Option<String>| env(var).or(from_file);

        let data_dir = pick(
            "MOTCUA_DATA_DIR",
            file.data_dir.map(|p| p.to_string_lossy().into_owned()),
        )
        .unwrap_or_else(|| "data".to_string());
        let mut config = Config::with_data_dir(data_dir);
        if let Some(url) = pick("DATABASE_URL", file.database_url) {
            config.database_url = url;
        }
        if let Some(bind) = pick("MOTCUA_BIND", file.bind) {
            config.bind = bind;
        }
        config.jwt_secret = pick("MOTCUA_JWT_SECRET", file.jwt_secret);
        config.metrics_token = pick("MOTCUA_METRICS_TOKEN", file.metrics_token);
        if let Some(list) = pick("MOTCUA_TRUSTED_PROXIES", file.trusted_proxies) {
            config.trusted_proxies = list
                .split(',')
                .filter(|a| !a.trim().is_empty())
                .map(|a| {
                    a.trim()
                        .parse()
                        .map_err(|_| format!("MOTCUA_TRUSTED_PROXIES: {a:?} is not an IP address"))
                })
                .collect::<Result<_, _>>()?;
        }
        config.jwt_previous_secret = pick("MOTCUA_JWT_PREVIOUS_SECRET", file.jwt_previous_secret);
        if let Some(path) = pick("MOTCUA_IDP_PUBLIC_KEY_FILE", file.idp_public_key_file) {
            let public_key_pem = std::fs::read_to_string(&path)
                .map_err(|e| format!("MOTCUA_IDP_PUBLIC_KEY_FILE: cannot read {path}: {e}"))?;
            config.identity_provider = Some(crate::auth::jwt::Provider {
                public_key_pem,
                issuer: pick("MOTCUA_IDP_ISSUER", file.idp_issuer)
                    .ok_or("MOTCUA_IDP_ISSUER is required with MOTCUA_IDP_PUBLIC_KEY_FILE")?,
                audience: pick("MOTCUA_IDP_AUDIENCE", file.idp_audience)
                    .unwrap_or_else(|| crate::auth::jwt::AUDIENCE.to_string()),
            });
        }
        config.admin_password = pick("MOTCUA_ADMIN_PASSWORD", file.admin_password);
        config.payment_secret = pick("MOTCUA_PAYMENT_SECRET", file.payment_secret);
        if let Some(tz) = pick("MOTCUA_TIME_ZONE", file.time_zone) {
            config.time_zone = tz
                .parse()
                .map_err(|_| format!("MOTCUA_TIME_ZONE: unknown time zone {tz:?}"))?;
        }
        if let Some(hours) = pick("MOTCUA_WORKING_HOURS", file.working_hours) {
            config.working_hours =
                WorkingHours::parse(&hours).map_err(|e| format!("MOTCUA_WORKING_HOURS: {e}"))?;
        }
        if let Some(bucket) = pick("MOTCUA_S3_BUCKET", file.s3_bucket) {
            config.s3 = Some(S3Config {
                bucket,
                region: pick("MOTCUA_S3_REGION", file.s3_region)
                    .unwrap_or_else(|| "us-east-1".to_string()),
                endpoint: pick("MOTCUA_S3_ENDPOINT", file.s3_endpoint),
                access_key_id: pick("MOTCUA_S3_ACCESS_KEY_ID", file.s3_access_key_id),
                secret_access_key: pick("MOTCUA_S3_SECRET_ACCESS_KEY", file.s3_secret_access_key),
            });
        }
        if let Some(periods) = pick("MOTCUA_BACKLOG_PERIODS", file.backlog_periods) {
            config.backlog_periods = crate::domain::documents::parse_periods(&periods)
                .map_err(|e| format!("MOTCUA_BACKLOG_PERIODS: {e}"))?;
        }
        let n = &mut config.notifications;
        n.smtp_url = pick("MOTCUA_SMTP_URL", file.smtp_url);
        if let Some(url) = &n.smtp_url {
            lettre::SmtpTransport::from_url(url).map_err(|e| format!("MOTCUA_SMTP_URL: {e}"))?;
        }
        if let Some(from) = pick("MOTCUA_MAIL_FROM", file.mail_from) {
            from.parse::<lettre::message::Mailbox>()
                .map_err(|e| format!("MOTCUA_MAIL_FROM: {e}"))?;
            n.mail_from = from;
        }
        n.sms_url = pick("MOTCUA_SMS_URL", file.sms_url);
        if let Some(url) = &n.sms_url {
            if !(url.starts_with("http://") || url.starts_with("https://"))
                || url.parse::<ureq::http::Uri>().is_err()
            {
                return Err(format!("MOTCUA_SMS_URL: {url:?} is not an http(s) URL"));
            }
        }
        n.sms_token = pick("MOTCUA_SMS_TOKEN", file.sms_token);
        number("MOTCUA_NOTIFY_POLL_MS", file.notify_poll_ms, &mut n.poll_ms)?;
        number(
            "MOTCUA_NOTIFY_RETRY_BASE_MS",
            file.notify_retry_base_ms,
            &mut n.retry_base_ms,
        )?;
        number(
            "MOTCUA_NOTIFY_MAX_ATTEMPTS",
            file.notify_max_attempts,
            &mut n.max_attempts,
        )?;
        number(
            "MOTCUA_NOTIFY_SCHEDULE_SECONDS",
            file.notify_schedule_seconds,
            &mut n.schedule_seconds,
        )?;
        number(
            "MOTCUA_NOTIFY_KEEP_DAYS",
            file.notify_keep_days,
            &mut n.keep_days,
        )?;
        number(
            "MOTCUA_WEBHOOK_PRIVATE_ADDRESSES",
            file.webhook_private_addresses,
            &mut n.webhook_private_addresses,
        )?;
        if n.keep_days > 3650 {
            return Err("MOTCUA_NOTIFY_KEEP_DAYS must be at most 3650".to_string());
        }
        if n.poll_ms == 0 || n.max_attempts < 1 || n.schedule_seconds == 0 {
            return Err(
                "MOTCUA_NOTIFY_POLL_MS, MOTCUA_NOTIFY_MAX_ATTEMPTS and MOTCUA_NOTIFY_SCHEDULE_SECONDS must be positive"
                    .to_string(),
            );
        }
        if let Some(format) = pick("MOTCUA_LOG_FORMAT", file.log_format) {
            config.log_format = match format.as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                other => return Err(format!("MOTCUA_LOG_FORMAT: {other:?} is not text or json")),
            };
        }
        number(
            "MOTCUA_TOKEN_TTL_SECONDS",
            file.token_ttl_seconds,
            &mut config.token_ttl_seconds,
        )?;
        number(
            "MOTCUA_DB_POOL_SIZE",
            file.db_pool_size,
            &mut config.db_pool_size,
        )?;
        number(
            "MOTCUA_DB_WAIT_SECONDS",
            file.db_wait_seconds,
            &mut config.db_wait_seconds,
        )?;
        number(
            "MOTCUA_REPORT_MERGE_MS",
            file.report_merge_ms,
            &mut config.report_merge_ms,
        )?;
        number("MOTCUA_WORKERS", file.workers, &mut config.workers)?;
        number(
            "MOTCUA_MAX_BODY_BYTES",
            file.max_body_bytes,
            &mut config.limits.max_body_bytes,
        )?;
        number(
            "MOTCUA_MAX_PAGE_SIZE",
            file.max_page_size,
            &mut config.limits.max_page_size,
        )?;
        number(
            "MOTCUA_MAX_UPLOAD_BYTES",
            file.max_upload_bytes,
            &mut config.limits.max_upload_bytes,
        )?;
        number(
            "MOTCUA_PUBLIC_LOOKUPS_PER_MINUTE",
            file.public_lookups_per_minute,
            &mut config.limits.public_lookups_per_minute,
        )?;
        number(
            "MOTCUA_LOGINS_PER_MINUTE",
            file.logins_per_minute,
            &mut config.limits.logins_per_minute,
        )?;
        number(
            "MOTCUA_REQUESTS_PER_MINUTE",
            file.requests_per_minute,
            &mut config.limits.requests_per_minute,
        )?;
        number(
            "MOTCUA_FEED_LAG_SECONDS",
            file.feed_lag_seconds,
            &mut config.limits.feed_lag_seconds,
        )?;
        number(
            "MOTCUA_CONCURRENT_REPORTS",
            file.concurrent_reports,
            &mut config.limits.concurrent_reports,
        )?;
        if config.token_ttl_seconds < 60 || config.token_ttl_seconds > 7 * 24 * 3600 {
            return Err("MOTCUA_TOKEN_TTL_SECONDS must be between 60 and 604800".to_string());
        }
        if config.db_pool_size == 0
            || config.workers == 0
            || config.limits.max_page_size < 1
            || config.report_merge_ms == 0
        {
            return Err(
                "pool size, workers, page size and the report merge interval must be positive"
                    .to_string(),
            );
        }
        Ok(config)
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

/// Sets `target` from the environment variable `var`, else from the file's value.
fn number<T: std::str::FromStr>(
    var: &str,
    from_file: Option<T>,
    target: &mut T,
) -> Result<(), String> {
    match std::env::var(var).ok().filter(|v| !v.is_empty()) {
        Some(text) => {
            *target = text
                .parse()
                .map_err(|_| format!("{var}: {text:?} is not a valid number"))?;
        }
        None => {
            if let Some(value) = from_file {
                *target = value;
            }
        }
    }
    Ok(())
}
