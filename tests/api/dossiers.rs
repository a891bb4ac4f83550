//! Dossiers end to end: intake on every channel, the workflow with If-Match, the clock, the
//! history, receipts, ratings, idempotency and concurrency.

use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use motcua::domain::calendar::{DayKind, SpecialDay, TimeUnit, WorkingCalendar, WorkingHours};
use serde_json::{json, Value};

use crate::common::{multipart, Answer, TestApp};

/// Working hours of the test service: nearly the whole day, every day of the year (weekends are
/// declared compensatory working days), so that real seconds of waiting are working seconds.
const HOURS: &str = "00:00-23:59";

pub struct World {
    pub app: TestApp,
    pub commune: String,
    pub procedure: Value,
    pub reception: String,
    pub specialist: String,
    pub specialist_id: String,
    pub leader: String,
    pub citizen: String,
    pub citizen_b: String,
}

fn weekends(year: i32) -> Vec<Value> {
    let mut day = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let mut days = Vec::new();
    while day.year() == year {
        if day.weekday().number_from_monday() >= 6 {
            days.push(json!({"date": day, "kind": "working_day", "name": "Làm việc (thử nghiệm)"}));
        }
        day = day.succ_opt().unwrap();
    }
    days
}

/// The calendar the service uses, rebuilt here to check its answers.
pub fn calendar() -> WorkingCalendar {
    let year = Utc::now().year();
    let mut special = Vec::new();
    for y in [year, year + 1] {
        for d in weekends(y) {
            special.push(SpecialDay {
                date: d["date"].as_str().unwrap().parse().unwrap(),
                kind: DayKind::WorkingDay,
                name: String::new(),
            });
        }
    }
    WorkingCalendar::new(
        chrono_tz::Asia::Ho_Chi_Minh,
        WorkingHours::parse(HOURS).unwrap(),
        special,
    )
}

pub fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(
        value
            .as_str()
            .unwrap_or_else(|| panic!("an instant: {value}")),
    )
    .unwrap()
    .with_timezone(&Utc)
}

impl World {
    pub fn new() -> World {
        Self::with(|_| {})
    }

    pub fn with(adjust: impl FnOnce(&mut motcua::config::Config)) -> World {
        let app = TestApp::spawn_with(|c| {
            c.working_hours = WorkingHours::parse(HOURS).unwrap();
            adjust(c);
        });
        let year = Utc::now().year();
        for y in [year, year + 1] {
            app.put(
                &format!("/api/v1/calendar/{y}"),
                Some(&app.admin),
                json!({"days": weekends(y)}),
            )
            .ok(200);
        }
        let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
        let commune = app.unit(
            "000.00.12.H30",
            "UBND xã Vị Thanh",
            "commune",
            Some(&province),
        );
        let procedure = app
            .post(
                "/api/v1/procedures",
                Some(&app.admin),
                json!({
                    "code": "1.001193.000.00.00.H30",
                    "name": "Đăng ký khai sinh",
                    "field": "Hộ tịch",
                    "level": "commune",
                    "processing_time": {"amount": 3, "unit": "working_days"},
                    "online_service": "full",
                    "components": [
                        {"name": "Tờ khai đăng ký khai sinh", "mandatory": true, "digitized_copy_accepted": true},
                        {"name": "Giấy chứng sinh", "mandatory": true},
                        {"name": "Giấy tờ khác", "mandatory": false}
                    ],
                    "fees": [{"name": "Lệ phí", "amount": 8000}],
                    "online_payment": true,
                    "steps": [
                        {"name": "Tiếp nhận", "share": 10},
                        {"name": "Chuyên viên xử lý", "share": 60},
                        {"name": "Lãnh đạo phê duyệt", "share": 20},
                        {"name": "Trả kết quả", "share": 10}
                    ],
                    "unit_ids": [commune],
                    "legal_basis": "Luật Hộ tịch 2014",
                    "valid_from": "2020-01-01"
                }),
            )
            .ok(201)
            .clone();
        let reception = app.official("mot.cua", "reception", Some(&commune));
        let specialist = app.official("chuyen.vien", "specialist", Some(&commune));
        let specialist_id = app.get("/api/v1/me", Some(&specialist)).ok(200)["id"]
            .as_str()
            .unwrap()
            .to_string();
        let leader = app.official("lanh.dao", "leader", Some(&commune));
        let citizen = app.citizen("001099012345");
        let citizen_b = app.citizen("079203004567");
        World {
            app,
            commune,
            procedure,
            reception,
            specialist,
            specialist_id,
            leader,
            citizen,
            citizen_b,
        }
    }

