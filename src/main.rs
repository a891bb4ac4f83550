//! The `motcua` command: serve (the default), migrate, print the OpenAPI document, manage accounts.

use clap::{Parser, Subcommand};

/// mimalloc keeps the server's memory flat under load: glibc's allocator grows an arena per
/// busy thread and returns little of it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use motcua::config::Config;
use motcua::domain::accounts::{check_password, Role};
use motcua::id::Id;
use motcua::startup::{self, Application};

#[derive(Parser)]
#[command(name = "motcua", version, about = "The one-stop shop backend")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Import data from a former system.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Benchmarks: generate data, measure (see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Load sample data.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The report aggregates.
    Reports {
        #[command(subcommand)]
        command: ReportsCommand,
    },
    /// The stored files.
    Files {
        #[command(subcommand)]
        command: FilesCommand,
    },
}

#[derive(Subcommand)]
enum FilesCommand {
    /// Check that every content a file or document names is stored (exits 1 if not), and count
    /// the stored contents no row names (left by interrupted uploads).
    Check {
        /// Remove the contents no row names.
        #[arg(long)]
        remove_orphans: bool,
        /// With --remove-orphans, only those older than this (an upload in flight stores its
        /// content a moment before its row).
        #[arg(long, default_value_t = 60)]
        grace_minutes: i64,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Legacy dossiers, one JSON object per line (NDJSON): all or nothing.
    Dossiers {
        /// The file to import.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Fill an empty database with a realistic population of units, procedures, accounts and
    /// dossiers with their histories and aggregates.
    Seed {
        #[arg(long, default_value_t = 100_000)]
        dossiers: u64,
        #[arg(long, default_value_t = 300)]
        units: u64,
        #[arg(long, default_value_t = 2)]
        years: u32,
        /// The random generator's seed.
        #[arg(long, default_value_t = 766)]
        seed: u64,
    },
    /// Latency of the report endpoints of a running service on a seeded database.
    Reports {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
    },
    /// Drive a running service over loopback HTTP (closed loop by default, open loop with
    /// --rate) and print throughput, latency percentiles, errors and the server's peak RSS.
    Run {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The scenarios, in order (all of them when none is given).
        #[arg(long = "scenario", value_enum)]
        scenarios: Vec<motcua::bench::load::Scenario>,
        /// Closed loop: this many clients sending back to back.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Open loop: a fixed arrival rate (requests per second) instead of a closed loop.
        #[arg(long)]
        rate: Option<f64>,
        /// Open loop: the most requests in flight.
        #[arg(long, default_value_t = 64)]
        workers: usize,
        /// How long each scenario runs.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// The server's process id, to watch its resident memory.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Run this scenario beside each one measured (e.g. writes while reads are measured),
        /// closed loop with --beside-clients.
        #[arg(long, value_enum)]
        beside: Option<motcua::bench::load::Scenario>,
        #[arg(long, default_value_t = 4)]
        beside_clients: usize,
    },
    /// Online submission, desk intake and receipt (and on PostgreSQL a `GET` of a dossier) over
    /// HTTP against the database running the same statements with as many clients: on
    /// PostgreSQL, pgbench on the statements captured from its log; on SQLite, a replay in this
    /// process of the statements recorded from the service (started here on the same database).
    Baseline {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The PostgreSQL server's log file (its statements are captured from it); PostgreSQL
        /// only.
        #[arg(long)]
        pg_log: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        #[arg(long)]
        server_pid: Option<u32>,
        /// Where the pgbench scripts are written.
        #[arg(long, default_value = "target/bench")]
        work_dir: std::path::PathBuf,
        /// SQLite only: rounds of each scenario, each the replay then the HTTP run; the
        /// medians follow (default 3).
        #[arg(long)]
        rounds: Option<usize>,
    },
    /// The client of scripts/crash-test: submits and receives dossiers, retrying what got no
    /// answer with the same Idempotency-Key while the service is killed and restarted.
    Crash {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 500)]
        count: usize,
        /// Distinguishes this run's Idempotency-Keys.
        #[arg(long, default_value = "crash")]
        run: String,
        /// Where acknowledged dossiers are written, one id per line.
        #[arg(long)]
        journal: std::path::PathBuf,
    },
    /// Throughput of online submissions and desk intakes, with and without the report
    /// aggregates, on a seeded database.
    Submissions {
        #[arg(long, default_value_t = 2000)]
        count: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long, default_value_t = 6)]
        rounds: usize,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// A small province into an empty database: units, officials (their credentials are
    /// printed), procedures, this year's holidays, the online discount and a year of dossiers.
    Demo {
        #[arg(long, default_value_t = 4000)]
        dossiers: u64,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every dossier's hash-chained history; exits 1 and names the first broken link of
    /// each dossier whose history was changed.
    Verify,
}

