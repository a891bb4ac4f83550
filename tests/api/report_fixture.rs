//! A scaled-down Hậu Giang, imported as legacy dossiers, with figures computed by hand: April
//! 2026 in two communes, 39 dossiers received of which 22 online (56.41%), finished early, on
//! time and late across a weekend, the 30 April – 1 May holidays and supplements, open dossiers
//! overdue at the period's end, ratings and the 50% online fee cut. The same figures on SQLite
//! and PostgreSQL, in JSON, CSV and XLSX. Also: the import round-trips, refuses a bad file whole,
//! and works from the command line.

use std::io::Read;

use serde_json::{json, Value};

use crate::common::TestApp;
use crate::report_exports::{cell, download, records};

const PROCEDURE: &str = "1.001193.000.00.00.H30";

/// The province, its two communes and a supervisor's token.
pub(crate) struct Province {
    pub(crate) app: TestApp,
    pub(crate) province: String,
    pub(crate) vi_thanh: String,
    pub(crate) vi_tan: String,
    pub(crate) supervisor: String,
}

pub(crate) fn province() -> Province {
    let app = TestApp::spawn();
    app.put(
        "/api/v1/calendar/2026",
        Some(&app.admin),
        json!({"days": [
            {"date": "2026-04-30", "kind": "holiday", "name": "Ngày Giải phóng miền Nam"},
            {"date": "2026-05-01", "kind": "holiday", "name": "Ngày Quốc tế Lao động"}
        ]}),
    )
    .ok(200);
    let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let vi_thanh = app.unit(
        "000.00.12.H30",
        "UBND phường I, Vị Thanh",
        "commune",
        Some(&province),
    );
    let vi_tan = app.unit(
        "000.00.13.H30",
        "UBND phường Vị Tân",
        "commune",
        Some(&province),
    );
    app.post(
        "/api/v1/procedures",
        Some(&app.admin),
        json!({
            "code": PROCEDURE,
            "name": "Đăng ký khai sinh",
            "field": "Hộ tịch",
            "level": "commune",
            "processing_time": {"amount": 3, "unit": "working_days"},
            "online_service": "full",
            "components": [{"name": "Tờ khai", "mandatory": true}],
            "fees": [{"name": "Lệ phí", "amount": 20000}],
            "online_payment": true,
            "unit_ids": [vi_thanh, vi_tan],
            "legal_basis": "Luật Hộ tịch 2014",
            "valid_from": "2020-01-01"
        }),
    )
    .ok(201);
    app.post(
        "/api/v1/fee-policies",
        Some(&app.admin),
        json!({"name": "Giảm 50% lệ phí nộp trực tuyến", "legal_basis": "Nghị quyết HĐND tỉnh",
               "valid_from": "2023-01-01", "channel": "online", "percent": 50}),
    )
    .ok(201);
    let supervisor = app.official("giam.sat", "supervisor", None);
    Province {
        app,
        province,
        vi_thanh,
        vi_tan,
        supervisor,
    }
}

/// One legacy dossier: its unit code, channel, history of (status, local time) and rating.
fn legacy(
    unit: &str,
    channel: &str,
    history: &[(&str, &str)],
    rating: Option<(&str, &str)>,
    n: usize,
) -> String {
    let at = |local: &str| format!("{}:00+07:00", local.replace(' ', "T"));
    let mut line = json!({
        "procedure_code": PROCEDURE,
        "receiving_unit_code": unit,
        "channel": channel,
        "applicant": {"national_id": format!("0010990{n:05}"), "full_name": "Nguyễn Văn Dân"},
        // A national status code (a number) or a status name.
        "history": history.iter().map(|(s, t)| {
            let status = s.parse::<i64>().map_or(json!(s), |code| json!(code));
            json!({"status": status, "at": at(t)})
        }).collect::<Vec<_>>(),
    });
    if let Some((rating, t)) = rating {
        line["rating"] = json!({"rating": rating, "at": at(t)});
    }
    line.to_string()
}

