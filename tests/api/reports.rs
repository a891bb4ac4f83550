//! Reports end to end: dossiers taken through the workflow over HTTP, then the unit, procedure,
//! field, series and indicator reports read back, the aggregates checked against a
//! recomputation from the raw dossiers, rebuilt, and who may read them.

use chrono::Utc;
use serde_json::{json, Value};

use crate::dossiers::World;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

fn today() -> String {
    Utc::now().with_timezone(&TZ).format("%Y-%m-%d").to_string()
}

fn month_start() -> String {
    Utc::now().with_timezone(&TZ).format("%Y-%m-01").to_string()
}

/// The unit report of `unit` for the period from the first of this month to today.
fn report(w: &World, token: &str, unit: &str, subtree: bool) -> Value {
    w.app
        .get(
            &format!(
                "/api/v1/reports/units?from={}&to={}&unit={unit}&subtree={subtree}",
                month_start(),
                today()
            ),
            Some(token),
        )
        .ok(200)
        .clone()
}

/// A report without the moment it was judged at (which moves with the clock).
fn figures_only(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("judged_at");
    report
}

/// Asserts that the stored aggregates equal a recomputation from the raw dossiers.
fn assert_aggregates_consistent(w: &World) {
    let mut conn = w.app.pool.get().unwrap();
    let checked = motcua::store::reports::check(&mut conn, TZ).unwrap();
    assert_eq!(
        checked.differing, 0,
        "aggregates differ: {:?}",
        checked.mismatches
    );
    assert_eq!(checked.stale_tallies, 0);
}

