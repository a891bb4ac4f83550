//! The procedure catalogue (DOMAIN.md §4): administrators add procedures and publish new
//! versions; anyone searches it, without caring for diacritics.

use serde_json::{json, Value};
use unicode_normalization::UnicodeNormalization;

use crate::common::{encode, pages, sorted, TestApp};

/// The tables a procedure's definition is stored in.
const TABLES: [&str; 5] = [
    "procedures",
    "procedure_components",
    "procedure_fees",
    "procedure_steps",
    "procedure_units",
];

fn counts(app: &TestApp) -> Vec<i64> {
    TABLES.iter().map(|t| app.count(t)).collect()
}

/// Birth registration at a commune, as the national database describes it.
fn birth_registration(units: &[&str]) -> Value {
    json!({
        "code": "1.001234.000.00.00.H30",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": "commune",
        "processing_time": {"amount": 3, "unit": "working_days"},
        "online_service": "full",
        "components": [
            {"name": "Tờ khai đăng ký khai sinh", "mandatory": true, "digitized_copy_accepted": false},
            {"name": "Giấy chứng sinh", "mandatory": true, "digitized_copy_accepted": true},
            {"name": "Văn bản ủy quyền (nếu có)", "mandatory": false, "digitized_copy_accepted": true},
        ],
        "fees": [
            {"name": "Lệ phí đăng ký khai sinh", "amount": 0},
            {"name": "Phí cấp bản sao trích lục", "amount": 8000},
        ],
        "online_payment": true,
        "steps": [
            {"name": "Tiếp nhận", "share": 10},
            {"name": "Chuyên viên xử lý", "share": 60},
            {"name": "Lãnh đạo ký duyệt", "share": 20},
            {"name": "Trả kết quả", "share": 10},
        ],
        "unit_ids": units,
        "legal_basis": "Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP",
        "valid_from": "2026-01-01",
        "valid_to": null,
    })
}

/// A smaller procedure for searching and paging.
fn procedure(code: &str, name: &str, field: &str, level: &str, service: &str, unit: &str) -> Value {
    json!({
        "code": code, "name": name, "field": field, "level": level,
        "processing_time": {"amount": 15, "unit": "working_days"},
        "online_service": service,
        "components": [{"name": "Đơn đề nghị"}],
        "fees": [{"name": "Lệ phí", "amount": 50000}],
        "unit_ids": [unit],
        "valid_from": "2026-01-01",
        "valid_to": null,
    })
}

#[track_caller]
fn create(app: &TestApp, body: Value) -> String {
    let answer = app.post("/api/v1/procedures", Some(&app.admin), body);
    answer.ok(201)["id"].as_str().unwrap().to_string()
}

