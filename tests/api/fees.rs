//! Fees: discount policies, quotes, frozen fees, payments at the counter and by the gateway's
//! signed callback.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::Answer;
use crate::dossiers::World;

const SECRET: &str = "gateway-secret-for-tests";

fn world() -> World {
    World::with(|c| c.payment_secret = Some(SECRET.to_string()))
}

/// Quảng Ngãi's council: half of the fees it sets, for dossiers submitted online.
fn quang_ngai(w: &World) -> Value {
    w.app
        .post(
            "/api/v1/fee-policies",
            Some(&w.app.admin),
            json!({"name": "Giảm 50% phí, lệ phí nộp trực tuyến",
                   "legal_basis": "Nghị quyết HĐND tỉnh Quảng Ngãi",
                   "valid_from": "2023-01-01", "channel": "online", "percent": 50}),
        )
        .ok(201)
        .clone()
}

fn quote(w: &World, channel: &str) -> Value {
    let id = w.procedure["id"].as_str().unwrap();
    w.app
        .get(
            &format!("/api/v1/procedures/{id}/fee-quote?channel={channel}"),
            None,
        )
        .ok(200)
        .clone()
}

fn desk_intake(w: &World) -> Value {
    let body = json!({"procedure_id": w.procedure["id"], "channel": "in_person",
                      "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"}});
    w.app
        .post("/api/v1/dossiers", Some(&w.reception), body)
        .ok(201)
        .clone()
}

fn fee_of(w: &World, dossier: &Value, token: &str) -> Value {
    let id = dossier["id"].as_str().unwrap();
    w.app
        .get(&format!("/api/v1/dossiers/{id}"), Some(token))
        .ok(200)["fee"]
        .clone()
}

#[test]
fn online_submission_pays_half_and_keeps_its_fee_when_the_policy_changes() {
    let w = world();
    let policy = quang_ngai(&w);
    let online = quote(&w, "online");
    assert_eq!(online["base_total"], 8000);
    assert_eq!(online["discount_total"], 4000);
    assert_eq!(online["total"], 4000);
    assert_eq!(
        online["items"][0]["policies"][0]["name"],
        "Giảm 50% phí, lệ phí nộp trực tuyến"
    );
    let desk = quote(&w, "in_person");
    assert_eq!(desk["total"], 8000);
    assert!(desk["items"][0]["policies"].as_array().unwrap().is_empty());

    let submitted = w.submit();
    assert_eq!(submitted["fee"]["total"], 4000);
    assert_eq!(submitted["fee"]["outstanding"], 4000);
    let recorded = desk_intake(&w);
    assert_eq!(recorded["fee"]["total"], 8000);
    assert_eq!(w.app.count("dossier_fees"), 2);

    // The council waives the fee altogether: new quotes change, frozen fees do not.
    let id = policy["id"].as_str().unwrap();
    let changed = w.app.patch(
        &format!("/api/v1/fee-policies/{id}"),
        Some(&w.app.admin),
        json!({"name": "Miễn phí nộp trực tuyến", "percent": 0}),
    );
    let changed = changed.ok(200).clone();
    assert_eq!(changed["percent"], 0);
    assert_eq!(
        changed["channel"], "online",
        "what the change left out stays"
    );
    assert_eq!(changed["legal_basis"], "Nghị quyết HĐND tỉnh Quảng Ngãi");
    for bad in [
        json!({"percent": 10, "reduction": 1000}),
        json!({"valid_to": "2020-01-01"}),
        json!({"percent": 101}),
        json!({"surprise": true}),
    ] {
        let answer = w.app.patch(
            &format!("/api/v1/fee-policies/{id}"),
            Some(&w.app.admin),
            bad,
        );
        assert_eq!(answer.status, 422, "{}", answer.text);
    }
    for token in [&w.citizen, &w.leader] {
        w.app
            .patch(
                &format!("/api/v1/fee-policies/{id}"),
                Some(token),
                json!({"percent": 100}),
            )
            .problem(403, "forbidden");
        w.app
            .get(&format!("/api/v1/fee-policies/{id}"), Some(token))
            .problem(403, "forbidden");
    }
    let stored = w
        .app
        .get(&format!("/api/v1/fee-policies/{id}"), Some(&w.app.admin));
    assert_eq!(stored.ok(200)["percent"], 0);
    assert_eq!(quote(&w, "online")["total"], 0);
    let fee = fee_of(&w, &submitted, &w.citizen);
    assert_eq!(fee["total"], 4000);
    assert_eq!(fee["items"][0]["discount"], 4000);
    assert_eq!(
        fee["items"][0]["policies"][0]["name"],
        "Giảm 50% phí, lệ phí nộp trực tuyến"
    );

    // A new online submission is now free, and needs no payment step.
    let free = w.submit();
    assert_eq!(free["fee"]["total"], 0);
    let received = w.step(&w.reception, &free, json!({"action": "receive"}));
    let processing = w.step(&w.reception, &received, json!({"action": "transfer"}));
    let answer = w.act(
        &w.specialist,
        &processing,
        json!({"action": "request_payment"}),
    );
    answer.problem(409, "illegal_transition");
}