#[test]
fn the_reports_follow_the_dossiers_and_equal_a_recomputation() {
    let w = World::new();
    let supervisor = w.app.official("giam.sat", "supervisor", None);

    // An online dossier waiting at the desk.
    let first = w.submit();
    let row = &report(&w, &supervisor, &w.commune, false)["rows"][0];
    assert_eq!(row["unit_id"], w.commune.as_str());
    assert_eq!(row["unit_code"], "000.00.12.H30");
    assert_eq!(
        (&row["awaiting_reception"], &row["received"]),
        (&json!(1), &json!(0))
    );
    assert!(row["online_ratio"].is_null(), "not applicable: {row}");
    assert_aggregates_consistent(&w);

    // Received; another recorded at the desk; a third refused at reception.
    let first = w.step(&w.reception, &first, json!({"action": "receive"}));
    w.record();
    let third = w.submit();
    w.step(
        &w.reception,
        &third,
        json!({"action": "refuse", "reason": "Không thuộc thẩm quyền"}),
    );
    let r = report(&w, &supervisor, &w.commune, false);
    let row = &r["rows"][0];
    assert_eq!(row["received_online"], 1);
    assert_eq!(row["received_desk"], 1);
    assert_eq!(row["intake_online"], 1);
    assert_eq!(row["intake_desk"], 1);
    assert_eq!(row["refused"], 1);
    assert_eq!(row["awaiting_reception"], 0);
    assert_eq!(row["open_in_time"], 2);
    assert_eq!(row["online_ratio"], 50.0);
    assert_eq!(row["on_time_rate"], 100.0);
    assert_eq!(row["with_fee"], 2);
    assert!(r["judged_at"].is_string());
    assert_aggregates_consistent(&w);

    // The first goes through to its return, early, and is rated.
    let processing = w.step(&w.reception, &first, json!({"action": "transfer"}));
    let drafted = w.step(
        &w.specialist,
        &processing,
        json!({"action": "submit_draft"}),
    );
    let approved = w.step(
        &w.leader,
        &drafted,
        json!({"action": "approve", "result_file_id": w.result_file()}),
    );
    let returned = w.step(&w.reception, &approved, json!({"action": "return_result"}));
    let id = returned["id"].as_str().unwrap();
    w.app
        .post(
            &format!("/api/v1/dossiers/{id}/rating"),
            Some(&w.citizen),
            json!({"rating": "dissatisfied"}),
        )
        .ok(201);
    let commune = report(&w, &supervisor, &w.commune, false);
    let row = &commune["rows"][0];
    assert_eq!(row["finished_early"], 1);
    assert_eq!(row["finished"], 1);
    assert_eq!(row["open_in_time"], 1);
    assert_eq!(row["results_issued"], 1);
    assert_eq!(row["electronic_results_ratio"], 100.0);
    assert_eq!(row["dissatisfied"], 1);
    // 100% − (0% late + 100% dissatisfied).
    assert_eq!(row["satisfaction"], 0.0);
    assert_eq!(
        row["carried_over"].as_u64().unwrap() + row["received"].as_u64().unwrap(),
        row["finished"].as_u64().unwrap() + row["open"].as_u64().unwrap()
    );
    assert_aggregates_consistent(&w);

    // The province's subtree: one row per unit, and a total equal to the sum of the rows.
    let province = w.province();
    let tree = report(&w, &supervisor, &province, true);
    let rows = tree["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["received"], 0,
        "the province received nothing itself"
    );
    assert_eq!(tree["total"]["received"], 2);
    assert_eq!(tree["total"], commune["total"]);
    // Every unit together (no unit named) gives the same total.
    let all = w
        .app
        .get(
            &format!(
                "/api/v1/reports/units?from={}&to={}",
                month_start(),
                today()
            ),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    assert_eq!(all["total"], commune["total"]);

    // A rebuild from the raw dossiers changes nothing.
    {
        let mut conn = w.app.pool.get().unwrap();
        let rebuilt = motcua::store::reports::rebuild(&mut conn, TZ).unwrap();
        assert_eq!(rebuilt.dossiers, 3);
    }
    assert_eq!(
        figures_only(report(&w, &supervisor, &w.commune, false)),
        figures_only(commune.clone())
    );
    assert_aggregates_consistent(&w);

    // Per procedure and per field.
    let period = format!("from={}&to={}&unit={}", month_start(), today(), w.commune);
    let procedures = w
        .app
        .get(
            &format!("/api/v1/reports/procedures?{period}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    let rows = procedures["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["procedure_code"], "1.001193.000.00.00.H30");
    assert_eq!(rows[0]["field"], "Hộ tịch");
    assert_eq!(rows[0]["time_unit"], "working_days");
    assert_eq!(rows[0]["received"], 2);
    assert!(rows[0]["average_processing_time"].as_f64().unwrap() < 1.0);
    let fields = w
        .app
        .get(
            &format!("/api/v1/reports/fields?{period}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    assert_eq!(fields["rows"][0]["field"], "Hộ tịch");
    assert_eq!(fields["rows"][0]["received"], 2);

    // A monthly series and the Decision 766 indicators.
    let series = w
        .app
        .get(
            &format!("/api/v1/reports/series?metric=received_online&{period}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    assert_eq!(series["points"].as_array().unwrap().len(), 1);
    assert_eq!(series["points"][0]["value"], 1.0);
    let indicators = w
        .app
        .get(
            &format!("/api/v1/reports/indicators?{period}"),
            Some(&supervisor),
        )
        .ok(200)
        .clone();
    let on_time = indicators["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "on_time_rate")
        .unwrap();
    assert_eq!(
        (&on_time["numerator"], &on_time["denominator"]),
        (&json!(2), &json!(2))
    );
    assert_eq!(on_time["score"], 20.0);
    assert_eq!(indicators["groups"].as_array().unwrap().len(), 5);
}

#[test]
fn who_may_read_reports_and_what_is_refused() {
    let w = World::new();
    let province = w.province();
    let period = format!("from={}&to={}", month_start(), today());
    let get = |token: &str, query: &str| {
        w.app.get(
            &format!("/api/v1/reports/units?{period}{query}"),
            Some(token),
        )
    };
    let unit = format!("&unit={}", w.commune);
    get(&w.leader, &unit).ok(200);
    // A leader's default is their own unit.
    let own = get(&w.leader, "").ok(200).clone();
    assert_eq!(own["rows"][0]["unit_id"], w.commune.as_str());
    get(&w.leader, &format!("&unit={province}")).problem(403, "forbidden");
    get(&w.reception, &unit).problem(403, "forbidden");
    get(&w.specialist, &unit).problem(403, "forbidden");
    get(&w.citizen, &unit).problem(403, "forbidden");
    w.app
        .get(&format!("/api/v1/reports/units?{period}"), None)
        .problem(401, "missing_token");
    get(&w.app.admin, &format!("&unit={}", uuid::Uuid::now_v7())).problem(404, "not_found");

    let bad = |query: &str| {
        w.app.get(
            &format!("/api/v1/reports/units?{query}"),
            Some(&w.app.admin),
        )
    };
    bad("from=2026-02-01&to=2026-01-01").problem(422, "validation_failed");
    bad("from=2020-01-01&to=2026-01-01").problem(422, "validation_failed");
    // Days of a year before 1000, whose bucket keys would be those of other periods.
    bad("from=0999-12-30&to=1000-01-02").problem(422, "validation_failed");
    bad("from=2026-13-01&to=2026-01-01").problem(400, "invalid_query");
    bad("to=2026-01-01").problem(400, "invalid_query");
    bad(&format!("{period}&colour=red")).problem(400, "invalid_query");
    w.app
        .get(
            &format!("/api/v1/reports/series?{period}&metric=nonsense"),
            Some(&w.app.admin),
        )
        .problem(422, "validation_failed");
}

/// The unit, procedure and indicator reports of the commune this month, and of every unit,
/// and the `/metrics` lines of the dossiers received, without the moments they were judged at.
fn every_report(w: &World, token: &str) -> Vec<Value> {
    let period = format!("from={}&to={}", month_start(), today());
    let commune = format!("{period}&unit={}", w.commune);
    let mut reports: Vec<Value> = [
        format!("/api/v1/reports/units?{commune}"),
        format!("/api/v1/reports/units?{period}"),
        format!("/api/v1/reports/procedures?{commune}"),
        format!("/api/v1/reports/indicators?{commune}"),
        // Every unit's: each procedure's buckets over all units and every unit's deltas.
        format!("/api/v1/reports/procedures?{period}"),
    ]
    .iter()
    .map(|path| figures_only(w.app.get(path, Some(token)).ok(200).clone()))
    .collect();
    let metrics = w.app.send("GET", "/metrics", None, None);
    assert_eq!(metrics.status, 200);
    let received: Vec<&str> = metrics
        .text
        .lines()
        .filter(|l| l.starts_with("motcua_dossiers_"))
        .collect();
    reports.push(json!(received));
    reports
}

#[test]
fn merging_the_report_deltas_into_the_buckets_changes_no_report() {
    // No merge but the test's own.
    let w = World::with(|c| c.report_merge_ms = 3_600_000);
    let supervisor = w.app.official("giam.sat", "supervisor", None);
    let merge = || {
        let mut conn = w.app.pool.get().unwrap();
        motcua::store::reports::merge(&mut conn).unwrap()
    };

    let first = w.submit();
    let first = w.step(&w.reception, &first, json!({"action": "receive"}));
    w.step(&w.reception, &first, json!({"action": "transfer"}));
    w.record();
    w.submit();
    // Everything is still in the deltas, and the reports count it.
    assert!(w.app.count("report_deltas") > 0);
    assert_eq!(w.app.count("report_buckets"), 0);
    let before = every_report(&w, &supervisor);
    let row = &before[0]["rows"][0];
    assert_eq!(
        (&row["received"], &row["awaiting_reception"], &row["open"]),
        (&json!(2), &json!(1), &json!(2)),
        "{row}"
    );
    assert_eq!(before[1]["total"], before[0]["total"]);
    assert_eq!(before[2]["rows"][0]["received"], 2);
    assert_eq!(
        before[4]["rows"], before[2]["rows"],
        "one commune has dossiers"
    );
    assert_aggregates_consistent(&w);

    // Merged: the deltas are gone, in buckets, one per key; every report is the same.
    assert!(merge() > 0);
    assert_eq!(w.app.count("report_deltas"), 0);
    let buckets = w.app.count("report_buckets");
    assert!(buckets > 0);
    assert_eq!(every_report(&w, &supervisor), before);
    assert_aggregates_consistent(&w);
    assert_eq!(merge(), 0, "nothing left to merge");

    // New changes on top of merged buckets: counted at once, merged into the same buckets.
    let third = w.submit();
    w.step(
        &w.reception,
        &third,
        json!({"action": "refuse", "reason": "Không thuộc thẩm quyền"}),
    );
    assert!(w.app.count("report_deltas") > 0);
    let after = every_report(&w, &supervisor);
    assert_eq!(after[0]["rows"][0]["refused"], 1);
    assert_eq!(after[0]["rows"][0]["awaiting_reception"], 1);
    assert_eq!(after[4]["rows"], after[2]["rows"]);
    assert_aggregates_consistent(&w);
    assert!(merge() > 0);
    assert_eq!(w.app.count("report_deltas"), 0);
    assert_eq!(w.app.count("report_buckets"), buckets);
    assert_eq!(every_report(&w, &supervisor), after);
    assert_aggregates_consistent(&w);
}

#[test]
fn the_server_merges_the_report_deltas_by_itself() {
    let w = World::with(|c| c.report_merge_ms = 50);
    let first = w.submit();
    w.step(&w.reception, &first, json!({"action": "receive"}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while w.app.count("report_deltas") > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the deltas were not merged"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(w.app.count("report_buckets") > 0);
    assert_aggregates_consistent(&w);
}