    pub fn component(&self, index: usize) -> String {
        self.procedure["components"][index]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Uploads a small PDF as `token` and returns its id.
    pub fn upload(&self, token: &str, content: &str) -> String {
        let (answer, _) = upload(
            &self.app,
            token,
            "scan.pdf",
            format!("%PDF-1.4\n{content}").as_bytes(),
        );
        answer.ok(201)["id"].as_str().unwrap().to_string()
    }

    /// A result file uploaded by the processing unit's specialist; returns its id.
    pub fn result_file(&self) -> String {
        self.upload(&self.specialist, "ket qua: giay khai sinh")
    }

    /// The mandatory components, each with a fresh upload by `token`.
    pub fn components(&self, token: &str) -> Value {
        json!([
            {"component_id": self.component(0), "file_id": self.upload(token, "to khai")},
            {"component_id": self.component(1), "file_id": self.upload(token, "giay chung sinh")},
        ])
    }

    /// Submits online as the first citizen and returns the dossier.
    pub fn submit(&self) -> Value {
        let body = json!({
            "procedure_id": self.procedure["id"],
            "channel": "online",
            "components": self.components(&self.citizen),
        });
        self.app
            .post("/api/v1/dossiers", Some(&self.citizen), body)
            .ok(201)
            .clone()
    }

    /// Takes an action with the dossier's current version.
    pub fn act(&self, token: &str, dossier: &Value, body: Value) -> Answer {
        let id = dossier["id"].as_str().unwrap();
        let version = dossier["version"].to_string();
        self.app
            .send_with(
                "POST",
                &format!("/api/v1/dossiers/{id}/actions"),
                Some(token),
                &[("If-Match", &format!("\"{version}\""))],
                Some(("application/json", body.to_string().into_bytes())),
            )
            .0
    }

    /// Takes an action that must succeed, and returns the dossier after it.
    #[track_caller]
    pub fn step(&self, token: &str, dossier: &Value, body: Value) -> Value {
        let answer = self.act(token, dossier, body);
        let after = answer.ok(200).clone();
        assert_eq!(after["version"], dossier["version"].as_i64().unwrap() + 1);
        after
    }
}

pub fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> (Answer, Option<String>) {
    let (content_type, body) = multipart(&[("file", name, bytes)]);
    app.send_with(
        "POST",
        "/api/v1/files",
        Some(token),
        &[],
        Some((&content_type, body)),
    )
}

#[test]
fn an_online_dossier_goes_through_its_whole_life() {
    whole_life("online");
}

#[test]
fn an_in_person_dossier_goes_through_its_whole_life() {
    whole_life("in_person");
}

#[test]
fn a_postal_dossier_goes_through_its_whole_life() {
    whole_life("postal");
}

/// Intake on `channel` → (receive) → transfer → assign → request supplement → supplement →
/// submit draft → approve → return → rating, checking the clock and the history.
fn whole_life(channel: &str) {
    let w = World::new();
    let cal = calendar();
    let online = channel == "online";
    let received = if online {
        let submitted = w.submit();
        assert_eq!(submitted["status"], "submitted");
        assert_eq!(submitted["national_status_code"], 1);
        assert_eq!(submitted["channel"], "online");
        assert_eq!(submitted["national_channel_code"], 2);
        assert!(submitted["code"].is_null());
        assert_eq!(submitted["applicant"]["national_id"], "001099012345");
        assert_eq!(submitted["processing_unit_id"], w.commune.as_str());
        assert_eq!(submitted["receiving_unit_id"], w.commune.as_str());
        assert!(submitted["timeliness"].is_null());
        assert_eq!(
            instant(&submitted["reception_due_at"]),
            cal.add_working_seconds(instant(&submitted["submitted_at"]), 8 * 3600)
        );
        w.step(&w.reception, &submitted, json!({"action": "receive"}))
    } else {
        let body = json!({
            "procedure_id": w.procedure["id"],
            "channel": channel,
            "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"},
            "components": w.components(&w.reception),
        });
        let recorded = w.app.post("/api/v1/dossiers", Some(&w.reception), body);
        let recorded = recorded.ok(201).clone();
        assert_eq!(recorded["channel"], channel);
        assert!(recorded["reception_due_at"].is_null());
        recorded
    };
    assert_eq!(received["status"], "received");
    assert_eq!(received["national_status_code"], 2);
    let code = received["code"].as_str().unwrap();
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%y%m%d");
    assert_eq!(code, format!("000.00.12.H30-{today}-0001"));
    let received_at = instant(&received["received_at"]);
    let due = instant(&received["due_at"]);
    assert_eq!(
        due,
        cal.deadline(received_at, 3, TimeUnit::WorkingDays).due_at
    );
    assert_eq!(received["timeliness"], "in_time");