/// The file: each group of dossiers with the figures it adds to April 2026.
pub(crate) fn april() -> String {
    const VT: &str = "000.00.12.H30";
    const VTAN: &str = "000.00.13.H30";
    let mut lines = Vec::new();
    let mut add = |count: usize,
                   unit: &str,
                   channel: &str,
                   history: &[(&str, &str)],
                   rating: Option<(&str, &str)>| {
        for _ in 0..count {
            let n = lines.len();
            lines.push(legacy(unit, channel, history, rating, n));
        }
    };
    // A: 2 received Mon 30 March (due Thu 2 April 08:00), processed Wed 1 April: carried over,
    // finished early. 18 working hours each.
    add(
        2,
        VT,
        "in_person",
        &[
            ("received", "2026-03-30 08:00"),
            ("processing", "2026-03-30 09:00"),
            ("processed", "2026-04-01 10:00"),
            ("returned", "2026-04-01 14:00"),
        ],
        None,
    );
    // B: 12 online, received Mon 6 April 09:00 (due Thu 9 April 09:00), processed Wed 8: early;
    // satisfied. 17 h.
    add(
        12,
        VT,
        "online",
        &[
            ("submitted", "2026-04-06 08:00"),
            ("received", "2026-04-06 09:00"),
            ("processing", "2026-04-06 10:00"),
            ("processed", "2026-04-08 10:00"),
            ("returned", "2026-04-08 14:00"),
        ],
        Some(("satisfied", "2026-04-08 15:00")),
    );
    // C: 7 online, received Fri 10 April 15:00; over the weekend due Wed 15 April 15:00;
    // processed Wed 10:00: on time; normal. 20.5 h.
    add(
        7,
        VT,
        "online",
        &[
            ("submitted", "2026-04-10 14:00"),
            ("received", "2026-04-10 15:00"),
            ("processing", "2026-04-10 16:00"),
            ("processed", "2026-04-15 10:00"),
            ("returned", "2026-04-15 10:30"),
        ],
        Some(("normal", "2026-04-15 11:00")),
    );
    // D: 5 in person, received Mon 13 April 08:00 (due Thu 16 08:00), processed Fri 17: late;
    // dissatisfied. 33 h.
    add(
        5,
        VT,
        "in_person",
        &[
            ("received", "2026-04-13 08:00"),
            ("processing", "2026-04-13 09:00"),
            ("processed", "2026-04-17 09:00"),
            ("returned", "2026-04-17 10:00"),
        ],
        Some(("dissatisfied", "2026-04-17 11:00")),
    );
    // E: 3 online, received Mon 20 April 08:30 (due Thu 23 08:30); a supplement Tue 08:30 to
    // Wed 08:30 pauses a working day: due Fri 24 08:30; processed Fri 08:00: on time.
    // 31.5 h − 8 h paused = 23.5 h.
    add(
        3,
        VT,
        "online",
        &[
            ("submitted", "2026-04-20 08:00"),
            ("received", "2026-04-20 08:30"),
            ("processing", "2026-04-20 09:00"),
            ("supplement_requested", "2026-04-21 08:30"),
            ("processing", "2026-04-22 08:30"),
            ("processed", "2026-04-24 08:00"),
            ("returned", "2026-04-24 09:00"),
        ],
        None,
    );
    // F: 2 by post (national codes), received Mon 20 April 08:00, two supplement requests:
    // late whatever the dates. 18 h − 2 h paused = 16 h.
    add(
        2,
        VT,
        "postal",
        &[
            ("2", "2026-04-20 08:00"),
            ("4", "2026-04-20 09:00"),
            ("5", "2026-04-20 10:00"),
            ("4", "2026-04-20 11:00"),
            ("5", "2026-04-21 10:00"),
            ("4", "2026-04-21 11:00"),
            ("9", "2026-04-22 10:00"),
            ("10", "2026-04-22 11:00"),
        ],
        None,
    );
    // G: 6 in person, received Tue 28 April 08:00; over the holidays due Tue 5 May 08:00: open in
    // time at the period's end.
    add(
        6,
        VT,
        "in_person",
        &[
            ("received", "2026-04-28 08:00"),
            ("processing", "2026-04-28 09:00"),
        ],
        None,
    );
    // H: 4 at Vị Tân, received Mon 20 April 08:00 (due Thu 23 08:00): open and overdue at the
    // period's end; 2 of them processed on 4 May, after it.
    add(
        2,
        VTAN,
        "in_person",
        &[
            ("received", "2026-04-20 08:00"),
            ("processing", "2026-04-20 09:00"),
        ],
        None,
    );
    add(
        2,
        VTAN,
        "in_person",
        &[
            ("received", "2026-04-20 08:00"),
            ("processing", "2026-04-20 09:00"),
            ("processed", "2026-05-04 10:00"),
            ("returned", "2026-05-04 11:00"),
        ],
        None,
    );
    // I: 2 online awaiting reception at the period's end: one submitted on the 30 April holiday
    // (its 8 working hours end on 4 May), one on Mon 27 April 08:00 (limit Tue 28 08:00: late).
    add(1, VT, "online", &[("submitted", "2026-04-30 09:00")], None);
    add(1, VT, "online", &[("submitted", "2026-04-27 08:00")], None);
    // J: 2 online refused at reception.
    add(
        2,
        VT,
        "online",
        &[
            ("submitted", "2026-04-07 08:00"),
            ("refused", "2026-04-07 09:00"),
        ],
        None,
    );
    lines.join("\n") + "\n"
}

