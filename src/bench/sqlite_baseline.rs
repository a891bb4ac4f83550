//! What the database itself can do with the statements of a request (`motcua bench
//! baseline`), on SQLite: the statements that the service runs for an online submission, a
//! desk intake and a receipt are recorded through diesel's connection instrumentation while a
//! service serves a few real requests, then replayed in this process through a plain SQLite
//! binding (`rusqlite`, on the same libsqlite3-sys as diesel) by as many threads as the HTTP
//! run has clients; each HTTP figure is printed as a ratio to the replay's.
//!
//! The capture: this process starts the service itself (`startup::Application`, the code
//! `motcua serve` runs) on the same database, on a loopback port of its own, with
//! [`diesel::connection::set_default_instrumentation`] recording every
//! `InstrumentationEvent::StartQuery` (its SQL and bind values, `BEGIN IMMEDIATE` and `COMMIT`
//! included) while one request is in flight; the running service that the HTTP figures come
//! from is left as it is. Its notification worker is told to poll once an hour, so that only
//! the request's statements are in flight. Nothing in the service is changed for it.
//!
//! The replay is the captured request statement for statement (the token's account look-up
//! included), each a prepared statement with the captured values bound, on connections set up
//! as the pool sets its own (`db::pool::SQLITE_SETUP`: foreign keys, busy timeout, WAL,
//! `synchronous = FULL`; plans that do not depend on bound values), writers queued on a mutex
//! in the process from `BEGIN IMMEDIATE` to `COMMIT` as the service queues them (`db::write`),
//! except that:
//! - ids created by the request (UUIDv7 ids stamped at or after the request was sent) become
//!   fresh UUIDv7 ids, and the dossier's new code a fresh string, so that each transaction
//!   inserts new rows where the service would;
//! - the dossier acted on (a receipt's) comes from a queue: the dossiers that the replayed
//!   online submissions created at the same commune.
//!
//! diesel reports bind values by their Rust `Debug` (`Id(0193…)`, `"text"`, `Some(3)`,
//! `2026-12-01T10:00:00.5`); [`parse_query`] turns them back into what diesel binds on SQLite
//! (a 16-byte blob, text, an integer, the timestamp's text), and refuses a value it cannot
//! type rather than guess. After each replay a queued dossier is read back (it exists; a
//! received one has the status the service gave it), so that a replay that bound the wrong
//! values cannot pass for a fast one.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};
use rusqlite::types::{ToSqlOutput, ValueRef};
use uuid::Uuid;

use super::load::{self, Client, Figures, Mode, Request, Scenario};
use super::measure::{median, percentile, Latency};
use crate::config::Config;

/// A value bound to a statement, as SQLite receives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// One statement as diesel's instrumentation reported it: its SQL and its bound values.
#[derive(Debug, Clone, PartialEq)]
pub struct Traced {
    pub sql: String,
    pub binds: Vec<Value>,
}

/// What diesel's `DebugQuery` writes between a statement's SQL and its binds.
const BINDS: &str = " -- binds: ";

/// A statement from what `InstrumentationEvent::StartQuery` displays: `SQL -- binds: [v, …]`
/// for a statement with parameters, the bare SQL for one run as a batch (`BEGIN IMMEDIATE`,
/// `COMMIT`). Fails when a value cannot be typed or the count of values is not that of the
/// `?` placeholders.
pub fn parse_query(text: &str) -> Result<Traced, String> {
    let (sql, binds) = match text.find(BINDS) {
        Some(at) => (&text[..at], parse_binds(&text[at + BINDS.len()..])?),
        None => (text, Vec::new()),
    };
    let expected = placeholders(sql);
    if expected != binds.len() {
        return Err(format!(
            "{} values for {expected} placeholders: {text}",
            binds.len()
        ));
    }
    Ok(Traced {
        sql: sql.to_string(),
        binds,
    })
}

/// The `?` placeholders of `sql`, outside quoted strings and names.
fn placeholders(sql: &str) -> usize {
    let mut count = 0;
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '?' => count += 1,
                _ => {}
            },
        }
    }
    count
}

