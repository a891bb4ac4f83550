//! Units: the tree of administrative units (DOMAIN.md §3), read by anyone, changed by
//! administrators.

use serde_json::json;

use crate::common::{pages, sorted, TestApp};

fn sorted_ids(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

#[test]
fn an_administrator_builds_a_province_tree_that_anyone_can_read() {
    let app = TestApp::spawn();
    let before = app.count("units");

    let answer = app.post(
        "/api/v1/units",
        Some(&app.admin),
        json!({"code": "000.00.00.h30", "name": "  UBND tỉnh Hậu Giang ", "level": "province"}),
    );
    let province = answer.ok(201).clone();
    let province_id = province["id"].as_str().unwrap().to_string();
    assert_eq!(
        province["code"], "000.00.00.H30",
        "codes are stored upper-case"
    );
    assert_eq!(province["name"], "UBND tỉnh Hậu Giang", "names are trimmed");
    assert_eq!(province["level"], "province");
    assert!(province["parent_id"].is_null());
    assert!(province["created_at"].is_string());

    let justice = app.unit(
        "000.00.01.H30",
        "Sở Tư pháp",
        "department",
        Some(&province_id),
    );
    let district = app.unit(
        "000.00.20.H30",
        "UBND huyện Châu Thành",
        "district",
        Some(&province_id),
    );
    let commune = app.unit(
        "000.20.31.H30",
        "UBND xã Đông Phước",
        "commune",
        Some(&district),
    );
    // Another province, so that filters have something to leave out.
    let other = app.unit("000.00.00.H49", "UBND tỉnh Bắc Giang", "province", None);
    assert_eq!(app.count("units"), before + 5);

    // Anyone (no token) reads one unit.
    let answer = app.get(&format!("/api/v1/units/{commune}"), None);
    let read = answer.ok(200);
    assert_eq!(read["id"], commune.as_str());
    assert_eq!(read["code"], "000.20.31.H30");
    assert_eq!(read["name"], "UBND xã Đông Phước");
    assert_eq!(read["level"], "commune");
    assert_eq!(read["parent_id"], district.as_str());
    let answer = app.get(&format!("/api/v1/units/{province_id}"), None);
    assert_eq!(answer.ok(200), &province, "GET shows the unit as created");

    // The whole list.
    let all = app.get("/api/v1/units", None);
    assert_eq!(
        sorted(&all, "id"),
        sorted_ids(&[&province_id, &justice, &district, &commune, &other])
    );
    assert!(all.body["next_cursor"].is_null());

    // Direct children only: not the commune under the district.
    let children = app.get(&format!("/api/v1/units?parent_id={province_id}"), None);
    assert_eq!(sorted(&children, "id"), sorted_ids(&[&justice, &district]));
    let children = app.get(&format!("/api/v1/units?parent_id={commune}"), None);
    assert!(sorted(&children, "id").is_empty());

    // A subtree is the unit itself and everything below it, nothing else.
    let subtree = app.get(&format!("/api/v1/units?subtree_of={province_id}"), None);
    assert_eq!(
        sorted(&subtree, "id"),
        sorted_ids(&[&province_id, &justice, &district, &commune])
    );
    let subtree = app.get(&format!("/api/v1/units?subtree_of={district}"), None);
    assert_eq!(sorted(&subtree, "id"), sorted_ids(&[&district, &commune]));
    let subtree = app.get(&format!("/api/v1/units?subtree_of={commune}"), None);
    assert_eq!(sorted(&subtree, "id"), sorted_ids(&[&commune]));
    let subtree = app.get(&format!("/api/v1/units?subtree_of={other}"), None);
    assert_eq!(sorted(&subtree, "id"), sorted_ids(&[&other]));
    // Filters combine: the districts of the province's subtree.
    let districts = app.get(
        &format!("/api/v1/units?subtree_of={province_id}&level=district"),
        None,
    );
    assert_eq!(sorted(&districts, "id"), sorted_ids(&[&district]));

    let provinces = app.get("/api/v1/units?level=province", None);
    assert_eq!(
        sorted(&provinces, "id"),
        sorted_ids(&[&province_id, &other])
    );
    let by_code = app.get("/api/v1/units?code=000.00.01.h30", None);
    assert_eq!(sorted(&by_code, "id"), sorted_ids(&[&justice]));
    let by_code = app.get("/api/v1/units?code=000.00.99.H30", None);
    assert!(sorted(&by_code, "id").is_empty());

    // Unknown things.
    let missing = uuid::Uuid::now_v7();
    app.get(&format!("/api/v1/units/{missing}"), None)
        .problem(404, "not_found");
    app.get(&format!("/api/v1/units?subtree_of={missing}"), None)
        .problem(404, "not_found");
    app.get("/api/v1/units?level=hamlet", None)
        .problem(400, "invalid_query");
}

#[test]
fn units_are_listed_page_by_page() {
    let app = TestApp::spawn();
    let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let mut created = vec![province.clone()];
    for i in 1..=8 {
        created.push(app.unit(
            &format!("000.00.{i:02}.H30"),
            &format!("Sở số {i}"),
            "department",
            Some(&province),
        ));
    }
    let total = usize::try_from(app.count("units")).unwrap();
    assert_eq!(total, created.len());

    let walked = pages(&app, "/api/v1/units", 4);
    assert_eq!(
        walked.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![4, 4, 1]
    );
    let mut seen: Vec<String> = walked.concat();
    assert_eq!(seen.len(), total, "no unit is listed twice");
    seen.sort();
    created.sort();
    assert_eq!(seen, created, "every unit is listed exactly once");

    // A page size that divides the total ends without an empty page.
    let walked = pages(&app, "/api/v1/units", 3);
    assert_eq!(
        walked.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 3]
    );
    // Paging works inside a filter too.
    let walked = pages(&app, &format!("/api/v1/units?parent_id={province}"), 5);
    assert_eq!(walked.iter().map(Vec::len).collect::<Vec<_>>(), vec![5, 3]);
    assert!(!walked.concat().contains(&province));
}

