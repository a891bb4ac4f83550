//! `motcua bench seed`: fills an empty database with a realistic population, fast — a unit tree
//! (numbered provinces, districts, communes, or the named province of `motcua seed demo`),
//! procedures with Vietnamese names and their processing times and fees ([`super::catalogue`]),
//! citizens and officials, and dossiers over the last years on every channel (about
//! 56% online) in every state, with their histories, frozen fees, online payments, electronic
//! results and ratings, and the report aggregates that they add up to.
//!
//! Dossiers are generated unit by unit with the service's own calendar arithmetic (appointments,
//! supplements that move them, processing times) and tallied with the same
//! [`crate::domain::tally`] as live writes, so that `motcua reports check` finds the aggregates
//! equal to a recomputation. Rows go in with `COPY` on PostgreSQL and multi-row inserts on
//! SQLite, in one transaction per batch of units; on PostgreSQL the loaded tables' foreign
//! keys and non-unique indexes are made after the load ([`super::bulk`]).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::bulk;
use super::catalogue::{Applied, Entry, BENCH_PROCEDURES, CATALOGUE};
use crate::config::Config;
use crate::db::schema::{
    accounts, documents, dossier_code_counters, dossier_events, dossier_fees, dossier_payments,
    dossier_ratings, dossiers, procedure_components, procedure_fees, procedure_units, procedures,
    units,
};
use crate::db::{self, DbConn, Pool};
use crate::domain::accounts::Role;
use crate::domain::calendar::{SpecialDay, TimeUnit, WorkingCalendar};
use crate::domain::deadline;
use crate::domain::lifecycle::{Channel, Status};
use crate::domain::rating::Satisfaction;
use crate::domain::tally::{Record, Tally};
use crate::id::Id;
use crate::store::accounts::Account;
use crate::store::documents::Document;
use crate::store::dossiers::{Dossier, Event, Rating};
use crate::store::fees::{DossierFee, Payment};
use crate::store::procedures::{Component, Fee, Procedure, ProcedureUnit};
use crate::store::reports::{self, Buckets};
use crate::store::units::Unit;

/// The password of every account the seed creates (`bench.supervisor`, `bench.reception.N`, …,
/// and citizens by national id).
pub const PASSWORD: &str = "Bench-2026!";

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub dossiers: u64,
    /// The size of the numbered tree (provinces of a hundred units); ignored with `province`.
    pub units: u64,
    pub years: u32,
    /// The random generator's seed: the same options give the same population.
    pub seed: u64,
    /// A named province instead of numbered ones: the whole catalogue, each procedure applied
    /// where it is decided (communes, districts, its department), dossiers spread by level, and
    /// each unit with a share of online and of late dossiers of its own, online submission
    /// growing over the period.
    pub province: Option<&'static [UnitSpec]>,
    /// The holidays that appointments and paused time skip.
    pub holidays: Vec<SpecialDay>,
}

/// A unit of a named province.
#[derive(Debug, Clone, Copy)]
pub struct UnitSpec {
    pub code: &'static str,
    pub name: &'static str,
    /// `province`, `department`, `district` or `commune`.
    pub level: &'static str,
    /// The parent's index in the list (which comes before it).
    pub parent: Option<usize>,
}

/// How a unit's dossiers go: the share submitted online (of the procedures offered online) in
/// the middle of the period and its growth over the period, and the share finished late.
#[derive(Debug, Clone, Copy)]
struct Profile {
    online: f64,
    growth: f64,
    late: f64,
}

impl Profile {
    /// The benchmark's: the same in every unit, all period long.
    const EVEN: Profile = Profile {
        online: 0.58,
        growth: 0.0,
        late: 0.1,
    };

    /// The chance that a dossier received at `elapsed` (0 to 1) into the period came online.
    fn online_at(self, elapsed: f64) -> f64 {
        (self.online + self.growth * (elapsed - 0.5)).clamp(0.0, 1.0)
    }
}

/// What was generated, and how long it took.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    pub units: u64,
    pub procedures: u64,
    pub accounts: u64,
    pub dossiers: u64,
    pub events: u64,
    pub buckets: u64,
    pub seconds: f64,
    /// Of which making the indexes and foreign keys deferred during the load ([`bulk`]).
    pub restore_seconds: f64,
}

fn hours(h: f64) -> TimeDelta {
    TimeDelta::seconds((h * 3600.0) as i64)
}

