//! Measurements on a seeded database:
//! - [`reports`]: the report endpoints over loopback HTTP with a real token, closed loop, through
//!   the load driver ([`super::load`]);
//! - [`submissions`]: online submissions and desk intakes through the service's own intake code
//!   and store, with the report aggregates maintained and without them (the baseline measured in
//!   the same run), alternating rounds.

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, TimeDelta, Utc};

use super::load::{drive, get, Client, Mode};
use crate::api::dossiers::{intake, CreateDossier};
use crate::auth::Principal;
use crate::config::Config;
use crate::db::{self, Pool};
use crate::domain::accounts::Role;
use crate::domain::lifecycle::Channel;
use crate::error::ApiError;
use crate::id::Id;
use crate::store;

/// Latency figures of one scenario.
#[derive(Debug, Clone)]
pub struct Latency {
    pub name: String,
    pub requests: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<44} {:>6} req {:>4} err {:>8.1} req/s  p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            self.name,
            self.requests,
            self.errors,
            self.per_second,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// Measures the report endpoints of the service at `base` (e.g. `http://127.0.0.1:8080`), as
/// the seeded supervisor: every unit and one commune over the last 365 days, every unit over the
/// last calendar year and over a period starting and ending mid-month (all ended, judged from
/// the buckets), every unit over the year to date (judged now, from the open dossiers'
/// indexes), per procedure, and the indicators.
pub fn reports(base: &str, requests: usize, concurrency: usize) -> Result<Vec<Latency>, String> {
    let client = Client::new(base);
    let token = client.login("bench.supervisor")?;
    let (communes, _) = client.json(&get("/units?level=commune&limit=1".into(), &token))?;
    let commune = communes["items"][0]["id"]
        .as_str()
        .ok_or("no commune: seed the database first")?
        .to_string();
    let today = Utc::now().date_naive();
    let year_ago = today - TimeDelta::days(365);
    let yesterday = today - TimeDelta::days(1);
    let january = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let last_january = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);
    let calendar_year = format!(
        "from={last_january}&to={}",
        january.pred_opt().unwrap_or(january)
    );
    let year = format!("from={year_ago}&to={yesterday}");
    let ragged = format!(
        "from={}&to={}",
        year_ago + TimeDelta::days(14),
        yesterday - TimeDelta::days(14)
    );
    let to_date = format!("from={january}&to={today}");
    let scenarios = [
        (
            "units: all × last 365 days",
            format!("/reports/units?{year}"),
        ),
        (
            "units: one commune × last 365 days",
            format!("/reports/units?{year}&unit={commune}"),
        ),
        (
            "units: all × last calendar year",
            format!("/reports/units?{calendar_year}"),
        ),
        (
            "units: all × 335 days from mid-month",
            format!("/reports/units?{ragged}"),
        ),
        (
            "units: all × year to date (judged now)",
            format!("/reports/units?{to_date}"),
        ),
        (
            "indicators: all × last 365 days",
            format!("/reports/indicators?{year}"),
        ),
        (
            "procedures: one commune × last 365 days",
            format!("/reports/procedures?{year}&unit={commune}"),
        ),
        (
            "procedures: all × last 365 days",
            format!("/reports/procedures?{year}"),
        ),
        (
            "procedures: all × 335 days from mid-month",
            format!("/reports/procedures?{ragged}"),
        ),
    ];
    Ok(scenarios
        .iter()
        .map(|(name, path)| {
            let request = [get(path.clone(), &token)];
            // One untimed request warms the caches.
            drive(
                &client,
                name,
                &request,
                1,
                Mode::Closed { clients: 1 },
                3600.0,
                None,
            );
            let clients = concurrency.max(1);
            let mode = Mode::Closed { clients };
            drive(&client, name, &request, requests, mode, 3600.0, None).0
        })
        .collect())
}
/// Submission throughput with and without the report aggregates (medians of the rounds), and
/// the ratio of each pair of rounds (median, lowest, highest).
#[derive(Debug, Clone)]
pub struct Throughput {
    pub name: String,
    pub with_aggregates: f64,
    pub without: f64,
    pub ratio: f64,
    pub ratio_range: (f64, f64),
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

impl std::fmt::Display for Throughput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<20} with aggregates {:>6.0}/s  without {:>6.0}/s  ratio {:>5.1}% (rounds {:.1}%–{:.1}%)",
            self.name,
            self.with_aggregates,
            self.without,
            100.0 * self.ratio,
            100.0 * self.ratio_range.0,
            100.0 * self.ratio_range.1
        )
    }
}

/// What one thread submits: as whom, and the request.
struct Submitter {
    who: Principal,
    account: store::accounts::Account,
    body: serde_json::Value,
}

impl Submitter {
    fn new(account: store::accounts::Account, body: serde_json::Value) -> Result<Self, String> {
        Ok(Submitter {
            who: Principal::of_account(Some(&account), None).map_err(|e| e.detail)?,
            account,
            body,
        })
    }
}