/// A reader of a list of Rust `Debug` values.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.at += prefix.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, prefix: &str) -> Result<(), String> {
        if self.eat(prefix) {
            Ok(())
        } else {
            Err(format!("expected {prefix:?} at {:?}", self.rest()))
        }
    }

    /// Up to the next `,`, `]` or `)`.
    fn token(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| matches!(c, ',' | ']' | ')') || c.is_whitespace())
            .unwrap_or(rest.len());
        self.at += end;
        &rest[..end]
    }

    /// A Rust string literal as `Debug` writes it.
    fn string(&mut self) -> Result<String, String> {
        self.expect("\"")?;
        let (rest, start) = (self.rest(), self.at);
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at = start + i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('0') => out.push('\0'),
                    Some('u') => {
                        let mut hex = String::new();
                        for (_, h) in chars.by_ref() {
                            match h {
                                '{' => {}
                                '}' => break,
                                h => hex.push(h),
                            }
                        }
                        let c = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or(format!("a bad escape \\u{{{hex}}}"))?;
                        out.push(c);
                    }
                    Some(e) => out.push(e),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(format!("an unterminated string in {:?}", self.text))
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_spaces();
        if self.rest().starts_with('"') {
            return self.string().map(Value::Text);
        }
        if self.eat("[") {
            // Bytes (`Vec<u8>`, `&[u8]`).
            let mut bytes = Vec::new();
            loop {
                self.skip_spaces();
                if self.eat("]") {
                    return Ok(Value::Blob(bytes));
                }
                let token = self.token();
                bytes.push(
                    token
                        .parse::<u8>()
                        .map_err(|_| format!("a byte list with {token:?}"))?,
                );
                self.skip_spaces();
                self.eat(",");
            }
        }
        if self.eat("Some(") {
            let value = self.value()?;
            self.skip_spaces();
            self.expect(")")?;
            return Ok(value);
        }
        if self.eat("Id(") {
            let token = self.token().to_string();
            self.expect(")")?;
            let id = Uuid::parse_str(&token).map_err(|e| format!("Id({token}): {e}"))?;
            return Ok(Value::Blob(id.as_bytes().to_vec()));
        }
        let token = self.token();
        scalar(token)
    }
}

/// A bare `Debug` value: `None`, a boolean, an integer, a float, or a date, time or instant
/// (which diesel binds on SQLite as text: `%F`, `%T%.f`, `%F %T%.f`, `%F %T%.f%:z`).
fn scalar(token: &str) -> Result<Value, String> {
    let digit = |i: usize| token.as_bytes().get(i).is_some_and(u8::is_ascii_digit);
    match token {
        "None" => return Ok(Value::Null),
        "true" => return Ok(Value::Integer(1)),
        "false" => return Ok(Value::Integer(0)),
        _ => {}
    }
    if let Ok(n) = token.parse::<i64>() {
        return Ok(Value::Integer(n));
    }
    if (0..4).all(digit) && token.as_bytes().get(4) == Some(&b'-') {
        let text = token.replacen('T', " ", 1);
        let text = match text.strip_suffix('Z') {
            Some(utc) => format!("{utc}+00:00"),
            None => text,
        };
        return Ok(Value::Text(text));
    }
    if (0..2).all(digit) && token.as_bytes().get(2) == Some(&b':') {
        return Ok(Value::Text(token.to_string()));
    }
    if let Ok(x) = token.parse::<f64>() {
        return Ok(Value::Real(x));
    }
    Err(format!("a bind value the replay cannot type: {token:?}"))
}

/// The values of a `[…]` list of `Debug` values.
fn parse_binds(text: &str) -> Result<Vec<Value>, String> {
    let mut reader = Reader {
        text: text.trim(),
        at: 0,
    };
    reader.expect("[")?;
    let mut out = Vec::new();
    reader.skip_spaces();
    if !reader.eat("]") {
        loop {
            out.push(reader.value()?);
            reader.skip_spaces();
            if reader.eat(",") {
                continue;
            }
            reader.expect("]")?;
            break;
        }
    }
    reader.skip_spaces();
    if !reader.rest().is_empty() {
        return Err(format!("left over after the binds: {:?}", reader.rest()));
    }
    Ok(out)
}

/// A bound value in the replay.
#[derive(Debug, Clone, PartialEq)]
pub enum Slot {
    /// As captured.
    Value(Value),
    /// The transaction's n-th fresh id.
    Fresh(usize),
    /// The dossier taken from the queue.
    Subject,
    /// The transaction's fresh dossier code.
    Code,
}

/// One statement of the replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub sql: String,
    pub binds: Vec<Slot>,
}

/// A captured request made replayable.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub steps: Vec<Step>,
    /// How many fresh ids a transaction makes.
    pub fresh: usize,
    /// Which of them is the dossier the request created, if it created one.
    pub created: Option<usize>,
    /// The length of the dossier's new code, which a fresh one keeps.
    pub code_len: usize,
}

/// What is known of a captured request beside its statements.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// When it was sent (ms since the epoch): ids stamped from then on were made by it.
    pub sent_ms: u64,
    /// The dossier acted on (its 16 bytes), taken from the queue instead.
    pub subject: Option<&'a [u8]>,
    /// The dossier's new code, made fresh.
    pub code: Option<&'a str>,
    /// The id of the dossier the request created.
    pub created: Option<&'a [u8]>,
}

/// The milliseconds since the epoch stamped in a UUIDv7 of 16 bytes.
fn stamp(bytes: &[u8]) -> Option<u64> {
    (bytes.len() == 16 && bytes[6] >> 4 == 7).then(|| {
        bytes[..6]
            .iter()
            .fold(0u64, |ms, &b| (ms << 8) | u64::from(b))
    })
}

