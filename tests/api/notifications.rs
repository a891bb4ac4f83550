//! Notifications, end to end against a local SMTP server and HTTP receivers: the applicant's
//! e-mail and SMS (received with the receipt, supplement needed, apology, result ready), signed
//! and filtered webhooks with retries, dead letters and their retry, the officials' warning
//! and overdue list, two replicas sharing one queue, and the outbox's transaction.

use chrono::{TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::dossiers::{instant, World};
use crate::sinks::{wait, HttpSink, SmtpSink};

const HCM: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// A world whose notifications go to `smtp` and, for SMS, to `http`'s `/sms`, delivered at once
/// and retried after 50 ms.
fn world(
    smtp: &SmtpSink,
    http: &HttpSink,
    adjust: impl FnOnce(&mut motcua::config::Config),
) -> World {
    let (smtp_url, sms_url) = (smtp.url(), http.url("/sms"));
    World::with(move |c| {
        let n = &mut c.notifications;
        n.smtp_url = Some(smtp_url);
        n.sms_url = Some(sms_url);
        n.sms_token = Some("sms-gateway-token".to_string());
        n.poll_ms = 20;
        n.retry_base_ms = 50;
        // The receivers are on loopback.
        n.webhook_private_addresses = true;
        adjust(c);
    })
}

/// Submits online with the applicant's e-mail and phone.
fn submit(w: &World) -> Value {
    let body = json!({
        "procedure_id": w.procedure["id"],
        "channel": "online",
        "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân",
                      "email": "cong.dan@example.vn", "phone": "0912345678"},
        "components": w.components(&w.citizen),
    });
    w.app
        .post("/api/v1/dossiers", Some(&w.citizen), body)
        .ok(201)
        .clone()
}

fn subscribe(w: &World, url: &str, events: &[&str]) -> Value {
    w.app
        .post(
            "/api/v1/webhooks",
            Some(&w.app.admin),
            json!({"name": "Cổng DVC quốc gia", "url": url, "events": events}),
        )
        .ok(201)
        .clone()
}

