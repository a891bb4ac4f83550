//! The benchmark's data generator: a seeded database holds what it says, its aggregates equal a
//! recomputation from the raw dossiers, and the service reports on it.

use diesel::prelude::*;
use diesel::sql_types::Text;
use motcua::db::DbConn;

use crate::common::TestApp;

/// The definitions of the schema's indexes and constraints, and the tables' own settings.
fn upkeep(app: &TestApp) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = Text)]
        definition: String,
    }
    let mut conn = app.pool.get().unwrap();
    let conn: &mut DbConn = &mut conn;
    let sql = match conn {
        DbConn::Pg(_) => {
            "SELECT indexdef AS definition FROM pg_indexes WHERE schemaname = current_schema() \
             UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || \
             pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE connamespace = current_schema()::regnamespace \
             UNION ALL SELECT relname || ' ' || array_to_string(reloptions, ',') FROM pg_class \
             WHERE relnamespace = current_schema()::regnamespace AND reloptions IS NOT NULL \
             ORDER BY 1"
        }
        DbConn::Sqlite(_) => {
            "SELECT sql AS definition FROM sqlite_master WHERE sql IS NOT NULL ORDER BY 1"
        }
    };
    let definitions: Vec<Definition> = diesel::sql_query(sql).load(conn).unwrap();
    definitions.into_iter().map(|d| d.definition).collect()
}

