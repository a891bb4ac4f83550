//! The load driver (`motcua bench run`): drives a running service over loopback HTTP with real
//! tokens, in closed loop (a fixed number of clients sending back to back) or open loop (a
//! fixed arrival rate; each latency counts from the request's intended send time, so a
//! server that falls behind is charged for the queue it causes), and prints throughput,
//! p50/p95/p99/max latency, errors, 5xx and the server's peak RSS.
//!
//! Each [`Scenario`] prepares what it needs over the API first, untimed (logins, procedures,
//! dossiers to receive or act on, ids to read, the cursor of a deep page), on the population
//! of `motcua bench seed`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};

use super::measure::{percentile, Latency};
use super::seed::PASSWORD;

/// What the driver asks of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// A citizen submits online (`POST /dossiers`).
    OnlineSubmit,
    /// A reception officer records a dossier brought to the desk.
    DeskIntake,
    /// A reception officer receives an online dossier (an action with `If-Match`).
    Receive,
    /// A reception officer transfers a received dossier to processing (an action with
    /// `If-Match`).
    Transfer,
    /// `GET /dossiers/{id}` by an official of the dossier's unit.
    GetDossier,
    /// A citizen's own dossiers, first page.
    CitizenList,
    /// A district's work queue (its leader's list), first page.
    QueueFirst,
    /// The same queue, the page 10,000 dossiers deep.
    QueueDeep,
    /// `GET /reports/units`, all units × the last 365 days, as the supervisor.
    UnitReport,
    /// `GET /reports/indicators`, all units × the last 365 days, as the supervisor.
    IndicatorReport,
}

impl Scenario {
    pub const ALL: [Scenario; 10] = [
        Scenario::OnlineSubmit,
        Scenario::DeskIntake,
        Scenario::Receive,
        Scenario::Transfer,
        Scenario::GetDossier,
        Scenario::CitizenList,
        Scenario::QueueFirst,
        Scenario::QueueDeep,
        Scenario::UnitReport,
        Scenario::IndicatorReport,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::OnlineSubmit => "online submit",
            Scenario::DeskIntake => "desk intake",
            Scenario::Receive => "receive (If-Match)",
            Scenario::Transfer => "transfer (If-Match)",
            Scenario::GetDossier => "GET a dossier",
            Scenario::CitizenList => "citizen's list",
            Scenario::QueueFirst => "unit queue, first page",
            Scenario::QueueDeep => "unit queue, 10,000 deep",
            Scenario::UnitReport => "report: all units × 365 days",
            Scenario::IndicatorReport => "indicators: all units × 365 days",
        }
    }

    /// Whether each request uses up a prepared dossier.
    fn consumes(self) -> bool {
        matches!(self, Scenario::Receive | Scenario::Transfer)
    }
}

/// How requests arrive.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `clients` send back to back.
    Closed { clients: usize },
    /// `rate` requests per second on a fixed schedule, sent by up to `workers` connections.
    Open { rate: f64, workers: usize },
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::Closed { clients } => write!(f, "closed, {clients} clients"),
            Mode::Open { rate, .. } => write!(f, "open, {rate:.0}/s"),
        }
    }
}

/// One request to send.
#[derive(Clone)]
pub struct Request {
    post: bool,
    pub(crate) path: String,
    token: Arc<str>,
    body: Option<Vec<u8>>,
    if_match: Option<String>,
    idempotency_key: Option<String>,
    /// The body's type: JSON unless set.
    content_type: Option<String>,
}

impl Request {
    /// The request to `host`, at its path alone: the driver's connections send it so, and
    /// the setup's [`Client`] gives it the absolute URL.
    fn to_http(&self, host: &str) -> Result<hyper::Request<Vec<u8>>, String> {
        let mut builder = hyper::Request::builder()
            .method(if self.post { "POST" } else { "GET" })
            .uri(format!("/api/v1{}", self.path))
            .header("Host", host)
            .header("Authorization", format!("Bearer {}", self.token));
        if self.post {
            let kind = self.content_type.as_deref().unwrap_or("application/json");
            builder = builder.header("Content-Type", kind);
        }
        if let Some(version) = &self.if_match {
            builder = builder.header("If-Match", version);
        }
        if let Some(key) = &self.idempotency_key {
            builder = builder.header("Idempotency-Key", key);
        }
        builder
            .body(self.body.clone().unwrap_or_default())
            .map_err(|e| e.to_string())
    }

    /// The same request with an `Idempotency-Key`.
    pub(crate) fn with_key(mut self, key: String) -> Request {
        self.idempotency_key = Some(key);
        self
    }
}