/// One round: `count` intakes, shared among the submitters (one thread each); dossiers per
/// second. With the aggregates, a thread merges their deltas into the buckets as the server
/// does (every `MOTCUA_REPORT_MERGE_MS`), and the time counted ends with the last merge.
/// Dossiers stored without their aggregates get them afterwards, untimed, so that the database
/// stays whole.
fn round(
    pool: &Pool,
    config: &Config,
    submitters: &[Submitter],
    count: usize,
    aggregates: bool,
) -> Result<f64, String> {
    let started = Instant::now();
    let per_thread = count.div_ceil(submitters.len().max(1));
    let submitting = std::sync::atomic::AtomicBool::new(true);
    let merge = || -> Result<(), String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        store::reports::merge(&mut conn).map_err(|e| e.to_string())?;
        Ok(())
    };
    let results: Vec<Result<Vec<store::dossiers::Dossier>, String>> = std::thread::scope(|scope| {
        let merger = aggregates.then(|| {
            scope.spawn(|| -> Result<(), String> {
                let every = Duration::from_millis(config.report_merge_ms);
                let mut last = Instant::now();
                while submitting.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(5));
                    if last.elapsed() >= every {
                        merge()?;
                        last = Instant::now();
                    }
                }
                merge()
            })
        });
        let handles: Vec<_> = submitters
            .iter()
            .map(|s| {
                scope.spawn(move || -> Result<Vec<store::dossiers::Dossier>, String> {
                    let mut conn = pool.get().map_err(|e| e.to_string())?;
                    let mut untracked = Vec::new();
                    for _ in 0..per_thread {
                        let body: CreateDossier =
                            serde_json::from_value(s.body.clone()).map_err(|e| e.to_string())?;
                        let now = db::now().and_utc();
                        let intake = intake(&mut conn, &s.who, &s.account, body, config, now)
                            .map_err(|e| format!("{}: {}", e.code, e.detail))?;
                        db::write(&mut conn, |conn| {
                            if aggregates {
                                store::dossiers::insert(conn, intake)?;
                            } else {
                                untracked.push(store::dossiers::insert_rows(conn, intake)?.0);
                            }
                            Ok::<_, ApiError>(())
                        })
                        .map_err(|e| format!("{}: {}", e.code, e.detail))?;
                    }
                    Ok(untracked)
                })
            })
            .collect();
        let mut results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect();
        submitting.store(false, std::sync::atomic::Ordering::Relaxed);
        if let Some(merger) = merger {
            let merged = merger
                .join()
                .unwrap_or_else(|_| Err("the merger panicked".into()));
            results.push(merged.map(|()| Vec::new()));
        }
        results
    });
    let rate = (per_thread * submitters.len().max(1)) as f64 / started.elapsed().as_secs_f64();
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    for untracked in results {
        for dossier in untracked? {
            db::write(&mut conn, |conn| {
                store::reports::track_inserted(conn, &dossier, config.time_zone)
            })
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(rate)
}

/// Measures online submissions (a seeded citizen) and desk intakes (seeded reception officers),
/// each thread at its own commune as writers at different units are, `rounds` times each way,
/// alternating; keeps each way's best round.
pub fn submissions(
    pool: &Pool,
    config: &Config,
    count: usize,
    concurrency: usize,
    rounds: usize,
) -> Result<Vec<Throughput>, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let citizen = store::accounts::first_with_role(&mut conn, Role::Citizen)
        .map_err(|e| e.to_string())?
        .ok_or("no citizen: seed the database first")?;
    let citizen = store::accounts::find(&mut conn, citizen)
        .map_err(|e| e.to_string())?
        .ok_or("no citizen: seed the database first")?;
    let (mut online, mut desk) = (Vec::new(), Vec::new());
    for n in 0..concurrency.max(1) {
        // Officials 0 to 2 are at the province and its first district: take communes.
        let name = format!("bench.reception.{}", n + 2);
        let reception = store::accounts::find_by_username(&mut conn, &name)
            .map_err(|e| e.to_string())?
            .ok_or(format!("no {name}: seed the database first"))?;
        let unit = reception
            .unit_id
            .ok_or("the reception officer has no unit")?;
        let procedures = store::procedures::list(
            &mut conn,
            &store::procedures::ProcedureFilter {
                unit_id: Some(unit),
                online_service: Some(crate::domain::procedures::OnlineService::Full),
                ..Default::default()
            },
            store::Page {
                limit: 1,
                after: None,
            },
        )
        .map_err(|e| e.to_string())?;
        let procedure: Id = procedures
            .0
            .first()
            .map(|p| p.procedure.id)
            .ok_or("no online procedure at the unit")?;
        online.push(Submitter::new(
            citizen.clone(),
            serde_json::json!({"procedure_id": procedure, "channel": Channel::Online,
                "receiving_unit_id": unit}),
        )?);
        desk.push(Submitter::new(
            reception,
            serde_json::json!({"procedure_id": procedure, "channel": Channel::InPerson,
                "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"}}),
        )?);
    }
    drop(conn);
    let mut out = Vec::new();
    for (name, submitters) in [("online submission", &online), ("desk intake", &desk)] {
        // Pairs of rounds, without then with, so that drift of the machine (checkpoints,
        // autovacuum, the other core's load) hits both alike; medians of each.
        let (mut with, mut without, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds.max(1) {
            let base = round(pool, config, submitters, count, false)?;
            let full = round(pool, config, submitters, count, true)?;
            without.push(base);
            with.push(full);
            ratios.push(full / base);
        }
        out.push(Throughput {
            name: name.to_string(),
            with_aggregates: median(&mut with),
            without: median(&mut without),
            ratio: median(&mut ratios),
            ratio_range: (
                ratios.iter().copied().fold(f64::MAX, f64::min),
                ratios.iter().copied().fold(0.0, f64::max),
            ),
        });
    }
    Ok(out)
}