#[test]
fn overlapping_policies_follow_the_documented_rule() {
    let w = world();
    let create = |body: Value| {
        w.app
            .post("/api/v1/fee-policies", Some(&w.app.admin), body)
            .ok(201)
            .clone()
    };
    create(
        json!({"name": "Giảm 50%", "valid_from": "2023-01-01", "channel": "online", "percent": 50}),
    );
    create(
        json!({"name": "Giảm 5.000 đ", "valid_from": "2023-01-01", "reduction": 5000,
                  "scope": {"fields": ["ho tich"]}}),
    );
    // 8,000 − 5,000 = 3,000 beats half price (4,000): the most favourable one applies alone.
    let online = quote(&w, "online");
    assert_eq!(online["total"], 3000);
    assert_eq!(online["items"][0]["policies"].as_array().unwrap().len(), 1);
    assert_eq!(online["items"][0]["policies"][0]["name"], "Giảm 5.000 đ");
    // A stacking policy applies on top: 90% of 3,000.
    create(
        json!({"name": "Thêm 10% cho hộ nghèo", "valid_from": "2023-01-01", "percent": 90,
                  "stacking": true}),
    );
    let online = quote(&w, "online");
    assert_eq!(online["total"], 2700);
    let names: Vec<&str> = online["items"][0]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Giảm 5.000 đ", "Thêm 10% cho hộ nghèo"]);
    // Out of scope or out of date, a policy does nothing.
    create(
        json!({"name": "Chỉ cho đất đai", "valid_from": "2023-01-01", "percent": 0,
                  "scope": {"fields": ["Đất đai"]}}),
    );
    create(
        json!({"name": "Hết hạn", "valid_from": "2023-01-01", "valid_to": "2023-12-31", "percent": 0}),
    );
    assert_eq!(quote(&w, "online")["total"], 2700);
    let desk = quote(&w, "in_person");
    assert_eq!(
        desk["total"], 2700,
        "the reduction and the stacking policy are for every channel"
    );
}

#[test]
fn only_administrators_manage_policies_and_citizens_see_only_their_fees() {
    let w = world();
    let body =
        json!({"name": "Giảm 50%", "valid_from": "2023-01-01", "channel": "online", "percent": 50});
    for token in [&w.citizen, &w.reception, &w.leader] {
        w.app
            .post("/api/v1/fee-policies", Some(token), body.clone())
            .problem(403, "forbidden");
        w.app
            .get("/api/v1/fee-policies", Some(token))
            .problem(403, "forbidden");
    }
    w.app
        .post("/api/v1/fee-policies", None, body.clone())
        .problem(401, "missing_token");
    assert_eq!(w.app.count("fee_policies"), 0);
    // Bad policies are refused, nothing stored.
    for bad in [
        json!({"name": "Cả hai", "valid_from": "2023-01-01", "percent": 50, "reduction": 1000}),
        json!({"name": "Không gì", "valid_from": "2023-01-01"}),
        json!({"name": "Quá 100", "valid_from": "2023-01-01", "percent": 150}),
        json!({"name": "Ngược", "valid_from": "2023-01-01", "valid_to": "2022-01-01", "percent": 50}),
    ] {
        w.app
            .post("/api/v1/fee-policies", Some(&w.app.admin), bad)
            .problem(422, "validation_failed");
    }
    let unknown_unit = json!({"name": "Đơn vị lạ", "valid_from": "2023-01-01", "percent": 50,
                              "scope": {"unit_ids": ["01900000-0000-7000-8000-000000000000"]}});
    w.app
        .post("/api/v1/fee-policies", Some(&w.app.admin), unknown_unit)
        .problem(422, "unknown_unit");
    assert_eq!(w.app.count("fee_policies"), 0);
    let listed = w
        .app
        .post("/api/v1/fee-policies", Some(&w.app.admin), body)
        .ok(201)
        .clone();
    let all = w.app.get("/api/v1/fee-policies", Some(&w.app.admin));
    assert_eq!(all.ok(200)["items"][0]["id"], listed["id"]);

    let mine = w.submit();
    let id = mine["id"].as_str().unwrap();
    let receipt = w.app.get(
        &format!("/api/v1/dossiers/{id}/fee-receipt"),
        Some(&w.citizen),
    );
    assert_eq!(receipt.status, 200);
    assert!(receipt.text.contains("BIÊN LAI THU PHÍ, LỆ PHÍ") && receipt.text.contains("4.000 đ"));
    let json_receipt = w.app.get(
        &format!("/api/v1/dossiers/{id}/fee-receipt?format=json"),
        Some(&w.citizen),
    );
    assert_eq!(json_receipt.ok(200)["fee"]["total"], 4000);
    w.app
        .get(
            &format!("/api/v1/dossiers/{id}/fee-receipt"),
            Some(&w.citizen_b),
        )
        .problem(404, "not_found");
}

