//! What the database itself can do with the statements of a request (`motcua bench
//! baseline`), on PostgreSQL: the SQL that the service runs for an online submission, a desk
//! intake, a receipt and a `GET` of a dossier is captured from PostgreSQL's own statement log
//! while the service serves a few real requests, turned into a `pgbench` script, and run by
//! `pgbench` with as many clients as the HTTP run; each HTTP figure is printed as a ratio to it.
//!
//! The replayed transaction is the captured one, statement for statement (the pool's
//! connection check and the token's account look-up included), with its values as literals,
//! except:
//! - ids created by the request (UUIDv7 ids stamped at or after the request was sent) become
//!   fresh random 16-byte ids, and the dossier's new code a fresh string, so that each
//!   transaction inserts new rows as the service does;
//! - the dossier acted on (a receipt's) comes from a queue of submitted dossiers, one per
//!   transaction, read with one indexed `SELECT … \gset` (the only statement added).
//!
//! One request is replayed for each of the communes the HTTP run uses (the capture with the
//! fewest statements of [`CAPTURES`] there), and pgbench picks among the scripts at random, so
//! both spread their writes over the same units.
//!
//! On SQLite the same command records the statements through diesel's instrumentation and
//! replays them in process instead ([`super::sqlite_baseline`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::{Connection, PgConnection, RunQueryDsl};

use super::load::{self, Client, Figures, Mode, Request, Scenario};

/// Requests captured per commune, of which the one with the fewest statements is replayed: the
/// server's background work (the report merge, the notification worker) may log statements
/// during a capture, and only ever adds some.
const CAPTURES: usize = 3;

/// One statement as PostgreSQL logged it: its text and its parameters' values (`None` for
/// NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// The statements of a PostgreSQL log excerpt (`log_statement = 'all'`, the default
/// `log_line_prefix`): `execute <name>: …` and `statement: …` entries with the
/// `DETAIL:  parameters: …` line that follows, continuation lines joined.
pub fn parse_log(text: &str) -> Vec<Logged> {
    let mut entries: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('\t') {
            if let Some(last) = entries.last_mut() {
                last.push('\n');
                last.push_str(rest);
            }
        } else {
            entries.push(line.to_string());
        }
    }
    let mut out: Vec<Logged> = Vec::new();
    for entry in entries {
        if let Some(at) = entry.find("LOG:  execute ") {
            let rest = &entry[at + "LOG:  execute ".len()..];
            if let Some(colon) = rest.find(": ") {
                out.push(Logged {
                    sql: rest[colon + 2..].to_string(),
                    params: Vec::new(),
                });
            }
        } else if let Some(at) = entry.find("LOG:  statement: ") {
            out.push(Logged {
                sql: entry[at + "LOG:  statement: ".len()..].to_string(),
                params: Vec::new(),
            });
        } else if let Some(at) = entry.find("DETAIL:  parameters: ") {
            if let Some(last) = out.last_mut() {
                last.params = parse_params(&entry[at + "DETAIL:  parameters: ".len()..]);
            }
        }
    }
    out
}

/// `$1 = 'a', $2 = NULL, …` as values.
fn parse_params(text: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        // Skip to the value after "= ".
        let mut seen_equals = false;
        for c in chars.by_ref() {
            if c == '=' {
                seen_equals = true;
                break;
            }
        }
        if !seen_equals {
            return out;
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek() == Some(&'\'') {
            chars.next();
            let mut value = String::new();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        value.push('\'');
                    } else {
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            out.push(Some(value));
        } else {
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
            }
            out.push(None);
        }
    }
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The milliseconds since the epoch stamped in a UUIDv7 given as 32 hex digits.
fn stamp(hex: &str) -> Option<u64> {
    (hex.len() == 32 && hex.as_bytes()[12] == b'7')
        .then(|| u64::from_str_radix(&hex[..12], 16).ok())
        .flatten()
}