/// The notifications listed for a query, as the administrator sees them.
fn listed(w: &World, query: &str) -> Vec<Value> {
    w.app
        .get(
            &format!("/api/v1/notifications?limit=100&{query}"),
            Some(&w.app.admin),
        )
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn local(t: &Value, format: &str) -> String {
    instant(t).with_timezone(&HCM).format(format).to_string()
}

#[test]
fn the_applicant_is_told_by_email_and_sms_of_the_receipt_a_supplement_an_apology_and_the_result() {
    let (smtp, http) = (SmtpSink::start(), HttpSink::start());
    let w = world(&smtp, &http, |_| {});

    // Submitting tells nothing; receiving sends the receipt.
    let d = submit(&w);
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));
    let code = d["code"].as_str().unwrap().to_string();
    let mails = smtp.wait_for(1);
    assert_eq!(mails[0].to, ["cong.dan@example.vn"]);
    assert_eq!(mails[0].from, "no-reply@motcua.local");
    assert_eq!(mails[0].subject, format!("Giấy tiếp nhận hồ sơ {code}"));
    assert!(
        mails[0].body.contains("Kính gửi Ông/Bà Trần Thị Công Dân"),
        "{}",
        mails[0].body
    );
    assert!(
        mails[0].body.contains(&format!(
            "Ngày hẹn trả kết quả: {}",
            local(&d["due_at"], "%H:%M ngày %d/%m/%Y")
        )),
        "{}",
        mails[0].body
    );
    let sms = http.wait_for("/sms", 1);
    assert_eq!(
        sms[0].header("authorization"),
        Some("Bearer sms-gateway-token")
    );
    assert_eq!(sms[0].json()["to"], "0912345678");
    assert_eq!(
        sms[0].json()["text"],
        format!(
            "Ho so {code} da duoc tiep nhan. Hen tra: {}.",
            local(&d["due_at"], "%d/%m/%Y")
        )
    );

    // The result: transfer, draft, approval.
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    let result = w.result_file();
    let d = w.step(
        &w.specialist,
        &d,
        json!({"action": "submit_draft", "result_file_id": result}),
    );
    w.step(&w.leader, &d, json!({"action": "approve"}));
    let mails = smtp.wait_for(2);
    assert_eq!(mails[1].subject, format!("Hồ sơ {code} đã có kết quả"));

    // Another dossier: a supplement request, with the official's note; an apology.
    let other = submit(&w);
    let other = w.step(&w.reception, &other, json!({"action": "receive"}));
    let other_code = other["code"].as_str().unwrap().to_string();
    let due = instant(&other["due_at"]);
    let new_due = (due + TimeDelta::days(2)).with_timezone(&HCM).to_rfc3339();
    let other = w.step(
        &w.leader,
        &other,
        json!({"action": "apology", "reason": "Cần xác minh thêm", "new_due_at": new_due}),
    );
    w.step(
        &w.reception,
        &other,
        json!({"action": "request_supplement", "note": "Thiếu bản sao giấy chứng sinh",
               "missing_components": [w.component(1)]}),
    );
    let mails = smtp.wait_for(5);
    let subjects: Vec<String> = mails.iter().map(|m| m.subject.clone()).collect();
    assert_eq!(
        subjects[2..],
        [
            format!("Giấy tiếp nhận hồ sơ {other_code}"),
            format!("Thư xin lỗi về việc trễ hạn hồ sơ {other_code}"),
            format!("Hồ sơ {other_code} cần bổ sung"),
        ]
    );
    assert!(
        mails[3].body.contains(&format!(
            "Ngày hẹn mới: {}",
            local(&other["apology_due_at"], "%H:%M ngày %d/%m/%Y")
        )),
        "{}",
        mails[3].body
    );
    assert!(
        mails[4]
            .body
            .contains("Ghi chú của cán bộ: Thiếu bản sao giấy chứng sinh"),
        "{}",
        mails[4].body
    );
    assert!(
        mails[3]
            .body
            .contains("Ghi chú của cán bộ: Cần xác minh thêm"),
        "the apology says why: {}",
        mails[3].body
    );
    assert!(
        !mails[0].body.contains("Ghi chú"),
        "no note on a receipt: {}",
        mails[0].body
    );
    http.wait_for("/sms", 5);

    // The outbox records each one as sent at the first try; nothing else was written.
    let sent = wait(|| {
        let sent = listed(&w, "status=sent");
        (sent.len() == 10).then_some(sent)
    })
    .expect("ten messages sent");
    assert!(sent.iter().all(|m| m["attempts"] == 1), "{sent:?}");
    assert_eq!(w.app.count("notifications"), 10);
    let for_first = listed(&w, &format!("dossier_id={}", d["id"].as_str().unwrap()));
    let kinds: Vec<(&str, &str)> = for_first
        .iter()
        .map(|m| (m["channel"].as_str().unwrap(), m["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("email", "dossier.received"),
            ("sms", "dossier.received"),
            ("email", "dossier.result_ready"),
            ("sms", "dossier.result_ready"),
        ]
    );

    // Only administrators read the outbox.
    w.app
        .get("/api/v1/notifications", Some(&w.leader))
        .problem(403, "forbidden");
    w.app
        .get("/api/v1/notifications?status=lost", Some(&w.app.admin))
        .problem(400, "invalid_query");
}