pub(crate) fn import(app: &TestApp, body: &str) -> crate::common::Answer {
    app.send_with(
        "POST",
        "/api/v1/imports/dossiers",
        Some(&app.admin),
        &[],
        Some(("application/x-ndjson", body.as_bytes().to_vec())),
    )
    .0
}

fn get(p: &Province, path: &str) -> Value {
    p.app.get(path, Some(&p.supervisor)).ok(200).clone()
}

/// The province's row of totals, its subtree's report over `from..=to`.
fn province_total(p: &Province, from: &str, to: &str) -> Value {
    let path = format!(
        "/api/v1/reports/units?from={from}&to={to}&unit={}&subtree=true",
        p.province
    );
    get(p, &path)["total"].clone()
}

#[test]
fn a_scaled_down_hau_giang_gives_the_hand_computed_figures() {
    let p = province();
    assert_eq!(import(&p.app, &april()).ok(201)["imported"], 45);
    assert_eq!(p.app.count("dossiers"), 45);
    let period = "from=2026-04-01&to=2026-04-30";
    let report = get(
        &p,
        &format!(
            "/api/v1/reports/units?{period}&unit={}&subtree=true",
            p.province
        ),
    );
    assert_eq!(
        report["judged_at"], "2026-04-30T17:00:00Z",
        "the period's end"
    );
    let t = &report["total"];
    let expected = json!({
        "carried_over": 2, "received_online": 22, "received_desk": 17, "received": 39,
        "finished_early": 14, "finished_on_time": 10, "finished_late": 7, "finished": 31,
        "open_in_time": 6, "open_overdue": 4, "open": 10,
        "awaiting_reception": 2, "awaiting_reception_overdue": 1, "refused": 2,
        "intake_online": 22, "intake_desk": 17,
        "digitized_with_result": 0, "reused": 0, "results_issued": 0,
        "with_fee": 39, "paid_online": 0, "discount_vnd": 220000,
        "satisfied": 12, "normal": 7, "dissatisfied": 5,
        // 22 / 39; (14 + 10 + 6) / 41; (7 + 4) / 41; 100% − (11/41 + 5/24) = 515/984.
        "online_ratio": 56.41, "on_time_rate": 73.17, "late_rate": 26.83,
        "digitization_ratio": 0.0, "reuse_ratio": 0.0, "electronic_results_ratio": 0.0,
        "online_payment_ratio": 0.0, "satisfaction": 52.34
    });
    assert_eq!(t, &expected);

    // One row per unit, each with its own dossiers; the total is their sum.
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let row = |id: &str| rows.iter().find(|r| r["unit_id"] == id).unwrap();
    let (vt, vtan) = (row(&p.vi_thanh), row(&p.vi_tan));
    assert_eq!(row(&p.province)["received"], 0);
    assert_eq!(
        (&vt["received_desk"], &vt["open_overdue"]),
        (&json!(13), &json!(0))
    );
    assert_eq!(
        (&vtan["received_desk"], &vtan["open_overdue"]),
        (&json!(4), &json!(4))
    );
    for field in [
        "carried_over",
        "received",
        "finished_early",
        "finished_late",
        "open_in_time",
        "open_overdue",
        "awaiting_reception",
        "discount_vnd",
        "satisfied",
    ] {
        assert_eq!(
            vt[field].as_u64().unwrap() + vtan[field].as_u64().unwrap(),
            t[field].as_u64().unwrap(),
            "{field}"
        );
    }

    // After the period the two Vị Tân dossiers processed on 4 May are finished late.
    let may = get(
        &p,
        &format!(
            "/api/v1/reports/units?from=2026-05-01&to=2026-05-31&unit={}",
            p.vi_tan
        ),
    );
    assert_eq!(may["total"]["carried_over"], 4);
    assert_eq!(may["total"]["finished_late"], 2);
    assert_eq!(may["total"]["open_overdue"], 2);

    // The procedure: 651 working hours over 31 dossiers = 21 h = 2.625 working days.
    let procedures = get(
        &p,
        &format!(
            "/api/v1/reports/procedures?{period}&unit={}&subtree=true",
            p.province
        ),
    );
    let procedure = &procedures["rows"][0];
    assert_eq!(procedure["procedure_code"], PROCEDURE);
    assert_eq!(procedure["average_processing_time"], 2.63);
    assert_eq!(procedure["received"], 39);
    // Every unit's, once merged: each procedure's buckets over all units add up the units'.
    {
        let mut conn = p.app.pool.get().unwrap();
        motcua::store::reports::merge(&mut conn).unwrap();
    }
    let every_unit = get(&p, &format!("/api/v1/reports/procedures?{period}"));
    assert_eq!(every_unit["rows"], procedures["rows"]);
    let fields = get(&p, &format!("/api/v1/reports/fields?{period}"));
    assert_eq!(fields["rows"][0]["field"], "Hộ tịch");
    assert_eq!(fields["rows"][0]["on_time_rate"], 73.17);

    // A monthly series, and the Decision 766 scores.
    let series = get(
        &p,
        "/api/v1/reports/series?metric=received_online&from=2026-03-01&to=2026-05-31",
    );
    let values: Vec<&Value> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["value"])
        .collect();
    assert_eq!(values, [&json!(0.0), &json!(22.0), &json!(0.0)]);
    let indicators = get(&p, &format!("/api/v1/reports/indicators?{period}"));
    let score = |key: &str| {
        let i = indicators["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap();
        (
            i["numerator"].clone(),
            i["denominator"].clone(),
            i["rate"].clone(),
            i["score"].clone(),
        )
    };
    // 20 × 73.17%; 12 points from 50% online; 6 × 52.34 / 90.
    assert_eq!(
        score("on_time_rate"),
        (json!(30), json!(41), json!(73.17), json!(14.63))
    );
    assert_eq!(
        score("online_ratio"),
        (json!(22), json!(39), json!(56.41), json!(12.0))
    );
    assert_eq!(score("satisfaction").2, json!(52.34));
    assert_eq!(score("satisfaction").3, json!(3.49));

    // The same figures as CSV and XLSX.
    let base = format!(
        "/api/v1/reports/units?{period}&unit={}&subtree=true",
        p.province
    );
    let (status, _, _, body) = download(&p.app, &p.supervisor, &format!("{base}&format=csv"), None);
    assert_eq!(status, 200);
    let csv = records(&body);
    let total = csv.len() - 1;
    assert_eq!(cell(&csv, total, "received_online"), "22");
    assert_eq!(cell(&csv, total, "open_overdue"), "4");
    assert_eq!(cell(&csv, total, "online_ratio"), "56.41");
    assert_eq!(cell(&csv, total, "on_time_rate"), "73.17");
    assert_eq!(cell(&csv, total, "satisfaction"), "52.34");
    assert_eq!(cell(&csv, total, "discount_vnd"), "220000");
    let (_, _, _, body) = download(&p.app, &p.supervisor, &format!("{base}&format=xlsx"), None);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    for value in [
        "<v>56.41</v>",
        "<v>73.17</v>",
        "<v>52.34</v>",
        "<v>220000</v>",
    ] {
        assert!(sheet.contains(value), "{value} in the worksheet");
    }

    // The aggregates equal a recomputation, and a rebuild gives the same report.
    let mut conn = p.app.pool.get().unwrap();
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let checked = motcua::store::reports::check(&mut conn, tz).unwrap();
    assert!(checked.differing == 0 && checked.stale_tallies == 0);
    motcua::store::reports::rebuild(&mut conn, tz).unwrap();
    drop(conn);
    assert_eq!(get(&p, &base), report);
}

