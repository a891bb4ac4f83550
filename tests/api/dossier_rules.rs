//! The rules of intake and of the workflow, and bad input: refused with a problem and nothing
//! stored; uploads checked on content and size, stored once per content; the list's filters and
//! paging; the public status look-up.

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};

use crate::common::{encode, items, multipart, sorted, Answer, TestApp};
use crate::dossiers::{instant, World};

const HCM: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

fn path(dossier: &Value) -> String {
    format!("/api/v1/dossiers/{}", dossier["id"].as_str().unwrap())
}

fn id(dossier: &Value) -> String {
    dossier["id"].as_str().unwrap().to_string()
}

/// The first field error of a validation problem.
#[track_caller]
fn field_error(answer: &Answer) -> &str {
    answer.problem(422, "validation_failed")["errors"][0]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("a field error: {}", answer.text))
}

/// The (dossiers, components, events) rows.
fn stored(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("dossiers"),
        app.count("dossier_components"),
        app.count("dossier_events"),
    )
}

/// The regular files under the data folder's `files/` tree.
fn files_on_disk(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().path())
                    .map(|p| if p.is_dir() { walk(&p) } else { 1 })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&app.data_dir().join("files"))
}

#[test]
fn bad_submissions_are_refused_and_nothing_is_stored() {
    let w = World::new();
    let admin = Some(w.app.admin.as_str());
    let create = |body: Value| {
        w.app
            .post("/api/v1/procedures", admin, body)
            .ok(201)
            .clone()
    };
    let mut offline = w.procedure_body("1.001201", &[&w.commune]);
    offline["online_service"] = json!("none");
    let offline = create(offline);
    let mut expired = w.procedure_body("1.001202", &[&w.commune]);
    expired["valid_to"] = json!("2021-12-31");
    let expired = create(expired);
    let superseded = create(w.procedure_body("1.001203", &[&w.commune]));
    let mut next = w.procedure_body("1.001203", &[&w.commune]);
    next["valid_from"] = json!(Utc::now().with_timezone(&HCM).date_naive());
    let current = w
        .app
        .post(
            &format!("/api/v1/procedures/{}/versions", id(&superseded)),
            admin,
            next,
        )
        .ok(201)
        .clone();
    let only = |p: &Value| {
        json!({"procedure_id": p["id"], "channel": "online",
               "components": [{"component_id": p["components"][0]["id"],
                               "file_id": w.upload(&w.citizen, "ban chinh")}]})
    };
    let online = |components: Value| json!({"procedure_id": w.procedure["id"], "channel": "online", "components": components});
    let file = |text: &str| w.upload(&w.citizen, text);
    let desk = |applicant: Value| {
        json!({"procedure_id": w.procedure["id"], "channel": "in_person", "applicant": applicant,
               "components": [{"component_id": w.component(0), "file_id": w.upload(&w.reception, "scan")}]})
    };
    let person = json!({"national_id": "001099012345", "full_name": "Trần Thị Công Dân"});
    let mut unknown_field = online(w.components(&w.citizen));
    unknown_field["priority"] = json!("cao");
    let mut elsewhere = desk(person.clone());
    elsewhere["processing_unit_id"] = json!(w.province());

    // (what, who, body, problem code, the first field error)
    let cases: Vec<(&str, &str, Value, &str, Option<&str>)> = vec![
        (
            "a missing mandatory component",
            &w.citizen,
            online(json!([{"component_id": w.component(0), "file_id": file("to khai")}])),
            "missing_components",
            Some("components"),
        ),
        (
            "an unknown component",
            &w.citizen,
            online(json!([
                {"component_id": w.component(0), "file_id": file("a")},
                {"component_id": w.component(1), "file_id": file("b")},
                {"component_id": uuid::Uuid::new_v4(), "file_id": file("c")},
            ])),
            "validation_failed",
            Some("components[2]"),
        ),
        (
            "a component twice",
            &w.citizen,
            online(json!([
                {"component_id": w.component(0), "file_id": file("a")},
                {"component_id": w.component(0), "file_id": file("b")},
                {"component_id": w.component(1), "file_id": file("c")},
            ])),
            "validation_failed",
            Some("components[1]"),
        ),
        (
            "a procedure not online",
            &w.citizen,
            only(&offline),
            "not_online",
            None,
        ),
        (
            "a procedure that has expired",
            &w.citizen,
            only(&expired),
            "procedure_not_valid",
            None,
        ),
        (
            "a superseded version",
            &w.citizen,
            only(&superseded),
            "procedure_not_valid",
            None,
        ),
        (
            "an unknown procedure",
            &w.citizen,
            json!({"procedure_id": uuid::Uuid::new_v4(), "channel": "online",
                   "components": w.components(&w.citizen)}),
            "validation_failed",
            Some("procedure_id"),
        ),
        (
            "an unknown field",
            &w.citizen,
            unknown_field,
            "invalid_body",
            None,
        ),
        (
            "an invalid national id",
            &w.reception,
            desk(json!({"national_id": "12345", "full_name": "Nguyễn Văn A"})),
            "validation_failed",
            Some("applicant.national_id"),
        ),
        (
            "no applicant at the desk",
            &w.reception,
            desk(Value::Null),
            "validation_failed",
            Some("applicant"),
        ),
        (
            "a processing unit that does not apply the procedure",
            &w.reception,
            elsewhere,
            "validation_failed",
            Some("processing_unit_id"),
        ),
    ];
    for (what, token, body, code, field) in cases {
        let answer = w.app.post("/api/v1/dossiers", Some(token), body);
        assert_eq!(answer.status, 422, "{what}: {}", answer.text);
        let problem = answer.problem(422, code);
        if let Some(field) = field {
            assert_eq!(problem["errors"][0]["field"], field, "{what}: {problem}");
        }
        assert_eq!(stored(&w.app), (0, 0, 0), "{what}: nothing stored");
    }

    // Every missing mandatory component is named.
    let none = w
        .app
        .post("/api/v1/dossiers", Some(&w.citizen), online(json!([])));
    let errors = none.problem(422, "missing_components")["errors"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (error, component) in errors.iter().zip([w.component(0), w.component(1)]) {
        assert_eq!(error["code"], "missing_component");
        assert!(error["message"].as_str().unwrap().contains(&component));
    }
    assert_eq!(stored(&w.app), (0, 0, 0));

    // The version in force is accepted: it was the version, not the procedure, that was refused.
    w.app
        .post("/api/v1/dossiers", Some(&w.citizen), only(&current))
        .ok(201);
    assert_eq!(stored(&w.app), (1, 1, 1));
}

#[test]
fn refused_uploads_leave_nothing_and_identical_ones_are_stored_once() {
    let w = World::with(|c| c.limits.max_upload_bytes = 1024);
    let send = |parts: &[(&str, &str, &[u8])]| {
        let (content_type, body) = multipart(parts);
        w.app
            .send_with(
                "POST",
                "/api/v1/files",
                Some(&w.citizen),
                &[],
                Some((&content_type, body)),
            )
            .0
    };
    send(&[("file", "hello.pdf", b"hello")]).problem(415, "unsupported_file_type");
    assert_eq!((w.app.count("files"), files_on_disk(&w.app)), (0, 0));

    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(1025, b'x');
    send(&[("file", "big.pdf", &big)]).problem(413, "file_too_large");
    assert_eq!((w.app.count("files"), files_on_disk(&w.app)), (0, 0));

    // No `file` field: a form with another field is refused as unexpected, an empty file as
    // missing. (A form with no part at all is malformed multipart to actix: 400.)
    send(&[("document", "scan.pdf", b"%PDF-1.4\nten sai")]).problem(400, "unexpected_field");
    let empty = send(&[("file", "empty.pdf", b"")]);
    assert_eq!(field_error(&empty), "file");
    assert_eq!((w.app.count("files"), files_on_disk(&w.app)), (0, 0));

    // At the limit it fits; the same content twice is two files but one stored copy.
    big.truncate(1024);
    let first = send(&[("file", "a.pdf", &big)]).ok(201).clone();
    let second = send(&[("file", "b.pdf", &big)]).ok(201).clone();
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["sha256"], second["sha256"]);
    assert_eq!(first["size"], 1024);
    assert_eq!(first["content_type"], "application/pdf");
    assert_eq!(second["file_name"], "b.pdf");
    assert_eq!(w.app.count("files"), 2);
    assert_eq!(files_on_disk(&w.app), 1, "content-addressed");
}