#[test]
fn webhooks_are_signed_filtered_and_retried_until_delivered() {
    let (smtp, http, failing) = (SmtpSink::start(), HttpSink::start(), HttpSink::start());
    let w = world(&smtp, &http, |_| {});
    let receipts = subscribe(&w, &http.url("/receipts"), &["dossier.receive"]);
    let everything = subscribe(&w, &failing.url("/all"), &["dossier.*"]);
    let secret = everything["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    // The receiver of every event fails twice first.
    failing.fail_next(2, 500);

    let d = submit(&w);
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));

    let receipts_got = http.wait_for("/receipts", 1);
    let all_got = failing.wait_for("/all", 4);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        http.requests()
            .iter()
            .filter(|r| r.path == "/receipts")
            .count(),
        1,
        "the receipts subscription takes only dossier.receive"
    );
    let call = &receipts_got[0];
    assert_eq!(call.header("x-motcua-event"), Some("dossier.receive"));
    let body = call.json();
    assert_eq!(body["event"], "dossier.receive");
    assert_eq!(body["change"]["dossier_id"], d["id"]);
    assert_eq!(body["change"]["code"], d["code"]);
    assert_eq!(body["change"]["status"], "received");
    assert_eq!(body["change"]["national_status_code"], 2);
    assert_eq!(body["change"]["national_channel_code"], 2);
    assert!(
        !call.body.contains("001099012345") && !call.body.contains("cong.dan@"),
        "no personal data in webhooks: {}",
        call.body
    );
    assert_eq!(call.header("x-motcua-delivery"), body["delivery"].as_str());
    verify(call, receipts["secret"].as_str().unwrap());

    // Two failed tries, then the submit and the receive calls; each signed with its secret,
    // and the same delivery id on each try.
    let deliveries: Vec<&str> = all_got
        .iter()
        .map(|r| r.header("x-motcua-delivery").unwrap())
        .collect();
    let mut distinct = deliveries.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "{deliveries:?}");
    for r in &all_got {
        verify(r, &secret);
    }
    let events: std::collections::BTreeSet<&str> = all_got
        .iter()
        .map(|r| r.header("x-motcua-event").unwrap())
        .collect();
    assert_eq!(
        events.into_iter().collect::<Vec<_>>(),
        ["dossier.receive", "dossier.submit"]
    );
    let webhooks = wait(|| {
        let sent = listed(&w, "channel=webhook&status=sent");
        (sent.len() == 3).then_some(sent)
    })
    .expect("three webhook calls sent");
    let tries: i64 = webhooks
        .iter()
        .map(|m| m["attempts"].as_i64().unwrap())
        .sum();
    assert_eq!(
        tries,
        1 + 4,
        "one try for the receipts, four for the two others"
    );

    // An ended subscription gets nothing new.
    w.app
        .send(
            "DELETE",
            &format!("/api/v1/webhooks/{}", receipts["id"].as_str().unwrap()),
            Some(&w.app.admin),
            None,
        )
        .ok(204);
    let listed_subscriptions = w.app.get("/api/v1/webhooks", Some(&w.app.admin));
    let subscriptions = listed_subscriptions.ok(200).as_array().unwrap();
    assert_eq!(subscriptions[0]["active"], false);
    assert!(subscriptions.iter().all(|s| s.get("secret").is_none()));
    let before = w.app.count("notifications");
    submit(&w);
    failing.wait_for("/all", 5);
    assert_eq!(
        w.app.count("notifications"),
        before + 1,
        "only the active subscription's call"
    );
}

/// Checks `X-Motcua-Signature: t=…,v1=…` against the body.
#[track_caller]
fn verify(request: &crate::sinks::Received, secret: &str) {
    let header = request.header("x-motcua-signature").expect("signed");
    let (t, v1) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .expect("t=…,v1=…");
    let t: i64 = t.parse().unwrap();
    assert!((Utc::now().timestamp() - t).abs() < 60, "recent: {t}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", request.body).as_bytes());
    assert_eq!(v1, hex::encode(mac.finalize().into_bytes()));
}