#[test]
fn an_administrator_adds_a_procedure_with_everything_it_carries() {
    let app = TestApp::spawn();
    let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let district = app.unit(
        "000.00.20.H30",
        "UBND huyện Châu Thành",
        "district",
        Some(&province),
    );
    let commune = app.unit(
        "000.20.31.H30",
        "UBND xã Đông Phước",
        "commune",
        Some(&district),
    );
    let commune2 = app.unit(
        "000.20.32.H30",
        "UBND xã Phú Hữu",
        "commune",
        Some(&district),
    );
    let before = counts(&app);

    let body = birth_registration(&[&commune2, &commune]);
    let answer = app.post("/api/v1/procedures", Some(&app.admin), body.clone());
    assert_eq!(answer.status, 201, "{}", answer.text);
    let created = answer.ok(201).clone();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(created["version"], 1);
    assert_eq!(created["latest"], true);
    assert!(created["created_at"].is_string());
    for key in [
        "code",
        "name",
        "field",
        "level",
        "processing_time",
        "online_service",
        "online_payment",
        "steps",
        "legal_basis",
        "valid_from",
        "valid_to",
    ] {
        assert_eq!(created[key], body[key], "{key}");
    }
    let mut units = vec![commune.clone(), commune2.clone()];
    units.sort();
    let mut answered: Vec<String> = created["unit_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    answered.sort();
    assert_eq!(answered, units);
    // Components and fees come back in order, as sent, each with its own id.
    for list in ["components", "fees"] {
        let sent = body[list].as_array().unwrap();
        let got = created[list].as_array().unwrap();
        assert_eq!(got.len(), sent.len(), "{list}");
        for (got, sent) in got.iter().zip(sent) {
            let mut without_id = got.clone();
            let item_id = without_id.as_object_mut().unwrap().remove("id").unwrap();
            assert!(
                uuid::Uuid::parse_str(item_id.as_str().unwrap()).is_ok(),
                "{list}"
            );
            assert_eq!(&without_id, sent, "{list}");
        }
    }
    assert_eq!(answer.content_type, "application/json", "{}", answer.text);

    // Stored in every table.
    let after = counts(&app);
    assert_eq!(
        after
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
        vec![1, 3, 2, 4, 2],
        "rows in {TABLES:?}"
    );

    // Anyone reads it back, the same.
    let answer = app.get(&format!("/api/v1/procedures/{id}"), None);
    assert_eq!(answer.ok(200), &created);
    let answer = app.get("/api/v1/procedures", None);
    assert_eq!(answer.ok(200)["items"], json!([created]));
    let missing = uuid::Uuid::now_v7();
    app.get(&format!("/api/v1/procedures/{missing}"), None)
        .problem(404, "not_found");

    // Defaults: components mandatory without a digitized copy, no fees, no steps, no legal basis.
    let answer = app.post(
        "/api/v1/procedures",
        Some(&app.admin),
        json!({
            "code": "1.000894.000.00.00.h30", "name": "  Đăng ký kết hôn ", "field": "Hộ tịch",
            "level": "commune", "processing_time": {"amount": 8, "unit": "working_hours"},
            "online_service": "partial", "components": [{"name": "Tờ khai đăng ký kết hôn"}],
            "unit_ids": [commune], "valid_from": "2026-01-01", "valid_to": "2026-12-31",
        }),
    );
    let minimal = answer.ok(201);
    assert_eq!(minimal["code"], "1.000894.000.00.00.H30");
    assert_eq!(minimal["name"], "Đăng ký kết hôn");
    assert_eq!(
        minimal["processing_time"],
        json!({"amount": 8, "unit": "working_hours"})
    );
    assert_eq!(minimal["components"][0]["mandatory"], true);
    assert_eq!(minimal["components"][0]["digitized_copy_accepted"], false);
    assert_eq!(minimal["fees"], json!([]));
    assert_eq!(minimal["steps"], json!([]));
    assert_eq!(minimal["online_payment"], false);
    assert_eq!(minimal["legal_basis"], "");
    assert_eq!(minimal["valid_to"], "2026-12-31");
    assert_eq!(app.count("procedures"), before[0] + 2);
}

#[test]
fn the_catalogue_is_searched_without_diacritics() {
    let app = TestApp::spawn();
    let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let district = app.unit(
        "000.00.20.H30",
        "UBND huyện Châu Thành",
        "district",
        Some(&province),
    );
    let commune = app.unit(
        "000.20.31.H30",
        "UBND xã Đông Phước",
        "commune",
        Some(&district),
    );
    let birth = create(&app, birth_registration(&[&commune]));
    let marriage = create(
        &app,
        procedure(
            "1.000894.000.00.00.H30",
            "Đăng ký kết hôn",
            "Hộ tịch",
            "commune",
            "partial",
            &commune,
        ),
    );
    let extract = create(
        &app,
        procedure(
            "2.000635.000.00.00.H30",
            "Cấp bản sao trích lục hộ tịch",
            "Hộ tịch",
            "commune",
            "full",
            &commune,
        ),
    );
    let building = create(
        &app,
        procedure(
            "1.009994.000.00.00.H30",
            "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            "Xây dựng",
            "district",
            "partial",
            &district,
        ),
    );
    let land = create(
        &app,
        procedure(
            "1.003003.000.00.00.H30",
            "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
            "Đất đai",
            "district",
            "none",
            &district,
        ),
    );
    let business = create(
        &app,
        procedure(
            "2.000720.000.00.00.H30",
            "Đăng ký thành lập hộ kinh doanh",
            "Thành lập và hoạt động của hộ kinh doanh",
            "district",
            "full",
            &district,
        ),
    );
    let copies = create(
        &app,
        procedure(
            "2.000815.000.00.00.H30",
            "Miễn 100% phí chứng thực bản sao",
            "Chứng thực",
            "province",
            "none",
            &province,
        ),
    );
    let find = |query: &str| sorted(&app.get(&format!("/api/v1/procedures?{query}"), None), "id");
    let ids = |list: &[&String]| {
        let mut list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        list.sort();
        list
    };

    // q looks in the code and the name, ignoring diacritics, case and spacing.
    assert_eq!(
        find(&format!("q={}", encode("dang ky khai sinh"))),
        ids(&[&birth])
    );
    assert_eq!(find(&format!("q={}", encode("KHAI SINH"))), ids(&[&birth]));
    assert_eq!(
        find(&format!("q={}", encode("  Khai   sinh "))),
        ids(&[&birth])
    );
    assert_eq!(
        find(&format!("q={}", encode("đăng ký"))),
        ids(&[&birth, &marriage, &business])
    );
    assert_eq!(
        find(&format!("q={}", encode("ĐĂNG KÝ"))),
        ids(&[&birth, &marriage, &business])
    );
    // Words may come in any order; every word must match.
    assert_eq!(find(&format!("q={}", encode("sinh khai"))), ids(&[&birth]));
    assert_eq!(find(&format!("q={}", encode("khai hon"))), ids(&[]));
    // "hộ tịch" in a name, whether typed plain, in NFC or in NFD (as some phones send it).
    // The field "Hộ tịch" of the other civil-status procedures is not searched by q.
    let nfd: String = "Hộ tịch".nfd().collect();
    assert_ne!(nfd, "Hộ tịch", "the NFD form differs from the NFC one");
    assert_eq!(find(&format!("q={}", encode("ho tich"))), ids(&[&extract]));
    assert_eq!(find(&format!("q={}", encode("Hộ tịch"))), ids(&[&extract]));
    assert_eq!(find(&format!("q={}", encode(&nfd))), ids(&[&extract]));
    let nfd_marriage: String = "kết hôn".nfd().collect();
    assert_eq!(
        find(&format!("q={}", encode(&nfd_marriage))),
        ids(&[&marriage])
    );
    assert_eq!(find(&format!("q={}", encode("ket hon"))), ids(&[&marriage]));
    // Đ/đ folds to d.
    assert_eq!(find(&format!("q={}", encode("dat"))), ids(&[&land]));
    // The code is searched too.
    assert_eq!(find("q=1.001234"), ids(&[&birth]));
    assert_eq!(find("q=2.000"), ids(&[&extract, &business, &copies]));
    // LIKE wildcards are plain characters.
    assert_eq!(find(&format!("q={}", encode("%"))), ids(&[&copies]));
    assert_eq!(find(&format!("q={}", encode("100%"))), ids(&[&copies]));
    assert_eq!(find(&format!("q={}", encode("_"))), ids(&[]));
    assert_eq!(find(&format!("q={}", encode("10_%"))), ids(&[]));
    assert_eq!(find(&format!("q={}", encode("%khai%"))), ids(&[]));
    assert_eq!(find(&format!("q={}", encode("\\"))), ids(&[]));
    app.get(&format!("/api/v1/procedures?q={}", "a".repeat(201)), None)
        .problem(400, "invalid_query");

    // The field filter folds diacritics and case, and matches the whole field.
    let civil = ids(&[&birth, &marriage, &extract]);
    assert_eq!(find(&format!("field={}", encode("ho tich"))), civil);
    assert_eq!(find(&format!("field={}", encode("HỘ TỊCH"))), civil);
    assert_eq!(find(&format!("field={}", encode(&nfd))), civil);
    assert_eq!(find(&format!("field={}", encode("dat dai"))), ids(&[&land]));
    assert_eq!(find(&format!("field={}", encode("ho"))), ids(&[]));

    // The other filters, alone and together.
    assert_eq!(find("level=district"), ids(&[&building, &land, &business]));
    assert_eq!(find("level=province"), ids(&[&copies]));
    assert_eq!(find("online_service=none"), ids(&[&land, &copies]));
    assert_eq!(
        find("online_service=full"),
        ids(&[&birth, &extract, &business])
    );
    assert_eq!(find(&format!("unit_id={commune}")), civil);
    assert_eq!(
        find(&format!("unit_id={district}")),
        ids(&[&building, &land, &business])
    );
    assert_eq!(find(&format!("unit_id={}", uuid::Uuid::now_v7())), ids(&[]));
    assert_eq!(find("code=1.001234.000.00.00.h30"), ids(&[&birth]));
    assert_eq!(find("code=1.001234"), ids(&[]), "code is exact");
    assert_eq!(
        find(&format!("q={}&level=commune", encode("đăng ký"))),
        ids(&[&birth, &marriage])
    );
    assert_eq!(
        find(&format!(
            "level=district&online_service=full&unit_id={district}"
        )),
        ids(&[&business])
    );
    app.get("/api/v1/procedures?level=ward", None)
        .problem(400, "invalid_query");
    app.get("/api/v1/procedures?online_service=sometimes", None)
        .problem(400, "invalid_query");

    // Paging through the whole catalogue: each procedure exactly once.
    let walked = pages(&app, "/api/v1/procedures", 3);
    assert_eq!(
        walked.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    let mut seen = walked.concat();
    seen.sort();
    assert_eq!(
        seen,
        ids(&[&birth, &marriage, &extract, &building, &land, &business, &copies])
    );
    // ...and through a filtered list.
    let walked = pages(
        &app,
        &format!("/api/v1/procedures?field={}", encode("ho tich")),
        2,
    );
    assert_eq!(walked.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1]);
    let mut seen = walked.concat();
    seen.sort();
    assert_eq!(seen, civil);
}

#[test]
fn a_new_version_supersedes_the_current_one() {
    let app = TestApp::spawn();
    let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let commune = app.unit(
        "000.20.31.H30",
        "UBND xã Đông Phước",
        "commune",
        Some(&province),
    );
    let citizen = app.citizen("001099012345");
    let first = app
        .post(
            "/api/v1/procedures",
            Some(&app.admin),
            birth_registration(&[&commune]),
        )
        .ok(201)
        .clone();
    let v1 = first["id"].as_str().unwrap().to_string();

    // The amended procedure: 2 working days, a new component, from 1 July 2026, by the province.
    let mut amended = birth_registration(&[&province]);
    amended.as_object_mut().unwrap().remove("code");
    amended["processing_time"] = json!({"amount": 2, "unit": "working_days"});
    amended["valid_from"] = json!("2026-07-01");
    amended["components"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Giấy tờ chứng minh nơi cư trú", "mandatory": false}));
    amended["legal_basis"] = json!("Luật Hộ tịch 2014; Nghị định 07/2025/NĐ-CP");
    let before = counts(&app);
    let answer = app.post(
        &format!("/api/v1/procedures/{v1}/versions"),
        Some(&app.admin),
        amended.clone(),
    );
    let second = answer.ok(201).clone();
    let v2 = second["id"].as_str().unwrap().to_string();
    assert_ne!(v2, v1);
    assert_eq!(second["version"], 2);
    assert_eq!(second["latest"], true);
    assert_eq!(second["code"], "1.001234.000.00.00.H30");
    assert_eq!(
        second["processing_time"],
        json!({"amount": 2, "unit": "working_days"})
    );
    assert_eq!(second["valid_from"], "2026-07-01");
    assert!(second["valid_to"].is_null());
    assert_eq!(second["unit_ids"], json!([province]));
    assert_eq!(second["components"].as_array().unwrap().len(), 4);
    assert_eq!(
        second["legal_basis"],
        "Luật Hộ tịch 2014; Nghị định 07/2025/NĐ-CP"
    );
    let after = counts(&app);
    assert_eq!(
        after
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
        vec![1, 4, 2, 4, 1],
        "a new version has its own rows in {TABLES:?}"
    );

    // The first version stays for the dossiers that use it; only its validity closes.
    let answer = app.get(&format!("/api/v1/procedures/{v1}"), None);
    let old = answer.ok(200);
    assert_eq!(old["latest"], false);
    assert_eq!(
        old["valid_to"], "2026-06-30",
        "the day before the new version"
    );
    let mut expected = first.clone();
    expected["latest"] = json!(false);
    expected["valid_to"] = json!("2026-06-30");
    assert_eq!(old, &expected, "nothing else changed, components included");

    // The catalogue shows the latest version, unless asked for all.
    let by_code = "/api/v1/procedures?code=1.001234.000.00.00.H30";
    assert_eq!(sorted(&app.get(by_code, None), "id"), vec![v2.clone()]);
    assert_eq!(
        sorted(&app.get("/api/v1/procedures", None), "id"),
        vec![v2.clone()]
    );
    let mut both = vec![v1.clone(), v2.clone()];
    both.sort();
    assert_eq!(
        sorted(
            &app.get(&format!("{by_code}&all_versions=true"), None),
            "id"
        ),
        both
    );
    assert_eq!(
        sorted(
            &app.get(&format!("/api/v1/procedures?unit_id={commune}"), None),
            "id"
        ),
        Vec::<String>::new(),
        "the commune only applied the superseded version"
    );
    assert_eq!(
        sorted(
            &app.get(
                &format!("/api/v1/procedures?unit_id={commune}&all_versions=true"),
                None
            ),
            "id"
        ),
        vec![v1.clone()]
    );

    // Refusals, with nothing stored.
    let before = counts(&app);
    let answer = app.post(
        &format!("/api/v1/procedures/{v1}/versions"),
        Some(&app.admin),
        json!(amended.clone()),
    );
    answer.problem(409, "not_latest_version");
    let mut not_later = amended.clone();
    not_later["valid_from"] = json!("2026-07-01");
    app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        Some(&app.admin),
        not_later.clone(),
    )
    .problem(422, "invalid_validity");
    not_later["valid_from"] = json!("2026-03-01");
    app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        Some(&app.admin),
        not_later,
    )
    .problem(422, "invalid_validity");
    let mut other_code = amended.clone();
    other_code["code"] = json!("1.001235.000.00.00.H30");
    other_code["valid_from"] = json!("2027-01-01");
    let answer = app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        Some(&app.admin),
        other_code,
    );
    assert_eq!(
        answer.problem(422, "validation_failed")["errors"][0]["field"],
        "code"
    );
    let mut invalid = amended.clone();
    invalid["valid_from"] = json!("2027-01-01");
    invalid["steps"] = json!([{"name": "Tiếp nhận", "share": 50}]);
    app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        Some(&app.admin),
        invalid,
    )
    .problem(422, "validation_failed");
    let mut unknown_unit = amended.clone();
    unknown_unit["valid_from"] = json!("2027-01-01");
    unknown_unit["unit_ids"] = json!([uuid::Uuid::now_v7()]);
    app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        Some(&app.admin),
        unknown_unit,
    )
    .problem(422, "unknown_unit");
    let mut next_year = amended.clone();
    next_year["valid_from"] = json!("2027-01-01");
    app.post(
        &format!("/api/v1/procedures/{}/versions", uuid::Uuid::now_v7()),
        Some(&app.admin),
        next_year.clone(),
    )
    .problem(404, "not_found");
    app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        Some(&citizen),
        next_year.clone(),
    )
    .problem(403, "forbidden");
    app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        None,
        next_year.clone(),
    )
    .problem(401, "missing_token");
    assert_eq!(counts(&app), before, "nothing was stored");
    let current = app.get(&format!("/api/v1/procedures/{v2}"), None);
    assert_eq!(current.ok(200), &second, "the latest version is untouched");

    // Repeating the procedure's own code (in any case) is allowed.
    next_year["code"] = json!("1.001234.000.00.00.h30");
    let answer = app.post(
        &format!("/api/v1/procedures/{v2}/versions"),
        Some(&app.admin),
        next_year,
    );
    let third = answer.ok(201);
    assert_eq!(third["version"], 3);
    assert_eq!(third["code"], "1.001234.000.00.00.H30");
    let v2_now = app.get(&format!("/api/v1/procedures/{v2}"), None);
    assert_eq!(v2_now.ok(200)["latest"], false);
    assert_eq!(v2_now.body["valid_to"], "2026-12-31");
    assert_eq!(
        app.get(&format!("{by_code}&all_versions=true"), None)
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn bad_procedures_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn();
    let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let commune = app.unit(
        "000.20.31.H30",
        "UBND xã Đông Phước",
        "commune",
        Some(&province),
    );
    let citizen = app.citizen("001099012345");
    let officer = app.official("tiepnhan.dp", "reception", Some(&commune));
    create(&app, birth_registration(&[&commune]));
    let before = counts(&app);
    // A valid new procedure, spoiled one way at a time.
    let valid = || {
        let mut body = birth_registration(&[&commune]);
        body["code"] = json!("1.000894.000.00.00.H30");
        body["name"] = json!("Đăng ký kết hôn");
        body
    };
    let spoiled = |change: &dyn Fn(&mut Value)| {
        let mut body = valid();
        change(&mut body);
        body
    };

    // Duplicates.
    app.post(
        "/api/v1/procedures",
        Some(&app.admin),
        birth_registration(&[&commune]),
    )
    .problem(409, "procedure_exists");
    app.post(
        "/api/v1/procedures",
        Some(&app.admin),
        spoiled(&|b| b["code"] = json!("1.001234.000.00.00.h30")),
    )
    .problem(409, "procedure_exists");

    // Field rules: (what, body, field, error code). A rule across fields names the field to fix.
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "shares not adding to 100",
            spoiled(&|b| b["steps"][1]["share"] = json!(50)),
            "steps",
            "steps",
        ),
        (
            "a zero share",
            spoiled(&|b| {
                b["steps"] =
                    json!([{"name": "Tiếp nhận", "share": 0}, {"name": "Xử lý", "share": 100}])
            }),
            "steps[0].share",
            "range",
        ),
        (
            "no processing time",
            spoiled(&|b| b["processing_time"]["amount"] = json!(0)),
            "processing_time",
            "processing_time",
        ),
        (
            "too long a processing time",
            spoiled(&|b| b["processing_time"] = json!({"amount": 1001, "unit": "working_days"})),
            "processing_time",
            "processing_time",
        ),
        (
            "valid_to before valid_from",
            spoiled(&|b| b["valid_to"] = json!("2025-12-31")),
            "valid_to",
            "valid_to",
        ),
        (
            "no unit",
            spoiled(&|b| b["unit_ids"] = json!([])),
            "unit_ids",
            "length",
        ),
        (
            "no code",
            spoiled(&|b| {
                b.as_object_mut().unwrap().remove("code");
            }),
            "code",
            "required",
        ),
        (
            "a code not in the national format",
            spoiled(&|b| b["code"] = json!("KS-001")),
            "code",
            "format",
        ),
        (
            "a unit code without the base code",
            spoiled(&|b| b["code"] = json!("000.20.31.H30")),
            "code",
            "format",
        ),
        (
            "a negative fee",
            spoiled(&|b| b["fees"][1]["amount"] = json!(-8000)),
            "fees[1].amount",
            "range",
        ),
        (
            "a blank component name",
            spoiled(&|b| b["components"][0]["name"] = json!("  ")),
            "components[0].name",
            "blank",
        ),
        (
            "a blank name",
            spoiled(&|b| b["name"] = json!("   ")),
            "name",
            "blank",
        ),
    ];
    for (what, body, field, code) in cases {
        let answer = app.post("/api/v1/procedures", Some(&app.admin), body);
        let problem = answer.problem(422, "validation_failed");
        assert_eq!(
            problem["errors"][0]["field"], field,
            "{what}: {}",
            answer.text
        );
        assert_eq!(
            problem["errors"][0]["code"], code,
            "{what}: {}",
            answer.text
        );
    }

    // References and shapes.
    app.post(
        "/api/v1/procedures",
        Some(&app.admin),
        spoiled(&|b| b["unit_ids"] = json!([commune, uuid::Uuid::now_v7()])),
    )
    .problem(422, "unknown_unit");
    for (what, body) in [
        ("an unknown field", spoiled(&|b| b["price"] = json!(0))),
        (
            "an unknown field in a component",
            spoiled(&|b| b["components"][0]["copies"] = json!(2)),
        ),
        ("an unknown level", spoiled(&|b| b["level"] = json!("ward"))),
        (
            "an unknown time unit",
            spoiled(&|b| b["processing_time"]["unit"] = json!("weeks")),
        ),
        (
            "a negative amount",
            spoiled(&|b| b["processing_time"]["amount"] = json!(-3)),
        ),
        (
            "a fractional fee",
            spoiled(&|b| b["fees"][0]["amount"] = json!(1.5)),
        ),
        (
            "a bad date",
            spoiled(&|b| b["valid_from"] = json!("01/01/2026")),
        ),
        (
            "no online service level",
            spoiled(&|b| {
                b.as_object_mut().unwrap().remove("online_service");
            }),
        ),
    ] {
        let answer = app.post("/api/v1/procedures", Some(&app.admin), body);
        assert_eq!(answer.status, 422, "{what}: {}", answer.text);
        answer.problem(422, "invalid_body");
    }

    // Administrators only.
    app.post("/api/v1/procedures", Some(&citizen), valid())
        .problem(403, "forbidden");
    app.post("/api/v1/procedures", Some(&officer), valid())
        .problem(403, "forbidden");
    app.post("/api/v1/procedures", None, valid())
        .problem(401, "missing_token");

    assert_eq!(counts(&app), before, "nothing was stored");
    // The same body, unspoiled, goes through.
    create(&app, valid());
    assert_eq!(app.count("procedures"), before[0] + 1);
}