    let receipt = w.app.get(
        &format!(
            "/api/v1/dossiers/{}/receipt",
            received["id"].as_str().unwrap()
        ),
        Some(&w.citizen),
    );
    assert_eq!(receipt.ok(200)["code"], code);
    assert_eq!(receipt.body["procedure_name"], "Đăng ký khai sinh");
    assert_eq!(receipt.body["components"].as_array().unwrap().len(), 2);
    let html = w.app.get(
        &format!(
            "/api/v1/dossiers/{}/receipt?format=html",
            received["id"].as_str().unwrap()
        ),
        Some(&w.reception),
    );
    assert_eq!(html.status, 200);
    assert!(html.content_type.starts_with("text/html"));
    assert!(html.text.contains("PHIẾU TIẾP NHẬN VÀ HẸN TRẢ KẾT QUẢ") && html.text.contains(code));

    let processing = w.step(&w.reception, &received, json!({"action": "transfer"}));
    assert_eq!(processing["status"], "processing");
    let assigned = w.step(
        &w.leader,
        &processing,
        json!({"action": "assign", "specialist_id": w.specialist_id}),
    );
    assert_eq!(assigned["assigned_specialist_id"], w.specialist_id.as_str());

    let waiting = w.step(
        &w.specialist,
        &assigned,
        json!({"action": "request_supplement", "missing_components": [w.component(1)],
               "note": "Giấy chứng sinh bị mờ"}),
    );
    assert_eq!(waiting["status"], "supplement_requested");
    assert_eq!(waiting["supplement_requests"], 1);
    let paused_at = instant(&waiting["paused_at"]);
    std::thread::sleep(Duration::from_millis(2100));
    let new_file = w.upload(&w.citizen, "giay chung sinh ro net");
    let resumed = w.step(
        &w.citizen,
        &waiting,
        json!({"action": "supplement", "components": [{"component_id": w.component(1), "file_id": new_file}]}),
    );
    assert_eq!(resumed["status"], "processing");
    assert!(resumed["paused_at"].is_null());
    let paused = resumed["paused_seconds"].as_i64().unwrap();
    assert!(
        paused >= 2,
        "two seconds of working time were paused: {paused}"
    );
    let events = w.app.get(
        &format!(
            "/api/v1/dossiers/{}/events",
            resumed["id"].as_str().unwrap()
        ),
        Some(&w.citizen),
    );
    let supplement_at = instant(&events.ok(200).as_array().unwrap().last().unwrap()["at"]);
    assert_eq!(
        paused,
        cal.working_seconds_between(paused_at, supplement_at)
    );
    let moved = instant(&resumed["due_at"]);
    assert_eq!(
        moved,
        cal.add_working_seconds(due, paused),
        "the appointment moved by the pause"
    );
    assert_eq!(cal.working_seconds_between(due, moved), paused);
    let components = resumed["components"].as_array().unwrap();
    assert!(components.iter().any(|c| c["file_id"] == new_file.as_str()));

