//! What must be refused although it looks harmless: applying online in someone else's name,
//! fields that do not belong to an action, an apology too far away, payments for closed dossiers
//! or procedures not paid online, papers shown to supervisors, impossible dates; and the rules
//! those refusals protect (a corrected draft, overdue lists, counter payment methods).

use serde_json::{json, Value};

use crate::dossiers::World;

fn received(w: &World) -> Value {
    let d = w.submit();
    w.step(&w.reception, &d, json!({"action": "receive"}))
}

#[test]
fn a_citizen_applies_online_only_in_their_own_name() {
    let w = World::new();
    let body = json!({"procedure_id": w.procedure["id"], "channel": "online",
                      "applicant": {"national_id": "079203004567", "full_name": "Người khác"},
                      "components": w.components(&w.citizen)});
    let answer = w.app.post("/api/v1/dossiers", Some(&w.citizen), body);
    assert_eq!(
        answer.problem(422, "validation_failed")["errors"][0]["code"],
        "not_yours"
    );
    assert_eq!(w.app.count("dossiers"), 0);
    // Their own id, with another address, is fine.
    let body = json!({"procedure_id": w.procedure["id"], "channel": "online",
                      "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân",
                                    "address": "Khu vực 3, Vị Thanh"},
                      "components": w.components(&w.citizen)});
    let d = w.app.post("/api/v1/dossiers", Some(&w.citizen), body);
    assert_eq!(d.ok(201)["applicant"]["address"], "Khu vực 3, Vị Thanh");
}

#[test]
fn fields_of_other_actions_are_refused_and_nothing_is_recorded() {
    let w = World::new();
    let d = w.submit();
    let events = w.app.count("dossier_events");
    for (field, value) in [
        ("reason", json!("không liên quan")),
        ("receipt_number", json!("BL-1")),
        ("specialist_id", json!(w.specialist_id)),
        ("new_due_at", json!("2030-01-01T08:00:00+07:00")),
        ("payment_method", json!("cash")),
    ] {
        let mut body = json!({"action": "receive"});
        body[field] = value;
        let answer = w.act(&w.reception, &d, body);
        let problem = answer.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field);
        assert_eq!(problem["errors"][0]["code"], "unexpected");
    }
    assert_eq!(w.app.count("dossier_events"), events);
    let after = w.step(
        &w.reception,
        &d,
        json!({"action": "receive", "note": "Đủ thành phần"}),
    );
    assert_eq!(after["status"], "received");
}

#[test]
fn an_apology_date_stays_within_a_year_and_a_corrected_draft_closes_no_step() {
    let w = World::new();
    let d = received(&w);
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    let far = w.act(
        &w.leader,
        &d,
        json!({"action": "apology", "reason": "Chờ xác minh", "new_due_at": "9999-12-31T23:59:59Z"}),
    );
    assert_eq!(
        far.problem(422, "validation_failed")["errors"][0]["field"],
        "new_due_at"
    );
    // Draft, corrected draft, approval, return: each of the four steps is judged once, in order.
    let d = w.step(
        &w.specialist,
        &d,
        json!({"action": "submit_draft", "result_file_id": w.result_file()}),
    );
    let d = w.step(
        &w.specialist,
        &d,
        json!({"action": "submit_draft", "result_file_id": w.result_file()}),
    );
    let d = w.step(&w.leader, &d, json!({"action": "approve"}));
    let d = w.step(&w.reception, &d, json!({"action": "return_result"}));
    let events = w.app.get(
        &format!("/api/v1/dossiers/{}/events", d["id"].as_str().unwrap()),
        Some(&w.citizen),
    );
    let judged: Vec<(String, String)> = events
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["step_name"].is_null())
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["step_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("transfer", "Tiếp nhận"),
        ("submit_draft", "Chuyên viên xử lý"),
        ("approve", "Lãnh đạo phê duyệt"),
        ("return_result", "Trả kết quả"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, s)| (a.to_string(), s.to_string()))
        .collect();
    assert_eq!(judged, expected);
}