#[test]
fn a_refusal_needs_a_reason_and_ends_the_dossier_before_its_clock_starts() {
    let w = World::new();
    let d = w.submit();
    let no_reason = w.act(&w.reception, &d, json!({"action": "refuse"}));
    assert_eq!(field_error(&no_reason), "reason");
    let blank = w.act(
        &w.reception,
        &d,
        json!({"action": "refuse", "reason": "  "}),
    );
    assert_eq!(field_error(&blank), "reason");
    assert_eq!(w.app.count("dossier_events"), 1);

    let refused = w.step(
        &w.reception,
        &d,
        json!({"action": "refuse", "reason": "Không thuộc thẩm quyền giải quyết"}),
    );
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["national_status_code"], 3);
    assert!(refused["finished_at"].is_string());
    assert!(refused["received_at"].is_null() && refused["code"].is_null());
    assert!(
        refused["timeliness"].is_null(),
        "never received: not judged"
    );

    // Refused is terminal.
    for (token, action) in [
        (&w.reception, json!({"action": "receive"})),
        (
            &w.reception,
            json!({"action": "refuse", "reason": "Lần nữa"}),
        ),
        (&w.citizen, json!({"action": "withdraw"})),
        (&w.leader, json!({"action": "stop", "reason": "Dừng"})),
    ] {
        w.act(token, &refused, action)
            .problem(409, "illegal_transition");
    }
    assert_eq!(w.app.count("dossier_events"), 2);
    let events = w.app.get(&format!("{}/events", path(&d)), Some(&w.citizen));
    let last = events.ok(200).as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "refuse");
    assert_eq!(
        last["details"]["reason"],
        "Không thuộc thẩm quyền giải quyết"
    );
    let again = w.app.get(&path(&d), Some(&w.citizen));
    assert_eq!(again.ok(200)["status"], "refused");
    assert!(again.body["timeliness"].is_null());
}