/// The replay of `statements`, captured from a request described by `known`.
pub fn template(statements: &[Traced], known: Known<'_>) -> Template {
    let mut fresh: Vec<&[u8]> = Vec::new();
    let steps = statements
        .iter()
        .map(|s| Step {
            sql: s.sql.clone(),
            binds: s
                .binds
                .iter()
                .map(|value| match value {
                    Value::Blob(b) if Some(b.as_slice()) == known.subject => Slot::Subject,
                    Value::Blob(b) if stamp(b).is_some_and(|ms| ms >= known.sent_ms) => {
                        let n = fresh.iter().position(|f| *f == b.as_slice());
                        Slot::Fresh(n.unwrap_or_else(|| {
                            fresh.push(b);
                            fresh.len() - 1
                        }))
                    }
                    Value::Text(t) if Some(t.as_str()) == known.code => Slot::Code,
                    v => Slot::Value(v.clone()),
                })
                .collect(),
        })
        .collect();
    Template {
        steps,
        fresh: fresh.len(),
        created: known
            .created
            .and_then(|c| fresh.iter().position(|f| *f == c)),
        code_len: known.code.map_or(0, str::len),
    }
}

/// A fresh dossier code of `len` characters (20 at least): `B` and random digits.
fn fresh_code(len: usize) -> String {
    let digits = len.saturating_sub(1).max(19);
    format!("B{:0digits$}", rand::random::<u64>() >> 1)
}

/// Whether a statement takes SQLite's write lock (the service's writer mutex is taken first).
fn begins_writing(sql: &str) -> bool {
    let sql = sql.trim().to_ascii_uppercase();
    sql.starts_with("BEGIN IMMEDIATE") || sql.starts_with("BEGIN EXCLUSIVE")
}

/// Whether a statement ends a transaction.
fn ends_transaction(sql: &str) -> bool {
    let sql = sql.trim().to_ascii_uppercase();
    sql.starts_with("COMMIT") || sql.starts_with("END") || sql.starts_with("ROLLBACK")
}

// The capture: every diesel connection made while it is set up reports its statements here
// while a request is recorded.

static RECORDED: Mutex<Option<Vec<String>>> = Mutex::new(None);

fn recorder() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            if let Ok(mut recorded) = RECORDED.lock() {
                if let Some(statements) = recorded.as_mut() {
                    statements.push(query.to_string());
                }
            }
        }
    }))
}

/// The statements run while `f` runs (the pool's set-up of a new connection left out).
fn record<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(T, Vec<String>), String> {
    *RECORDED.lock().map_err(|e| e.to_string())? = Some(Vec::new());
    let out = f();
    let recorded = RECORDED
        .lock()
        .map_err(|e| e.to_string())?
        .take()
        .unwrap_or_default();
    let statements = recorded
        .into_iter()
        .filter(|s| s != crate::db::pool::SQLITE_SETUP)
        .collect();
    Ok((out?, statements))
}

/// The service, started in this process on the same database to capture its statements.
struct CaptureServer {
    client: Client,
    handle: actix_web::dev::ServerHandle,
    thread: std::thread::JoinHandle<()>,
}

impl CaptureServer {
    fn start(mut config: Config) -> Result<CaptureServer, String> {
        set_default_instrumentation(recorder).map_err(|e| e.to_string())?;
        config.workers = 1;
        // Nothing else in flight: the notification worker looks once, at the start, and the
        // report merge is left to the service measured (which runs on the same file).
        config.notifications.poll_ms = 3_600_000;
        config.notifications.schedule_seconds = 3_600;
        config.report_merge_ms = 3_600_000;
        // Logins of the seeded accounts from one address, as many as the capture needs.
        config.limits.logins_per_minute = 0;
        config.limits.requests_per_minute = 0;
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match crate::startup::Application::build_with_listener(config, listener) {
                    Ok(app) => {
                        let _ = tx.send(Ok((app.port(), app.handle())));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
        });
        let (port, handle) = rx
            .recv()
            .map_err(|_| "the capture server did not start".to_string())??;
        Ok(CaptureServer {
            client: Client::new(&format!("http://127.0.0.1:{port}")),
            handle,
            thread,
        })
    }

    fn stop(self) {
        // The stop is sent at once; its future only waits for the end, which the join does.
        drop(self.handle.stop(true));
        let _ = self.thread.join();
        let _ = set_default_instrumentation(|| None);
    }
}

/// The communes the HTTP scenarios spread their writes over (`load::prepare`), one captured
/// request at each.
const COMMUNES: usize = 8;

