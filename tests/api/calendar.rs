//! The working calendar (DOMAIN.md §7): each year's holidays and compensatory working days, and
//! the deadline calculator that explains a due date.

use serde_json::{json, Value};

use crate::common::{encode, Answer, TestApp};

/// The 2026 calendar used below (a plausible one, not an official decree).
fn calendar_2026() -> Value {
    let mut days = vec![
        json!({"date": "2026-01-01", "kind": "holiday", "name": "Tết Dương lịch"}),
        json!({"date": "2026-01-02", "kind": "holiday", "name": "Nghỉ bù Tết Dương lịch"}),
        json!({"date": "2026-01-10", "kind": "working_day", "name": "Làm bù cho ngày 02/01"}),
        json!({"date": "2026-09-02", "kind": "holiday", "name": "Quốc khánh"}),
        json!({"date": "2026-09-01", "kind": "holiday", "name": "Quốc khánh"}),
        json!({"date": "2026-05-01", "kind": "holiday", "name": "Quốc tế Lao động"}),
        json!({"date": "2026-04-30", "kind": "holiday", "name": "Ngày Chiến thắng"}),
    ];
    // Tết Nguyên đán: Saturday 14 to Sunday 22 February 2026 (listed out of order on purpose).
    for day in (14..=22).rev() {
        days.push(
            json!({"date": format!("2026-02-{day}"), "kind": "holiday", "name": "Tết Nguyên đán"}),
        );
    }
    json!({ "days": days })
}

fn deadline(app: &TestApp, start: &str, amount: u32, unit: &str) -> Answer {
    app.get(
        &format!(
            "/api/v1/calendar/deadline?start={}&amount={amount}&unit={unit}",
            encode(start)
        ),
        None,
    )
}