#[derive(Subcommand)]
enum ReportsCommand {
    /// Recompute every aggregate from the raw dossiers (in one transaction).
    Rebuild,
    /// Compare the aggregates with a recomputation from the raw dossiers; exits 1 on a difference.
    Check,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an official's or administrator's account.
    CreateAccount {
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        /// admin, reception, specialist, leader or supervisor.
        #[arg(long)]
        role: String,
        /// The unit's id (required for reception, specialist and leader).
        #[arg(long)]
        unit_id: Option<Id>,
        /// The password; read from MOTCUA_NEW_PASSWORD when not given.
        #[arg(long, env = "MOTCUA_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

/// mimalloc keeps freed pages a second (`purge_delay`, 1,000 ms) before it returns them: after
/// a burst of all-units reports (about 28 MB each) the server's RSS stood 60–80 MiB above what
/// it used (225 MiB with eight report clients; 166 MiB with 10 ms, no throughput lost in the
/// measurements, BENCHMARKS.md). 10 ms, unless `MIMALLOC_PURGE_DELAY` says otherwise.
fn return_freed_memory_soon() {
    // `mi_option_purge_delay`: 15 in `mi_option_e` of mimalloc.h, whose order is kept for the
    // ABI; libmimalloc-sys has no constant for it. Left alone unless it has v3's default.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: reads and sets one of mimalloc's options by its index; mimalloc allows this at
    // any time.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == 1_000 {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 10);
        }
    }
}

/// libpq, in C, allocates its results with glibc's `malloc`, not mimalloc. By default glibc
/// maps a large result's memory afresh and unmaps it when freed, and trims a thread's arena
/// down after each: an all-units report then spent a fifth of the server's CPU in the kernel,
/// zeroing pages for libpq (32–33 ms of CPU a report, 25–26 ms with these settings,
/// BENCHMARKS.md). Results up to 32 MiB come from the arenas, which give back memory only
/// when more than 64 MiB of it is free at their top.
fn keep_result_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets two of glibc's allocator parameters; it may be called at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