/// The 16 bytes of a hyphenated or plain UUID.
fn id_bytes(text: &str) -> Option<Vec<u8>> {
    Uuid::parse_str(text).ok().map(|u| u.as_bytes().to_vec())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The captured requests of a scenario, one per commune.
struct Captured {
    templates: Vec<Template>,
    /// The statements of each request.
    statements: Vec<usize>,
    /// What a receipt's dossier becomes (its status), to check the replay by.
    status: Option<String>,
}

fn capture(server: &CaptureServer, scenario: Scenario) -> Result<Captured, String> {
    let client = &server.client;
    let prepared = load::prepare(client, scenario, COMMUNES)?;
    let requests: &[Request] = &prepared.requests[..COMMUNES.min(prepared.requests.len())];
    let acts = scenario == Scenario::Receive;
    if !acts {
        // One request of each untimed and unrecorded first: the pool's connections, their
        // prepared statements and the server's caches are warm, as in a running service.
        for r in requests {
            client.json(r)?;
        }
    }
    let (mut templates, mut statements, mut status) = (Vec::new(), Vec::new(), None);
    for r in requests {
        let sent_ms = now_ms();
        let ((value, _), recorded) = record(|| client.json(r))?;
        let traced = recorded
            .iter()
            .map(|s| parse_query(s))
            .collect::<Result<Vec<_>, _>>()?;
        let subject = if acts {
            let id = r
                .path
                .strip_prefix("/dossiers/")
                .and_then(|p| p.split('/').next());
            Some(
                id.and_then(id_bytes)
                    .ok_or("a receipt without its dossier")?,
            )
        } else {
            None
        };
        let created = if acts {
            None
        } else {
            value["id"].as_str().and_then(id_bytes)
        };
        let code = value["code"].as_str().map(str::to_string);
        let known = Known {
            sent_ms,
            subject: subject.as_deref(),
            code: code.as_deref(),
            created: created.as_deref(),
        };
        status = value["status"].as_str().map(str::to_string);
        statements.push(traced.len());
        templates.push(template(&traced, known));
    }
    Ok(Captured {
        templates,
        statements,
        status: if acts { status } else { None },
    })
}

/// A dossier made by the replay: its commune (the template's index) and id.
#[derive(Debug, Clone, Copy)]
struct Made {
    template: usize,
    id: [u8; 16],
}

/// The figures of one replay.
struct Replayed {
    latency: Latency,
    made: Vec<Made>,
    /// The replay ran out of queued dossiers before its time was up.
    drained: bool,
    /// How many queued dossiers it took.
    consumed: usize,
}

/// Opens a connection as the pool does (the same flags as diesel, the same PRAGMAs, plans that
/// do not depend on bound values).
fn open(path: &str) -> Result<rusqlite::Connection, String> {
    use rusqlite::OpenFlags;
    crate::db::pool::plan_sqlite_statements_once();
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
    conn.execute_batch(crate::db::pool::SQLITE_SETUP)
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The writers of the replay queue here, as the service's queue in `db::write`.
static WRITER: Mutex<()> = Mutex::new(());

/// The values of one replayed transaction.
struct Values {
    fresh: Vec<[u8; 16]>,
    subject: [u8; 16],
    code: String,
}

impl Values {
    fn bind<'a>(&'a self, slot: &'a Slot) -> ValueRef<'a> {
        match slot {
            Slot::Value(Value::Null) => ValueRef::Null,
            Slot::Value(Value::Integer(n)) => ValueRef::Integer(*n),
            Slot::Value(Value::Real(x)) => ValueRef::Real(*x),
            Slot::Value(Value::Text(t)) => ValueRef::Text(t.as_bytes()),
            Slot::Value(Value::Blob(b)) => ValueRef::Blob(b),
            Slot::Fresh(n) => ValueRef::Blob(&self.fresh[*n]),
            Slot::Subject => ValueRef::Blob(&self.subject),
            Slot::Code => ValueRef::Text(self.code.as_bytes()),
        }
    }
}

/// Runs one statement with its values, reading every value of every row as the service
/// reads its rows.
fn execute(
    statement: &mut rusqlite::Statement<'_>,
    step: &Step,
    values: &Values,
) -> rusqlite::Result<()> {
    for (n, slot) in step.binds.iter().enumerate() {
        statement.raw_bind_parameter(n + 1, ToSqlOutput::Borrowed(values.bind(slot)))?;
    }
    let columns = statement.column_count();
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next()? {
        for c in 0..columns {
            row.get_ref(c)?;
        }
    }
    Ok(())
}

/// Runs one transaction of `template` on its prepared statements, holding the writer mutex
/// from `BEGIN IMMEDIATE` to `COMMIT`.
fn transaction(
    statements: &mut [rusqlite::Statement<'_>],
    template: &Template,
    values: &Values,
) -> Result<(), String> {
    let mut writer = None;
    for (statement, step) in statements.iter_mut().zip(&template.steps) {
        if begins_writing(&step.sql) {
            writer = Some(WRITER.lock().unwrap_or_else(|e| e.into_inner()));
        }
        execute(statement, step, values).map_err(|e| format!("{}: {e}", step.sql))?;
        if ends_transaction(&step.sql) {
            writer = None;
        }
    }
    drop(writer);
    Ok(())
}

/// Replays `templates` on `threads` connections for `warm_up` then `seconds` seconds, each
/// transaction a template taken in turn, or the one of the next queued dossier's commune.
fn replay(
    path: &str,
    templates: &[Template],
    threads: usize,
    (warm_up, seconds): (f64, f64),
    queue: Option<&[Made]>,
) -> Result<Replayed, String> {
    let next = AtomicUsize::new(0);
    let drained = AtomicBool::new(false);
    let failed = AtomicBool::new(false);
    let ready = std::sync::Barrier::new(threads.max(1));
    let start: OnceLock<Instant> = OnceLock::new();
    let (warm_up, measured) = (
        Duration::from_secs_f64(warm_up),
        Duration::from_secs_f64(seconds),
    );
    type Outcome = Result<(Vec<Duration>, Vec<Made>, Duration), String>;
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> Outcome {
                    let run = || -> Outcome {
                        let conn = open(path)?;
                        let prepared = templates
                            .iter()
                            .map(|t| {
                                t.steps
                                    .iter()
                                    .map(|s| conn.prepare(&s.sql))
                                    .collect::<rusqlite::Result<Vec<_>>>()
                            })
                            .collect::<rusqlite::Result<Vec<_>>>()
                            .map_err(|e| e.to_string());
                        ready.wait();
                        let mut prepared = prepared?;
                        let started = *start.get_or_init(Instant::now);
                        let (mut times, mut made, mut last) = (Vec::new(), Vec::new(), warm_up);
                        while !failed.load(Ordering::Relaxed) {
                            let at = started.elapsed();
                            if at >= warm_up + measured {
                                break;
                            }
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let (k, subject) = match queue {
                                None => (i % templates.len(), [0; 16]),
                                Some(queue) => match queue.get(i) {
                                    Some(m) => (m.template % templates.len(), m.id),
                                    None => {
                                        drained.store(true, Ordering::Relaxed);
                                        break;
                                    }
                                },
                            };
                            let template = &templates[k];
                            let values = Values {
                                fresh: (0..template.fresh)
                                    .map(|_| *Uuid::now_v7().as_bytes())
                                    .collect(),
                                subject,
                                code: fresh_code(template.code_len),
                            };
                            let began = Instant::now();
                            transaction(&mut prepared[k], template, &values)?;
                            let ended = started.elapsed();
                            if at >= warm_up {
                                times.push(began.elapsed());
                                last = last.max(ended);
                            }
                            if let Some(c) = template.created {
                                made.push(Made {
                                    template: k,
                                    id: values.fresh[c],
                                });
                            }
                        }
                        Ok((times, made, last))
                    };
                    let outcome = run();
                    if outcome.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    outcome
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a replay thread panicked".into()))
            })
            .collect()
    });
    let (mut times, mut made, mut last) = (Vec::new(), Vec::new(), warm_up);
    for outcome in outcomes {
        let (t, m, l) = outcome?;
        times.extend(t);
        made.extend(m);
        last = last.max(l);
    }
    let drained = drained.load(Ordering::Relaxed);
    let elapsed = if drained {
        last.saturating_sub(warm_up)
    } else {
        measured
    };
    times.sort();
    Ok(Replayed {
        latency: Latency {
            name: String::new(),
            requests: times.len(),
            errors: 0,
            per_second: times.len() as f64 / elapsed.as_secs_f64().max(1e-9),
            p50_ms: percentile(&times, 50.0),
            p95_ms: percentile(&times, 95.0),
            p99_ms: percentile(&times, 99.0),
            max_ms: percentile(&times, 100.0),
        },
        made,
        drained,
        consumed: queue.map_or(0, |q| next.load(Ordering::Relaxed).min(q.len())),
    })
}