/// `(date, reason, name)` of the skipped days.
fn skipped(body: &Value) -> Vec<(String, String, Option<String>)> {
    body["skipped_days"]
        .as_array()
        .expect("skipped_days")
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["reason"].as_str().unwrap().to_string(),
                d["name"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn day(date: &str, reason: &str, name: Option<&str>) -> (String, String, Option<String>) {
    (
        date.to_string(),
        reason.to_string(),
        name.map(str::to_string),
    )
}

#[test]
fn an_administrator_sets_a_year_and_setting_it_again_replaces_it() {
    let app = TestApp::spawn();
    // Nothing stored yet: an empty year.
    let answer = app.get("/api/v1/calendar/2026", None);
    assert_eq!(answer.ok(200)["year"], 2026);
    assert_eq!(answer.body["days"], json!([]));

    let answer = app.put("/api/v1/calendar/2026", Some(&app.admin), calendar_2026());
    let stored = answer.ok(200).clone();
    assert_eq!(stored["year"], 2026);
    let days = stored["days"].as_array().unwrap();
    assert_eq!(days.len(), 16);
    assert_eq!(app.count("calendar_days"), 16);
    let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
    let mut in_order = dates.clone();
    in_order.sort();
    assert_eq!(dates, in_order, "days come back in date order");
    assert_eq!(
        days[0],
        json!({"date": "2026-01-01", "kind": "holiday", "name": "Tết Dương lịch"})
    );
    assert_eq!(
        days[2],
        json!({"date": "2026-01-10", "kind": "working_day", "name": "Làm bù cho ngày 02/01"})
    );
    assert_eq!(
        days[3],
        json!({"date": "2026-02-14", "kind": "holiday", "name": "Tết Nguyên đán"})
    );
    assert_eq!(
        days[15],
        json!({"date": "2026-09-02", "kind": "holiday", "name": "Quốc khánh"})
    );
    // Anyone reads it back, the same.
    let answer = app.get("/api/v1/calendar/2026", None);
    assert_eq!(answer.ok(200), &stored);
    // Other years are untouched.
    let answer = app.get("/api/v1/calendar/2027", None);
    assert_eq!(answer.ok(200)["days"], json!([]));

    // 2027 gets its own New Year; 2026 keeps its days.
    app.put(
        "/api/v1/calendar/2027",
        Some(&app.admin),
        json!({"days": [{"date": "2027-01-01", "kind": "holiday", "name": "Tết Dương lịch"}]}),
    )
    .ok(200);
    assert_eq!(app.count("calendar_days"), 17);

    // A second PUT of 2026 replaces the year: the old days are gone.
    let replacement = json!({"days": [
        {"date": "2026-09-02", "kind": "holiday", "name": " Quốc khánh "},
        {"date": "2026-04-27", "kind": "holiday", "name": "Giỗ Tổ Hùng Vương (nghỉ bù)"},
        {"date": "2026-08-29", "kind": "working_day", "name": "Làm bù"},
    ]});
    let answer = app.put("/api/v1/calendar/2026", Some(&app.admin), replacement);
    let expected = json!({"year": 2026, "days": [
        {"date": "2026-04-27", "kind": "holiday", "name": "Giỗ Tổ Hùng Vương (nghỉ bù)"},
        {"date": "2026-08-29", "kind": "working_day", "name": "Làm bù"},
        {"date": "2026-09-02", "kind": "holiday", "name": "Quốc khánh"},
    ]});
    assert_eq!(answer.ok(200), &expected);
    assert_eq!(app.get("/api/v1/calendar/2026", None).ok(200), &expected);
    assert_eq!(app.count("calendar_days"), 3 + 1);
    assert_eq!(
        app.get("/api/v1/calendar/2027", None).ok(200)["days"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The calculator uses the new set: 1 September works again.
    let answer = deadline(&app, "2026-08-31T15:00:00+07:00", 1, "working_days");
    assert_eq!(answer.ok(200)["due_at"], "2026-09-01T08:00:00Z");
    assert_eq!(skipped(&answer.body), vec![]);

    // An empty list clears the year.
    app.put(
        "/api/v1/calendar/2026",
        Some(&app.admin),
        json!({"days": []}),
    )
    .ok(200);
    assert_eq!(
        app.get("/api/v1/calendar/2026", None).ok(200)["days"],
        json!([])
    );
    assert_eq!(app.count("calendar_days"), 1);
}

#[test]
fn bad_calendars_are_refused_and_the_stored_one_stays() {
    let app = TestApp::spawn();
    let unit = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let officer = app.official("tiepnhan.hg", "reception", Some(&unit));
    let stored = app
        .put("/api/v1/calendar/2026", Some(&app.admin), calendar_2026())
        .ok(200)
        .clone();
    let rows = app.count("calendar_days");
    let with = |extra: Value| {
        let mut body = calendar_2026();
        body["days"].as_array_mut().unwrap().push(extra);
        body
    };

    let cases = [
        (
            "a day of another year",
            with(json!({"date": "2027-01-01", "kind": "holiday", "name": "Tết Dương lịch"})),
            "days[2027-01-01]",
        ),
        (
            "a date listed twice",
            with(json!({"date": "2026-09-02", "kind": "holiday", "name": "Quốc khánh (lần hai)"})),
            "days[2026-09-02]",
        ),
        (
            "a compensatory working day on a weekday",
            with(json!({"date": "2026-01-07", "kind": "working_day", "name": "Làm bù"})),
            "days[2026-01-07]",
        ),
        (
            "a blank name",
            with(json!({"date": "2026-12-24", "kind": "holiday", "name": "   "})),
            "days[16].name",
        ),
    ];
    for (what, body, field) in cases {
        let answer = app.put("/api/v1/calendar/2026", Some(&app.admin), body);
        let problem = answer.problem(422, "validation_failed");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec![field], "{what}: {}", answer.text);
    }
    // An unknown kind does not even parse.
    app.put(
        "/api/v1/calendar/2026",
        Some(&app.admin),
        with(json!({"date": "2026-12-24", "kind": "day_off", "name": "Giáng sinh"})),
    )
    .problem(422, "invalid_body");
    app.put(
        "/api/v1/calendar/2026",
        Some(&app.admin),
        with(json!({"date": "2026-02-30", "kind": "holiday", "name": "Không có"})),
    )
    .problem(422, "invalid_body");
    // Years this service does not keep.
    app.get("/api/v1/calendar/1800", None)
        .problem(404, "not_found");
    app.get("/api/v1/calendar/99999", None)
        .problem(404, "not_found");
    app.put(
        "/api/v1/calendar/2500",
        Some(&app.admin),
        json!({"days": [{"date": "2500-01-01", "kind": "holiday", "name": "Tết Dương lịch"}]}),
    )
    .problem(404, "not_found");
    // Administrators only.
    app.put("/api/v1/calendar/2026", Some(&officer), json!({"days": []}))
        .problem(403, "forbidden");
    app.put("/api/v1/calendar/2026", None, json!({"days": []}))
        .problem(401, "missing_token");

    assert_eq!(app.count("calendar_days"), rows, "nothing was stored");
    assert_eq!(app.get("/api/v1/calendar/2026", None).ok(200), &stored);
}

#[test]
fn deadlines_follow_weekends_and_working_hours() {
    let app = TestApp::spawn();

    // DOMAIN.md: received Monday at 15:00 with 1 working day, due Tuesday at 15:00.
    let answer = deadline(&app, "2026-11-23T15:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["start"], "2026-11-23T08:00:00Z");
    assert_eq!(body["amount"], 1);
    assert_eq!(body["unit"], "working_days");
    assert_eq!(body["effective_start"], "2026-11-23T08:00:00Z");
    assert_eq!(body["due_at"], "2026-11-24T08:00:00Z");
    assert_eq!(body["due_at_local"], "2026-11-24T15:00:00+07:00");
    assert_eq!(body["working_seconds"], 8 * 3600);
    assert_eq!(skipped(body), vec![]);
    assert_eq!(body["compensatory_working_days"], json!([]));
    assert!(
        body["explanation"]
            .as_str()
            .unwrap()
            .contains("due 2026-11-24 15:00"),
        "{}",
        answer.text
    );
    // The same instant written in UTC gives the same answer.
    let utc = deadline(&app, "2026-11-23T08:00:00Z", 1, "working_days");
    assert_eq!(utc.ok(200)["due_at"], "2026-11-24T08:00:00Z");

    // DOMAIN.md: 1 working day from Saturday 10:00 ends Monday at 17:00.
    let answer = deadline(&app, "2026-11-21T10:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["start"], "2026-11-21T03:00:00Z");
    assert_eq!(
        body["effective_start"], "2026-11-23T00:30:00Z",
        "Monday 07:30"
    );
    assert_eq!(body["due_at"], "2026-11-23T10:00:00Z");
    assert_eq!(body["due_at_local"], "2026-11-23T17:00:00+07:00");
    assert_eq!(
        skipped(body),
        vec![
            day("2026-11-21", "saturday", None),
            day("2026-11-22", "sunday", None)
        ]
    );
    let explanation = body["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("2026-11-21 (saturday)"),
        "{explanation}"
    );
    assert!(
        explanation.contains("due 2026-11-23 17:00"),
        "{explanation}"
    );

    // Received in the lunch break: the clock starts at 13:00.
    let answer = deadline(&app, "2026-11-24T12:10:00+07:00", 2, "working_hours");
    let body = answer.ok(200);
    assert_eq!(
        body["effective_start"], "2026-11-24T06:00:00Z",
        "13:00 local"
    );
    assert_eq!(body["due_at_local"], "2026-11-24T15:00:00+07:00");
    assert_eq!(body["working_seconds"], 2 * 3600);
    // A working day from the lunch break: the afternoon, then the next morning, due at 11:30
    // (the end of the period where the time ran out, not 13:00).
    let answer = deadline(&app, "2026-11-24T12:10:00+07:00", 1, "working_days");
    assert_eq!(
        answer.ok(200)["due_at_local"],
        "2026-11-25T11:30:00+07:00",
        "time running out at a period's end is due at that end"
    );

    // Working hours straddle the lunch break: 1 hour from 11:00 is 13:30.
    let answer = deadline(&app, "2026-11-25T11:00:00+07:00", 1, "working_hours");
    let body = answer.ok(200);
    assert_eq!(body["effective_start"], "2026-11-25T04:00:00Z");
    assert_eq!(body["due_at_local"], "2026-11-25T13:30:00+07:00");
    // ...and the weekend: 3 working hours from Friday 15:30 end Monday 09:00.
    let answer = deadline(&app, "2026-11-27T15:30:00+07:00", 3, "working_hours");
    let body = answer.ok(200);
    assert_eq!(body["due_at_local"], "2026-11-30T09:00:00+07:00");
    assert_eq!(
        skipped(body),
        vec![
            day("2026-11-28", "saturday", None),
            day("2026-11-29", "sunday", None)
        ]
    );

    // Calendar days count calendar time: Friday 10:00 + 3 is Monday 10:00, nothing skipped.
    let answer = deadline(&app, "2026-11-27T10:00:00+07:00", 3, "calendar_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at_local"], "2026-11-30T10:00:00+07:00");
    assert_eq!(body["effective_start"], body["start"]);
    assert_eq!(body["working_seconds"], 0);
    assert_eq!(skipped(body), vec![]);

    // The largest accepted amount still answers.
    deadline(&app, "2026-11-23T15:00:00+07:00", 1000, "working_days").ok(200);
}

#[test]
fn deadlines_skip_holidays_and_count_compensatory_days() {
    let app = TestApp::spawn();
    app.put("/api/v1/calendar/2026", Some(&app.admin), calendar_2026())
        .ok(200);

    // Quốc khánh: Monday 31 August 15:00 + 1 working day skips 1–2 September.
    let answer = deadline(&app, "2026-08-31T15:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at"], "2026-09-03T08:00:00Z");
    assert_eq!(body["due_at_local"], "2026-09-03T15:00:00+07:00");
    assert_eq!(
        skipped(body),
        vec![
            day("2026-09-01", "holiday", Some("Quốc khánh")),
            day("2026-09-02", "holiday", Some("Quốc khánh")),
        ]
    );
    let explanation = body["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("2026-09-02 (Quốc khánh)"),
        "{explanation}"
    );

    // Received on the holiday itself: counted from Thursday morning.
    let answer = deadline(&app, "2026-09-02T09:00:00+07:00", 4, "working_hours");
    let body = answer.ok(200);
    assert_eq!(body["effective_start"], "2026-09-03T00:30:00Z");
    assert_eq!(body["due_at_local"], "2026-09-03T11:30:00+07:00");
    assert_eq!(
        skipped(body),
        vec![day("2026-09-02", "holiday", Some("Quốc khánh"))]
    );

    // 30 April and 1 May run into the weekend: Wednesday 15:00 → Monday 4 May 15:00.
    let answer = deadline(&app, "2026-04-29T15:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at_local"], "2026-05-04T15:00:00+07:00");
    assert_eq!(
        skipped(body),
        vec![
            day("2026-04-30", "holiday", Some("Ngày Chiến thắng")),
            day("2026-05-01", "holiday", Some("Quốc tế Lao động")),
            day("2026-05-02", "saturday", None),
            day("2026-05-03", "sunday", None),
        ]
    );

    // Tết: Friday 13 February 15:00 + 1 working day is Monday 23 February 15:00; the weekends
    // inside Tết are reported as the holiday.
    let answer = deadline(&app, "2026-02-13T15:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at"], "2026-02-23T08:00:00Z");
    let expected: Vec<_> = (14..=22)
        .map(|d| day(&format!("2026-02-{d}"), "holiday", Some("Tết Nguyên đán")))
        .collect();
    assert_eq!(skipped(body), expected);
    // Three working days across Tết and the following weekend.
    let answer = deadline(&app, "2026-02-12T08:00:00+07:00", 3, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at_local"], "2026-02-24T08:00:00+07:00");
    assert_eq!(body["working_seconds"], 3 * 8 * 3600);
    // Calendar days are not moved by Tết.
    let answer = deadline(&app, "2026-02-13T15:00:00+07:00", 3, "calendar_days");
    assert_eq!(answer.ok(200)["due_at_local"], "2026-02-16T15:00:00+07:00");
    assert_eq!(skipped(&answer.body), vec![]);

    // New Year: Wednesday 31 December 2025 15:00 → Monday 5 January 2026 15:00.
    let answer = deadline(&app, "2025-12-31T15:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at_local"], "2026-01-05T15:00:00+07:00");
    assert_eq!(
        skipped(body),
        vec![
            day("2026-01-01", "holiday", Some("Tết Dương lịch")),
            day("2026-01-02", "holiday", Some("Nghỉ bù Tết Dương lịch")),
            day("2026-01-03", "saturday", None),
            day("2026-01-04", "sunday", None),
        ]
    );

    // The compensatory Saturday is worked: Friday 9 January 15:00 → Saturday 10 January 15:00.
    let answer = deadline(&app, "2026-01-09T15:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at_local"], "2026-01-10T15:00:00+07:00");
    assert_eq!(skipped(body), vec![]);
    assert_eq!(
        body["compensatory_working_days"],
        json!([{"date": "2026-01-10", "name": "Làm bù cho ngày 02/01"}])
    );
    let explanation = body["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("working on 2026-01-10"),
        "{explanation}"
    );
    // Received on that Saturday morning, it is working time at once.
    let answer = deadline(&app, "2026-01-10T08:00:00+07:00", 2, "working_hours");
    let body = answer.ok(200);
    assert_eq!(body["effective_start"], body["start"]);
    assert_eq!(body["due_at_local"], "2026-01-10T10:00:00+07:00");
    // The Sunday after it is an ordinary Sunday.
    let answer = deadline(&app, "2026-01-10T15:00:00+07:00", 1, "working_days");
    let body = answer.ok(200);
    assert_eq!(body["due_at_local"], "2026-01-12T15:00:00+07:00");
    assert_eq!(skipped(body), vec![day("2026-01-11", "sunday", None)]);
    assert_eq!(
        body["compensatory_working_days"],
        json!([{"date": "2026-01-10", "name": "Làm bù cho ngày 02/01"}])
    );
}