/// The figures of one run of one scenario.
#[derive(Debug, Clone)]
pub struct Figures {
    pub mode: String,
    pub latency: Latency,
    pub server_errors: usize,
    pub peak_rss_mib: Option<f64>,
    /// What the scenario measured beyond its requests (e.g. the depth of the deep page).
    pub remark: String,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}  [{}] 5xx {}",
            self.latency, self.mode, self.server_errors
        )?;
        if let Some(rss) = self.peak_rss_mib {
            write!(f, "  server RSS ≤ {rss:.0} MiB")?;
        }
        if !self.remark.is_empty() {
            write!(f, "  ({})", self.remark)?;
        }
        Ok(())
    }
}

/// The HTTP client of the driver and its setup steps.
pub struct Client {
    pub base: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .max_idle_connections_per_host(512)
            .max_idle_connections(512)
            .build()
            .into();
        Client {
            base: base.trim_end_matches('/').to_string(),
            agent,
        }
    }

    /// Sends `request`; its status, ETag and body.
    pub(crate) fn send(&self, request: &Request) -> Result<(u16, Option<String>, Vec<u8>), String> {
        let mut http = request.to_http("")?;
        http.headers_mut().remove("host");
        *http.uri_mut() = format!("{}/api/v1{}", self.base, request.path)
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| e.to_string())?;
        let response = self.agent.run(http);
        let mut response = response.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok((status, etag, body))
    }

    /// Sends `request` and reads a successful JSON answer. A setup step is untimed, so a 503
    /// (no database connection free in time, on a machine busy with other work) or a 429 is
    /// tried again, up to five times, a second apart: such an answer stored nothing.
    pub(crate) fn json(&self, request: &Request) -> Result<(Value, Option<String>), String> {
        let mut tries = 1;
        let (status, etag, body) = loop {
            let (status, etag, body) = self.send(request)?;
            if !matches!(status, 429 | 503) || tries == 5 {
                break (status, etag, body);
            }
            tries += 1;
            std::thread::sleep(Duration::from_secs(1));
        };
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(format!(
                "{} {}: {status} {value}",
                request.path, request.post
            ));
        }
        Ok((value, etag))
    }

    /// A seeded account's access token.
    pub fn login(&self, username: &str) -> Result<Arc<str>, String> {
        let mut response = self
            .agent
            .post(format!("{}/api/v1/auth/login", self.base))
            .send_json(json!({"username": username, "password": PASSWORD}))
            .map_err(|e| format!("login {username}: {e}"))?;
        let value: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| format!("login {username}: {e}"))?;
        value["access_token"]
            .as_str()
            .map(Arc::from)
            .ok_or_else(|| format!("login {username} refused: {value} (seed the database first)"))
    }
}

pub(crate) fn get(path: String, token: &Arc<str>) -> Request {
    Request {
        post: false,
        path,
        token: token.clone(),
        body: None,
        if_match: None,
        idempotency_key: None,
        content_type: None,
    }
}

pub(crate) fn post(
    path: String,
    token: &Arc<str>,
    body: &Value,
    if_match: Option<String>,
) -> Request {
    Request {
        post: true,
        path,
        token: token.clone(),
        body: Some(body.to_string().into_bytes()),
        if_match,
        idempotency_key: None,
        content_type: None,
    }
}

/// `POST /files` of `bytes` as the multipart field `file`.
pub(crate) fn upload(token: &Arc<str>, name: &str, bytes: &[u8]) -> Request {
    let boundary = "motcua-bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request {
        post: true,
        path: "/files".to_string(),
        token: token.clone(),
        body: Some(body),
        if_match: None,
        idempotency_key: None,
        content_type: Some(format!("multipart/form-data; boundary={boundary}")),
    }
}

/// A seeded commune with its officials' tokens and an online procedure.
pub(crate) struct Commune {
    unit: String,
    pub(crate) procedure: String,
    pub(crate) reception: Arc<str>,
}

/// Officials 0 to 2 of the seed sit at the province and its first district; 3 onwards at
/// communes.
pub(crate) fn communes(client: &Client, count: usize) -> Result<Vec<Commune>, String> {
    (3..3 + count)
        .map(|n| {
            let reception = client.login(&format!("bench.reception.{n}"))?;
            let (me, _) = client.json(&get("/me".into(), &reception))?;
            let unit = me["unit_id"].as_str().ok_or("an official without unit")?;
            let (procedures, _) = client.json(&get(
                format!("/procedures?unit_id={unit}&online_service=full&limit=1"),
                &reception,
            ))?;
            Ok(Commune {
                unit: unit.to_string(),
                procedure: procedures["items"][0]["id"]
                    .as_str()
                    .ok_or("no online procedure at the commune")?
                    .to_string(),
                reception,
            })
        })
        .collect()
}