fn main() {
    return_freed_memory_soon();
    keep_result_pages();
    let cli = Cli::parse();
    if let Err(message) = run(cli) {
        eprintln!("motcua: {message}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            print!("{}", motcua::openapi::document_json());
            Ok(())
        }
        Command::Serve => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(config)?;
                app.run_until_stopped().await.map_err(|e| e.to_string())
            })
        }
        Command::Migrate => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            startup::open(&config)?;
            println!("migrations applied");
            Ok(())
        }
        Command::Import {
            command: ImportCommand::Dossiers { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let admin = motcua::store::accounts::first_with_role(&mut conn, Role::Admin)
                .map_err(|e| e.to_string())?
                .ok_or("no administrator account: start the service once first")?;
            match motcua::api::imports::import(&mut conn, &config, admin, &text) {
                Ok(n) => {
                    println!("imported {n} dossiers");
                    Ok(())
                }
                Err(e) => {
                    for error in &e.errors {
                        eprintln!("{}: {} ({})", error.field, error.message, error.code);
                    }
                    Err(e.detail)
                }
            }
        }
        Command::Bench {
            command:
                BenchCommand::Seed {
                    dossiers,
                    units,
                    years,
                    seed,
                },
        } => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            let options = motcua::bench::seed::Options {
                dossiers,
                units,
                years,
                seed,
                province: None,
                holidays: Vec::new(),
            };
            let s = motcua::bench::seed::seed(&pool, &config, &options)?;
            // On PostgreSQL only (bench::bulk).
            let deferred = if s.restore_seconds > 0.0 {
                format!(
                    "; of which {:.1} s making indexes and foreign keys after the load",
                    s.restore_seconds
                )
            } else {
                String::new()
            };
            println!(
                "seeded {} units, {} procedures, {} accounts, {} dossiers, {} events, {} buckets in {:.1} s ({:.0} dossiers/s{deferred})",
                s.units,
                s.procedures,
                s.accounts,
                s.dossiers,
                s.events,
                s.buckets,
                s.seconds,
                s.dossiers as f64 / s.seconds.max(0.001),
            );
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::Reports {
                    url,
                    requests,
                    concurrency,
                },
        } => {
            for figures in motcua::bench::measure::reports(&url, requests, concurrency)? {
                println!("{figures}");
            }
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::Run {
                    url,
                    scenarios,
                    clients,
                    rate,
                    workers,
                    seconds,
                    server_pid,
                    beside,
                    beside_clients,
                },
        } => {
            use motcua::bench::load::{self, Mode, Scenario};
            let client = load::Client::new(&url);
            let mode = match rate {
                Some(rate) => Mode::Open { rate, workers },
                None => Mode::Closed { clients },
            };
            let scenarios = if scenarios.is_empty() {
                Scenario::ALL.to_vec()
            } else {
                scenarios
            };
            for scenario in scenarios {
                match beside {
                    None => println!(
                        "{}",
                        load::run(&client, scenario, mode, seconds, server_pid)?
                    ),
                    Some(other) => {
                        let other_mode = Mode::Closed {
                            clients: beside_clients,
                        };
                        let (measured, alongside) = load::run_alongside(
                            &client,
                            (scenario, mode),
                            (other, other_mode),
                            seconds,
                            server_pid,
                        )?;
                        println!("{measured}\n  beside: {alongside}");
                    }
                }
            }
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::Baseline {
                    url,
                    pg_log,
                    clients,
                    seconds,
                    server_pid,
                    work_dir,
                    rounds,
                },
        } => {
            let config = Config::load()?;
            let client = motcua::bench::load::Client::new(&url);
            match motcua::db::Backend::from_url(&config.database_url) {
                motcua::db::Backend::Postgres => {
                    let pg_log = pg_log.ok_or("--pg-log is needed on PostgreSQL")?;
                    if rounds.is_some() {
                        return Err("--rounds is for SQLite: PostgreSQL runs one".into());
                    }
                    let options = motcua::bench::baseline::Options {
                        database_url: &config.database_url,
                        pg_log: &pg_log,
                        clients,
                        seconds,
                        server_pid,
                        work_dir: &work_dir,
                    };
                    motcua::bench::baseline::compare(&client, &options)
                }
                motcua::db::Backend::Sqlite => {
                    let options = motcua::bench::sqlite_baseline::Options {
                        clients,
                        seconds,
                        rounds: rounds.unwrap_or(3),
                        server_pid,
                    };
                    motcua::bench::sqlite_baseline::compare(&client, &config, &options)
                }
            }
        }
        Command::Bench {
            command:
                BenchCommand::Crash {
                    url,
                    count,
                    run,
                    journal,
                },
        } => {
            let client = motcua::bench::load::Client::new(&url);
            let o = motcua::bench::crash::run(&client, count, &run, &journal)?;
            println!(
                "acknowledged {} submissions and {} receipts ({} found received after a crash), {} requests retried, {} read back received; {} uploads acknowledged, {} read back intact",
                o.submitted, o.received, o.received_before_crash, o.retries, o.verified, o.uploaded, o.files_verified
            );
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::Submissions {
                    count,
                    concurrency,
                    rounds,
                },
        } => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            for figures in
                motcua::bench::measure::submissions(&pool, &config, count, concurrency, rounds)?
            {
                println!("{figures}");
            }
            Ok(())
        }
        Command::Seed {
            command: SeedCommand::Demo { dossiers },
        } => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            let s = motcua::bench::demo::load(&pool, &config, dossiers)?;
            println!(
                "loaded a demo province: {} units, {} procedures, {} accounts, {} dossiers",
                s.units, s.procedures, s.accounts, s.dossiers
            );
            println!("sign in (POST /api/v1/auth/login, or the form at /dashboard) as:");
            for line in motcua::bench::demo::credentials() {
                println!("  {line}");
            }
            println!("  admin                (MOTCUA_ADMIN_PASSWORD, or the one logged at the first start)");
            Ok(())
        }
        Command::Files {
            command:
                FilesCommand::Check {
                    remove_orphans,
                    grace_minutes,
                },
        } => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            let files = startup::file_store(&config)?;
            let grace = remove_orphans.then(|| chrono::Duration::minutes(grace_minutes.max(0)));
            let conn = || pool.get().map_err(|e| e.to_string());
            let named =
                || motcua::store::files::named_contents(&mut *conn()?).map_err(|e| e.to_string());
            let is_named = |digest: &str| {
                motcua::store::files::names(&mut *conn()?, digest).map_err(|e| e.to_string())
            };
            let checked = actix_web::rt::System::new()
                .block_on(async move { files.check(named, is_named, grace).await })
                .map_err(|e| e.to_string())?;
            for path in checked.foreign.iter().take(20) {
                println!("not ours (left alone): {path}");
            }
            for digest in checked.missing.iter().take(20) {
                println!("missing: {digest}");
            }
            println!(
                "{} stored objects; {} contents named by rows are missing; {} orphans, {} removed",
                checked.stored,
                checked.missing.len(),
                checked.orphans,
                checked.removed
            );
            if checked.missing.is_empty() {
                Ok(())
            } else {
                Err("rows name contents the store does not have: see above".into())
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let verified = motcua::store::audit::verify(&mut conn).map_err(|e| e.to_string())?;
            for b in verified.broken.iter().take(20) {
                println!(
                    "broken: dossier {} at entry {}: {}",
                    b.dossier_id, b.seq, b.reason
                );
            }
            println!(
                "checked {} dossiers and {} history entries ({} from before the chain): {} broken",
                verified.dossiers,
                verified.events,
                verified.unsealed,
                verified.broken.len()
            );
            if verified.broken.is_empty() {
                Ok(())
            } else {
                Err("the history was changed: see the broken links above".into())
            }
        }
        Command::Reports { command } => {
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let tz = config.time_zone;
            match command {
                ReportsCommand::Rebuild => {
                    let done = motcua::store::reports::rebuild(&mut conn, tz)
                        .map_err(|e| e.to_string())?;
                    println!(
                        "rebuilt the aggregates of {} dossiers: {} buckets",
                        done.dossiers, done.buckets
                    );
                    Ok(())
                }
                ReportsCommand::Check => {
                    let checked =
                        motcua::store::reports::check(&mut conn, tz).map_err(|e| e.to_string())?;
                    for m in checked.mismatches.iter().take(20) {
                        println!(
                            "differs: unit {} procedure {} period {}: stored {:?}, expected {:?}",
                            m.unit, m.procedure, m.period, m.stored, m.expected
                        );
                    }
                    println!(
                        "checked {} dossiers and {} buckets: {} buckets differ, {} tallies stale",
                        checked.dossiers, checked.buckets, checked.differing, checked.stale_tallies
                    );
                    if checked.differing == 0 && checked.stale_tallies == 0 {
                        Ok(())
                    } else {
                        Err("the aggregates differ from the raw dossiers: run `motcua reports rebuild`".into())
                    }
                }
            }
        }
        Command::Admin {
            command:
                AdminCommand::CreateAccount {
                    username,
                    full_name,
                    role,
                    unit_id,
                    password,
                },
        } => {
            let role = Role::parse(&role)
                .filter(|r| r.is_official())
                .ok_or("role must be admin, reception, specialist, leader or supervisor")?;
            if role.requires_unit() && unit_id.is_none() {
                return Err(format!("a {role} needs --unit-id"));
            }
            check_password(&password, &username).map_err(|e| format!("the password {e}"))?;
            let config = Config::load()?;
            motcua::telemetry::init(config.log_format);
            let pool = startup::open(&config)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            startup::create_account(&mut conn, &username, &password, &full_name, role, unit_id)?;
            println!("created {role} account {username}");
            Ok(())
        }
    }
}