/// Makes `count` more dossiers to act on by replaying the write transaction of `templates`
/// (untimed, a few hundred to a commit, the reads around it left out); the dossiers made.
fn fill(path: &str, templates: &[Template], count: usize) -> Result<Vec<Made>, String> {
    let conn = open(path)?;
    let mut made = Vec::with_capacity(count);
    // Each template with its index and its transaction's bounds.
    let parts: Vec<(usize, &Template, usize, usize)> = templates
        .iter()
        .enumerate()
        .filter_map(|(n, t)| {
            let begin = t.steps.iter().position(|s| begins_writing(&s.sql))?;
            let end = t.steps.iter().position(|s| ends_transaction(&s.sql))?;
            (t.created.is_some() && begin < end).then_some((n, t, begin, end))
        })
        .collect();
    if parts.is_empty() {
        return Err("no captured submission to fill the queue with".into());
    }
    let prepared = parts
        .iter()
        .map(|(_, t, begin, end)| {
            t.steps[*begin + 1..*end]
                .iter()
                .map(|s| conn.prepare(&s.sql))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .collect::<rusqlite::Result<Vec<_>>>();
    let mut prepared = prepared.map_err(|e| e.to_string())?;
    let _writer = WRITER.lock().unwrap_or_else(|e| e.into_inner());
    for batch in (0..count).collect::<Vec<_>>().chunks(500) {
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| e.to_string())?;
        for &i in batch {
            let k = i % parts.len();
            let (n, template, begin, end) = parts[k];
            let values = Values {
                fresh: (0..template.fresh)
                    .map(|_| *Uuid::now_v7().as_bytes())
                    .collect(),
                subject: [0; 16],
                code: fresh_code(template.code_len),
            };
            for (statement, step) in prepared[k].iter_mut().zip(&template.steps[begin + 1..end]) {
                execute(statement, step, &values).map_err(|e| format!("{}: {e}", step.sql))?;
            }
            if let Some(c) = template.created {
                made.push(Made {
                    template: n,
                    id: values.fresh[c],
                });
            }
        }
        conn.execute_batch("COMMIT").map_err(|e| e.to_string())?;
    }
    Ok(made)
}

/// Reads back a dossier of the replay: it exists, with `status` if given.
fn check(path: &str, made: &[Made], status: Option<&str>) -> Result<(), String> {
    let conn = open(path)?;
    for m in [made.first(), made.last()].into_iter().flatten() {
        let found: Option<String> = conn
            .query_row(
                "SELECT status FROM dossiers WHERE id = ?",
                [m.id.as_slice()],
                |row| row.get(0),
            )
            .map_err(|e| format!("a dossier of the replay is not stored: {e}"))
            .map(Some)?;
        if let (Some(want), Some(got)) = (status, &found) {
            if want != got {
                return Err(format!(
                    "a dossier of the replay is {got}, the service made it {want}"
                ));
            }
        }
    }
    Ok(())
}

/// The figures of one scenario against its replay.
pub struct Compared {
    pub http: Figures,
    pub replay: Latency,
    pub threads: usize,
    /// The fewest and most statements of the captured requests.
    pub statements: (usize, usize),
    pub drained: bool,
}

impl std::fmt::Display for Compared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.http)?;
        let (low, high) = self.statements;
        let statements = if low == high {
            low.to_string()
        } else {
            format!("{low}–{high}")
        };
        write!(
            f,
            "    SQLite in process, the same {statements} statements, {} threads: {:.0} tx/s  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms ({} transactions{}); HTTP reaches {:.1}% of it",
            self.threads,
            self.replay.per_second,
            self.replay.p50_ms,
            self.replay.p99_ms,
            self.replay.max_ms,
            self.replay.requests,
            if self.drained { ", until the queue ran out" } else { "" },
            100.0 * self.http.latency.per_second / self.replay.per_second.max(1e-9)
        )
    }
}