#[test]
fn a_delivery_that_keeps_failing_is_dead_shown_in_metrics_and_can_be_retried() {
    let (smtp, http) = (SmtpSink::start(), HttpSink::start());
    let w = world(&smtp, &http, |c| c.notifications.max_attempts = 3);
    subscribe(&w, &http.url("/down"), &["dossier.submit"]);
    http.fail_always(503);
    submit(&w);

    let dead = wait(|| {
        let dead = listed(&w, "status=dead");
        (dead.len() == 1).then_some(dead)
    })
    .expect("a dead message");
    assert_eq!(dead[0]["attempts"], 3);
    assert_eq!(dead[0]["last_error"], "answered 503 Service Unavailable");
    assert_eq!(http.wait_for("/down", 3).len(), 3);
    let metrics = w.app.get("/metrics", None);
    assert!(
        metrics
            .text
            .contains("motcua_notifications{channel=\"webhook\",status=\"dead\"} 1"),
        "{}",
        metrics.text
    );

    // Once the receiver is back, the administrator puts it back in the queue.
    http.fail_always(200);
    let id = dead[0]["id"].as_str().unwrap();
    w.app
        .post(
            &format!("/api/v1/notifications/{id}/retry"),
            Some(&w.app.admin),
            json!({}),
        )
        .ok(204);
    http.wait_for("/down", 4);
    wait(|| (listed(&w, "status=sent").len() == 1).then_some(())).expect("sent after the retry");
    w.app
        .post(
            &format!("/api/v1/notifications/{id}/retry"),
            Some(&w.app.admin),
            json!({}),
        )
        .problem(404, "not_found");
    let metrics = w.app.get("/metrics", None);
    assert!(metrics
        .text
        .contains("motcua_notifications{channel=\"webhook\",status=\"dead\"} 0"));
}

#[test]
fn officials_are_warned_a_working_day_before_the_due_date_and_leaders_get_the_overdue_list() {
    let (smtp, http) = (SmtpSink::start(), HttpSink::start());
    let w = world(&smtp, &http, |c| c.notifications.schedule_seconds = 1);
    // Officials with e-mail addresses: the commune's specialist and leader.
    for (token, address) in [
        (&w.specialist, "chuyen.vien@xa.example.vn"),
        (&w.leader, "lanh.dao@xa.example.vn"),
    ] {
        let id = w.account_id(token);
        w.app
            .patch(
                &format!("/api/v1/accounts/{id}"),
                Some(&w.app.admin),
                json!({"email": address}),
            )
            .ok(200);
    }
    // A procedure of one working day: received now, it is due within a working day at once.
    let mut body = w.procedure_body("2.000001.000.00.00.H30", &[&w.commune]);
    body["processing_time"] = json!({"amount": 1, "unit": "working_days"});
    let quick = w
        .app
        .post("/api/v1/procedures", Some(&w.app.admin), body)
        .ok(201)
        .clone();
    let component = quick["components"][0]["id"].as_str().unwrap().to_string();
    let record = |procedure: &Value, component: &str| {
        w.app
            .post(
                "/api/v1/dossiers",
                Some(&w.reception),
                json!({
                    "procedure_id": procedure["id"],
                    "channel": "in_person",
                    "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"},
                    "components": [{"component_id": component,
                                    "file_id": w.upload(&w.reception, "ban giay")}],
                }),
            )
            .ok(201)
            .clone()
    };
    let soon = record(&quick, &component);
    // A dossier of the three-day procedure made overdue: its appointment moved into the past.
    let late = record(&w.procedure, &w.component(0));
    let past = (Utc::now() - TimeDelta::hours(3)).naive_utc();
    set_due(&w, late["id"].as_str().unwrap(), past);

    let mails = smtp.wait_for(2);
    let warning = mails
        .iter()
        .find(|m| m.to == ["chuyen.vien@xa.example.vn"])
        .expect("the specialist is warned");
    let soon_code = soon["code"].as_str().unwrap();
    assert_eq!(
        warning.subject,
        format!(
            "Hồ sơ {soon_code} sắp đến hạn ({})",
            local(&soon["due_at"], "%H:%M %d/%m/%Y")
        )
    );
    let list = mails
        .iter()
        .find(|m| m.to == ["lanh.dao@xa.example.vn"])
        .expect("the leader gets the overdue list");
    let today = Utc::now().with_timezone(&HCM).format("%d/%m/%Y");
    assert_eq!(list.subject, format!("1 hồ sơ quá hạn ngày {today}"));
    let late_code = late["code"].as_str().unwrap();
    assert!(list.body.contains(late_code), "{}", list.body);
    assert!(!list.body.contains(soon_code), "{}", list.body);

    // Later rounds write neither again.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(smtp.mails().len(), 2, "{:?}", smtp.mails());
    let kinds: Vec<String> = listed(&w, "channel=email")
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect();
    let mut kinds = kinds;
    kinds.sort();
    assert_eq!(kinds, ["official.due_soon", "official.overdue_list"]);
}