#[test]
fn a_second_supplement_request_makes_the_dossier_late() {
    let w = World::new();
    let d = w.submit();
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    let missing = w.act(&w.specialist, &d, json!({"action": "request_supplement"}));
    assert_eq!(field_error(&missing), "missing_components");
    let foreign = w.act(
        &w.specialist,
        &d,
        json!({"action": "request_supplement", "missing_components": [uuid::Uuid::new_v4()]}),
    );
    assert_eq!(field_error(&foreign), "missing_components");
    w.act(&w.leader, &d, json!({"action": "approve"}))
        .problem(409, "illegal_transition");
    assert_eq!(w.app.count("dossier_events"), 3);

    let mut d = d;
    for round in 1..=2 {
        d = w.step(
            &w.specialist,
            &d,
            json!({"action": "request_supplement", "missing_components": [w.component(1)]}),
        );
        assert_eq!(d["status"], "supplement_requested");
        assert_eq!(d["supplement_requests"], round);
        let file = w.upload(&w.citizen, &format!("giay chung sinh {round}"));
        d = w.step(
            &w.citizen,
            &d,
            json!({"action": "supplement",
                   "components": [{"component_id": w.component(1), "file_id": file}]}),
        );
        assert_eq!(d["status"], "processing");
    }
    let d = w.step(&w.specialist, &d, json!({"action": "submit_draft"}));
    let d = w.step(
        &w.leader,
        &d,
        json!({"action": "approve", "result_file_id": w.result_file()}),
    );
    assert_eq!(d["status"], "processed");
    assert_eq!(d["supplement_requests"], 2);
    assert!(
        instant(&d["finished_at"]) < instant(&d["due_at"]),
        "finished well before the appointment"
    );
    assert_eq!(d["timeliness"], "late", "yet late: two supplement requests");
    let again = w.app.get(&path(&d), Some(&w.leader));
    assert_eq!(again.ok(200)["timeliness"], "late");
    assert_eq!(again.body["supplement_requests"], 2);
    assert_eq!(w.app.count("dossier_events"), 3 + 4 + 2);
}