impl Compared {
    fn ratio(&self) -> f64 {
        self.http.latency.per_second / self.replay.per_second.max(1e-9)
    }
}

/// The rounds of one scenario: medians, and the range of the rounds' ratios.
pub struct Summary {
    pub name: String,
    pub rounds: usize,
    pub http_per_second: f64,
    pub http_p99_ms: f64,
    pub replay_per_second: f64,
    pub replay_p99_ms: f64,
    pub ratio: f64,
    pub ratio_range: (f64, f64),
}

impl Summary {
    pub fn of(name: &str, rounds: &[Compared]) -> Summary {
        let med = |f: &dyn Fn(&Compared) -> f64| {
            let mut values: Vec<f64> = rounds.iter().map(f).collect();
            median(&mut values)
        };
        let ratios: Vec<f64> = rounds.iter().map(Compared::ratio).collect();
        Summary {
            name: name.to_string(),
            rounds: rounds.len(),
            http_per_second: med(&|c| c.http.latency.per_second),
            http_p99_ms: med(&|c| c.http.latency.p99_ms),
            replay_per_second: med(&|c| c.replay.per_second),
            replay_p99_ms: med(&|c| c.replay.p99_ms),
            ratio: med(&Compared::ratio),
            ratio_range: (
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(0.0, f64::max),
            ),
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, medians of {} rounds: HTTP {:.0}/s p99 {:.2} ms, SQLite in process {:.0} tx/s p99 {:.2} ms; HTTP reaches {:.1}% of it (rounds {:.1}%–{:.1}%)",
            self.name,
            self.rounds,
            self.http_per_second,
            self.http_p99_ms,
            self.replay_per_second,
            self.replay_p99_ms,
            100.0 * self.ratio,
            100.0 * self.ratio_range.0,
            100.0 * self.ratio_range.1
        )
    }
}

/// Options of [`compare`].
pub struct Options {
    pub clients: usize,
    pub seconds: f64,
    /// Rounds of each scenario, each a replay then the HTTP run, so that the machine's drift
    /// (the disk's flushes above all: a commit waits for one) hits both alike.
    pub rounds: usize,
    pub server_pid: Option<u32>,
}

/// More receipts a second than the replay makes on this machine (the queue is filled for
/// that many).
const RECEIPTS_PER_SECOND: f64 = 4000.0;