#[test]
fn an_import_round_trips_and_a_bad_file_is_refused_whole() {
    let p = province();
    let good = legacy(
        "000.00.12.H30",
        "online",
        &[
            ("submitted", "2026-04-06 08:00"),
            ("received", "2026-04-06 09:00"),
            ("processing", "2026-04-06 10:00"),
            ("supplement_requested", "2026-04-07 08:00"),
            ("processing", "2026-04-08 08:00"),
            ("processed", "2026-04-09 10:00"),
            ("returned", "2026-04-09 11:00"),
        ],
        Some(("satisfied", "2026-04-09 12:00")),
        1,
    );
    let mut with_code: Value = serde_json::from_str(&good).unwrap();
    with_code["code"] = json!("000.00.12.H30-260406-0042");
    with_code["appointment"] = json!("2026-04-10T09:00:00+07:00");

    // Returned before it was received, and an unknown procedure: nothing is stored.
    let returned_early = legacy(
        "000.00.12.H30",
        "online",
        &[
            ("submitted", "2026-04-06 08:00"),
            ("returned", "2026-04-06 09:00"),
        ],
        None,
        2,
    );
    let mut unknown: Value = serde_json::from_str(&good).unwrap();
    unknown["procedure_code"] = json!("9.999999.000.00.00.H30");
    let bad = format!("{with_code}\n{returned_early}\n{unknown}\nnot json\n");
    let answer = import(&p.app, &bad);
    let problem = answer.problem(422, "import_refused");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["line 2: history[1]", "line 3: procedure_code", "line 4"]
    );
    assert_eq!(p.app.count("dossiers"), 0);
    assert_eq!(p.app.count("dossier_events"), 0);

    // Only administrators import, and only NDJSON.
    let reception = p.app.official("mot.cua", "reception", Some(&p.vi_thanh));
    let (answer, _) = p.app.send_with(
        "POST",
        "/api/v1/imports/dossiers",
        Some(&reception),
        &[],
        Some(("application/x-ndjson", good.clone().into_bytes())),
    );
    answer.problem(403, "forbidden");
    let (answer, _) = p.app.send_with(
        "POST",
        "/api/v1/imports/dossiers",
        Some(&p.app.admin),
        &[],
        Some(("application/json", good.clone().into_bytes())),
    );
    answer.problem(415, "unsupported_media_type");
    import(&p.app, "\n\n").problem(422, "validation_failed");

    // The good lines import; the dossier carries its history and the legacy code.
    assert_eq!(
        import(&p.app, &format!("{with_code}\n{good}\n")).ok(201)["imported"],
        2
    );
    let leader = p.app.official("lanh.dao", "leader", Some(&p.vi_thanh));
    let list = p
        .app
        .get("/api/v1/dossiers?limit=10", Some(&leader))
        .ok(200)
        .clone();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let kept = items
        .iter()
        .find(|d| d["code"] == "000.00.12.H30-260406-0042")
        .unwrap();
    assert_eq!(kept["status"], "returned");
    // The receipt's appointment, moved by the day paused for the supplement.
    assert_eq!(kept["due_at"], "2026-04-13T02:00:00Z");
    let made = items.iter().find(|d| d["code"] != kept["code"]).unwrap();
    assert_eq!(made["code"], "000.00.12.H30-260406-0001");
    let id = kept["id"].as_str().unwrap();
    let events = p
        .app
        .get(&format!("/api/v1/dossiers/{id}/events"), Some(&leader))
        .ok(200)
        .clone();
    let actions: Vec<&str> = events
        .as_array()
        .or(events["items"].as_array())
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "submit",
            "receive",
            "transfer",
            "request_supplement",
            "supplement",
            "approve",
            "return_result"
        ]
    );
    // The same legacy code again is a conflict, and nothing more is stored.
    import(&p.app, &format!("{good}\n{with_code}\n")).problem(409, "already_exists");
    assert_eq!(p.app.count("dossiers"), 2);
    let report = get(&p, "/api/v1/reports/units?from=2026-04-01&to=2026-04-30");
    assert_eq!(report["total"]["received_online"], 2);
    assert_eq!(report["total"]["satisfied"], 2);
}