    let drafted = w.step(&w.specialist, &resumed, json!({"action": "submit_draft"}));
    assert_eq!(drafted["draft_submitted"], true);
    let approved = w.step(
        &w.leader,
        &drafted,
        json!({"action": "approve", "result_file_id": w.result_file()}),
    );
    assert_eq!(approved["status"], "processed");
    assert_eq!(approved["national_status_code"], 9);
    assert_eq!(approved["timeliness"], "early");
    let finished_at = approved["finished_at"].clone();
    let returned = w.step(&w.reception, &approved, json!({"action": "return_result"}));
    assert_eq!(returned["status"], "returned");
    assert_eq!(
        returned["finished_at"], finished_at,
        "processing ended at approval"
    );

    let id = returned["id"].as_str().unwrap();
    let rating = w.app.post(
        &format!("/api/v1/dossiers/{id}/rating"),
        Some(&w.citizen),
        json!({"rating": "satisfied", "comment": "Nhanh gọn"}),
    );
    assert_eq!(rating.ok(201)["rating"], "satisfied");
    w.app
        .post(
            &format!("/api/v1/dossiers/{id}/rating"),
            Some(&w.citizen),
            json!({"rating": "normal"}),
        )
        .problem(409, "already_rated");
    assert_eq!(w.app.count("dossier_ratings"), 1);

    // The history is complete, in order, with the control sheet's judgements.
    let events = w
        .app
        .get(&format!("/api/v1/dossiers/{id}/events"), Some(&w.citizen));
    let events = events.ok(200).as_array().unwrap().clone();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let intake: &[&str] = if online {
        &["submit", "receive"]
    } else {
        &["record"]
    };
    assert_eq!(&actions[..intake.len()], intake);
    assert_eq!(
        &actions[intake.len()..],
        [
            "transfer",
            "assign",
            "request_supplement",
            "supplement",
            "submit_draft",
            "approve",
            "return_result"
        ]
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let total = intake.len() as i64 + 7;
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    assert_eq!(events[intake.len() - 1]["details"]["code"], code);
    let request = &events[intake.len() + 2];
    assert_eq!(request["action"], "request_supplement");
    assert_eq!(request["from_status"], "processing");
    assert_eq!(request["to_status"], "supplement_requested");
    assert_eq!(request["note"], "Giấy chứng sinh bị mờ");
    // Each step ends well before its share of the time is out: on its last day at the latest.
    let steps: Vec<&Value> = events
        .iter()
        .filter(|e| !e["step_name"].is_null())
        .collect();
    let names: Vec<&str> = steps
        .iter()
        .map(|e| e["step_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Tiếp nhận",
            "Chuyên viên xử lý",
            "Lãnh đạo phê duyệt",
            "Trả kết quả"
        ]
    );
    for step in &steps {
        let judged = step["step_timeliness"].as_str().unwrap();
        assert!(judged == "early" || judged == "on_time", "{step}");
        assert!(instant(&step["at"]) <= instant(&step["step_due_at"]));
    }
    // The reception step had 10% of three working days from receipt.
    let day = WorkingHours::parse(HOURS).unwrap().day_seconds();
    assert_eq!(
        instant(&steps[0]["step_due_at"]),
        cal.add_working_seconds(received_at, 3 * day / 10)
    );
    assert_eq!(w.app.count("dossier_events"), total);
}

#[test]
fn desk_and_postal_intake_start_received_with_a_code() {
    let w = World::new();
    let cal = calendar();
    for (channel, national_code, sequence) in [("in_person", 1, 1), ("postal", 3, 2)] {
        let body = json!({
            "procedure_id": w.procedure["id"],
            "channel": channel,
            "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân",
                          "address": "Phường 1, Vị Thanh"},
            "components": [{"component_id": w.component(0), "file_id": w.upload(&w.reception, "scan")}],
        });
        let created = w.app.post("/api/v1/dossiers", Some(&w.reception), body);
        let d = created.ok(201);
        assert_eq!(d["status"], "received");
        assert_eq!(d["national_channel_code"], national_code);
        let today = Utc::now()
            .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
            .format("%y%m%d");
        assert_eq!(d["code"], format!("000.00.12.H30-{today}-{sequence:04}"));
        assert!(d["submitted_at"].is_null());
        assert_eq!(
            instant(&d["due_at"]),
            cal.deadline(instant(&d["received_at"]), 3, TimeUnit::WorkingDays)
                .due_at
        );
        // Linked to the citizen's account by national id: they see it.
        let id = d["id"].as_str().unwrap();
        w.app
            .get(&format!("/api/v1/dossiers/{id}"), Some(&w.citizen))
            .ok(200);
        w.app
            .get(&format!("/api/v1/dossiers/{id}"), Some(&w.citizen_b))
            .problem(404, "not_found");
        let events = w
            .app
            .get(&format!("/api/v1/dossiers/{id}/events"), Some(&w.reception));
        assert_eq!(events.ok(200)[0]["action"], "record");
    }
    // Citizens cannot record desk intake; officials cannot submit online.
    let body = json!({"procedure_id": w.procedure["id"], "channel": "in_person",
                      "applicant": {"national_id": "001099012345", "full_name": "A"}});
    w.app
        .post("/api/v1/dossiers", Some(&w.citizen), body)
        .problem(403, "forbidden");
    let body = json!({"procedure_id": w.procedure["id"], "channel": "online"});
    w.app
        .post("/api/v1/dossiers", Some(&w.reception), body)
        .problem(403, "forbidden");
    assert_eq!(w.app.count("dossiers"), 2);
}