#[test]
fn a_seeded_database_is_whole_and_reported_on() {
    let app = TestApp::spawn();
    let schema = upkeep(&app);
    for made in [
        "dossiers_applicant_idx",
        "report_buckets_units_idx",
        "REFERENCES dossiers",
    ] {
        assert!(schema.iter().any(|d| d.contains(made)), "{made}");
    }
    let run = |args: &[&str]| {
        let (ok, out) = app.command(args);
        assert!(ok, "{out}");
        out
    };
    let out = run(&[
        "bench",
        "seed",
        "--dossiers",
        "3000",
        "--units",
        "150",
        "--years",
        "1",
    ]);
    assert!(out.contains("seeded 150 units, 48 procedures"), "{out}");
    assert!(out.contains("3000 dossiers"), "{out}");
    assert_eq!(app.count("dossiers"), 3000);
    assert_eq!(app.count("units"), 150);
    assert!(app.count("dossier_events") > 3 * 3000);
    // On PostgreSQL the load went without the loaded tables' foreign keys, non-unique indexes
    // and autovacuum, made again after it: the schema is the migrations' again.
    assert_eq!(upkeep(&app), schema);
    let out = run(&["audit", "verify"]);
    assert!(
        out.contains("checked 3000 dossiers") && out.contains(": 0 broken"),
        "{out}"
    );
    let out = run(&["reports", "check"]);
    assert!(
        out.contains("checked 3000 dossiers") && out.contains("0 buckets differ"),
        "{out}"
    );
    // The pentads' migration fills them from the days as every change writes them: without
    // the seeded pentads the check finds buckets missing, and after the migration's own
    // statements none.
    let migration = |backend: &str| {
        let path = format!(
            "{}/migrations/{backend}/2026-12-02-000013_report_pentads/up.sql",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).unwrap()
    };
    {
        use diesel::connection::SimpleConnection;
        let mut conn = app.pool.get().unwrap();
        let conn: &mut DbConn = &mut conn;
        let up = match conn {
            DbConn::Pg(_) => migration("postgres"),
            DbConn::Sqlite(_) => migration("sqlite"),
        };
        conn.batch_execute("DELETE FROM report_buckets WHERE period > 99999999")
            .unwrap();
        let (ok, out) = app.command(&["reports", "check"]);
        assert!(!ok && out.contains("period 202"), "{out}");
        conn.batch_execute(&up).unwrap();
    }
    let out = run(&["reports", "check"]);
    assert!(out.contains(" 0 buckets differ"), "{out}");
    let buckets = app.count("report_buckets");
    assert!(
        out.contains(&format!("3000 dossiers and {buckets} buckets")),
        "{buckets}: {out}"
    );

    // The check goes 32 units at a time (150 units: 5 steps), and still sees every bucket: one
    // moved from a unit of the third step to an id that is no unit's (past the last step's)
    // makes two buckets differ, and a rebuild, step by step too, puts it back.
    {
        use diesel::connection::SimpleConnection;
        let mut conn = app.pool.get().unwrap();
        let conn: &mut DbConn = &mut conn;
        let id = |digit: &str| match conn {
            DbConn::Pg(_) => format!("'\\x{}'::bytea", digit.repeat(32)),
            DbConn::Sqlite(_) => format!("X'{}'", digit.repeat(32)),
        };
        let (nil, nobody) = (id("0"), id("f"));
        let unit = "(SELECT unit_id FROM report_buckets \
             WHERE unit_id > (SELECT id FROM units ORDER BY id LIMIT 1 OFFSET 75) \
             ORDER BY unit_id LIMIT 1)";
        conn.batch_execute(&format!(
            "UPDATE report_buckets SET unit_id = {nobody} WHERE unit_id = {unit} \
             AND procedure_id = {nil} AND period = (SELECT MIN(period) FROM report_buckets \
             WHERE unit_id = {unit} AND procedure_id = {nil})"
        ))
        .unwrap();
    }
    let (ok, out) = app.command(&["reports", "check"]);
    assert!(
        !ok && out.contains(" 2 buckets differ")
            && out.contains("unit ffffffff-ffff-ffff-ffff-ffffffffffff"),
        "{out}"
    );
    let out = run(&["reports", "rebuild"]);
    assert!(
        out.contains(&format!("3000 dossiers: {buckets} buckets")),
        "{out}"
    );
    assert_eq!(app.count("report_buckets"), buckets);
    let out = run(&["reports", "check"]);
    assert!(out.contains(" 0 buckets differ"), "{out}");

    // A second seed is refused: the database is not empty.
    let (ok, out) = app.command(&["bench", "seed", "--dossiers", "10"]);
    assert!(!ok && out.contains("already holds dossiers"), "{out}");

    // The seeded supervisor reads a year of reports: every dossier is counted once, about 56%
    // received online, and the report's identity holds.
    let token = app.login("bench.supervisor", motcua::bench::seed::PASSWORD);
    // The service's day, not UTC's: between 17:00 and 24:00 UTC it is already tomorrow in
    // Vietnam, and dossiers seeded in that time count on the local day.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let from = today - chrono::TimeDelta::days(400);
    let report = app
        .get(
            &format!("/api/v1/reports/units?from={from}&to={today}"),
            Some(&token),
        )
        .ok(200)
        .clone();
    let t = &report["total"];
    let n = |field: &str| t[field].as_u64().unwrap();
    assert_eq!(n("carried_over"), 0);
    assert_eq!(
        n("received") + n("awaiting_reception") + n("refused"),
        3000,
        "{t}"
    );
    assert_eq!(n("received"), n("finished") + n("open"));
    let online = t["online_ratio"].as_f64().unwrap();
    assert!((45.0..65.0).contains(&online), "online ratio {online}");
    assert!(
        n("finished_late") > 0 && n("open_overdue") > 0 && n("satisfied") > 0,
        "{t}"
    );
    assert_eq!(report["rows"].as_array().unwrap().len(), 150);

    // The load driver runs every scenario against the service with real tokens, without an
    // error; the deep page lies past the first pages of the district's queue.
    let (ok, out) = app.command(&[
        "bench",
        "run",
        "--url",
        &app.base,
        "--seconds",
        "0.4",
        "--clients",
        "2",
    ]);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10, "{out}");
    for line in &lines {
        assert!(line.contains(" 0 err ") && line.contains("5xx 0"), "{line}");
        let sent: usize = line[44..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(sent > 0, "{line}");
    }
    let depth: usize = out
        .split("(after ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(depth >= 100, "the deep page is past the first page: {out}");
    let dossiers = app.count("dossiers");
    assert!(dossiers > 3000, "the submissions were stored: {dossiers}");
    let open_loop = [
        "bench",
        "run",
        "--url",
        &app.base,
        "--seconds",
        "0.5",
        "--rate",
        "40",
        "--scenario",
        "get-dossier",
    ];
    let (ok, out) = app.command(&open_loop);
    assert!(
        ok && out.contains("[open, 40/s]") && out.contains(" 0 err "),
        "{out}"
    );

    // On SQLite, the baseline records the statements of real requests through diesel's
    // instrumentation and replays them in process: every captured value is typed, the replay
    // stores what the service would (it checks), and each HTTP figure gets its ratio.
    if !app.is_postgres() {
        let baseline = [
            "bench",
            "baseline",
            "--url",
            &app.base,
            "--clients",
            "2",
            "--seconds",
            "0.3",
            "--rounds",
            "1",
        ];
        let (ok, out) = app.command(&baseline);
        assert!(ok, "{out}");
        let replays: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("SQLite in process, the same"))
            .collect();
        assert_eq!(replays.len(), 3, "{out}");
        for line in replays {
            assert!(
                line.contains("HTTP reaches") && !line.contains(" 0 tx/s"),
                "{line}"
            );
        }
        assert_eq!(out.matches(" 0 err ").count(), 3, "{out}");
    }
}