pub(crate) fn citizens(client: &Client, count: usize) -> Result<Vec<Arc<str>>, String> {
    (0..count)
        .map(|i| client.login(&format!("0010{:08}", 90_000_000 + i)))
        .collect()
}

pub(crate) fn online_body(c: &Commune) -> Value {
    json!({"procedure_id": c.procedure, "channel": "online", "receiving_unit_id": c.unit})
}

/// Runs `make(i)` for `count` indexes on `threads` threads (untimed setup); the results in order.
fn in_parallel<T: Send>(
    count: usize,
    threads: usize,
    make: impl Fn(usize) -> Result<T, String> + Sync,
) -> Result<Vec<T>, String> {
    let next = AtomicUsize::new(0);
    let parts: Vec<Result<Vec<(usize, T)>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return Ok(out);
                        }
                        out.push((i, make(i)?));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a setup thread panicked".into()))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(count);
    for part in parts {
        all.extend(part?);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
}

/// The requests of a scenario: either a fixed list to use up in order (`consumes`), or a
/// cycle of templates.
pub(crate) struct Prepared {
    pub(crate) requests: Vec<Request>,
    remark: String,
}

/// Prepares `scenario`; `needed` bounds how many requests a consuming scenario may send.
pub(crate) fn prepare(
    client: &Client,
    scenario: Scenario,
    needed: usize,
) -> Result<Prepared, String> {
    let remark = String::new();
    let requests = match scenario {
        Scenario::OnlineSubmit => {
            let communes = communes(client, 8)?;
            let citizens = citizens(client, 16)?;
            (0..citizens.len() * communes.len())
                .map(|i| {
                    let c = &communes[i % communes.len()];
                    post(
                        "/dossiers".into(),
                        &citizens[i % citizens.len()],
                        &online_body(c),
                        None,
                    )
                })
                .collect()
        }
        Scenario::DeskIntake => communes(client, 8)?
            .iter()
            .map(|c| {
                let body = json!({"procedure_id": c.procedure, "channel": "in_person",
                    "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"}});
                post("/dossiers".into(), &c.reception, &body, None)
            })
            .collect(),
        Scenario::Receive | Scenario::Transfer => {
            let communes = communes(client, 8)?;
            let citizens = citizens(client, 16)?;
            let receive = json!({"action": "receive"});
            in_parallel(needed, 8, |i| {
                let c = &communes[i % communes.len()];
                let submit = post(
                    "/dossiers".into(),
                    &citizens[i % citizens.len()],
                    &online_body(c),
                    None,
                );
                let (dossier, etag) = client.json(&submit)?;
                let id = dossier["id"].as_str().unwrap_or_default();
                let path = format!("/dossiers/{id}/actions");
                let receive = post(path.clone(), &c.reception, &receive, etag);
                if scenario == Scenario::Receive {
                    return Ok(receive);
                }
                let (_, etag) = client.json(&receive)?;
                let transfer = json!({"action": "transfer"});
                Ok(post(path, &c.reception, &transfer, etag))
            })?
        }
        Scenario::GetDossier => {
            let communes = communes(client, 8)?;
            let mut requests = Vec::new();
            for c in &communes {
                let (page, _) = client.json(&get("/dossiers?limit=100".into(), &c.reception))?;
                for d in page["items"].as_array().into_iter().flatten() {
                    let id = d["id"].as_str().unwrap_or_default();
                    requests.push(get(format!("/dossiers/{id}"), &c.reception));
                }
            }
            // Interleave the units, so that consecutive requests read different units.
            requests.sort_by_key(|r| r.path.chars().rev().collect::<String>());
            requests
        }
        Scenario::CitizenList => citizens(client, 16)?
            .iter()
            .map(|t| get("/dossiers?limit=20".into(), t))
            .collect(),
        Scenario::QueueFirst => vec![get(
            "/dossiers?limit=20".into(),
            &client.login("bench.leader.1")?,
        )],
        Scenario::QueueDeep => {
            let leader = client.login("bench.leader.1")?;
            let mut cursor: Option<String> = None;
            let mut depth = 0;
            while depth < 10_000 {
                let path = match &cursor {
                    None => "/dossiers?limit=100".to_string(),
                    Some(c) => format!("/dossiers?limit=100&cursor={c}"),
                };
                let (page, _) = client.json(&get(path, &leader))?;
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
                depth += page["items"].as_array().map_or(0, Vec::len);
            }
            let cursor = cursor.ok_or("the queue has a single page: seed more dossiers")?;
            return Ok(Prepared {
                requests: vec![get(format!("/dossiers?limit=20&cursor={cursor}"), &leader)],
                remark: format!("after {depth} dossiers"),
            });
        }
        Scenario::UnitReport | Scenario::IndicatorReport => {
            let supervisor = client.login("bench.supervisor")?;
            let today = Utc::now().date_naive();
            let period = format!(
                "from={}&to={}",
                today - TimeDelta::days(365),
                today - TimeDelta::days(1)
            );
            let report = if scenario == Scenario::UnitReport {
                "units"
            } else {
                "indicators"
            };
            vec![get(format!("/reports/{report}?{period}"), &supervisor)]
        }
    };
    if requests.is_empty() {
        return Err(format!("{}: nothing to send", scenario.name()));
    }
    Ok(Prepared { requests, remark })
}