#[test]
fn a_retried_submission_with_the_same_key_creates_nothing() {
    let w = World::new();
    let body = json!({"procedure_id": w.procedure["id"], "channel": "online",
                      "components": w.components(&w.citizen)});
    let send = |body: &Value, key: &str| {
        w.app.send_with(
            "POST",
            "/api/v1/dossiers",
            Some(&w.citizen),
            &[("Idempotency-Key", key)],
            Some(("application/json", body.to_string().into_bytes())),
        )
    };
    let (first, etag) = send(&body, "nop-ho-so-1");
    let first = first.ok(201).clone();
    assert_eq!(etag.as_deref(), Some("\"1\""));
    let (again, _) = send(&body, "nop-ho-so-1");
    assert_eq!(again.ok(201), &first, "the same answer");
    assert_eq!(w.app.count("dossiers"), 1);
    let mut other = body.clone();
    other["components"] = w.components(&w.citizen);
    let (reused, _) = send(&other, "nop-ho-so-1");
    reused.problem(422, "idempotency_key_reused");
    assert_eq!(w.app.count("dossiers"), 1);
    // Another key is another submission.
    let (second, _) = send(&body, "nop-ho-so-2");
    second.ok(201);
    assert_eq!(w.app.count("dossiers"), 2);
    assert_eq!(w.app.count("idempotency_keys"), 2);
}

#[test]
fn if_match_is_required_and_checked() {
    let w = World::new();
    let d = w.submit();
    let id = d["id"].as_str().unwrap();
    let path = format!("/api/v1/dossiers/{id}/actions");
    let body = || {
        Some((
            "application/json",
            json!({"action": "receive"}).to_string().into_bytes(),
        ))
    };
    let (missing, _) = w
        .app
        .send_with("POST", &path, Some(&w.reception), &[], body());
    missing.problem(428, "precondition_required");
    let (stale, _) = w.app.send_with(
        "POST",
        &path,
        Some(&w.reception),
        &[("If-Match", "\"7\"")],
        body(),
    );
    stale.problem(412, "stale_version");
    let (_, etag) = w.app.send_with(
        "GET",
        &format!("/api/v1/dossiers/{id}"),
        Some(&w.reception),
        &[],
        None,
    );
    assert_eq!(etag.as_deref(), Some("\"1\""));
    let (ok, etag) = w.app.send_with(
        "POST",
        &path,
        Some(&w.reception),
        &[("If-Match", "\"1\"")],
        body(),
    );
    ok.ok(200);
    assert_eq!(etag.as_deref(), Some("\"2\""));
    // The same request again is stale now, and an illegal transition once current.
    let (again, _) = w.app.send_with(
        "POST",
        &path,
        Some(&w.reception),
        &[("If-Match", "\"1\"")],
        body(),
    );
    again.problem(412, "stale_version");
    let (illegal, _) = w.app.send_with(
        "POST",
        &path,
        Some(&w.reception),
        &[("If-Match", "2")],
        body(),
    );
    illegal.problem(409, "illegal_transition");
    assert_eq!(w.app.count("dossier_events"), 2);
}