#[test]
fn the_command_imports_the_example_file_and_checks_the_aggregates() {
    let p = province();
    let run = |args: &[&str]| p.app.command(args);
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/legacy-dossiers.ndjson"
    );
    let (ok, out) = run(&["import", "dossiers", example]);
    assert!(ok, "{out}");
    assert!(out.contains("imported 3 dossiers"), "{out}");
    let (ok, out) = run(&["reports", "check"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("checked 3 dossiers") && out.contains("0 buckets differ"),
        "{out}"
    );
    let (ok, out) = run(&["reports", "rebuild"]);
    assert!(
        ok && out.contains("rebuilt the aggregates of 3 dossiers"),
        "{out}"
    );
    // A file with an error names its line, and stores nothing.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.ndjson");
    std::fs::write(&broken, "{\"procedure_code\": \"x\"}\n").unwrap();
    let (ok, out) = run(&["import", "dossiers", broken.to_str().unwrap()]);
    assert!(!ok && out.contains("line 1"), "{out}");
    assert_eq!(p.app.count("dossiers"), 3);
    let report = get(&p, "/api/v1/reports/units?from=2025-12-01&to=2025-12-31");
    assert_eq!(report["total"]["received"], 3);
}

#[test]
fn a_period_read_as_its_month_less_some_days_adds_up_with_those_days() {
    let p = province();
    assert_eq!(import(&p.app, &april()).ok(201)["imported"], 45);
    let total = |from: &str, to: &str| province_total(&p, from, to);
    let april = total("2026-04-01", "2026-04-30");
    // Split after the 1st (the rest is April less its 1st), after the 15th (days on both
    // sides) and after the 29th (the first part is April less its 30th).
    for split in [1, 15, 29] {
        let first = total("2026-04-01", &format!("2026-04-{split:02}"));
        let rest = total(&format!("2026-04-{:02}", split + 1), "2026-04-30");
        for flow in FLOWS {
            assert_eq!(
                first[flow].as_i64().unwrap() + rest[flow].as_i64().unwrap(),
                april[flow].as_i64().unwrap(),
                "{flow}, split after day {split}"
            );
        }
        for level in LEVELS {
            assert_eq!(
                rest[level], april[level],
                "{level}, split after day {split}"
            );
        }
    }
    assert_eq!(april["received"], 39);
}

