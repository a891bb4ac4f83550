//! The audit trail: every dossier's history is hash-chained and append-only; `motcua audit
//! verify` finds the first broken link of a changed history.

use diesel::RunQueryDsl;
use motcua::db::DbConn;
use serde_json::json;

use crate::dossiers::World;

fn execute(app: &crate::common::TestApp, sql: &str) -> Result<usize, String> {
    let mut conn = app.pool.get().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query(sql)
        .execute(conn)
        .map_err(|e| e.to_string())
}

#[test]
fn the_history_is_chained_append_only_and_verified() {
    let w = World::new();
    let app = &w.app;
    let first = w.submit();
    let received = w.step(&w.reception, &first, json!({"action": "receive"}));
    w.step(
        &w.reception,
        &received,
        json!({"action": "transfer", "note": "chuyển xử lý"}),
    );
    w.submit();
    let (ok, out) = app.command(&["audit", "verify"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "checked 2 dossiers and 4 history entries (0 from before the chain): 0 broken"
        ),
        "{out}"
    );

    // The database refuses to change or remove an entry.
    let change = "UPDATE dossier_events SET note = 'sửa' WHERE seq = 3";
    let refused = execute(app, change).unwrap_err();
    assert!(refused.contains("append-only"), "{refused}");
    let refused = execute(app, "DELETE FROM dossier_events WHERE seq = 3").unwrap_err();
    assert!(refused.contains("append-only"), "{refused}");
    assert_eq!(app.count("dossier_events"), 4);

    // Someone with the database's keys gets around the trigger: the chain shows it.
    let mut conn = app.pool.get().unwrap();
    let conn: &mut DbConn = &mut conn;
    let bypass: &[&str] = if app.is_postgres() {
        &[
            "SET session_replication_role = replica",
            change,
            "SET session_replication_role = origin",
        ]
    } else {
        &["DROP TRIGGER dossier_events_no_update", change]
    };
    for sql in bypass {
        diesel::sql_query(*sql).execute(conn).unwrap();
    }
    let (ok, out) = app.command(&["audit", "verify"]);
    assert!(!ok, "{out}");
    let id = first["id"].as_str().unwrap();
    assert!(
        out.contains(&format!(
            "broken: dossier {id} at entry 3: this entry or one before it was changed"
        )),
        "{out}"
    );
    assert!(out.contains(": 1 broken"), "{out}");
}