#[test]
fn twenty_simultaneous_receives_make_one() {
    let w = World::new();
    let d = w.submit();
    let answers: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| s.spawn(|| w.act(&w.reception, &d, json!({"action": "receive"})).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = answers.iter().filter(|s| **s == 200).count();
    assert_eq!(ok, 1, "{answers:?}");
    assert!(
        answers.iter().all(|s| [200, 409, 412].contains(s)),
        "{answers:?}"
    );
    let events = w.app.get(
        &format!("/api/v1/dossiers/{}/events", d["id"].as_str().unwrap()),
        Some(&w.reception),
    );
    let receives = events
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "receive")
        .count();
    assert_eq!(receives, 1);
}

#[test]
fn a_hundred_simultaneous_desk_intakes_get_consecutive_codes() {
    let w = World::with(|c| c.db_pool_size = 8);
    let files: Vec<String> = (0..100)
        .map(|i| w.upload(&w.reception, &format!("scan {i}")))
        .collect();
    let codes: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .iter()
            .map(|file| {
                let w = &w;
                s.spawn(move || {
                    let body = json!({
                        "procedure_id": w.procedure["id"],
                        "channel": "in_person",
                        "applicant": {"national_id": "001099012345", "full_name": "Nguyễn Văn A"},
                        "components": [{"component_id": w.component(0), "file_id": file}],
                    });
                    let answer = w.app.post("/api/v1/dossiers", Some(&w.reception), body);
                    answer.ok(201)["code"].as_str().unwrap().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sequences: Vec<u32> = codes
        .iter()
        .map(|c| c.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    sequences.sort_unstable();
    assert_eq!(
        sequences,
        (1..=100).collect::<Vec<_>>(),
        "distinct and consecutive"
    );
    assert_eq!(w.app.count("dossiers"), 100);
}

impl World {
    /// The province above the commune.
    pub fn province(&self) -> String {
        let unit = self.app.get(
            &format!("/api/v1/units/{}", self.commune),
            Some(&self.app.admin),
        );
        unit.ok(200)["parent_id"].as_str().unwrap().to_string()
    }

    /// The account id behind a token.
    pub fn account_id(&self, token: &str) -> String {
        let me = self.app.get("/api/v1/me", Some(token));
        me.ok(200)["id"].as_str().unwrap().to_string()
    }

    /// The commune's reception officer records an in-person dossier for the first citizen.
    pub fn record(&self) -> Value {
        let body = json!({
            "procedure_id": self.procedure["id"],
            "channel": "in_person",
            "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"},
            "components": [{"component_id": self.component(0), "file_id": self.upload(&self.reception, "ban giay")}],
        });
        self.app
            .post("/api/v1/dossiers", Some(&self.reception), body)
            .ok(201)
            .clone()
    }

    /// A procedure definition applied by `units`, otherwise like the World's own.
    pub fn procedure_body(&self, code: &str, units: &[&str]) -> Value {
        json!({
            "code": code,
            "name": "Chứng thực bản sao",
            "field": "Chứng thực",
            "level": "commune",
            "processing_time": {"amount": 3, "unit": "working_days"},
            "online_service": "full",
            "components": [{"name": "Bản chính", "mandatory": true}],
            "unit_ids": units,
            "valid_from": "2020-01-01"
        })
    }
}