#[test]
fn periods_read_through_their_years_add_up_with_their_months() {
    let p = province();
    assert_eq!(import(&p.app, &april()).ok(201)["imported"], 45);
    let total = |from: &str, to: &str| province_total(&p, from, to);
    // Each period as its year buckets read it (the year, the year less some months, a
    // year's months and last year's December), against the sum of its parts' reports, each
    // within one month (read as month and day buckets only), in order.
    let month = |year: i32, month: u32| {
        let first = chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap();
        let last = first
            .checked_add_months(chrono::Months::new(1))
            .unwrap()
            .pred_opt()
            .unwrap();
        (first.to_string(), last.to_string())
    };
    let part = |a: &str, b: &str| (a.to_string(), b.to_string());
    type Days = (String, String);
    let cases: [(&str, &str, Vec<Days>); 3] = [
        (
            "2026-01-01",
            "2026-12-31",
            (1..=12).map(|m| month(2026, m)).collect(),
        ),
        (
            "2026-04-10",
            "2026-12-31",
            std::iter::once(part("2026-04-10", "2026-04-30"))
                .chain((5..=12).map(|m| month(2026, m)))
                .collect(),
        ),
        (
            "2025-12-15",
            "2026-11-16",
            std::iter::once(part("2025-12-15", "2025-12-31"))
                .chain((1..=10).map(|m| month(2026, m)))
                .chain([part("2026-11-01", "2026-11-16")])
                .collect(),
        ),
    ];
    for (from, to, parts) in cases {
        let whole = total(from, to);
        let parts: Vec<Value> = parts.iter().map(|(a, b)| total(a, b)).collect();
        for flow in FLOWS {
            let sum: i64 = parts.iter().map(|p| p[flow].as_i64().unwrap()).sum();
            assert_eq!(whole[flow].as_i64().unwrap(), sum, "{flow}, {from}..{to}");
        }
        let last = parts.last().unwrap();
        for level in LEVELS {
            assert_eq!(whole[level], last[level], "{level}, {from}..{to}");
        }
    }
    // Not vacuous: the year holds April's 39 receipts and more, and from 10 April on fewer.
    let year = total("2026-01-01", "2026-12-31")["received"]
        .as_i64()
        .unwrap();
    let rest = total("2026-04-10", "2026-12-31")["received"]
        .as_i64()
        .unwrap();
    assert!(year > 39 && rest < year, "{year}, {rest}");
}

/// The report columns that count what happened within a period.
const FLOWS: [&str; 15] = [
    "received_online",
    "received_desk",
    "received",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "finished",
    "refused",
    "intake_online",
    "intake_desk",
    "with_fee",
    "discount_vnd",
    "satisfied",
    "normal",
    "dissatisfied",
];
/// The report columns of a period's end.
const LEVELS: [&str; 4] = ["open_in_time", "open_overdue", "open", "awaiting_reception"];