/// Renames a table, straight in the database (to make the outbox unwritable for a moment).
fn rename(w: &World, from: &str, to: &str) {
    use diesel::prelude::*;
    let mut conn = w.app.pool.get().unwrap();
    diesel::sql_query(format!("ALTER TABLE {from} RENAME TO {to}"))
        .execute(&mut *conn)
        .unwrap();
}

/// Moves a dossier's appointment, straight in the database (time passing, for the test).
fn set_due(w: &World, id: &str, at: chrono::NaiveDateTime) {
    use diesel::prelude::*;
    use motcua::db::schema::dossiers;
    let id: motcua::id::Id = id.parse().unwrap();
    let mut conn = w.app.pool.get().unwrap();
    diesel::update(dossiers::table.filter(dossiers::id.eq(id)))
        .set(dossiers::due_at.eq(Some(at)))
        .execute(&mut *conn)
        .unwrap();
}

#[test]
fn two_replicas_share_the_queue_and_deliver_each_message_exactly_once() {
    // A slow SMTP server (40 ms a message), so that both workers have work at once.
    let (smtp, http) = (
        SmtpSink::start_slow(std::time::Duration::from_millis(40)),
        HttpSink::start(),
    );
    let w = world(&smtp, &http, |c| {
        c.notifications.mail_from = "Một cửa 1 <one@motcua.local>".to_string();
    });
    let url = w.app.backend_url.clone();
    let smtp_url = smtp.url();
    // A second server on the same database, with its own worker and its own sender.
    let _replica = crate::common::TestApp::spawn_with(move |c| {
        c.database_url = url;
        c.notifications.smtp_url = Some(smtp_url);
        c.notifications.mail_from = "Một cửa 2 <two@motcua.local>".to_string();
        c.notifications.poll_ms = 20;
    });
    let count = 40;
    for i in 0..count {
        // Desk intakes that start received: each sends its receipt by e-mail.
        w.app
            .post(
                "/api/v1/dossiers",
                Some(&w.reception),
                json!({
                    "procedure_id": w.procedure["id"],
                    "channel": "in_person",
                    "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân",
                                  "email": format!("nguoi.{i}@example.vn")},
                    "components": [{"component_id": w.component(0),
                                    "file_id": w.upload(&w.reception, &format!("ban giay {i}"))}],
                }),
            )
            .ok(201);
    }
    smtp.wait_for(count);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mails = smtp.mails();
    assert_eq!(mails.len(), count, "no message sent twice");
    let mut to: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), count, "each applicant once");
    let by = |from: &str| mails.iter().filter(|m| m.from == from).count();
    let (one, two) = (by("one@motcua.local"), by("two@motcua.local"));
    assert_eq!(one + two, count);
    assert!(
        one > 0 && two > 0,
        "both replicas delivered: {one} and {two}"
    );
    wait(|| (listed(&w, "status=sent").len() == count).then_some(()))
        .expect("all recorded as sent, each at its first try");
    assert!(listed(&w, "status=sent").iter().all(|m| m["attempts"] == 1));
}

