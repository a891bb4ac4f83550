//! `motcua seed demo`: an empty database becomes a small province that shows real figures at
//! once, with the credentials it prints, this year's holidays and the online discount.

use chrono::Datelike;

use crate::common::TestApp;

#[test]
fn the_demo_province_shows_real_figures_at_once() {
    let app = TestApp::spawn();
    let (ok, out) = app.command(&["seed", "demo", "--dossiers", "600"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("30 units, 50 procedures") && out.contains("600 dossiers"),
        "{out}"
    );
    assert!(out.contains("bench.supervisor     Bench-2026!"), "{out}");
    // A second load is refused, and nothing is added.
    let (ok, out) = app.command(&["seed", "demo"]);
    assert!(!ok && out.contains("already holds dossiers"), "{out}");
    assert_eq!(app.count("dossiers"), 600);
    assert_eq!(app.count("fee_policies"), 1);

    let supervisor = app.login("bench.supervisor", "Bench-2026!");
    let today = chrono::Utc::now().date_naive();
    let year = today.year();
    let calendar = app
        .get(&format!("/api/v1/calendar/{year}"), None)
        .ok(200)
        .clone();
    let text = calendar.to_string();
    assert!(
        text.contains("Quốc khánh") && text.contains("Tết Dương lịch"),
        "{text}"
    );

    let from = today - chrono::TimeDelta::days(364);
    let report = app
        .get(
            &format!("/api/v1/reports/units?from={from}&to={today}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    let total = &report["total"];
    assert!(total["received"].as_u64().unwrap() > 400, "{total}");
    assert!(total["finished"].as_u64().unwrap() > 0, "{total}");
    assert!(total["online_ratio"].as_f64().unwrap() > 30.0, "{total}");
    let indicators = app
        .get(
            &format!("/api/v1/reports/indicators?from={from}&to={today}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    assert!(indicators.to_string().contains("numerator"), "{indicators}");

    // A new online submission gets the discount from the policy.
    let procedures = app
        .get("/api/v1/procedures?limit=100", None)
        .ok(200)
        .clone();
    let items = procedures["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    // Real procedures of every level, each with its components and a fee item.
    for level in ["commune", "district", "province"] {
        assert!(items.iter().any(|p| p["level"] == level), "{level}");
    }
    for p in items {
        assert!(!p["components"].as_array().unwrap().is_empty(), "{p}");
        assert!(p["fees"][0]["name"].is_string(), "{p}");
    }
    let names: Vec<&str> = items.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Cấp phiếu lý lịch tư pháp"), "{names:?}");
    let units = app.get("/api/v1/units?limit=100", None);
    assert!(units.text.contains("Sở Tư pháp") && units.text.contains("000.31.11.H30"));
    let paid = items
        .iter()
        .find(|p| p["fees"][0]["amount"].as_i64().unwrap_or(0) > 0)
        .expect("a procedure with a fee")
        .clone();
    let id = paid["id"].as_str().unwrap();
    let unit = paid["unit_ids"][0].as_str().expect("an applying unit");
    let quote = app
        .get(
            &format!("/api/v1/procedures/{id}/fee-quote?channel=online&unit_id={unit}"),
            None,
        )
        .ok(200)
        .clone();
    let base = paid["fees"][0]["amount"].as_i64().unwrap();
    assert_eq!(quote["total"].as_i64().unwrap(), base / 2, "{quote}");

    for command in [["audit", "verify"], ["reports", "check"]] {
        let (ok, out) = app.command(&command);
        assert!(ok, "{out}");
    }
}