/// What a captured request's values become in the replay.
struct Rewrite<'a> {
    /// Ids stamped at or after this moment (ms since the epoch) were made by the request.
    sent_ms: u64,
    /// The dossier acted on, as 32 hex digits, taken from the queue instead.
    subject: Option<&'a str>,
    /// The dossier's new code, made fresh.
    code: Option<&'a str>,
    /// The fresh ids met so far, in order: `:f{n}a`, `:f{n}b`.
    fresh: Vec<String>,
}

impl Rewrite<'_> {
    /// The SQL expression standing for a bytea id given as hex, if it is replaced.
    fn id(&mut self, hex: &str) -> Option<String> {
        if Some(hex) == self.subject {
            return Some(":subject::bytea".into());
        }
        if stamp(hex).is_some_and(|ms| ms >= self.sent_ms) {
            let n = match self.fresh.iter().position(|f| f == hex) {
                Some(n) => n,
                None => {
                    self.fresh.push(hex.to_string());
                    self.fresh.len() - 1
                }
            };
            return Some(format!(
                "(int8send(:f{n}a::bigint) || int8send(:f{n}b::bigint))"
            ));
        }
        None
    }

    /// The SQL literal or expression for one parameter's value.
    fn value(&mut self, value: &Option<String>) -> String {
        let Some(v) = value else {
            return "NULL".into();
        };
        if let Some(hex) = v.strip_prefix("\\x") {
            if let Some(expr) = self.id(hex) {
                return expr;
            }
        }
        if Some(v.as_str()) == self.code {
            return "('B' || :code::text)".into();
        }
        if let Some(inner) = v.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            let elements: Vec<&str> = inner.split(',').collect();
            let hexes: Vec<Option<&str>> = elements
                .iter()
                .map(|e| e.trim_matches('"').strip_prefix("\\\\x"))
                .collect();
            if !inner.is_empty() && hexes.iter().all(Option::is_some) {
                let exprs: Vec<Option<String>> = hexes
                    .iter()
                    .map(|h| self.id(h.unwrap_or_default()))
                    .collect();
                if exprs.iter().any(Option::is_some) {
                    let items: Vec<String> = exprs
                        .into_iter()
                        .zip(&hexes)
                        .map(|(e, h)| {
                            e.unwrap_or_else(|| format!("'\\x{}'::bytea", h.unwrap_or_default()))
                        })
                        .collect();
                    return format!("ARRAY[{}]", items.join(", "));
                }
            }
        }
        quote(v)
    }

    /// `sql` with its `$n` placeholders replaced.
    fn statement(&mut self, logged: &Logged) -> String {
        let mut out = String::with_capacity(logged.sql.len() * 2);
        let bytes = logged.sql.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let n: usize = logged.sql[i + 1..i + 1 + digits].parse().unwrap_or(0);
                    if let Some(value) = logged.params.get(n.wrapping_sub(1)) {
                        out.push_str(&self.value(value));
                        i += 1 + digits;
                        continue;
                    }
                }
            }
            let c = logged.sql[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
        out
    }
}

