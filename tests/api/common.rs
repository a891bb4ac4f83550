//! `TestApp`: the real service on a fresh database (a SQLite file in a temp folder, or a fresh
//! PostgreSQL schema when `TEST_DATABASE_URL` is set), served over HTTP on a free port, with a
//! client and helpers that read as scenarios.

use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use motcua::config::Config;
use motcua::db::{DbConn, Pool};
use motcua::startup::Application;
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "Quantri2026!";
pub const JWT_SECRET: &str = "test-secret-of-at-least-thirty-two-bytes!!";

pub struct TestApp {
    pub base: String,
    pub admin: String,
    pub pool: Pool,
    pub backend_url: String,
    agent: ureq::Agent,
    handle: actix_web::dev::ServerHandle,
    dir: tempfile::TempDir,
}

/// An HTTP answer: status, headers we look at, and the body as JSON (Null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub request_id: Option<String>,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// Asserts a problem document with this status and code, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status);
        assert!(self.body["detail"].is_string());
        let id = self.request_id.as_deref().expect("X-Request-Id header");
        assert_eq!(
            self.body["request_id"], id,
            "the problem carries the request id"
        );
        &self.body
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        &self.body
    }
}

pub fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => schema_url(&url),
        _ => dir.join("test.db").to_string_lossy().into_owned(),
    }
}

/// A new schema of the PostgreSQL database at `url` (reached directly through
/// TEST_DATABASE_URL), and `url` with that schema as its search path.
pub fn schema_url(url: &str) -> String {
    let direct = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| url.to_string());
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::establish(&direct).expect("TEST_DATABASE_URL reachable");
    diesel::sql_query(format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .expect("create a test schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

impl TestApp {
    pub fn spawn() -> TestApp {
        Self::spawn_with(|_| {})
    }

    /// Starts the service with a configuration adjusted by `adjust`.
    pub fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::with_data_dir(dir.path());
        config.database_url = database_url(dir.path());
        config.jwt_secret = Some(JWT_SECRET.to_string());
        config.admin_password = Some(ADMIN_PASSWORD.to_string());
        config.workers = 1;
        config.db_pool_size = 4;
        // Tests log in and call as often as they need; `limits.rs` tests the limits.
        config.limits.logins_per_minute = 0;
        config.limits.requests_per_minute = 0;
        adjust(&mut config);
        let backend_url = config.database_url.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match Application::build_with_listener(config, listener) {
                    Ok(app) => {
                        tx.send(Ok(app.handle())).unwrap();
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => tx.send(Err(e)).unwrap(),
                }
            })
        });
        let handle = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the app starts")
            .expect("the app builds");
        let pool = motcua::db::pool::build(&backend_url, 2, Duration::from_secs(10))
            .expect("a pool for assertions");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            admin: String::new(),
            pool,
            backend_url,
            agent,
            handle,
            dir,
        };
        app.admin = app.login("admin", ADMIN_PASSWORD);
        app
    }

    /// Runs the `motcua` command on this app's database (with a data folder of its own):
    /// whether it succeeded, and what it printed (standard output, then standard error).
    pub fn command(&self, args: &[&str]) -> (bool, String) {
        self.command_with_data(&self.dir.path().join("command"), args)
    }

    /// [`TestApp::command`] with `data` as its data folder (the app's own, to see its files).
    pub fn command_with_data(&self, data: &std::path::Path, args: &[&str]) -> (bool, String) {
        let config = self.dir.path().join("command.toml");
        std::fs::write(
            &config,
            format!(
                "database_url = {:?}\ndata_dir = {data:?}\n",
                self.backend_url
            ),
        )
        .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MOTCUA_CONFIG", &config)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    pub fn is_postgres(&self) -> bool {
        self.backend_url.starts_with("postgres")
    }

    /// Sends a request; `body` is sent as-is with `content_type` when given.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        self.send_with_headers(method, path, token, &[], body).0
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(
            "POST",
            path,
            token,
            Some(("application/json", body.to_string().into_bytes())),
        )
    }

    pub fn put(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(
            "PUT",
            path,
            token,
            Some(("application/json", body.to_string().into_bytes())),
        )
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(
            "PATCH",
            path,
            token,
            Some(("application/json", body.to_string().into_bytes())),
        )
    }

    /// Logs in and returns the access token.
    #[track_caller]
    pub fn login(&self, username: &str, password: &str) -> String {
        let answer = self.post(
            "/api/v1/auth/login",
            None,
            json!({"username": username, "password": password}),
        );
        answer.ok(200)["access_token"]
            .as_str()
            .expect("a token")
            .to_string()
    }

    /// Creates a unit and returns its id.
    #[track_caller]
    pub fn unit(&self, code: &str, name: &str, level: &str, parent: Option<&str>) -> String {
        let answer = self.post(
            "/api/v1/units",
            Some(&self.admin),
            json!({"code": code, "name": name, "level": level, "parent_id": parent}),
        );
        answer.ok(201)["id"].as_str().unwrap().to_string()
    }

    /// Creates an official of `role` in `unit` and returns their token.
    #[track_caller]
    pub fn official(&self, username: &str, role: &str, unit: Option<&str>) -> String {
        let password = "Canbo2026pass";
        self.post(
            "/api/v1/accounts",
            Some(&self.admin),
            json!({"username": username, "password": password, "full_name": "Nguyễn Văn Cán Bộ",
                   "role": role, "unit_id": unit}),
        )
        .ok(201);
        self.login(username, password)
    }

    /// Registers a citizen and returns their token.
    #[track_caller]
    pub fn citizen(&self, national_id: &str) -> String {
        let password = "Congdan2026pass";
        self.post(
            "/api/v1/auth/register",
            None,
            json!({"national_id": national_id, "full_name": "Trần Thị Công Dân",
                   "phone": "0912345678", "password": password}),
        )
        .ok(201);
        self.login(national_id, password)
    }

    /// A new token for the account of `token` (which may have been revoked), in the account's
    /// current token generation, as a new log-in would give.
    pub fn renew_token(&self, token: &str) -> String {
        use motcua::db::schema::accounts;
        let keys = motcua::auth::jwt::TokenKeys::new(JWT_SECRET.as_bytes(), 3600);
        let Some(motcua::auth::jwt::Subject::Account { id, .. }) = keys.verify(token) else {
            panic!("not a token of ours: {token}");
        };
        let mut conn = self.pool.get().unwrap();
        let conn: &mut DbConn = &mut conn;
        let generation: i32 = accounts::table
            .find(id)
            .select(accounts::token_generation)
            .first(conn)
            .unwrap();
        keys.issue(id, generation)
    }

    /// Counts the rows of a table, straight from the database.
    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().unwrap();
        let conn: &mut DbConn = &mut conn;
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)
            .unwrap()
            .n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        drop_schema(&self.backend_url);
    }
}