/// One dossier as generated: its row, history and what goes with it.
struct Generated {
    dossier: Dossier,
    events: Vec<Event>,
    fee: Option<DossierFee>,
    payment: Option<Payment>,
    rating: Option<Rating>,
    result: Option<Document>,
}

struct SeedProcedure {
    id: Id,
    fee_id: Id,
    fee_name: &'static str,
    amount: u32,
    unit: TimeUnit,
    fee: i64,
    online: bool,
}

/// The content every seeded electronic result names: one sample PDF, stored once, so that a
/// result can be downloaded and `motcua files check` finds every named content.
struct Sample {
    sha256: String,
    size: i64,
}

impl Sample {
    fn store(config: &Config) -> Result<Sample, String> {
        let bytes =
            b"%PDF-1.4\n% motcua seed: a sample electronic result (generated data)\n%%EOF\n"
                .to_vec();
        let sha256 = crate::storage::digest(&bytes);
        let size = bytes.len() as i64;
        let files = crate::startup::file_store(config)?;
        let key = sha256.clone();
        actix_web::rt::System::new()
            .block_on(async move { files.put(&key, bytes).await })
            .map_err(|e| format!("cannot store the sample result: {e}"))?;
        Ok(Sample { sha256, size })
    }
}

/// Generates and stores the population into an empty database.
pub fn seed(pool: &Pool, config: &Config, opts: &Options) -> Result<Seeded, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let conn = &mut *conn;
    let started = Instant::now();
    if crate::store::dossiers::count(conn).map_err(|e| e.to_string())? > 0 {
        return Err("the database already holds dossiers: seed an empty one".into());
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let now = db::now().and_utc();
    let tz = config.time_zone;
    let calendar = WorkingCalendar::new(tz, config.working_hours.clone(), opts.holidays.clone());
    let hash = crate::auth::password::hash(PASSWORD);
    let mut seeded = Seeded::default();
    let sample = Sample::store(config)?;

    let (tree, entries) = match opts.province {
        Some(spec) => (named_tree(spec, now), CATALOGUE),
        None => (
            unit_tree(opts.units.max(1), now),
            &CATALOGUE[..BENCH_PROCEDURES],
        ),
    };
    // Each province applies its own copy of the catalogue (the national code with the
    // province's unit code): a numbered one in all its units, a named one where each procedure
    // is decided.
    let provinces: Vec<&Unit> = tree.iter().filter(|u| u.parent_id.is_none()).collect();
    let procedures: Vec<(Procedure, Fee, Vec<Component>, &Entry)> = provinces
        .iter()
        .flat_map(|province| catalogue(now, &province.code, entries, opts.province.is_some()))
        .collect();
    let province_of = |unit: &Unit| unit.code[10..].to_string();
    let offered: Vec<Vec<usize>> = tree
        .iter()
        .map(|u| {
            let suffix = province_of(u);
            procedures
                .iter()
                .enumerate()
                .filter(|(_, (p, _, _, e))| {
                    p.code.ends_with(&suffix) && (opts.province.is_none() || applies(e, u))
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let applied: Vec<ProcedureUnit> = tree
        .iter()
        .zip(&offered)
        .flat_map(|(u, list)| {
            list.iter().map(|&i| ProcedureUnit {
                procedure_id: procedures[i].0.id,
                unit_id: u.id,
            })
        })
        .collect();
    let officials: Vec<Account> = tree
        .iter()
        .take(50)
        .enumerate()
        .flat_map(|(i, u)| {
            ["reception", "specialist", "leader"].map(|role| {
                account(
                    &hash,
                    &format!("bench.{role}.{i}"),
                    role,
                    Some(u.id),
                    None,
                    now,
                )
            })
        })
        .chain(std::iter::once(account(
            &hash,
            "bench.supervisor",
            "supervisor",
            None,
            None,
            now,
        )))
        .collect();
    let citizen_count = (opts.dossiers / 20).clamp(100, 500_000);
    let citizens: Vec<Account> = (0..citizen_count)
        .map(|i| {
            let nid = format!("0010{:08}", 90_000_000 + i);
            account(&hash, &nid, "citizen", None, Some(nid.clone()), now)
        })
        .collect();
    db::write(conn, |conn| {
        db::insert_all!(conn, units::table, tree.clone())?;
        let rows: Vec<Procedure> = procedures.iter().map(|(p, ..)| p.clone()).collect();
        db::insert_all!(conn, procedures::table, rows)?;
        let fees: Vec<Fee> = procedures.iter().map(|(_, f, _, _)| f.clone()).collect();
        db::insert_all!(conn, procedure_fees::table, fees)?;
        let components: Vec<Component> = procedures
            .iter()
            .flat_map(|(_, _, c, _)| c.clone())
            .collect();
        db::insert_all!(conn, procedure_components::table, components)?;
        db::insert_all!(conn, procedure_units::table, applied)?;
        db::insert_all!(conn, accounts::table, officials.clone())?;
        db::insert_all!(conn, accounts::table, citizens.clone())
    })
    .map_err(|e: diesel::result::Error| e.to_string())?;
    seeded.units = tree.len() as u64;
    seeded.procedures = procedures.len() as u64;
    seeded.accounts = (officials.len() + citizens.len()) as u64;
    let creator = officials[0].id;
    let seeds: Vec<SeedProcedure> = procedures
        .iter()
        .map(|(p, f, _, e)| SeedProcedure {
            id: p.id,
            fee_id: f.id,
            fee_name: e.fee.0,
            amount: e.amount,
            unit: e.unit,
            fee: e.fee.1,
            online: e.online != "none",
        })
        .collect();
    // Dossiers, unit by unit (each receives and processes its own), stored in batches.
    let window = TimeDelta::days(365 * i64::from(opts.years.max(1)));
    let weights: Vec<u64> = tree
        .iter()
        .zip(&offered)
        .map(|(u, list)| match (opts.province, list.is_empty()) {
            (_, true) => 0,
            (None, false) => 1,
            (Some(_), false) => match u.level.as_str() {
                "district" => 6,
                "commune" => 4,
                _ => 3,
            },
        })
        .collect();
    let counts = shares(opts.dossiers, &weights);
    let profiles: Vec<Profile> = match opts.province {
        None => vec![Profile::EVEN; tree.len()],
        Some(_) => {
            let mut draw = StdRng::seed_from_u64(opts.seed ^ 0x766);
            tree.iter()
                .map(|_| Profile {
                    online: draw.random_range(0.35..0.8),
                    growth: 0.3,
                    late: draw.random_range(0.02..0.2),
                })
                .collect()
        }
    };
    let deferred = bulk::defer(conn, LOADED).map_err(|e| e.to_string())?;
    let mut load = || -> Result<(), String> {
        let mut batch: Vec<Generated> = Vec::new();
        let mut counters: Vec<(Id, String, i32)> = Vec::new();
        // Batches go to writers on connections of their own (two on PostgreSQL, so that the
        // server uses both cores; SQLite has one writer anyway) while the next is generated.
        let writers = if matches!(conn, DbConn::Pg(_)) { 2 } else { 1 };
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(writers);
        let receiver = std::sync::Mutex::new(receiver);
        let next = || Ok(receiver.lock().map_err(|e| e.to_string())?.recv().ok());
        let store = |conn: &mut DbConn, batch: Batch| write(conn, batch).map_err(|e| e.to_string());
        let written: Result<Buckets, String> = std::thread::scope(|scope| {
            let mut all_units = Buckets::new();
            let handles = bulk::workers(scope, pool, writers, &next, &store);
            for (index, unit) in tree.iter().enumerate() {
                let list = &offered[index];
                let mut sequences: HashMap<String, i32> = HashMap::new();
                for _ in 0..counts[index] {
                    let ago = rng.random_range(3600..window.num_seconds());
                    let received = now - TimeDelta::seconds(ago);
                    let p = &seeds[list[rng.random_range(0..list.len())]];
                    let citizen = &citizens[rng.random_range(0..citizens.len())];
                    let elapsed = 1.0 - ago as f64 / window.num_seconds() as f64;
                    batch.push(dossier(
                        &mut rng,
                        &calendar,
                        unit,
                        p,
                        profiles[index],
                        elapsed,
                        citizen,
                        received,
                        now,
                        creator,
                        &mut sequences,
                        &sample,
                    ));
                }
                counters.extend(sequences.into_iter().map(|(day, n)| (unit.id, day, n)));
                if batch.len() >= 20_000 || index + 1 == tree.len() {
                    let prepared = prepare(
                        std::mem::take(&mut batch),
                        std::mem::take(&mut counters),
                        tz,
                    );
                    seeded.dossiers += prepared.dossiers.len() as u64;
                    seeded.events += prepared.events.len() as u64;
                    seeded.buckets += prepared.buckets.len() as u64;
                    reports::roll_up_into(&mut all_units, &prepared.buckets);
                    if sender.send(prepared).is_err() {
                        break;
                    }
                }
            }
            drop(sender);
            bulk::join(handles)?;
            Ok(all_units)
        });
        // Each procedure's buckets over all units gather many batches' units: stored at the end.
        let all_units = written?;
        seeded.buckets += all_units.len() as u64;
        db::write(conn, |conn| reports::insert_buckets(conn, &all_units)).map_err(|e| e.to_string())
    };
    // Whether the load succeeds or not, the deferred upkeep is made again.
    match (load(), deferred.restore(pool)) {
        (Ok(()), Ok(seconds)) => seeded.restore_seconds = seconds,
        (Err(e), Ok(_)) | (Ok(()), Err(e)) => return Err(e),
        (Err(load), Err(restore)) => {
            return Err(format!(
                "{load}; then making the indexes and foreign keys again: {restore}"
            ))
        }
    }
    seeded.seconds = started.elapsed().as_secs_f64();
    Ok(seeded)
}

/// The tables that the batches fill ([`write`]): their upkeep is deferred during the load.
const LOADED: &[&str] = &[
    "dossiers",
    "dossier_events",
    "dossier_fees",
    "dossier_payments",
    "dossier_ratings",
    "documents",
    "dossier_code_counters",
    "dossier_tallies",
    "report_buckets",
];

/// A batch of generated rows, ready to store.
struct Batch {
    dossiers: Vec<Dossier>,
    events: Vec<Event>,
    fees: Vec<DossierFee>,
    payments: Vec<Payment>,
    ratings: Vec<Rating>,
    results: Vec<Document>,
    counters: Vec<(Id, String, i32)>,
    tallies: Vec<(Id, Tally)>,
    buckets: Buckets,
}

/// Tallies a batch of units' dossiers and sorts their rows by table.
fn prepare(
    generated: Vec<Generated>,
    counters: Vec<(Id, String, i32)>,
    tz: chrono_tz::Tz,
) -> Batch {
    let tallies: Vec<(Id, Tally)> = generated
        .iter()
        .map(|g| (g.dossier.id, Tally::of(&record(g), tz)))
        .collect();
    let mut buckets = Buckets::new();
    for (_, t) in &tallies {
        reports::accumulate(&mut buckets, t, |_| true);
    }
    let mut batch = Batch {
        dossiers: Vec::with_capacity(generated.len()),
        events: Vec::with_capacity(generated.iter().map(|g| g.events.len()).sum()),
        fees: Vec::new(),
        payments: Vec::new(),
        ratings: Vec::new(),
        results: Vec::new(),
        counters,
        tallies,
        buckets,
    };
    for g in generated {
        batch.dossiers.push(g.dossier);
        batch.events.extend(g.events);
        batch.fees.extend(g.fee);
        batch.payments.extend(g.payment);
        batch.ratings.extend(g.rating);
        batch.results.extend(g.result);
    }
    batch
}

/// Stores a batch in one transaction. Its units are its own: no other batch has their buckets
/// (each procedure's over all units are stored at the end, [`reports::roll_up_into`]).
fn write(conn: &mut DbConn, b: Batch) -> diesel::QueryResult<()> {
    db::write(conn, |conn| {
        db::insert_all!(conn, dossiers::table, b.dossiers)?;
        db::insert_all!(conn, dossier_events::table, b.events)?;
        db::insert_all!(conn, dossier_fees::table, b.fees)?;
        db::insert_all!(conn, dossier_payments::table, b.payments)?;
        db::insert_all!(conn, dossier_ratings::table, b.ratings)?;
        db::insert_all!(conn, documents::table, b.results)?;
        for chunk in b.counters.chunks(500) {
            let values: Vec<_> = chunk
                .iter()
                .map(|(unit, day, n)| {
                    (
                        dossier_code_counters::unit_id.eq(*unit),
                        dossier_code_counters::day.eq(day.clone()),
                        dossier_code_counters::last_sequence.eq(*n),
                    )
                })
                .collect();
            match conn {
                DbConn::Pg(c) => diesel::insert_into(dossier_code_counters::table)
                    .values(values)
                    .execute(c)?,
                DbConn::Sqlite(c) => diesel::insert_into(dossier_code_counters::table)
                    .values(values)
                    .execute(c)?,
            };
        }
        reports::insert_tallies(conn, &b.tallies)?;
        reports::insert_buckets(conn, &b.buckets)
    })
}

fn account(
    hash: &str,
    username: &str,
    role: &str,
    unit: Option<Id>,
    national_id: Option<String>,
    now: DateTime<Utc>,
) -> Account {
    Account {
        id: Id::new(),
        username: username.to_string(),
        password_hash: hash.to_string(),
        full_name: if role == Role::Citizen.as_str() {
            "Nguyễn Văn Dân".to_string()
        } else {
            format!("Cán bộ {username}")
        },
        role: role.to_string(),
        unit_id: unit,
        national_id,
        phone: None,
        email: None,
        disabled: false,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
        token_generation: 0,
    }
}

/// Provinces of a hundred units (the province, 9 districts, 90 communes) until `count`.
fn unit_tree(count: u64, now: DateTime<Utc>) -> Vec<Unit> {
    let at = now.naive_utc();
    let mut out: Vec<Unit> = Vec::new();
    let make = |code: String, name: String, level: &str, parent: Option<&Unit>| {
        let id = Id::new();
        Unit {
            id,
            code,
            name,
            parent_id: parent.map(|p| p.id),
            level: level.to_string(),
            path: format!(
                "{}{}/",
                parent.map_or("/", |p| p.path.as_str()),
                id.to_cursor()
            ),
            created_at: at,
            updated_at: at,
        }
    };
    let mut province_index = 0u32;
    while (out.len() as u64) < count {
        let letter = (b'A' + (province_index / 99 % 26) as u8) as char;
        let number = province_index % 99 + 1;
        let suffix = format!("{letter}{number:02}");
        let province = make(
            format!("000.00.00.{suffix}"),
            format!("UBND tỉnh thử nghiệm {suffix}"),
            "province",
            None,
        );
        out.push(province.clone());
        'districts: for d in 1..=9u32 {
            if out.len() as u64 >= count {
                break;
            }
            let district = make(
                format!("000.00.{d:02}.{suffix}"),
                format!("UBND huyện {d} ({suffix})"),
                "district",
                Some(&province),
            );
            out.push(district.clone());
            for c in 1..=10u32 {
                if out.len() as u64 >= count {
                    break 'districts;
                }
                out.push(make(
                    format!("{c:03}.{d:02}.00.{suffix}"),
                    format!("UBND xã {c}, huyện {d} ({suffix})"),
                    "commune",
                    Some(&district),
                ));
            }
        }
        province_index += 1;
    }
    out
}

/// The catalogue's `entries` as applied in the province with this unit code, with their
/// components or without (the benchmark's load driver submits dossiers without files).
fn catalogue(
    now: DateTime<Utc>,
    province: &str,
    entries: &'static [Entry],
    with_components: bool,
) -> Vec<(Procedure, Fee, Vec<Component>, &'static Entry)> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let id = Id::new();
            let procedure = Procedure {
                id,
                code: format!("1.{:06}.{province}", 1000 + i),
                version: 1,
                is_latest: true,
                name: e.name.to_string(),
                search_text: crate::domain::text::fold(e.name),
                field: e.field.to_string(),
                field_key: crate::domain::text::fold(e.field),
                level: e.applied.level().to_string(),
                processing_amount: e.amount as i32,
                processing_unit: e.unit.as_str().to_string(),
                online_service: e.online.to_string(),
                online_payment: e.fee.1 > 0,
                legal_basis: e.legal_basis.to_string(),
                valid_from: chrono::NaiveDate::from_ymd_opt(2015, 1, 1).expect("a date"),
                valid_to: None,
                created_at: now.naive_utc(),
            };
            let fee = Fee {
                id: Id::new(),
                procedure_id: id,
                position: 1,
                name: e.fee.0.to_string(),
                amount: e.fee.1,
            };
            let listed = if with_components { e.components } else { &[] };
            let components = listed
                .iter()
                .enumerate()
                .map(|(n, name)| Component {
                    id: Id::new(),
                    procedure_id: id,
                    position: n as i32 + 1,
                    name: name.to_string(),
                    mandatory: !name.ends_with("(nếu có)"),
                    digitized_copy_accepted: true,
                })
                .collect();
            (procedure, fee, components, e)
        })
        .collect()
}

/// Whether a named province's unit applies the procedure.
fn applies(e: &Entry, unit: &Unit) -> bool {
    match e.applied {
        Applied::Commune => unit.level == "commune",
        Applied::District => unit.level == "district",
        Applied::Department(group) => unit.level == "department" && &unit.code[7..9] == group,
    }
}

/// `total` split in proportion to `weights`, the remainder one each to the first units.
fn shares(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u64 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut out: Vec<u64> = weights.iter().map(|w| total * w / sum).collect();
    let mut left = total - out.iter().sum::<u64>();
    for (n, w) in out.iter_mut().zip(weights) {
        if left == 0 {
            break;
        }
        if *w > 0 {
            *n += 1;
            left -= 1;
        }
    }
    out
}

/// The units of a named province, in the order given.
fn named_tree(spec: &[UnitSpec], now: DateTime<Utc>) -> Vec<Unit> {
    let at = now.naive_utc();
    let mut out: Vec<Unit> = Vec::with_capacity(spec.len());
    for u in spec {
        let id = Id::new();
        let parent = u.parent.and_then(|i| out.get(i));
        out.push(Unit {
            id,
            code: u.code.to_string(),
            name: u.name.to_string(),
            parent_id: parent.map(|p| p.id),
            level: u.level.to_string(),
            path: format!(
                "{}{}/",
                parent.map_or("/", |p| p.path.as_str()),
                id.to_cursor()
            ),
            created_at: at,
            updated_at: at,
        });
    }
    out
}

/// One dossier's life: channel, the clock and the states it went through, generated with the
/// calendar arithmetic of live dossiers.
#[allow(clippy::too_many_arguments)]
fn dossier(
    rng: &mut StdRng,
    calendar: &WorkingCalendar,
    unit: &Unit,
    p: &SeedProcedure,
    profile: Profile,
    elapsed: f64,
    citizen: &Account,
    received: DateTime<Utc>,
    now: DateTime<Utc>,
    creator: Id,
    sequences: &mut HashMap<String, i32>,
    sample: &Sample,
) -> Generated {
    let id = Id::new();
    let online = p.online && rng.random_bool(profile.online_at(elapsed));
    let channel = if online {
        Channel::Online
    } else if rng.random_bool(0.9) {
        Channel::InPerson
    } else {
        Channel::Postal
    };
    let submitted = online.then(|| received - hours(rng.random_range(0.1..20.0)));
    let mut events: Vec<(Status, &str, DateTime<Utc>)> = Vec::new();
    let mut status;
    let (mut received_at, mut due_at, mut finished_at, mut overdue_at) = (None, None, None, None);
    let (mut paused_at, mut paused_seconds, mut supplements, mut worked) = (None, 0i64, 0, None);
    let draw: f64 = rng.random();
    if online && draw < 0.02 {
        // Refused at the desk.
        status = Status::Refused;
        let at = submitted.unwrap_or(received) + hours(1.0);
        finished_at = Some(at);
        events.push((Status::Submitted, "submit", submitted.unwrap_or(received)));
        events.push((Status::Refused, "refuse", at));
    } else if online && draw < 0.035 {
        // Still waiting at the desk: submitted in the last two days.
        status = Status::Submitted;
        let at = now - hours(rng.random_range(0.5..48.0));
        events.push((Status::Submitted, "submit", at));
        return finish(
            id,
            unit,
            p,
            citizen,
            channel,
            status,
            Some(at),
            calendar,
            None,
            None,
            None,
            None,
            None,
            0,
            0,
            None,
            events,
            creator,
            now,
            rng,
            sequences,
            sample,
        );
    } else {
        if let Some(at) = submitted {
            events.push((Status::Submitted, "submit", at));
            events.push((Status::Received, "receive", received));
        } else {
            events.push((Status::Received, "record", received));
        }
        received_at = Some(received);
        let mut due = calendar.deadline(received, p.amount, p.unit).due_at;
        let transfer = received + hours(0.2);
        events.push((Status::Processing, "transfer", transfer));
        status = Status::Processing;
        overdue_at = Some(due);
        // Supplements: 12% one, 1.5% two (the late mark).
        let pauses = match rng.random::<f64>() {
            x if x < 0.015 => 2,
            x if x < 0.135 => 1,
            _ => 0,
        };
        let mut cursor = transfer;
        for n in 0..pauses {
            let span = (due - cursor).num_seconds().max(7200) as f64 / 3600.0;
            let requested = cursor + hours(rng.random_range(1.0..span * 0.5 + 1.0));
            if requested > now {
                break;
            }
            events.push((Status::SupplementRequested, "request_supplement", requested));
            supplements += 1;
            if supplements > 1 {
                overdue_at = Some(overdue_at.map_or(requested, |o| o.min(requested)));
            } else if requested <= due {
                overdue_at = None;
            }
            let supplied = requested + hours(rng.random_range(2.0..60.0));
            if supplied > now {
                status = Status::SupplementRequested;
                paused_at = Some(requested);
                break;
            }
            let paused = deadline::elapsed(calendar, p.unit, requested, supplied);
            paused_seconds += paused;
            due = deadline::extend(calendar, p.unit, due, paused);
            if n == 0 && overdue_at.is_none() {
                overdue_at = Some(due);
            }
            events.push((Status::Processing, "supplement", supplied));
            cursor = supplied;
        }
        due_at = Some(due);
        if status == Status::Processing {
            // Early (70% in the benchmark), on the appointment day (20%) or late (10%).
            let end = match rng.random::<f64>() {
                x if x < 0.8 - profile.late => {
                    let span = (due - cursor).num_seconds().max(3600);
                    cursor + TimeDelta::seconds(rng.random_range(span / 5..span * 7 / 10 + 1))
                }
                x if x < 1.0 - profile.late => {
                    (due - hours(rng.random_range(0.0..3.0))).max(cursor + hours(0.5))
                }
                _ => due + hours(rng.random_range(1.0..240.0)),
            };
            if end <= now {
                let stopped = rng.random_bool(0.03);
                finished_at = Some(end);
                worked = Some(
                    (deadline::elapsed(calendar, p.unit, received, end) - paused_seconds).max(0),
                );
                if stopped {
                    status = Status::Stopped;
                    events.push((Status::Stopped, "stop", end));
                } else {
                    events.push((Status::Processed, "approve", end));
                    status = Status::Processed;
                    let handed = end + hours(rng.random_range(0.5..30.0));
                    if handed <= now && rng.random_bool(0.97) {
                        status = Status::Returned;
                        events.push((Status::Returned, "return_result", handed));
                    }
                }
            }
        }
    }
    finish(
        id,
        unit,
        p,
        citizen,
        channel,
        status,
        submitted,
        calendar,
        received_at,
        due_at,
        finished_at,
        overdue_at,
        paused_at,
        paused_seconds,
        supplements,
        worked,
        events,
        creator,
        now,
        rng,
        sequences,
        sample,
    )
}

/// The rows of a generated dossier.
#[allow(clippy::too_many_arguments)]
fn finish(
    id: Id,
    unit: &Unit,
    p: &SeedProcedure,
    citizen: &Account,
    channel: Channel,
    status: Status,
    submitted: Option<DateTime<Utc>>,
    calendar: &WorkingCalendar,
    received_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    overdue_at: Option<DateTime<Utc>>,
    paused_at: Option<DateTime<Utc>>,
    paused_seconds: i64,
    supplements: i32,
    worked: Option<i64>,
    events: Vec<(Status, &str, DateTime<Utc>)>,
    creator: Id,
    now: DateTime<Utc>,
    rng: &mut StdRng,
    sequences: &mut HashMap<String, i32>,
    sample: &Sample,
) -> Generated {
    let naive = |t: Option<DateTime<Utc>>| t.map(|t| t.naive_utc());
    let online = channel == Channel::Online;
    let code = received_at.map(|r| {
        let day = r.with_timezone(&calendar.tz()).format("%y%m%d").to_string();
        let n = sequences.entry(day.clone()).or_insert(0);
        *n += 1;
        format!("{}-{day}-{:04}", unit.code, n)
    });
    let nid = citizen.national_id.clone().unwrap_or_default();
    let first = events.first().map_or(now, |e| e.2);
    let last = events.last().map_or(now, |e| e.2);
    let dossier = Dossier {
        id,
        code: code.clone(),
        procedure_id: p.id,
        channel: channel.as_str().to_string(),
        status: status.as_str().to_string(),
        receiving_unit_id: unit.id,
        processing_unit_id: unit.id,
        applicant_account_id: online.then_some(citizen.id),
        applicant_national_id: nid.clone(),
        applicant_full_name: citizen.full_name.clone(),
        applicant_phone: None,
        applicant_email: None,
        applicant_address: None,
        submitted_at: naive(submitted),
        reception_due_at: naive(submitted.map(|s| deadline::reception_due(calendar, s))),
        received_at: naive(received_at),
        due_at: naive(due_at),
        apology_due_at: None,
        paused_at: naive(paused_at),
        paused_seconds,
        supplement_requests: supplements,
        resume_status: paused_at.map(|_| Status::Processing.as_str().to_string()),
        assigned_specialist_id: None,
        draft_submitted: finished_at.is_some(),
        step_index: 0,
        step_started_at: naive(received_at),
        step_paused_base: 0,
        finished_at: naive(finished_at),
        version: events.len() as i32,
        created_by: creator,
        created_at: first.naive_utc(),
        updated_at: last.naive_utc(),
        overdue_at: naive(overdue_at),
        processing_seconds: worked,
    };
    let mut from: Option<Status> = None;
    let mut events = events
        .iter()
        .enumerate()
        .map(|(i, (to, action, at))| {
            let event = Event {
                id: Id::new(),
                dossier_id: id,
                seq: i as i32 + 1,
                action: action.to_string(),
                actor_id: None,
                from_status: from.map(|f| f.as_str().to_string()),
                to_status: to.as_str().to_string(),
                note: None,
                details: "{}".to_string(),
                step_name: None,
                step_due_at: None,
                step_timeliness: None,
                at: at.naive_utc(),
                hash: Vec::new(),
            };
            from = Some(*to);
            event
        })
        .collect::<Vec<_>>();
    crate::store::audit::chain(&mut events, &[]);
    let charged = if online { p.fee / 2 } else { p.fee };
    let fee = (p.fee > 0).then(|| DossierFee {
        dossier_id: id,
        position: 1,
        fee_item_id: p.fee_id,
        name: p.fee_name.to_string(),
        base_amount: p.fee,
        charged_amount: charged,
        policies: "[]".to_string(),
    });
    let payment =
        (online && received_at.is_some() && charged > 0 && rng.random_bool(0.6)).then(|| {
            let at = received_at.unwrap_or(now) + hours(1.0);
            Payment {
                id: Id::new(),
                dossier_id: id,
                amount: charged,
                method: "online".to_string(),
                receipt_number: None,
                transaction_id: Some(format!("GD{}", id.to_cursor())),
                paid_at: at.min(now).naive_utc(),
                recorded_by: None,
                created_at: at.min(now).naive_utc(),
            }
        });
    let returned = status == Status::Returned;
    let result = (returned && rng.random_bool(0.6)).then(|| Document {
        id: Id::new(),
        owner_national_id: nid.clone(),
        kind: "result".to_string(),
        title: "Kết quả giải quyết".to_string(),
        issuing_unit_id: Some(unit.id),
        issued_on: last.with_timezone(&calendar.tz()).date_naive(),
        valid_until: None,
        sha256: sample.sha256.clone(),
        content_type: "application/pdf".to_string(),
        size: sample.size,
        code: code.as_ref().map(|c| format!("{c}-KQ1")),
        result_number: None,
        procedure_id: Some(p.id),
        source_dossier_id: Some(id),
        source_component_id: None,
        signature: None,
        signing_key_id: None,
        digitized_by: Some(creator),
        digitized_at: last.naive_utc(),
    });
    let rating = (returned && rng.random_bool(0.3)).then(|| Rating {
        dossier_id: id,
        rating: match rng.random::<f64>() {
            x if x < 0.8 => Satisfaction::Satisfied,
            x if x < 0.95 => Satisfaction::Normal,
            _ => Satisfaction::Dissatisfied,
        }
        .as_str()
        .to_string(),
        comment: None,
        rated_at: (last + hours(2.0)).min(now).naive_utc(),
    });
    Generated {
        dossier,
        events,
        fee,
        payment,
        rating,
        result,
    }
}

/// What the reports see of a generated dossier (as `store::reports::records` reads it back).
fn record(g: &Generated) -> Record {
    reports::record_of(
        &g.dossier,
        reports::Extras {
            reused: false,
            // Generated dossiers list no components (their papers are not modelled): one with an
            // electronic result is wholly digitized.
            digitized: g.result.is_some(),
            results_issued: i32::from(g.result.is_some()),
            first_result_at: g.result.as_ref().map(|r| r.digitized_at.and_utc()),
            charged_vnd: g.fee.as_ref().map_or(0, |f| f.charged_amount),
            base_vnd: g.fee.as_ref().map_or(0, |f| f.base_amount),
            paid_online: g.payment.is_some(),
            rating: g
                .rating
                .as_ref()
                .and_then(|r| Satisfaction::parse(&r.rating).map(|s| (s, r.rated_at.and_utc()))),
        },
    )
}