#[test]
fn an_apology_gives_one_new_appointment_and_keeps_the_original() {
    let w = World::new();
    let d = w.record();
    let due = instant(&d["due_at"]);
    let at = |t: chrono::DateTime<Utc>| t.with_timezone(&HCM).to_rfc3339();
    let new_due = due + TimeDelta::days(2);

    let no_reason = w.act(
        &w.leader,
        &d,
        json!({"action": "apology", "new_due_at": at(new_due)}),
    );
    assert_eq!(field_error(&no_reason), "reason");
    let earlier = w.act(
        &w.leader,
        &d,
        json!({"action": "apology", "reason": "Cần xác minh thêm",
               "new_due_at": at(due - TimeDelta::hours(1))}),
    );
    assert_eq!(field_error(&earlier), "new_due_at");
    w.act(
        &w.reception,
        &d,
        json!({"action": "apology", "reason": "Cần xác minh thêm", "new_due_at": at(new_due)}),
    )
    .problem(403, "forbidden");
    assert_eq!(w.app.count("dossier_events"), 1);

    let apologized = w.step(
        &w.leader,
        &d,
        json!({"action": "apology", "reason": "Cần xác minh thêm", "new_due_at": at(new_due)}),
    );
    assert_eq!(instant(&apologized["apology_due_at"]), new_due);
    assert_eq!(instant(&apologized["due_at"]), due, "the original stays");
    assert_eq!(apologized["status"], "received");
    let again = w.act(
        &w.leader,
        &apologized,
        json!({"action": "apology", "reason": "Lần nữa",
               "new_due_at": at(new_due + TimeDelta::days(1))}),
    );
    again.problem(409, "illegal_transition");

    let read = w.app.get(&path(&d), Some(&w.citizen));
    assert_eq!(instant(&read.ok(200)["apology_due_at"]), new_due);
    assert_eq!(instant(&read.body["due_at"]), due);
    assert_eq!(w.app.count("dossier_events"), 2);
    let events = w.app.get(&format!("{}/events", path(&d)), Some(&w.leader));
    let last = events.ok(200).as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "apology");
    assert_eq!(last["details"]["reason"], "Cần xác minh thêm");
    assert_eq!(instant(&last["details"]["new_due_at"]), new_due);
}

#[test]
fn payment_assignment_and_stop() {
    let w = World::new();
    let d = w.record();
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    // Only an active specialist of the processing unit is assigned.
    let provincial = w
        .app
        .official("chuyen.vien.tinh", "specialist", Some(&w.province()));
    for target in [
        w.account_id(&w.reception),
        w.account_id(&provincial),
        uuid::Uuid::new_v4().to_string(),
    ] {
        let answer = w.act(
            &w.leader,
            &d,
            json!({"action": "assign", "specialist_id": target}),
        );
        assert_eq!(field_error(&answer), "specialist_id");
    }
    assert_eq!(w.app.count("dossier_events"), 2);
    let d = w.step(
        &w.leader,
        &d,
        json!({"action": "assign", "specialist_id": w.specialist_id}),
    );
    assert_eq!(d["assigned_specialist_id"], w.specialist_id.as_str());

    let d = w.step(&w.specialist, &d, json!({"action": "request_payment"}));
    assert_eq!(d["status"], "awaiting_payment");
    assert_eq!(d["national_status_code"], 6);
    let no_receipt = w.act(&w.reception, &d, json!({"action": "confirm_payment"}));
    assert_eq!(field_error(&no_receipt), "receipt_number");
    let d = w.step(
        &w.reception,
        &d,
        json!({"action": "confirm_payment", "receipt_number": "BL-0001"}),
    );
    assert_eq!(d["status"], "processing");
    assert_eq!(d["fee"]["paid"], 8000);
    assert_eq!(d["fee"]["outstanding"], 0);
    assert_eq!(d["fee"]["paid_online"], false);
    assert_eq!(d["fee"]["payments"][0]["receipt_number"], "BL-0001");
    assert_eq!(w.app.count("dossier_payments"), 1);

    let no_reason = w.act(&w.leader, &d, json!({"action": "stop"}));
    assert_eq!(field_error(&no_reason), "reason");
    let d = w.step(
        &w.leader,
        &d,
        json!({"action": "stop", "reason": "Người nộp không đủ điều kiện"}),
    );
    assert_eq!(d["status"], "stopped");
    assert!(d["finished_at"].is_string());
    for (token, action) in [
        (&w.specialist, json!({"action": "submit_draft"})),
        (&w.reception, json!({"action": "return_result"})),
        (&w.citizen, json!({"action": "withdraw"})),
    ] {
        w.act(token, &d, action).problem(409, "illegal_transition");
    }
    assert_eq!(w.app.count("dossier_events"), 6);
    let read = w.app.get(&path(&d), Some(&w.citizen));
    assert_eq!(read.ok(200)["status"], "stopped");
    assert_eq!(read.body["version"], 6);
}