/// The peak resident set of process `pid`, sampled every 50 ms while `running`.
fn sample_rss(pid: u32, running: &AtomicBool, peak_kib: &AtomicU64) {
    while running.load(Ordering::Relaxed) {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib.fetch_max(kib, Ordering::Relaxed);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Prepares `scenario` for a run of `seconds` in `mode`, then runs it (after one untimed
/// warm-up request for a scenario that uses nothing up), watching the RSS of `server_pid` if
/// given.
pub fn run(
    client: &Client,
    scenario: Scenario,
    mode: Mode,
    seconds: f64,
    server_pid: Option<u32>,
) -> Result<Figures, String> {
    let prepared = prepare_run(client, scenario, mode, seconds)?;
    Ok(measure(
        client, scenario, &prepared, mode, seconds, server_pid,
    ))
}

/// Runs `scenario` while `background` runs beside it (e.g. reads while writes go on), both
/// prepared first; the figures of each.
pub fn run_alongside(
    client: &Client,
    (scenario, mode): (Scenario, Mode),
    (background, background_mode): (Scenario, Mode),
    seconds: f64,
    server_pid: Option<u32>,
) -> Result<(Figures, Figures), String> {
    let main = prepare_run(client, scenario, mode, seconds)?;
    let beside = prepare_run(client, background, background_mode, seconds)?;
    Ok(std::thread::scope(|scope| {
        let other =
            scope.spawn(|| measure(client, background, &beside, background_mode, seconds, None));
        let figures = measure(client, scenario, &main, mode, seconds, server_pid);
        let other = other.join().unwrap_or_else(|_| figures.clone());
        (figures, other)
    }))
}

/// Untimed seconds before each measured run, so that the service's pooled connections, the
/// database's backends and caches are warm (a fresh server's first second is much slower).
pub(crate) const WARM_UP_SECONDS: f64 = 2.0;

/// How many requests a run of `seconds` in `mode` may send (a guess of the most for a closed
/// loop).
fn needed(mode: Mode, seconds: f64) -> usize {
    match mode {
        Mode::Open { rate, .. } => (rate * seconds).ceil() as usize,
        Mode::Closed { .. } => (1500.0 * seconds) as usize,
    }
}

fn prepare_run(
    client: &Client,
    scenario: Scenario,
    mode: Mode,
    seconds: f64,
) -> Result<Prepared, String> {
    prepare(client, scenario, needed(mode, seconds + WARM_UP_SECONDS))
}

/// Warms up for [`WARM_UP_SECONDS`], then measures `seconds` (a consuming scenario warms up
/// on requests of its own).
fn measure(
    client: &Client,
    scenario: Scenario,
    prepared: &Prepared,
    mode: Mode,
    seconds: f64,
    server_pid: Option<u32>,
) -> Figures {
    let requests = &prepared.requests[..];
    let (warm, measured, total) = if scenario.consumes() {
        let split = needed(mode, WARM_UP_SECONDS).min(requests.len() / 4);
        let (warm, rest) = requests.split_at(split);
        (warm, rest, rest.len())
    } else {
        (requests, requests, usize::MAX)
    };
    if !warm.is_empty() {
        let total = if scenario.consumes() {
            warm.len()
        } else {
            usize::MAX
        };
        drive(client, "", warm, total, mode, WARM_UP_SECONDS, None);
    }
    let (latency, server_errors, peak) = drive(
        client,
        scenario.name(),
        measured,
        total,
        mode,
        seconds,
        server_pid,
    );
    Figures {
        mode: mode.to_string(),
        latency,
        server_errors,
        peak_rss_mib: peak,
        remark: prepared.remark.clone(),
    }
}

/// Sends `requests` (cycling through them) until `total` are sent or `seconds` have passed;
/// the latency figures, the count of 5xx and the peak RSS of `server_pid` in MiB.
///
/// The requests go out on HTTP/1.1 connections opened beforehand (one per client, or `workers`
/// in open loop), all driven by one thread's event loop: a driver of a thread per connection
/// spent a tenth of a millisecond of CPU per request, mostly switching threads, on the same
/// two cores as the service it measures. In open loop a request waits for its intended time
/// (tokio's timer fires within a millisecond after it) and for a free connection, and its
/// latency counts from the intended time either way.
pub fn drive(
    client: &Client,
    name: &str,
    requests: &[Request],
    total: usize,
    mode: Mode,
    seconds: f64,
    server_pid: Option<u32>,
) -> (Latency, usize, Option<f64>) {
    let (connections, interval) = match mode {
        Mode::Closed { clients } => (clients.max(1), None),
        Mode::Open { rate, workers } => (
            workers.max(1),
            Some(Duration::from_secs_f64(1.0 / rate.max(0.001))),
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the driver's event loop");
    let next = AtomicUsize::new(0);
    let running = AtomicBool::new(true);
    let peak = AtomicU64::new(0);
    let deadline = Duration::from_secs_f64(seconds);
    let host = client.base.trim_start_matches("http://").to_string();
    let (outcomes, elapsed) = std::thread::scope(|scope| {
        if let Some(pid) = server_pid {
            let (running, peak) = (&running, &peak);
            scope.spawn(move || sample_rss(pid, running, peak));
        }
        let measured = runtime.block_on(async {
            let senders =
                futures_util::future::join_all((0..connections).map(|_| Connection::open(&host)))
                    .await;
            // The clock starts once every connection is open.
            let started = Instant::now();
            let outcomes = futures_util::future::join_all(senders.into_iter().map(|sender| {
                let (next, host) = (&next, &host);
                async move {
                    let mut connection = sender;
                    let (mut times, mut errors, mut server_errors) = (Vec::new(), 0, 0);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let intended = match interval {
                            Some(every) => {
                                let at = started + every.mul_f64(i as f64);
                                tokio::time::sleep_until(at.into()).await;
                                at
                            }
                            None => Instant::now(),
                        };
                        if intended.duration_since(started) >= deadline {
                            break;
                        }
                        let outcome = connection.send(host, &requests[i % requests.len()]).await;
                        times.push(intended.elapsed());
                        match outcome {
                            Ok(status) if (200..300).contains(&status) => {}
                            Ok(status) => {
                                errors += 1;
                                server_errors += usize::from(status >= 500);
                            }
                            Err(_) => errors += 1,
                        }
                    }
                    (times, errors, server_errors)
                }
            }))
            .await;
            (outcomes, started.elapsed().as_secs_f64())
        });
        running.store(false, Ordering::Relaxed);
        measured
    });
    let errors = outcomes.iter().map(|o| o.1).sum();
    let server_errors = outcomes.iter().map(|o| o.2).sum();
    let mut times: Vec<Duration> = outcomes.into_iter().flat_map(|o| o.0).collect();
    times.sort();
    let latency = Latency {
        name: name.to_string(),
        requests: times.len(),
        errors,
        per_second: times.len() as f64 / elapsed.max(1e-9),
        p50_ms: percentile(&times, 50.0),
        p95_ms: percentile(&times, 95.0),
        p99_ms: percentile(&times, 99.0),
        max_ms: percentile(&times, 100.0),
    };
    let peak = server_pid.map(|_| peak.load(Ordering::Relaxed) as f64 / 1024.0);
    (latency, server_errors, peak)
}

type Body = http_body_util::Full<bytes::Bytes>;

/// One keep-alive HTTP/1.1 connection of [`drive`]; it opens again after a failure.
struct Connection(Option<hyper::client::conn::http1::SendRequest<Body>>);

impl Connection {
    async fn open(host: &str) -> Connection {
        Connection(Self::handshake(host).await.ok())
    }

    async fn handshake(
        host: &str,
    ) -> Result<hyper::client::conn::http1::SendRequest<Body>, String> {
        let stream = tokio::net::TcpStream::connect(host)
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends `request` and reads the whole answer; its status.
    async fn send(&mut self, host: &str, request: &Request) -> Result<u16, String> {
        use http_body_util::BodyExt;
        let sender = match self.0.as_mut() {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.0.insert(Self::handshake(host).await?),
        };
        let body = request.to_http(host)?.map(Body::from);
        let outcome = async {
            let response = sender.send_request(body).await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            Ok(status)
        }
        .await;
        if outcome.is_err() {
            self.0 = None;
        }
        outcome
    }
}