#[test]
fn counter_payments_record_their_method_and_closed_dossiers_take_no_payment() {
    let w = World::with(|c| c.payment_secret = Some("secret".to_string()));
    let d = received(&w);
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    let d = w.step(&w.specialist, &d, json!({"action": "request_payment"}));
    let online = w.act(
        &w.reception,
        &d,
        json!({"action": "confirm_payment", "receipt_number": "BL-7", "payment_method": "online"}),
    );
    online.problem(422, "validation_failed");
    let d = w.step(
        &w.reception,
        &d,
        json!({"action": "confirm_payment", "receipt_number": "BL-7", "payment_method": "bank_transfer"}),
    );
    assert_eq!(d["fee"]["payments"][0]["method"], "bank_transfer");
    assert_eq!(d["fee"]["paid_online"], false);

    // A refused dossier takes no payment, whatever the gateway says.
    let refused = w.submit();
    let refused = w.step(
        &w.reception,
        &refused,
        json!({"action": "refuse", "reason": "Sai thủ tục"}),
    );
    let sign = |body: &str| {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(body.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    let notice = |dossier: &Value, paid_at: &str| {
        json!({"transaction_id": format!("T-{}", dossier["id"].as_str().unwrap()), "dossier_id": dossier["id"],
               "amount": 8000, "paid_at": paid_at})
        .to_string()
    };
    let send = |body: String| {
        let signature = sign(&body);
        w.app
            .send_with(
                "POST",
                "/api/v1/payments/callback",
                None,
                &[("X-Signature", &signature)],
                Some(("application/json", body.into_bytes())),
            )
            .0
    };
    send(notice(&refused, "2026-01-01T08:00:00+07:00")).problem(409, "dossier_closed");
    // Nor a payment dated in the future.
    let open = w.submit();
    send(notice(&open, "2099-01-01T00:00:00Z")).problem(422, "validation_failed");
    assert_eq!(
        w.app.count("dossier_payments"),
        1,
        "only the counter payment"
    );
}

#[test]
fn supervisors_read_reports_not_peoples_papers() {
    let w = World::new();
    let d = received(&w);
    let digitized = w.app.post(
        &format!("/api/v1/dossiers/{}/digitize", d["id"].as_str().unwrap()),
        Some(&w.reception),
        json!({}),
    );
    let document = digitized.ok(201)[0]["id"].as_str().unwrap().to_string();
    let supervisor = w.app.official("giam.sat", "supervisor", None);
    w.app
        .get(
            &format!("/api/v1/dossiers/{}", d["id"].as_str().unwrap()),
            Some(&supervisor),
        )
        .ok(200);
    w.app
        .get(&format!("/api/v1/documents/{document}"), Some(&supervisor))
        .problem(404, "not_found");
    let file = d["components"][0]["file_id"].as_str().unwrap();
    w.app
        .get(&format!("/api/v1/files/{file}/content"), Some(&supervisor))
        .problem(404, "not_found");
    w.app
        .get(
            &format!("/api/v1/files/{file}/content"),
            Some(&w.specialist),
        )
        .ok(200);
    // A dossier not yet received is not digitized.
    let submitted = w.submit();
    w.app
        .post(
            &format!(
                "/api/v1/dossiers/{}/digitize",
                submitted["id"].as_str().unwrap()
            ),
            Some(&w.reception),
            json!({}),
        )
        .problem(409, "not_received");
}

#[test]
fn historical_results_cannot_come_from_the_future() {
    let w = World::new();
    for issued_on in ["2099-01-01", "1850-06-01"] {
        let file = w.upload(&w.reception, issued_on);
        let answer = w.app.post(
            &format!("/api/v1/units/{}/historical-results", w.commune),
            Some(&w.reception),
            json!({"owner_national_id": "001099012345", "result_number": issued_on,
                   "title": "Giấy khai sinh", "issued_on": issued_on, "file_id": file}),
        );
        assert_eq!(
            answer.problem(422, "validation_failed")["errors"][0]["field"],
            "issued_on"
        );
    }
    assert_eq!(w.app.count("documents"), 0);
}

#[test]
fn a_second_supplement_request_puts_the_dossier_on_the_overdue_list() {
    let w = World::new();
    let d = received(&w);
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    let mut d = d;
    for _ in 0..2 {
        d = w.step(
            &w.specialist,
            &d,
            json!({"action": "request_supplement", "missing_components": [w.component(1)]}),
        );
        d = w.step(
            &w.citizen,
            &d,
            json!({"action": "supplement", "components": [{"component_id": w.component(1), "file_id": w.upload(&w.citizen, "lan nua")}]}),
        );
    }
    assert_eq!(d["timeliness"], "overdue");
    let fresh = received(&w);
    let listed = w
        .app
        .get("/api/v1/dossiers?overdue=true", Some(&w.reception));
    let ids: Vec<&str> = listed.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [d["id"].as_str().unwrap()],
        "not the fresh one {}",
        fresh["id"]
    );
}