#[test]
fn notifications_are_written_with_the_change_or_not_at_all() {
    let (smtp, http) = (SmtpSink::start(), HttpSink::start());
    let w = world(&smtp, &http, |_| {});
    subscribe(&w, &http.url("/hook"), &["*"]);
    let d = submit(&w);
    let before = w.app.count("notifications");
    // A stale version: nothing is changed, nothing is told.
    let stale = json!({"version": 0, "id": d["id"]});
    w.act(&w.reception, &stale, json!({"action": "receive"}))
        .problem(412, "stale_version");
    // An action the actor may not take: the same.
    w.act(&w.citizen, &d, json!({"action": "receive"}))
        .problem(403, "forbidden");
    assert_eq!(w.app.count("notifications"), before);

    // When the outbox cannot be written, the change is not made either.
    rename(&w, "notifications", "notifications_away");
    let refused = w.act(&w.reception, &d, json!({"action": "receive"}));
    assert_eq!(refused.status, 500, "{}", refused.text);
    rename(&w, "notifications_away", "notifications");
    let after = w
        .app
        .get(
            &format!("/api/v1/dossiers/{}", d["id"].as_str().unwrap()),
            Some(&w.reception),
        )
        .ok(200)
        .clone();
    assert_eq!(after["status"], "submitted");
    assert_eq!(after["version"], d["version"]);
    assert_eq!(w.app.count("dossier_events"), 1, "no history entry either");
    assert_eq!(w.app.count("notifications"), before);
    // And once it can, both are.
    w.step(&w.reception, &d, json!({"action": "receive"}));
    assert_eq!(
        w.app.count("notifications"),
        before + 3,
        "the receipt by e-mail and SMS, and the webhook call"
    );

    // Bad subscriptions are refused and nothing is stored.
    for body in [
        json!({"name": "x", "url": "ftp://example.vn/hook", "events": ["*"]}),
        json!({"name": "x", "url": "http://example.vn/hook", "events": []}),
        json!({"name": "x", "url": "http://example.vn/hook", "events": ["Dossier.<script>"]}),
        json!({"name": " ", "url": "http://example.vn/hook", "events": ["*"]}),
    ] {
        let answer = w
            .app
            .post("/api/v1/webhooks", Some(&w.app.admin), body.clone());
        assert_eq!(answer.status, 422, "{body}: {}", answer.text);
    }
    w.app
        .post(
            "/api/v1/webhooks",
            Some(&w.leader),
            json!({"name": "x", "url": "http://example.vn/hook", "events": ["*"]}),
        )
        .problem(403, "forbidden");
    assert_eq!(w.app.count("webhook_subscriptions"), 1);
}

#[test]
fn sent_messages_are_kept_for_keep_days_and_dead_ones_until_retried() {
    let (smtp, http, down) = (SmtpSink::start(), HttpSink::start(), HttpSink::start());
    let w = world(&smtp, &http, |c| {
        c.notifications.keep_days = 0;
        c.notifications.schedule_seconds = 1;
        c.notifications.max_attempts = 1;
    });
    subscribe(&w, &down.url("/down"), &["dossier.submit"]);
    down.fail_always(500);
    let d = submit(&w);
    w.step(&w.reception, &d, json!({"action": "receive"}));
    smtp.wait_for(1);
    // With no day to keep, the sent e-mail and SMS go at the next round; the dead call stays.
    wait(|| (w.app.count("notifications") == 1).then_some(())).expect("only the dead message left");
    let left = listed(&w, "");
    assert_eq!(left[0]["status"], "dead");
    assert_eq!(left[0]["channel"], "webhook");
}

#[test]
fn webhooks_to_the_services_own_network_are_refused() {
    let (smtp, http) = (SmtpSink::start(), HttpSink::start());
    let w = world(&smtp, &http, |c| {
        c.notifications.webhook_private_addresses = false
    });
    subscribe(&w, &http.url("/inside"), &["dossier.submit"]);
    submit(&w);
    let dead = wait(|| {
        let dead = listed(&w, "status=dead");
        (dead.len() == 1).then_some(dead)
    })
    .expect("dead at once, without retries");
    assert_eq!(dead[0]["attempts"], 1);
    assert!(
        dead[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1 is a private address"),
        "{}",
        dead[0]
    );
    assert!(http.requests().is_empty(), "nothing was sent");
    // The outbox shows no message text and masks addresses.
    assert!(dead[0].get("body").is_none());
}