/// For online submission, desk intake and receipt: captures the statements of a request at
/// each commune from the service started in this process; then, `rounds` times, replays them
/// in process with as many threads as the HTTP run has clients and runs the same scenario
/// over HTTP against the service at `client` in closed loop; prints each round as it is
/// measured, then the medians.
pub fn compare(client: &Client, config: &Config, options: &Options) -> Result<(), String> {
    let path = config
        .database_url
        .strip_prefix("sqlite://")
        .unwrap_or(&config.database_url)
        .to_string();
    let scenarios = [
        Scenario::OnlineSubmit,
        Scenario::DeskIntake,
        Scenario::Receive,
    ];
    let server = CaptureServer::start(config.clone())?;
    let captured: Result<Vec<Captured>, String> =
        scenarios.iter().map(|&s| capture(&server, s)).collect();
    server.stop();
    let captured = captured?;
    // The dossiers submitted by the replay, to receive; those before `taken` are received.
    let (mut queue, mut taken): (Vec<Made>, usize) = (Vec::new(), 0);
    let timing = (load::WARM_UP_SECONDS, options.seconds);
    let submissions = &captured[0].templates;
    let mut summaries = Vec::new();
    for (scenario, captured) in scenarios.into_iter().zip(&captured) {
        let acts = scenario == Scenario::Receive;
        let mut rounds = Vec::new();
        for _ in 0..options.rounds.max(1) {
            if acts {
                // Enough dossiers to act on: a generous guess of the replay's rate.
                let wanted = (RECEIPTS_PER_SECOND * (timing.0 + timing.1)) as usize;
                let left = queue.len() - taken;
                if left < wanted {
                    let more = fill(&path, submissions, wanted - left)?;
                    queue.extend(more);
                }
            }
            let replayed = replay(
                &path,
                &captured.templates,
                options.clients,
                timing,
                acts.then_some(&queue[taken..]),
            )?;
            let checked = if acts {
                &queue[taken..taken + replayed.consumed]
            } else {
                &replayed.made[..]
            };
            check(&path, checked, captured.status.as_deref())?;
            if acts {
                taken += replayed.consumed;
            }
            if scenario == Scenario::OnlineSubmit {
                queue.extend(&replayed.made);
            }
            let mode = Mode::Closed {
                clients: options.clients,
            };
            let http = load::run(client, scenario, mode, options.seconds, options.server_pid)?;
            let compared = Compared {
                http,
                replay: replayed.latency,
                threads: options.clients,
                statements: (
                    captured.statements.iter().copied().min().unwrap_or(0),
                    captured.statements.iter().copied().max().unwrap_or(0),
                ),
                drained: replayed.drained,
            };
            println!("{compared}");
            rounds.push(compared);
        }
        let name = rounds[0].http.latency.name.clone();
        summaries.push(Summary::of(&name, &rounds));
    }
    if options.rounds > 1 {
        for summary in summaries {
            println!("{summary}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // What diesel 2.3's instrumentation displays for statements of a submission on SQLite.
    const INSERT: &str = "INSERT INTO `dossiers` (`id`, `code`, `unit_id`, `note`, `at`, `fee`, `draft`) VALUES (?, ?, ?, ?, ?, ?, ?) -- binds: [Id(01a23122-28e9-71a6-ba68-da9c18ca7ac1), Some(\"A-1\"), Id(01a23121-ba21-77e4-a1e0-85a04daf0042), Some(\"it's \\\"here\\\", \\u{301}\"), 2026-12-01T10:24:12.001500, None, false]";
    const SELECT: &str = "SELECT 1 FROM `x` WHERE `a` IN (?, ?) AND `b` = ? AND `c` = '?' LIMIT ? -- binds: [Id(01a23122-28e9-71a6-ba68-da9c18ca7ac1), Id(01a23121-ba21-77e4-a1e0-85a04daf0042), [1, 2, 255], -1]";

    fn id(text: &str) -> Vec<u8> {
        id_bytes(text).unwrap()
    }

    #[test]
    fn the_display_of_a_query_gives_its_sql_and_typed_values() {
        let t = parse_query(INSERT).unwrap();
        assert!(t.sql.starts_with("INSERT INTO `dossiers`") && t.sql.ends_with("?)"));
        assert_eq!(
            t.binds,
            vec![
                Value::Blob(id("01a23122-28e9-71a6-ba68-da9c18ca7ac1")),
                Value::Text("A-1".into()),
                Value::Blob(id("01a23121-ba21-77e4-a1e0-85a04daf0042")),
                Value::Text("it's \"here\", \u{301}".into()),
                // Bound as diesel binds a timestamp on SQLite: `%F %T%.f`.
                Value::Text("2026-12-01 10:24:12.001500".into()),
                Value::Null,
                Value::Integer(0),
            ]
        );
        let t = parse_query(SELECT).unwrap();
        assert_eq!(t.binds[2], Value::Blob(vec![1, 2, 255]));
        assert_eq!(t.binds[3], Value::Integer(-1));
        // A batch statement has no binds.
        assert_eq!(
            parse_query("BEGIN IMMEDIATE").unwrap(),
            Traced {
                sql: "BEGIN IMMEDIATE".into(),
                binds: vec![]
            }
        );
    }

    #[test]
    fn dates_times_and_numbers_are_bound_as_diesel_binds_them() {
        assert_eq!(scalar("2026-12-01"), Ok(Value::Text("2026-12-01".into())));
        assert_eq!(
            scalar("2026-12-01T10:24:12Z"),
            Ok(Value::Text("2026-12-01 10:24:12+00:00".into()))
        );
        assert_eq!(scalar("08:30:00"), Ok(Value::Text("08:30:00".into())));
        assert_eq!(scalar("1.5"), Ok(Value::Real(1.5)));
        assert_eq!(scalar("true"), Ok(Value::Integer(1)));
        assert_eq!(scalar("7"), Ok(Value::Integer(7)));
    }

    #[test]
    fn a_value_that_cannot_be_typed_or_counted_is_refused() {
        // An enum's `Debug` is not what it binds: no guess.
        let e = parse_query("SELECT ? -- binds: [Submitted]").unwrap_err();
        assert!(e.contains("cannot type"), "{e}");
        let e = parse_query("SELECT ?, ? -- binds: [1]").unwrap_err();
        assert!(e.contains("1 values for 2 placeholders"), "{e}");
        assert!(parse_query("SELECT ? -- binds: [\"open").is_err());
        // A `?` in a literal is not a placeholder.
        assert_eq!(placeholders("SELECT '?', \"a?\", ? FROM t"), 1);
    }

    #[test]
    fn the_template_makes_fresh_ids_and_codes_and_keeps_the_rest() {
        let traced = [
            parse_query("BEGIN IMMEDIATE").unwrap(),
            parse_query(INSERT).unwrap(),
            parse_query(SELECT).unwrap(),
            parse_query("COMMIT").unwrap(),
        ];
        let dossier = id("01a23122-28e9-71a6-ba68-da9c18ca7ac1");
        // The dossier's id is stamped 0x01a2312228e9 ms, the unit's earlier.
        let t = template(
            &traced,
            Known {
                sent_ms: 0x01a2_3122_28e9,
                subject: None,
                code: Some("A-1"),
                created: Some(&dossier),
            },
        );
        assert_eq!(t.fresh, 1);
        assert_eq!(t.created, Some(0));
        assert_eq!(t.code_len, 3);
        // A fresh code is as long as the captured one, 20 characters at least.
        assert_eq!(fresh_code(25).len(), 25);
        assert_eq!(fresh_code(3).len(), 20);
        assert_eq!(t.steps.len(), 4);
        let insert = &t.steps[1].binds;
        assert_eq!(insert[0], Slot::Fresh(0));
        assert_eq!(insert[1], Slot::Code);
        // The unit's id, older than the request, stays as it was.
        assert_eq!(
            insert[2],
            Slot::Value(Value::Blob(id("01a23121-ba21-77e4-a1e0-85a04daf0042")))
        );
        // The same id is the same fresh id in every statement.
        assert_eq!(t.steps[2].binds[0], Slot::Fresh(0));
        assert!(begins_writing(&t.steps[0].sql) && ends_transaction(&t.steps[3].sql));
    }

    #[test]
    fn an_acted_on_dossier_comes_from_the_queue() {
        let traced = [parse_query(SELECT).unwrap()];
        let subject = id("01a23121-ba21-77e4-a1e0-85a04daf0042");
        let t = template(
            &traced,
            Known {
                sent_ms: u64::MAX,
                subject: Some(&subject),
                ..Known::default()
            },
        );
        assert_eq!(t.fresh, 0);
        assert_eq!(t.created, None);
        assert_eq!(t.steps[0].binds[1], Slot::Subject);
        // Stamped before the request: kept.
        assert!(matches!(t.steps[0].binds[0], Slot::Value(Value::Blob(_))));
        let values = Values {
            fresh: vec![],
            subject: [7; 16],
            code: "B1".into(),
        };
        assert_eq!(values.bind(&t.steps[0].binds[1]), ValueRef::Blob(&[7; 16]));
    }

    fn round(http: f64, replay: f64) -> Compared {
        let latency = |per_second: f64| Latency {
            name: "online submit".into(),
            requests: 1,
            errors: 0,
            per_second,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 1000.0 / per_second,
            max_ms: 4.0,
        };
        Compared {
            http: Figures {
                mode: "closed, 8 clients".into(),
                latency: latency(http),
                server_errors: 0,
                peak_rss_mib: None,
                remark: String::new(),
            },
            replay: latency(replay),
            threads: 8,
            statements: (22, 22),
            drained: false,
        }
    }

    #[test]
    fn the_rounds_give_medians_and_the_range_of_their_ratios() {
        let rounds = [
            round(500.0, 1000.0),
            round(800.0, 1000.0),
            round(600.0, 2000.0),
        ];
        let s = Summary::of("online submit", &rounds);
        assert_eq!(s.rounds, 3);
        assert_eq!(s.http_per_second, 600.0);
        assert_eq!(s.replay_per_second, 1000.0);
        // The median of the rounds' ratios, not the ratio of the medians.
        assert_eq!(s.ratio, 0.5);
        assert_eq!(s.ratio_range, (0.3, 0.8));
        let text = s.to_string();
        assert!(
            text.contains("HTTP reaches 50.0% of it (rounds 30.0%–80.0%)"),
            "{text}"
        );
        assert!(rounds[1].to_string().contains("HTTP reaches 80.0% of it"));
    }
}