#[test]
fn lists_filter_and_page() {
    let w = World::new();
    let specialist2 = w
        .app
        .official("chuyen.vien.2", "specialist", Some(&w.commune));
    let online: Vec<Value> = (0..3).map(|_| w.submit()).collect();
    let desk: Vec<Value> = (0..2).map(|_| w.record()).collect();
    let received = w.step(&w.reception, &online[0], json!({"action": "receive"}));
    let assigned = w.step(&w.reception, &online[1], json!({"action": "receive"}));
    let assigned = w.step(&w.reception, &assigned, json!({"action": "transfer"}));
    let assigned = w.step(
        &w.leader,
        &assigned,
        json!({"action": "assign", "specialist_id": w.specialist_id}),
    );
    let list = |token: &str, query: &str| {
        sorted(
            &w.app.get(&format!("/api/v1/dossiers?{query}"), Some(token)),
            "id",
        )
    };
    let ids = |dossiers: &[&Value]| {
        let mut ids: Vec<String> = dossiers.iter().map(|d| id(d)).collect();
        ids.sort();
        ids
    };
    let all = ids(&[&online[0], &online[1], &online[2], &desk[0], &desk[1]]);
    assert_eq!(list(&w.reception, ""), all);
    assert_eq!(list(&w.reception, "status=submitted"), ids(&[&online[2]]));
    assert_eq!(
        list(&w.reception, "status=received"),
        ids(&[&received, &desk[0], &desk[1]])
    );
    assert_eq!(
        list(&w.reception, "status=received&channel=online"),
        ids(&[&received])
    );
    assert_eq!(
        list(&w.reception, "channel=in_person"),
        ids(&[&desk[0], &desk[1]])
    );
    assert_eq!(
        list(&w.specialist, "assigned_to_me=true"),
        ids(&[&assigned])
    );
    assert_eq!(
        list(&specialist2, "assigned_to_me=true"),
        Vec::<String>::new()
    );
    assert_eq!(list(&specialist2, ""), all);

    // Received ranges: from is inclusive, to exclusive; offsets are honoured.
    let mut by_receipt: Vec<(chrono::DateTime<Utc>, String)> =
        [&received, &assigned, &desk[0], &desk[1]]
            .iter()
            .map(|d| (instant(&d["received_at"]), id(d)))
            .collect();
    by_receipt.sort();
    let at = |t: chrono::DateTime<Utc>| encode(&t.with_timezone(&HCM).to_rfc3339());
    assert!(at(by_receipt[0].0).contains("%2B07%3A00"));
    let middle = {
        let mut ids = vec![by_receipt[1].1.clone(), by_receipt[2].1.clone()];
        ids.sort();
        ids
    };
    assert_eq!(
        list(
            &w.reception,
            &format!(
                "received_from={}&received_to={}",
                at(by_receipt[1].0),
                at(by_receipt[3].0)
            )
        ),
        middle
    );
    assert_eq!(
        list(
            &w.reception,
            &format!("received_from={}", at(by_receipt[3].0))
        ),
        [by_receipt[3].1.clone()]
    );

    // Pages of two hold every dossier exactly once.
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut url = "/api/v1/dossiers?limit=2".to_string();
    loop {
        let page = w.app.get(&url, Some(&w.reception));
        let page_items = items(&page);
        sizes.push(page_items.len());
        seen.extend(
            page_items
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string()),
        );
        match page.body["next_cursor"].as_str() {
            Some(cursor) => url = format!("/api/v1/dossiers?limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(sizes.len() < 10, "the cursor never ends");
    }
    assert_eq!(sizes, [2, 2, 1]);
    seen.sort();
    assert_eq!(seen, all);

    assert_eq!(list(&w.reception, "overdue=true"), Vec::<String>::new());
    w.app
        .get("/api/v1/dossiers?status=pending", Some(&w.reception))
        .problem(400, "invalid_query");
    assert_eq!(w.app.count("dossiers"), 5);
}

#[test]
fn the_public_look_up_reveals_only_the_status_and_is_rate_limited() {
    let w = World::with(|c| c.limits.public_lookups_per_minute = 3);
    let d = w.record();
    let code = d["code"].as_str().unwrap();
    let lookup = |code: &str, national_id: &str| {
        w.app.send_with_headers(
            "POST",
            "/api/v1/public/dossier-status",
            None,
            &[],
            Some((
                "application/json",
                json!({"code": code, "national_id": national_id})
                    .to_string()
                    .into_bytes(),
            )),
        )
    };
    let (found, _) = lookup(code, "001099012345");
    let body = found.ok(200);
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "apology_due_at",
            "due_at",
            "national_status_code",
            "procedure_name",
            "status"
        ]
    );
    assert_eq!(body["status"], "received");
    assert_eq!(body["national_status_code"], 2);
    assert_eq!(body["procedure_name"], "Đăng ký khai sinh");
    assert_eq!(instant(&body["due_at"]), instant(&d["due_at"]));
    assert!(body["apology_due_at"].is_null());

    // A wrong national id answers exactly like an unknown code.
    let (wrong, _) = lookup(code, "079203004567");
    let (unknown, _) = lookup(&code.replace("-0001", "-0999"), "001099012345");
    let strip = |answer: &Answer| {
        let mut body = answer.problem(404, "not_found").clone();
        body.as_object_mut().unwrap().remove("request_id");
        body
    };
    assert_eq!(strip(&wrong), strip(&unknown));
    assert_ne!(wrong.request_id, unknown.request_id);

    let (limited, headers) = lookup(code, "001099012345");
    limited.problem(429, "too_many_requests");
    let retry: u64 = headers
        .iter()
        .find(|(name, _)| name == "retry-after")
        .expect("a Retry-After header")
        .1
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(w.app.count("dossiers"), 1);
}