#[test]
fn units_are_renamed_recoded_and_moved_with_their_subtree() {
    let app = TestApp::spawn();
    let hau_giang = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let justice = app.unit(
        "000.00.01.H30",
        "Sở Tư pháp",
        "department",
        Some(&hau_giang),
    );
    let district = app.unit(
        "000.00.20.H30",
        "UBND huyện Châu Thành",
        "district",
        Some(&hau_giang),
    );
    let commune = app.unit(
        "000.20.31.H30",
        "UBND xã Đông Phước",
        "commune",
        Some(&district),
    );
    let can_tho = app.unit("000.00.00.H92", "UBND thành phố Cần Thơ", "province", None);
    let ninh_kieu = app.unit(
        "000.00.10.H92",
        "UBND quận Ninh Kiều",
        "district",
        Some(&can_tho),
    );
    let subtree = |root: &str| {
        sorted(
            &app.get(&format!("/api/v1/units?subtree_of={root}"), None),
            "id",
        )
    };

    // Rename and recode.
    let created = app.get(&format!("/api/v1/units/{justice}"), None);
    let created_at = created.body["created_at"].clone();
    let answer = app.patch(
        &format!("/api/v1/units/{justice}"),
        Some(&app.admin),
        json!({"name": " Sở Tư pháp tỉnh Hậu Giang ", "code": "000.00.02.h30"}),
    );
    let changed = answer.ok(200).clone();
    assert_eq!(changed["name"], "Sở Tư pháp tỉnh Hậu Giang");
    assert_eq!(changed["code"], "000.00.02.H30");
    assert_eq!(changed["parent_id"], hau_giang.as_str(), "the parent stays");
    assert_eq!(changed["level"], "department");
    assert_eq!(changed["created_at"], created_at);
    assert!(changed["updated_at"].as_str().unwrap() >= created_at.as_str().unwrap());
    let reread = app.get(&format!("/api/v1/units/{justice}"), None);
    assert_eq!(reread.ok(200), &changed, "the change is stored");
    let by_code = app.get("/api/v1/units?code=000.00.02.H30", None);
    assert_eq!(sorted(&by_code, "id"), sorted_ids(&[&justice]));
    let by_old_code = app.get("/api/v1/units?code=000.00.01.H30", None);
    assert!(
        sorted(&by_old_code, "id").is_empty(),
        "the old code is free"
    );
    // Keeping its own code is not a conflict.
    app.patch(
        &format!("/api/v1/units/{justice}"),
        Some(&app.admin),
        json!({"code": "000.00.02.H30"}),
    )
    .ok(200);

    // Move the district (with its commune) to Cần Thơ.
    let answer = app.patch(
        &format!("/api/v1/units/{district}"),
        Some(&app.admin),
        json!({"parent_id": can_tho}),
    );
    assert_eq!(answer.ok(200)["parent_id"], can_tho.as_str());
    assert_eq!(answer.body["name"], "UBND huyện Châu Thành");
    assert_eq!(subtree(&hau_giang), sorted_ids(&[&hau_giang, &justice]));
    assert_eq!(
        subtree(&can_tho),
        sorted_ids(&[&can_tho, &ninh_kieu, &district, &commune])
    );
    assert_eq!(subtree(&district), sorted_ids(&[&district, &commune]));
    let children = app.get(&format!("/api/v1/units?parent_id={can_tho}"), None);
    assert_eq!(
        sorted(&children, "id"),
        sorted_ids(&[&ninh_kieu, &district])
    );
    let commune_now = app.get(&format!("/api/v1/units/{commune}"), None);
    assert_eq!(
        commune_now.ok(200)["parent_id"],
        district.as_str(),
        "the commune moved with its district"
    );

    // No cycles: not under itself, not under its own descendant.
    let units_before = app.count("units");
    app.patch(
        &format!("/api/v1/units/{district}"),
        Some(&app.admin),
        json!({"parent_id": district}),
    )
    .problem(409, "unit_cycle");
    app.patch(
        &format!("/api/v1/units/{can_tho}"),
        Some(&app.admin),
        json!({"parent_id": commune}),
    )
    .problem(409, "unit_cycle");
    app.patch(
        &format!("/api/v1/units/{can_tho}"),
        Some(&app.admin),
        json!({"parent_id": district, "name": "Không được đổi"}),
    )
    .problem(409, "unit_cycle");
    let can_tho_now = app.get(&format!("/api/v1/units/{can_tho}"), None);
    assert!(can_tho_now.ok(200)["parent_id"].is_null());
    assert_eq!(
        can_tho_now.body["name"], "UBND thành phố Cần Thơ",
        "a refused change changes nothing"
    );
    assert_eq!(
        subtree(&can_tho),
        sorted_ids(&[&can_tho, &ninh_kieu, &district, &commune])
    );
    assert_eq!(app.count("units"), units_before);

    // An unknown parent.
    let missing = uuid::Uuid::now_v7().to_string();
    app.patch(
        &format!("/api/v1/units/{district}"),
        Some(&app.admin),
        json!({"parent_id": missing}),
    )
    .problem(422, "unknown_unit");

    // parent_id null makes the district a root, taking its commune along.
    let answer = app.patch(
        &format!("/api/v1/units/{district}"),
        Some(&app.admin),
        json!({"parent_id": null}),
    );
    assert!(answer.ok(200)["parent_id"].is_null());
    assert_eq!(subtree(&can_tho), sorted_ids(&[&can_tho, &ninh_kieu]));
    assert_eq!(subtree(&district), sorted_ids(&[&district, &commune]));
    let roots = app.get("/api/v1/units?level=district", None);
    assert_eq!(sorted(&roots, "id"), sorted_ids(&[&district, &ninh_kieu]));
    // A PATCH without parent_id leaves the parent alone.
    let answer = app.patch(
        &format!("/api/v1/units/{commune}"),
        Some(&app.admin),
        json!({"level": "commune"}),
    );
    assert_eq!(answer.ok(200)["parent_id"], district.as_str());

    // And back under Hậu Giang: Hậu Giang's subtree has it all again.
    app.patch(
        &format!("/api/v1/units/{district}"),
        Some(&app.admin),
        json!({"parent_id": hau_giang}),
    )
    .ok(200);
    assert_eq!(
        subtree(&hau_giang),
        sorted_ids(&[&hau_giang, &justice, &district, &commune])
    );
    assert_eq!(subtree(&can_tho), sorted_ids(&[&can_tho, &ninh_kieu]));
}

