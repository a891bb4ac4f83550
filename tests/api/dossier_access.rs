//! Who may see and do what with a dossier: citizens their own, officials their unit's (leaders
//! their subtree's), supervisors all, administrators none; anonymous callers nothing; each action
//! its actor; files their uploader and the officials of a dossier that uses them.

use serde_json::{json, Value};

use crate::common::{multipart, sorted, Answer};
use crate::dossiers::{upload, World};

fn path(dossier: &Value) -> String {
    format!("/api/v1/dossiers/{}", dossier["id"].as_str().unwrap())
}

fn id(dossier: &Value) -> String {
    dossier["id"].as_str().unwrap().to_string()
}

/// A problem body without its request id, to compare two answers.
fn without_request_id(answer: &Answer) -> Value {
    let mut body = answer.body.clone();
    body.as_object_mut().unwrap().remove("request_id");
    body
}

#[test]
fn another_citizen_gets_404_for_a_dossier_that_is_not_theirs() {
    let w = World::new();
    let submitted = w.submit();
    let d = w.step(&w.reception, &submitted, json!({"action": "receive"}));
    let own = w
        .app
        .post(
            "/api/v1/dossiers",
            Some(&w.citizen_b),
            json!({"procedure_id": w.procedure["id"], "channel": "online",
                   "components": w.components(&w.citizen_b)}),
        )
        .ok(201)
        .clone();
    let events = w.app.count("dossier_events");

    // Exactly what a dossier that does not exist answers.
    let unknown = w.app.get(
        &format!("/api/v1/dossiers/{}", uuid::Uuid::new_v4()),
        Some(&w.citizen_b),
    );
    unknown.problem(404, "not_found");
    for suffix in ["", "/events", "/receipt"] {
        let answer = w
            .app
            .get(&format!("{}{suffix}", path(&d)), Some(&w.citizen_b));
        answer.problem(404, "not_found");
        if suffix.is_empty() {
            assert_eq!(without_request_id(&answer), without_request_id(&unknown));
        }
    }
    w.act(&w.citizen_b, &d, json!({"action": "withdraw"}))
        .problem(404, "not_found");
    w.app
        .post(
            &format!("{}/rating", path(&d)),
            Some(&w.citizen_b),
            json!({"rating": "dissatisfied"}),
        )
        .problem(404, "not_found");

    // Each citizen lists only their own.
    let list = |token: &str| sorted(&w.app.get("/api/v1/dossiers", Some(token)), "id");
    assert_eq!(list(&w.citizen), [id(&d)]);
    assert_eq!(list(&w.citizen_b), [id(&own)]);

    // Nothing changed: the owner still sees it as it was, with its receipt.
    assert_eq!(w.app.count("dossier_events"), events);
    assert_eq!(w.app.count("dossier_ratings"), 0);
    let again = w.app.get(&path(&d), Some(&w.citizen));
    assert_eq!(again.ok(200)["status"], "received");
    assert_eq!(again.body["version"], d["version"]);
    let receipt = w
        .app
        .get(&format!("{}/receipt", path(&d)), Some(&w.citizen));
    assert_eq!(receipt.ok(200)["code"], d["code"]);
}

