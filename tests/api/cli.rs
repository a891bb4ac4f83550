//! The `motcua` command: `migrate`, `admin create-account` and `openapi`, configured by a TOML
//! file named by `MOTCUA_CONFIG`.

use std::process::Command;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::common::TestDatabase;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    role: String,
}

fn motcua(config: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MOTCUA_CONFIG", config);
    command
}

#[test]
fn the_command_migrates_creates_accounts_and_prints_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::new(dir.path());
    let url = &database.url;
    let config = dir.path().join("motcua.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = {url:?}\ndata_dir = {:?}\ntoken_ttl_seconds = 900\n",
            dir.path().join("data")
        ),
    )
    .unwrap();

    let migrated = motcua(&config).arg("migrate").output().unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(String::from_utf8_lossy(&migrated.stdout).contains("migrations applied"));

    let created = motcua(&config)
        .args([
            "admin",
            "create-account",
            "--username",
            "le.thi.hoa",
            "--full-name",
            "Lê Thị Hoa",
            "--role",
            "supervisor",
        ])
        .env("MOTCUA_NEW_PASSWORD", "Giamsat2026pass")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    for (args, message) in [
        (vec!["--role", "reception"], "needs --unit-id"),
        (vec!["--role", "citizen"], "role must be"),
    ] {
        let refused = motcua(&config)
            .args([
                "admin",
                "create-account",
                "--username",
                "nguoi.khac",
                "--full-name",
                "X",
            ])
            .args(args)
            .env("MOTCUA_NEW_PASSWORD", "Giamsat2026pass")
            .output()
            .unwrap();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains(message));
    }
    let weak = motcua(&config)
        .args([
            "admin",
            "create-account",
            "--username",
            "yeu",
            "--full-name",
            "X",
            "--role",
            "supervisor",
        ])
        .env("MOTCUA_NEW_PASSWORD", "123")
        .output()
        .unwrap();
    assert!(!weak.status.success());

    let pool = motcua::db::pool::build(url, 1, Duration::from_secs(5)).unwrap();
    let mut conn = pool.get().unwrap();
    let rows: Vec<Row> =
        diesel::sql_query("SELECT role FROM accounts WHERE username = 'le.thi.hoa'")
            .load(&mut *conn)
            .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(),
        ["supervisor"]
    );
    let others: Vec<Row> =
        diesel::sql_query("SELECT role FROM accounts WHERE username <> 'le.thi.hoa'")
            .load(&mut *conn)
            .unwrap();
    assert!(others.is_empty(), "nothing else was created");

    let printed = motcua(&config).arg("openapi").output().unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    assert_eq!(String::from_utf8_lossy(&printed.stdout), committed);

    // A config file with an unknown key is refused, saying which.
    std::fs::write(&config, "database_urll = \"x\"\n").unwrap();
    let bad = motcua(&config).arg("migrate").output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("database_urll"));
}
