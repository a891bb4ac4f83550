//! The change feed: every dossier change in order, resumable from a cursor, with the national
//! portal's codes, trailing real time; for supervisors and administrators.

use serde_json::json;

use crate::dossiers::World;

#[test]
fn the_feed_lists_changes_in_order_and_resumes_from_its_cursor() {
    let w = World::with(|c| c.limits.feed_lag_seconds = 0);
    let app = &w.app;
    let supervisor = app.official("giam.sat", "supervisor", None);
    let first = w.submit();
    let received = w.step(&w.reception, &first, json!({"action": "receive"}));
    let second = w.submit();
    std::thread::sleep(std::time::Duration::from_millis(5));

    let page = app
        .get("/api/v1/feed/dossiers?limit=2", Some(&supervisor))
        .ok(200)
        .clone();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["dossier_id"], first["id"]);
    assert_eq!(items[0]["action"], "submit");
    assert_eq!(items[0]["status"], "submitted");
    assert_eq!(items[0]["national_status_code"], 1);
    assert_eq!(items[0]["channel"], "online");
    assert_eq!(items[0]["national_channel_code"], 2);
    assert_eq!(items[1]["action"], "receive");
    assert_eq!(items[1]["from_status"], "submitted");
    assert_eq!(items[1]["code"], received["code"]);
    assert_eq!(items[1]["seq"], 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(items[1]["cursor"], cursor);

    // Resuming gives the rest, then nothing new but the same cursor to poll with.
    let rest = app
        .get(
            &format!("/api/v1/feed/dossiers?cursor={cursor}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    let rest_items = rest["items"].as_array().unwrap();
    assert_eq!(rest_items.len(), 1);
    assert_eq!(rest_items[0]["dossier_id"], second["id"]);
    let last = rest["next_cursor"].as_str().unwrap().to_string();
    let empty = app
        .get(
            &format!("/api/v1/feed/dossiers?cursor={last}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    assert_eq!(empty["items"], json!([]));
    assert_eq!(empty["next_cursor"], last);
    // A change made later appears after the cursor.
    w.step(&w.reception, &second, json!({"action": "receive"}));
    std::thread::sleep(std::time::Duration::from_millis(5));
    let later = app
        .get(
            &format!("/api/v1/feed/dossiers?cursor={last}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    assert_eq!(later["items"][0]["dossier_id"], second["id"]);
    assert_eq!(later["items"][0]["action"], "receive");

    // Only supervisors and administrators read it; a bad cursor is a 400.
    app.get("/api/v1/feed/dossiers", Some(&w.reception))
        .problem(403, "forbidden");
    app.get("/api/v1/feed/dossiers", Some(&w.citizen))
        .problem(403, "forbidden");
    app.get("/api/v1/feed/dossiers", None)
        .problem(401, "missing_token");
    app.get("/api/v1/feed/dossiers?cursor=zz", Some(&app.admin))
        .problem(400, "invalid_cursor");
}

#[test]
fn the_feed_trails_real_time() {
    let w = World::new();
    w.submit();
    let page = w
        .app
        .get("/api/v1/feed/dossiers", Some(&w.app.admin))
        .ok(200)
        .clone();
    assert_eq!(
        page["items"],
        json!([]),
        "a change of a moment ago is not yet in the feed"
    );
    assert_eq!(page["next_cursor"], serde_json::Value::Null);
}