#[test]
fn officials_see_their_units_dossiers_leaders_their_subtree_and_supervisors_all() {
    let w = World::new();
    let province = w.province();
    let other = w.app.unit(
        "000.00.13.H30",
        "UBND xã Hỏa Lựu",
        "commune",
        Some(&province),
    );
    let reception2 = w.app.official("mot.cua.2", "reception", Some(&other));
    let specialist2 = w.app.official("chuyen.vien.2", "specialist", Some(&other));
    let leader2 = w.app.official("lanh.dao.2", "leader", Some(&other));
    let province_leader = w.app.official("lanh.dao.tinh", "leader", Some(&province));
    let supervisor = w.app.official("thanh.tra", "supervisor", None);

    // A dossier at each commune.
    let d1 = w.submit();
    let p2 = w
        .app
        .post(
            "/api/v1/procedures",
            Some(&w.app.admin),
            w.procedure_body("1.001194", &[&other]),
        )
        .ok(201)
        .clone();
    let d2 = w
        .app
        .post(
            "/api/v1/dossiers",
            Some(&w.citizen_b),
            json!({"procedure_id": p2["id"], "channel": "online",
                   "components": [{"component_id": p2["components"][0]["id"],
                                   "file_id": w.upload(&w.citizen_b, "ban chinh")}]}),
        )
        .ok(201)
        .clone();
    assert_eq!(d2["processing_unit_id"], other.as_str());

    let list = |token: &str| sorted(&w.app.get("/api/v1/dossiers", Some(token)), "id");
    let mut both = vec![id(&d1), id(&d2)];
    both.sort();
    for token in [&w.reception, &w.specialist, &w.leader] {
        assert_eq!(list(token), [id(&d1)]);
    }
    for token in [&reception2, &specialist2, &leader2] {
        assert_eq!(list(token), [id(&d2)]);
    }
    assert_eq!(list(&province_leader), both, "the province's subtree");
    assert_eq!(list(&supervisor), both);

    // The other commune cannot read or act on the first one's dossier.
    for token in [&reception2, &specialist2, &leader2] {
        w.app.get(&path(&d1), Some(token)).problem(404, "not_found");
        w.app
            .get(&format!("{}/events", path(&d1)), Some(token))
            .problem(404, "not_found");
    }
    w.act(&reception2, &d1, json!({"action": "receive"}))
        .problem(404, "not_found");
    w.act(
        &leader2,
        &d1,
        json!({"action": "stop", "reason": "Không thuộc thẩm quyền"}),
    )
    .problem(404, "not_found");
    // The province's leader and the supervisor read it; the supervisor may not act.
    assert_eq!(
        w.app.get(&path(&d1), Some(&province_leader)).ok(200)["id"],
        d1["id"]
    );
    assert_eq!(
        w.app.get(&path(&d1), Some(&supervisor)).ok(200)["id"],
        d1["id"]
    );
    w.act(&supervisor, &d1, json!({"action": "receive"}))
        .problem(403, "forbidden");
    // An administrator manages the system and sees no dossier.
    w.app
        .get("/api/v1/dossiers", Some(&w.app.admin))
        .problem(403, "forbidden");
    w.app
        .get(&path(&d1), Some(&w.app.admin))
        .problem(404, "not_found");

    // The account is read with the dossier on every request: a move to the first commune
    // shows its dossier and hides the other at once, and a disabled account reads nothing.
    let account = w.app.get("/api/v1/me", Some(&reception2)).ok(200)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let change = |body: Value| {
        w.app
            .patch(
                &format!("/api/v1/accounts/{account}"),
                Some(&w.app.admin),
                body,
            )
            .ok(200);
    };
    change(json!({"unit_id": w.commune}));
    assert_eq!(
        w.app.get(&path(&d1), Some(&reception2)).ok(200)["id"],
        d1["id"]
    );
    w.app
        .get(&path(&d2), Some(&reception2))
        .problem(404, "not_found");
    change(json!({"disabled": true}));
    w.app
        .get(&path(&d1), Some(&reception2))
        .problem(401, "account_disabled");

    assert_eq!(w.app.count("dossier_events"), 2, "two submissions only");
    let again = w.app.get(&path(&d1), Some(&w.reception));
    assert_eq!(again.ok(200)["status"], "submitted");
    assert_eq!(again.body["version"], 1);
}

#[test]
fn anonymous_callers_get_401() {
    let w = World::new();
    let d = w.submit();
    let (files, dossiers, events) = (
        w.app.count("files"),
        w.app.count("dossiers"),
        w.app.count("dossier_events"),
    );
    let body = json!({"procedure_id": w.procedure["id"], "channel": "online"});
    let action = json!({"action": "withdraw"}).to_string().into_bytes();
    let (form_type, form) = multipart(&[("file", "scan.pdf", b"%PDF-1.4\nan danh")]);
    let answers = [
        w.app.get("/api/v1/dossiers", None),
        w.app.get(&path(&d), None),
        w.app.get(&format!("{}/events", path(&d)), None),
        w.app.post("/api/v1/dossiers", None, body),
        w.app
            .send_with(
                "POST",
                &format!("{}/actions", path(&d)),
                None,
                &[("If-Match", "\"1\"")],
                Some(("application/json", action)),
            )
            .0,
        w.app
            .send_with("POST", "/api/v1/files", None, &[], Some((&form_type, form)))
            .0,
    ];
    for answer in &answers {
        answer.problem(401, "missing_token");
    }
    assert_eq!(w.app.count("files"), files);
    assert_eq!(w.app.count("dossiers"), dossiers);
    assert_eq!(w.app.count("dossier_events"), events);
}