fn sign(body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn callback(w: &World, body: &Value, signature: Option<&str>) -> Answer {
    let text = body.to_string();
    let signature = signature.map(str::to_string).unwrap_or_else(|| sign(&text));
    w.app
        .send_with(
            "POST",
            "/api/v1/payments/callback",
            None,
            &[("X-Signature", &signature)],
            Some(("application/json", text.into_bytes())),
        )
        .0
}

/// A received, transferred dossier waiting for its payment.
fn awaiting_payment(w: &World) -> Value {
    let d = w.submit();
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    let d = w.step(&w.specialist, &d, json!({"action": "request_payment"}));
    assert_eq!(d["status"], "awaiting_payment");
    d
}

#[test]
fn the_gateway_callback_marks_the_dossier_paid_online_once() {
    let w = world();
    quang_ngai(&w);
    let d = awaiting_payment(&w);
    let notice = json!({"transaction_id": "VNPAY-20261123-0001", "dossier_id": d["id"],
                        "amount": 4000, "paid_at": "2026-11-23T10:00:00+07:00"});
    let events_before = w.app.count("dossier_events");

    // A bad signature changes nothing.
    callback(&w, &notice, Some("00ff")).problem(401, "invalid_signature");
    callback(&w, &notice, Some("not hex")).problem(401, "invalid_signature");
    let unsigned = w
        .app
        .post("/api/v1/payments/callback", None, notice.clone());
    unsigned.problem(401, "invalid_signature");
    // A wrong amount or an unknown dossier is refused.
    let mut wrong = notice.clone();
    wrong["amount"] = json!(8000);
    callback(&w, &wrong, None).problem(422, "wrong_amount");
    let mut unknown = notice.clone();
    unknown["dossier_id"] = json!("01900000-0000-7000-8000-000000000000");
    callback(&w, &unknown, None).problem(404, "not_found");
    assert_eq!(w.app.count("dossier_payments"), 0);
    assert_eq!(w.app.count("dossier_events"), events_before);

    // Five copies of the valid notice at once: one payment, all answered 200.
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..5)
            .map(|_| {
                s.spawn(|| {
                    let a = callback(&w, &notice, None);
                    (a.status, a.body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    assert_eq!(
        answers
            .iter()
            .filter(|(_, b)| b["recorded"] == true)
            .count(),
        1,
        "{answers:?}"
    );
    assert_eq!(w.app.count("dossier_payments"), 1);
    assert_eq!(w.app.count("dossier_events"), events_before + 1);

    let after = w.app.get(
        &format!("/api/v1/dossiers/{}", d["id"].as_str().unwrap()),
        Some(&w.citizen),
    );
    let after = after.ok(200);
    assert_eq!(after["status"], "processing");
    assert_eq!(after["fee"]["paid"], 4000);
    assert_eq!(after["fee"]["outstanding"], 0);
    assert_eq!(after["fee"]["paid_online"], true);
    assert_eq!(after["fee"]["payments"][0]["method"], "online");
    assert_eq!(
        after["fee"]["payments"][0]["transaction_id"],
        "VNPAY-20261123-0001"
    );
    let events = w.app.get(
        &format!("/api/v1/dossiers/{}/events", d["id"].as_str().unwrap()),
        Some(&w.citizen),
    );
    let last = events.ok(200).as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "confirm_payment");
    assert!(last["actor_id"].is_null(), "the service acted");

    // Sent again later: harmless. Another transaction for the same dossier: nothing is due.
    let again = callback(&w, &notice, None);
    assert_eq!(again.ok(200)["recorded"], false);
    let mut other = notice.clone();
    other["transaction_id"] = json!("VNPAY-20261123-0002");
    callback(&w, &other, None).problem(409, "nothing_due");
    assert_eq!(w.app.count("dossier_payments"), 1);
}

#[test]
fn a_payment_before_it_is_asked_for_is_recorded_without_a_step_and_an_unconfigured_gateway_is_refused(
) {
    let w = world();
    quang_ngai(&w);
    let d = w.submit();
    let notice = json!({"transaction_id": "MOMO-1", "dossier_id": d["id"], "amount": 4000,
                        "paid_at": "2026-11-23T09:00:00+07:00"});
    let ack = callback(&w, &notice, None);
    let ack = ack.ok(200);
    assert_eq!(ack["recorded"], true);
    assert_eq!(ack["status"], "submitted", "no state change");
    let fee = fee_of(&w, &d, &w.citizen);
    assert_eq!(
        (fee["paid"].as_i64(), fee["outstanding"].as_i64()),
        (Some(4000), Some(0))
    );
    assert_eq!(fee["paid_online"], true);
    // Nothing is due later: no payment step.
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    w.act(&w.specialist, &d, json!({"action": "request_payment"}))
        .problem(409, "illegal_transition");

    let unconfigured = World::new();
    unconfigured
        .app
        .post("/api/v1/payments/callback", None, notice)
        .problem(404, "payments_not_configured");
}