/// Drops the schema that `url` names as its search path ([`schema_url`]; nothing for SQLite),
/// so that the database does not grow by a schema per test run. Best effort: a lock held for
/// longer than the timeout (by a server still stopping) leaves it behind.
pub fn drop_schema(url: &str) {
    if let (Some((_, schema)), Ok(direct)) = (
        url.rsplit_once("search_path%3D"),
        std::env::var("TEST_DATABASE_URL"),
    ) {
        if let Ok(mut conn) = PgConnection::establish(&direct) {
            let _ = diesel::sql_query("SET lock_timeout = '5s'").execute(&mut conn);
            let _ = diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&mut conn);
        }
    }
}

/// A test database of a test that runs `motcua` itself: its schema is dropped when this goes
/// out of scope, after the processes declared after it.
pub struct TestDatabase {
    pub url: String,
}

impl TestDatabase {
    pub fn new(dir: &std::path::Path) -> TestDatabase {
        TestDatabase {
            url: database_url(dir),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        drop_schema(&self.url);
    }
}

/// Percent-encodes text for a query string: everything but ASCII letters, digits and `-._~`
/// (so `+` becomes `%2B`, a space `%20`, and each byte of a diacritic its `%XX`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `items` of a list answer.
#[track_caller]
pub fn items(answer: &Answer) -> &Vec<Value> {
    answer.ok(200)["items"].as_array().expect("a list of items")
}

/// The sorted `field` values of a list answer's items (e.g. their ids or codes).
#[track_caller]
pub fn sorted(answer: &Answer, field: &str) -> Vec<String> {
    let mut values: Vec<String> = items(answer)
        .iter()
        .map(|item| item[field].as_str().expect("a string field").to_string())
        .collect();
    values.sort();
    values
}

/// Walks a list page by page with `limit`, following `next_cursor` until it is null, and
/// returns the ids on each page. `path` may already carry a query string.
#[track_caller]
pub fn pages(app: &TestApp, path: &str, limit: usize) -> Vec<Vec<String>> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{separator}limit={limit}&cursor={c}"),
            None => format!("{path}{separator}limit={limit}"),
        };
        let answer = app.get(&url, None);
        let page: Vec<String> = items(&answer)
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_string())
            .collect();
        assert!(page.len() <= limit, "a page holds at most {limit} items");
        pages.push(page);
        match answer.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => {
                assert!(answer.body["next_cursor"].is_null(), "{}", answer.text);
                break;
            }
        }
        assert!(pages.len() < 1000, "the cursor never ends");
    }
    pages
}

impl TestApp {
    /// Sends a request with extra headers; returns the answer and its `ETag`.
    pub fn send_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> (Answer, Option<String>) {
        let (answer, headers) = self.send_with_headers(method, path, token, headers, body);
        let etag = headers
            .into_iter()
            .find(|(name, _)| name == "etag")
            .map(|(_, value)| value);
        (answer, etag)
    }
}

impl TestApp {
    /// The service's data folder (uploaded files live under its `files/`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Like [`TestApp::send_with`], but returns every response header (names in lower case).
    pub fn send_with_headers(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> (Answer, Vec<(String, String)>) {
        let url = format!("{}{}", self.base, path);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some((content_type, bytes)) => self.agent.run(
                request
                    .header("Content-Type", content_type)
                    .body(bytes)
                    .unwrap(),
            ),
            None => self.agent.run(request.body(()).unwrap()),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let all: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    value.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let header = |name: &str| all.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let content_type = header("content-type").unwrap_or_default();
        let request_id = header("x-request-id");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (
            Answer {
                status,
                content_type,
                request_id,
                body,
                text,
            },
            all,
        )
    }
}

/// A multipart/form-data body of `parts` (form field name, file name, bytes); returns the
/// content type (with its boundary) and the body.
pub fn multipart(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "motcua-form-boundary";
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