/// The pgbench script replaying `statements`, captured from a request sent at `sent_ms`
/// (ms since the epoch); `queue` names the table of dossiers to act on, if any.
pub fn script(
    statements: &[Logged],
    sent_ms: u64,
    subject: Option<&str>,
    code: Option<&str>,
    queue: Option<(&str, usize)>,
) -> String {
    let mut rewrite = Rewrite {
        sent_ms,
        subject,
        code,
        fresh: Vec::new(),
    };
    let body: Vec<String> = statements
        .iter()
        .map(|s| format!("{};", rewrite.statement(s).replace('\n', " ")))
        .collect();
    let mut out = String::new();
    for n in 0..rewrite.fresh.len() {
        for half in ["a", "b"] {
            out.push_str(&format!(
                "\\set f{n}{half} random(1, 4000000000000000000)\n"
            ));
        }
    }
    if code.is_some() {
        out.push_str("\\set code random(1, 4000000000000000000)\n");
    }
    if let Some((table, script)) = queue {
        out.push_str(&format!(
            "SELECT id AS subject FROM {table} WHERE script = {script} AND n = (SELECT nextval('{table}_{script}'))\n\\gset\n"
        ));
    }
    for line in body {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A PostgreSQL log file, read from where it ended when the mark was taken.
struct LogTail {
    path: PathBuf,
    from: u64,
}

impl LogTail {
    fn mark(path: &Path) -> Result<LogTail, String> {
        let from = std::fs::metadata(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        Ok(LogTail {
            path: path.to_path_buf(),
            from,
        })
    }

    fn read(&self) -> Result<String, String> {
        // The server writes its log as it goes; give it a moment.
        std::thread::sleep(Duration::from_millis(200));
        let bytes = std::fs::read(&self.path).map_err(|e| e.to_string())?;
        let from = (self.from as usize).min(bytes.len());
        Ok(String::from_utf8_lossy(&bytes[from..]).into_owned())
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn sql(conn: &mut PgConnection, text: &str) -> Result<(), String> {
    diesel::sql_query(text)
        .execute(conn)
        .map(|_| ())
        .map_err(|e| format!("{text}: {e}"))
}

/// Hex of the dossier id in an action's path (`/dossiers/{id}/actions`).
fn subject_of(request: &Request) -> Option<String> {
    let id = request.path.strip_prefix("/dossiers/")?.split('/').next()?;
    Some(id.replace('-', ""))
}

/// The figures of one scenario against its baseline.
pub struct Compared {
    pub http: Figures,
    pub open: Option<Figures>,
    pub pgbench_tps: f64,
    pub statements: usize,
}

impl std::fmt::Display for Compared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.http)?;
        writeln!(
            f,
            "    pgbench, the same {} statements, same clients: {:.0} tx/s; HTTP reaches {:.1}% of it",
            self.statements,
            self.pgbench_tps,
            100.0 * self.http.latency.per_second / self.pgbench_tps.max(1e-9)
        )?;
        if let Some(open) = &self.open {
            write!(f, "    at half the baseline's rate: {open}")?;
        }
        Ok(())
    }
}

/// Options of [`compare`].
pub struct Options<'a> {
    pub database_url: &'a str,
    pub pg_log: &'a Path,
    pub clients: usize,
    pub seconds: f64,
    pub server_pid: Option<u32>,
    pub work_dir: &'a Path,
}

/// For each of online submission, desk intake, receipt and `GET` of a dossier: captures its
/// statements, runs them through pgbench, runs the same scenario over HTTP in closed loop with
/// the same clients, then in open loop at half the pgbench rate; prints each as it is measured.
pub fn compare(client: &Client, options: &Options) -> Result<(), String> {
    let mut conn = PgConnection::establish(options.database_url).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(options.work_dir).map_err(|e| e.to_string())?;
    let communes = 8;
    for scenario in [
        Scenario::OnlineSubmit,
        Scenario::DeskIntake,
        Scenario::Receive,
        Scenario::GetDossier,
    ] {
        let acts = scenario == Scenario::Receive;
        // Enough dossiers to act on for pgbench: a generous guess of its rate, per commune.
        let queued = if acts {
            (3000.0 * options.seconds) as usize / communes
        } else {
            0
        };
        // Request `i` is at commune `i % communes`; the first `communes × CAPTURES` are
        // captured (a submission's requests repeat: they may be sent again).
        let prepared = load::prepare(client, scenario, communes * (queued + CAPTURES))?;
        sql(&mut conn, "ALTER SYSTEM SET log_statement = 'all'")?;
        sql(&mut conn, "SELECT pg_reload_conf()")?;
        std::thread::sleep(Duration::from_millis(300));
        let mut scripts = Vec::new();
        let mut statements = 0;
        let captured: Result<(), String> = (0..communes).try_for_each(|k| {
            let mut fewest: Option<String> = None;
            for attempt in 0..CAPTURES {
                let r = &prepared.requests[(k + attempt * communes) % prepared.requests.len()];
                let tail = LogTail::mark(options.pg_log)?;
                let sent_ms = now_ms();
                let (value, _) = client.json(r)?;
                let logged = parse_log(&tail.read()?);
                if fewest.is_some() && logged.len() >= statements {
                    continue;
                }
                statements = logged.len();
                let subject = if acts { subject_of(r) } else { None };
                let code = value["code"].as_str().map(str::to_string);
                let queue = acts.then_some(("bench_subjects", k));
                fewest = Some(script(
                    &logged,
                    sent_ms,
                    subject.as_deref(),
                    code.as_deref(),
                    queue,
                ));
            }
            let path = options.work_dir.join(format!("{scenario:?}-{k}.sql"));
            std::fs::write(&path, fewest.unwrap_or_default()).map_err(|e| e.to_string())?;
            scripts.push(path);
            Ok(())
        });
        sql(&mut conn, "ALTER SYSTEM RESET log_statement")?;
        sql(&mut conn, "SELECT pg_reload_conf()")?;
        captured?;
        let mut transactions = None;
        if acts {
            sql(&mut conn, "DROP TABLE IF EXISTS bench_subjects")?;
            sql(&mut conn, "CREATE TABLE bench_subjects (script INT, n BIGINT, id BYTEA, PRIMARY KEY (script, n))")?;
            let mut rows = Vec::new();
            for (i, r) in prepared.requests[communes * CAPTURES..].iter().enumerate() {
                let hex = subject_of(r).unwrap_or_default();
                rows.push(format!(
                    "({}, {}, '\\x{hex}')",
                    i % communes,
                    i / communes + 1
                ));
            }
            for chunk in rows.chunks(1000) {
                sql(
                    &mut conn,
                    &format!("INSERT INTO bench_subjects VALUES {}", chunk.join(", ")),
                )?;
            }
            for k in 0..communes {
                sql(
                    &mut conn,
                    &format!("DROP SEQUENCE IF EXISTS bench_subjects_{k}"),
                )?;
                sql(&mut conn, &format!("CREATE SEQUENCE bench_subjects_{k}"))?;
            }
            // Each client takes a share of each queue, at most what the queues hold.
            transactions = Some(queued / options.clients.max(1));
        }
        let pgbench_tps = pgbench(options, &scripts, transactions)?;
        if acts {
            sql(&mut conn, "DROP TABLE bench_subjects")?;
        }
        let mode = Mode::Closed {
            clients: options.clients,
        };
        let http = load::run(client, scenario, mode, options.seconds, options.server_pid)?;
        let rate = pgbench_tps / 2.0;
        let open = load::run(
            client,
            scenario,
            Mode::Open { rate, workers: 64 },
            options.seconds,
            options.server_pid,
        )?;
        let compared = Compared {
            http,
            open: Some(open),
            pgbench_tps,
            statements,
        };
        println!("{compared}");
    }
    Ok(())
}

/// Runs pgbench on `scripts` (chosen at random per transaction) for the run's length, or
/// `transactions` per client; its rate in transactions per second.
fn pgbench(
    options: &Options,
    scripts: &[PathBuf],
    transactions: Option<usize>,
) -> Result<f64, String> {
    let mut command = Command::new("pgbench");
    command
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &options.clients.to_string()]);
    match transactions {
        Some(t) => command.args(["-t", &t.max(1).to_string()]),
        None => command.args(["-T", &(options.seconds.ceil() as u64).to_string()]),
    };
    for script in scripts {
        command.arg("-f").arg(script);
    }
    command.arg(options.database_url);
    let output = command
        .output()
        .map_err(|e| format!("pgbench (from PostgreSQL's client tools): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let failed = !output.status.success() || !text.contains("number of failed transactions: 0");
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok());
    match tps {
        Some(tps) if !failed => Ok(tps),
        _ => Err(format!(
            "pgbench failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2026-12-01 10:24:12.001 UTC [11122] LOG:  statement: BEGIN
2026-12-01 10:24:12.002 UTC [11122] LOG:  execute __diesel_stmt_20: INSERT INTO \"dossiers\" (\"id\", \"code\", \"unit_id\") VALUES ($1, $2, $3)
2026-12-01 10:24:12.002 UTC [11122] DETAIL:  parameters: $1 = '\\x01a2312228e971a6ba68da9c18ca7ac1', $2 = 'A-1', $3 = '\\x01a23121ba2177e4a1e085a04daf0042'
2026-12-01 10:24:12.003 UTC [11122] LOG:  execute __diesel_stmt_31: SELECT 1 FROM x WHERE (a = ANY($1)) AND b = $2 AND c = $10
\tLIMIT 1
2026-12-01 10:24:12.003 UTC [11122] DETAIL:  parameters: $1 = '{\"\\\\x01a2312228e971a6ba68da9c18ca7ac1\"}', $2 = 'it''s, here', $3 = NULL, $4 = NULL, $5 = NULL, $6 = NULL, $7 = NULL, $8 = NULL, $9 = NULL, $10 = '7'
2026-12-01 10:24:12.004 UTC [11122] LOG:  checkpoint starting: time
2026-12-01 10:24:12.005 UTC [11122] LOG:  statement: COMMIT
";

    #[test]
    fn the_log_gives_statements_with_their_parameters() {
        let logged = parse_log(LOG);
        assert_eq!(logged.len(), 4);
        assert_eq!(logged[0].sql, "BEGIN");
        assert_eq!(
            logged[2].sql,
            "SELECT 1 FROM x WHERE (a = ANY($1)) AND b = $2 AND c = $10\nLIMIT 1"
        );
        assert_eq!(logged[2].params[1].as_deref(), Some("it's, here"));
        assert_eq!(logged[2].params[2], None);
        assert_eq!(logged[2].params[9].as_deref(), Some("7"));
        assert_eq!(logged[3].sql, "COMMIT");
    }

    #[test]
    fn the_script_makes_fresh_ids_and_codes_and_keeps_the_rest() {
        let logged = parse_log(LOG);
        // The dossier's id is stamped 0x01a2312228e9 ms, the unit's earlier.
        let sent = 0x01a2_3122_28e9;
        let text = script(&logged, sent, None, Some("A-1"), None);
        let fresh = "(int8send(:f0a::bigint) || int8send(:f0b::bigint))";
        assert!(text.starts_with("\\set f0a random("), "{text}");
        assert!(text.contains(&format!(
            "VALUES ({fresh}, ('B' || :code::text), '\\x01a23121ba2177e4a1e085a04daf0042');"
        )));
        assert!(text.contains(&format!(
            "(a = ANY(ARRAY[{fresh}])) AND b = 'it''s, here' AND c = '7' LIMIT 1;"
        )));
        // One fresh id only: the unit's id, older than the request, stays as it was.
        assert!(!text.contains("\\set f1a"));
    }

    #[test]
    fn an_acted_on_dossier_comes_from_the_queue() {
        let logged = parse_log(LOG);
        let text = script(
            &logged,
            u64::MAX,
            Some("01a2312228e971a6ba68da9c18ca7ac1"),
            None,
            Some(("q", 3)),
        );
        assert!(text.starts_with(
            "SELECT id AS subject FROM q WHERE script = 3 AND n = (SELECT nextval('q_3'))\n\\gset\n"
        ));
        assert!(text.contains("VALUES (:subject::bytea, 'A-1',"));
        assert!(text.contains("ANY(ARRAY[:subject::bytea])"));
    }
}