#[test]
fn a_version_superseded_after_use_is_refused_at_once() {
    let w = World::new();
    let admin = Some(w.app.admin.as_str());
    let first = w
        .app
        .post(
            "/api/v1/procedures",
            admin,
            w.procedure_body("1.001204", &[&w.commune]),
        )
        .ok(201)
        .clone();
    let submit = |p: &Value| {
        w.app.post(
            "/api/v1/dossiers",
            Some(&w.citizen),
            json!({"procedure_id": p["id"], "channel": "online",
                   "components": [{"component_id": p["components"][0]["id"],
                                   "file_id": w.upload(&w.citizen, "ban chinh")}]}),
        )
    };
    submit(&first).ok(201);
    // A new version from today closes the one just used (and read) on the day before.
    let mut next = w.procedure_body("1.001204", &[&w.commune]);
    next["valid_from"] = json!(Utc::now().with_timezone(&HCM).date_naive());
    next["components"] = json!([{"name": "Tờ khai mới", "mandatory": true}]);
    let second = w
        .app
        .post(
            &format!("/api/v1/procedures/{}/versions", id(&first)),
            admin,
            next,
        )
        .ok(201)
        .clone();
    let dossiers = w.app.count("dossiers");
    submit(&first).problem(422, "procedure_not_valid");
    assert_eq!(w.app.count("dossiers"), dossiers);
    let made = submit(&second).ok(201).clone();
    assert_eq!(made["procedure_id"], second["id"]);
    assert_eq!(
        made["components"][0]["component_id"],
        second["components"][0]["id"]
    );
}