#[test]
fn bad_deadline_queries_are_problems() {
    let app = TestApp::spawn();
    let start = encode("2026-11-23T15:00:00+07:00");
    let bad_queries = [
        format!("start={start}&unit=working_days"),
        "amount=1&unit=working_days".to_string(),
        format!("start={start}&amount=1"),
        "start=yesterday&amount=1&unit=working_days".to_string(),
        // No offset: not an instant.
        "start=2026-11-23T15:00:00&amount=1&unit=working_days".to_string(),
        // An unencoded `+` is a space.
        "start=2026-11-23T15:00:00+07:00&amount=1&unit=working_days".to_string(),
        format!("start={start}&amount=1&unit=fortnights"),
        format!("start={start}&amount=-1&unit=working_days"),
        format!("start={start}&amount=one&unit=working_days"),
    ];
    for query in bad_queries {
        let answer = app.get(&format!("/api/v1/calendar/deadline?{query}"), None);
        assert_eq!(answer.status, 400, "{query}: {}", answer.text);
        answer.problem(400, "invalid_query");
    }
    for (amount, unit) in [
        (5000, "working_days"),
        (8001, "working_hours"),
        (1501, "calendar_days"),
    ] {
        let answer = app.get(
            &format!("/api/v1/calendar/deadline?start={start}&amount={amount}&unit={unit}"),
            None,
        );
        let problem = answer.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "amount", "{unit}");
    }
    // The limits themselves are accepted.
    for (amount, unit) in [(8000, "working_hours"), (1500, "calendar_days")] {
        app.get(
            &format!("/api/v1/calendar/deadline?start={start}&amount={amount}&unit={unit}"),
            None,
        )
        .ok(200);
    }
}