#[test]
fn each_action_is_for_its_actor() {
    let w = World::new();
    let specialist2 = w
        .app
        .official("chuyen.vien.2", "specialist", Some(&w.commune));
    let d = w.submit();
    w.act(&w.specialist, &d, json!({"action": "receive"}))
        .problem(403, "forbidden");
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));
    w.act(&w.citizen, &d, json!({"action": "transfer"}))
        .problem(403, "forbidden");
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    assert_eq!(d["status"], "processing");
    w.act(&w.reception, &d, json!({"action": "approve"}))
        .problem(403, "forbidden");
    let d = w.step(
        &w.leader,
        &d,
        json!({"action": "assign", "specialist_id": w.specialist_id}),
    );
    // Once assigned, only the assigned specialist drafts.
    w.act(&specialist2, &d, json!({"action": "submit_draft"}))
        .problem(403, "forbidden");
    let d = w.step(&w.specialist, &d, json!({"action": "submit_draft"}));
    assert_eq!(d["draft_submitted"], true);
    // Only the applicant withdraws; the desk confirms.
    w.act(&w.reception, &d, json!({"action": "withdraw"}))
        .problem(403, "forbidden");
    let d = w.step(&w.citizen, &d, json!({"action": "withdraw"}));
    assert_eq!(d["status"], "withdrawal_requested");
    assert_eq!(d["national_status_code"], 7);
    assert!(d["finished_at"].is_null());
    w.act(&w.citizen, &d, json!({"action": "confirm_withdrawal"}))
        .problem(403, "forbidden");
    let d = w.step(&w.reception, &d, json!({"action": "confirm_withdrawal"}));
    assert_eq!(d["status"], "stopped");
    assert_eq!(d["national_status_code"], 8);
    assert!(d["finished_at"].is_string(), "{d}");

    let events = w.app.get(&format!("{}/events", path(&d)), Some(&w.citizen));
    let actions: Vec<&str> = events
        .ok(200)
        .as_array()
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
            "assign",
            "submit_draft",
            "withdraw",
            "confirm_withdrawal"
        ]
    );
    assert_eq!(w.app.count("dossier_events"), 7);
    let again = w.app.get(&path(&d), Some(&w.reception));
    assert_eq!(again.ok(200)["status"], "stopped");
    assert_eq!(again.body["finished_at"], d["finished_at"]);
}

#[test]
fn a_file_is_its_uploaders_until_a_dossier_uses_it() {
    let w = World::new();
    let pdf = b"%PDF-1.4\ngiay chung sinh cua cong dan A";
    let (uploaded, _) = upload(&w.app, &w.citizen, "giay-chung-sinh.pdf", pdf);
    let file = uploaded.ok(201)["id"].as_str().unwrap().to_string();
    let content = format!("/api/v1/files/{file}/content");

    // Citizen B can neither submit it nor download it.
    let stolen = w.app.post(
        "/api/v1/dossiers",
        Some(&w.citizen_b),
        json!({"procedure_id": w.procedure["id"], "channel": "online",
        "components": [
            {"component_id": w.component(0), "file_id": w.upload(&w.citizen_b, "to khai")},
            {"component_id": w.component(1), "file_id": file},
        ]}),
    );
    let problem = stolen.problem(422, "validation_failed");
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    let field = errors[0]["field"].as_str().unwrap();
    assert!(field.ends_with("file_id"), "{field}");
    assert_eq!(w.app.count("dossiers"), 0);
    assert_eq!(w.app.count("dossier_components"), 0);
    w.app
        .get(&content, Some(&w.citizen_b))
        .problem(404, "not_found");

    // Its uploader downloads it as it was sent.
    let mine = w.app.get(&content, Some(&w.citizen));
    assert_eq!(mine.status, 200);
    assert_eq!(mine.content_type, "application/pdf");
    assert_eq!(mine.text.as_bytes(), pdf);

    // The desk reads it once a dossier it may see uses it, not before.
    w.app
        .get(&content, Some(&w.reception))
        .problem(404, "not_found");
    w.app
        .post(
            "/api/v1/dossiers",
            Some(&w.citizen),
            json!({"procedure_id": w.procedure["id"], "channel": "online",
            "components": [
                {"component_id": w.component(0), "file_id": w.upload(&w.citizen, "to khai")},
                {"component_id": w.component(1), "file_id": file},
            ]}),
        )
        .ok(201);
    let desk = w.app.get(&content, Some(&w.reception));
    assert_eq!(desk.status, 200);
    assert_eq!(desk.content_type, "application/pdf");
    assert_eq!(desk.text.as_bytes(), pdf);
    w.app
        .get(&content, Some(&w.citizen_b))
        .problem(404, "not_found");
    assert_eq!(w.app.count("dossiers"), 1);
}