#[test]
fn bad_unit_changes_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn();
    let province = app.unit("000.00.00.H30", "UBND tỉnh Hậu Giang", "province", None);
    let justice = app.unit("000.00.01.H30", "Sở Tư pháp", "department", Some(&province));
    let officer = app.official("tiepnhan.hg", "reception", Some(&province));
    let before = app.count("units");
    let body = |code: &str| json!({"code": code, "name": "Sở Y tế", "level": "department", "parent_id": province});

    // Codes are unique, on creation and on recoding (whatever the case).
    app.post("/api/v1/units", Some(&app.admin), body("000.00.01.H30"))
        .problem(409, "unit_code_taken");
    app.post("/api/v1/units", Some(&app.admin), body("000.00.00.h30"))
        .problem(409, "unit_code_taken");
    app.patch(
        &format!("/api/v1/units/{justice}"),
        Some(&app.admin),
        json!({"code": "000.00.00.H30"}),
    )
    .problem(409, "unit_code_taken");

    // Codes have the national format.
    for bad in [
        "H30",
        "000.00.01",
        "000.00.1.H30",
        "000.00.01.330",
        "000.00.01.H30.1",
    ] {
        let answer = app.post("/api/v1/units", Some(&app.admin), body(bad));
        let problem = answer.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "code", "{bad}");
    }
    let answer = app.patch(
        &format!("/api/v1/units/{justice}"),
        Some(&app.admin),
        json!({"code": "SO-TU-PHAP"}),
    );
    assert_eq!(
        answer.problem(422, "validation_failed")["errors"][0]["field"],
        "code"
    );

    // An unknown parent.
    let missing = uuid::Uuid::now_v7().to_string();
    let mut orphan = body("000.00.03.H30");
    orphan["parent_id"] = json!(missing);
    app.post("/api/v1/units", Some(&app.admin), orphan)
        .problem(422, "unknown_unit");

    // An unknown unit.
    app.patch(
        &format!("/api/v1/units/{missing}"),
        Some(&app.admin),
        json!({"name": "Không có"}),
    )
    .problem(404, "not_found");

    // Who may write: administrators only.
    app.post("/api/v1/units", None, body("000.00.04.H30"))
        .problem(401, "missing_token");
    app.post("/api/v1/units", Some(&officer), body("000.00.04.H30"))
        .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/units/{justice}"),
        Some(&officer),
        json!({"name": "Sở Tư pháp (sửa trái phép)"}),
    )
    .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/units/{justice}"),
        None,
        json!({"name": "Sở Tư pháp (sửa trái phép)"}),
    )
    .problem(401, "missing_token");
    // ...while the officer reads like anyone.
    let read = app.get(&format!("/api/v1/units/{justice}"), Some(&officer));
    let read = read.ok(200);
    assert_eq!(read["code"], "000.00.01.H30");
    assert_eq!(read["name"], "Sở Tư pháp");

    assert_eq!(app.count("units"), before, "nothing was stored");
    // The same body, fixed, goes through.
    app.post("/api/v1/units", Some(&app.admin), body("000.00.04.H30"))
        .ok(201);
    assert_eq!(app.count("units"), before + 1);
}
