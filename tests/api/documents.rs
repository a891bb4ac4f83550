//! The personal document store: digitization at the desk, reuse instead of re-upload, signed
//! electronic results and their verification, historical results and the backlog report.

use serde_json::{json, Value};

use crate::common::{multipart, Answer};
use crate::dossiers::{upload, World};

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

fn my_documents(w: &World, token: &str) -> Vec<Value> {
    w.app.get("/api/v1/me/documents", Some(token)).ok(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// A desk intake with both mandatory components scanned, then digitized into the store.
fn digitized_intake(w: &World) -> (Value, Vec<Value>) {
    let body = json!({"procedure_id": w.procedure["id"], "channel": "in_person",
                      "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"},
                      "components": w.components(&w.reception)});
    let d = w
        .app
        .post("/api/v1/dossiers", Some(&w.reception), body)
        .ok(201)
        .clone();
    let id = d["id"].as_str().unwrap();
    let documents = w.app.post(
        &format!("/api/v1/dossiers/{id}/digitize"),
        Some(&w.reception),
        json!({"components": [{"component_id": w.component(0), "title": "Tờ khai", "valid_until": "2099-12-31"},
                              {"component_id": w.component(1)}]}),
    );
    let documents = documents.ok(201).as_array().unwrap().clone();
    (d, documents)
}

#[test]
fn desk_digitization_fills_the_store_and_a_second_dossier_reuses_it() {
    let w = World::new();
    let (d, documents) = digitized_intake(&w);
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["kind"], "component");
    assert_eq!(documents[0]["title"], "Tờ khai");
    assert_eq!(
        documents[1]["title"], "Giấy chứng sinh",
        "defaults to the component's name"
    );
    assert_eq!(documents[0]["owner_national_id"], "001099012345");
    assert_eq!(documents[0]["source_dossier_id"], d["id"]);
    assert_eq!(documents[0]["valid"], true);
    assert_eq!(w.app.count("documents"), 2);
    // Digitizing again does not duplicate.
    let again = w.app.post(
        &format!("/api/v1/dossiers/{}/digitize", d["id"].as_str().unwrap()),
        Some(&w.reception),
        json!({}),
    );
    assert_eq!(again.ok(201).as_array().unwrap().len(), 2);
    assert_eq!(w.app.count("documents"), 2);

    // The citizen sees them in their store and downloads them.
    let store = my_documents(&w, &w.citizen);
    assert_eq!(store.len(), 2);
    let doc = store[0]["id"].as_str().unwrap();
    let content = w.app.get(
        &format!("/api/v1/documents/{doc}/content"),
        Some(&w.citizen),
    );
    assert_eq!(content.status, 200);
    assert_eq!(
        sha256(content.text.as_bytes()),
        store[0]["sha256"].as_str().unwrap()
    );
    assert!(my_documents(&w, &w.citizen_b).is_empty());

    // A second dossier points to the stored declaration instead of uploading it again.
    let files_before = w.app.count("files");
    let body = json!({"procedure_id": w.procedure["id"], "channel": "online",
                      "components": [{"component_id": w.component(0), "document_id": doc},
                                     {"component_id": w.component(1), "file_id": w.upload(&w.citizen, "scan")}]});
    let second = w
        .app
        .post("/api/v1/dossiers", Some(&w.citizen), body)
        .ok(201)
        .clone();
    assert_eq!(
        w.app.count("files"),
        files_before + 1,
        "only the other component was uploaded"
    );
    let reused: Vec<&Value> = second["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["document_id"] == doc)
        .collect();
    assert_eq!(reused.len(), 1);
    assert!(reused[0]["file_id"].is_null());
    // A single read shows what the submission answered, read back from the database: both
    // components (one by document, one by file, with their times) and the fee.
    let read = w
        .app
        .get(
            &format!("/api/v1/dossiers/{}", second["id"].as_str().unwrap()),
            Some(&w.citizen),
        )
        .ok(200)
        .clone();
    assert_eq!(read["components"], second["components"]);
    assert_eq!(read["components"].as_array().unwrap().len(), 2);
    assert_eq!(read["fee"], second["fee"]);

    // No supplement can be asked for a component satisfied by a valid stored document.
    let received = w.step(&w.reception, &second, json!({"action": "receive"}));
    let answer = w.act(
        &w.reception,
        &received,
        json!({"action": "request_supplement", "missing_components": [w.component(0)]}),
    );
    let problem = answer.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "satisfied_by_document");

    // A document a dossier uses cannot be removed; the officials of the unit can read it.
    w.app
        .send(
            "DELETE",
            &format!("/api/v1/documents/{doc}"),
            Some(&w.citizen),
            None,
        )
        .problem(409, "document_in_use");
    w.app
        .get(&format!("/api/v1/documents/{doc}"), Some(&w.specialist))
        .ok(200);
}

#[test]
fn reuse_is_refused_for_a_document_not_accepted_expired_or_someone_elses() {
    let w = World::new();
    let (_, documents) = digitized_intake(&w);
    let declaration = documents[0]["id"].as_str().unwrap().to_string();
    let certificate = documents[1]["id"].as_str().unwrap().to_string();
    let before = (w.app.count("dossiers"), w.app.count("dossier_components"));
    let submit = |token: &str, components: Value| {
        let body = json!({"procedure_id": w.procedure["id"], "channel": "online", "components": components});
        w.app.post("/api/v1/dossiers", Some(token), body)
    };
    // The birth certificate component does not accept a digitized copy.
    let answer = submit(
        &w.citizen,
        json!([{"component_id": w.component(0), "document_id": declaration},
               {"component_id": w.component(1), "document_id": certificate}]),
    );
    let problem = answer.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "copy_not_accepted");
    assert_eq!(problem["errors"][0]["field"], "components[1].document_id");
    // Another citizen cannot reuse, read or download it: 404.
    let file = w.upload(&w.citizen_b, "scan");
    submit(
        &w.citizen_b,
        json!([{"component_id": w.component(0), "document_id": declaration},
               {"component_id": w.component(1), "file_id": file}]),
    )
    .problem(404, "not_found");
    w.app
        .get(
            &format!("/api/v1/documents/{declaration}"),
            Some(&w.citizen_b),
        )
        .problem(404, "not_found");
    w.app
        .get(
            &format!("/api/v1/documents/{declaration}/content"),
            Some(&w.citizen_b),
        )
        .problem(404, "not_found");
    w.app
        .send(
            "DELETE",
            &format!("/api/v1/documents/{declaration}"),
            Some(&w.citizen_b),
            None,
        )
        .problem(404, "not_found");
    // An expired document: digitize another dossier's declaration with a validity in the past.
    let body = json!({"procedure_id": w.procedure["id"], "channel": "in_person",
                      "applicant": {"national_id": "001099012345", "full_name": "Trần Thị Công Dân"},
                      "components": w.components(&w.reception)});
    let old = w
        .app
        .post("/api/v1/dossiers", Some(&w.reception), body)
        .ok(201)
        .clone();
    let expired = w.app.post(
        &format!("/api/v1/dossiers/{}/digitize", old["id"].as_str().unwrap()),
        Some(&w.reception),
        json!({"components": [{"component_id": w.component(0), "valid_until": "2020-01-01"}]}),
    );
    let expired = expired.ok(201)[0].clone();
    assert_eq!(expired["valid"], false);
    let file = w.upload(&w.citizen, "scan");
    let answer = submit(
        &w.citizen,
        json!([{"component_id": w.component(0), "document_id": expired["id"]},
               {"component_id": w.component(1), "file_id": file}]),
    );
    assert_eq!(
        answer.problem(422, "validation_failed")["errors"][0]["code"],
        "expired_document"
    );
    assert_eq!(
        w.app.count("dossiers"),
        before.0 + 1,
        "only the desk intake above was stored"
    );
    assert_eq!(w.app.count("dossier_components"), before.1 + 2);
    // An official of another unit cannot read the documents of this unit's dossiers.
    let other = w
        .app
        .unit("000.00.13.H30", "UBND xã Hỏa Lựu", "commune", None);
    let stranger = w.app.official("can.bo.khac", "reception", Some(&other));
    w.app
        .get(&format!("/api/v1/documents/{declaration}"), Some(&stranger))
        .problem(404, "not_found");
    // Someone's unused document can be removed by them.
    let (_, mine) = digitized_intake(&w);
    let unused = mine[0]["id"].as_str().unwrap();
    let removed = w.app.send(
        "DELETE",
        &format!("/api/v1/documents/{unused}"),
        Some(&w.citizen),
        None,
    );
    assert_eq!(removed.status, 204);
    w.app
        .get(&format!("/api/v1/documents/{unused}"), Some(&w.citizen))
        .problem(404, "not_found");
}

fn verify(w: &World, code: &str, bytes: &[u8]) -> Answer {
    let (answer, _) = upload_to(w, &format!("/api/v1/results/{code}/verify"), bytes);
    answer
}

fn upload_to(w: &World, path: &str, bytes: &[u8]) -> (Answer, Option<String>) {
    let (content_type, body) = multipart(&[("file", "kq.pdf", bytes)]);
    w.app
        .send_with("POST", path, None, &[], Some((&content_type, body)))
}

#[test]
fn a_returned_dossier_issues_a_signed_result_that_verifies() {
    let w = World::new();
    let d = w.submit();
    let d = w.step(&w.reception, &d, json!({"action": "receive"}));
    let code = d["code"].as_str().unwrap().to_string();
    let d = w.step(&w.reception, &d, json!({"action": "transfer"}));
    let result_bytes = b"%PDF-1.4\nGIAY KHAI SINH ban dien tu".to_vec();
    let (file, _) = upload(&w.app, &w.specialist, "ket-qua.pdf", &result_bytes);
    let file = file.ok(201)["id"].as_str().unwrap().to_string();
    // A file from elsewhere cannot be the result.
    let foreign = w.upload(&w.citizen, "not a result");
    let d = w.step(
        &w.specialist,
        &d,
        json!({"action": "submit_draft", "result_file_id": file}),
    );
    let answer = w.act(
        &w.leader,
        &d,
        json!({"action": "approve", "result_file_id": foreign}),
    );
    assert_eq!(
        answer.problem(422, "validation_failed")["errors"][0]["field"],
        "result_file_id"
    );
    let d = w.step(&w.leader, &d, json!({"action": "approve"}));
    let d = w.step(&w.reception, &d, json!({"action": "return_result"}));
    assert_eq!(d["status"], "returned");

    let result_code = format!("{code}-KQ1");
    let events = w.app.get(
        &format!("/api/v1/dossiers/{}/events", d["id"].as_str().unwrap()),
        Some(&w.citizen),
    );
    let last = events.ok(200).as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["details"]["result_code"], result_code.as_str());
    let results: Vec<Value> = my_documents(&w, &w.citizen)
        .into_iter()
        .filter(|d| d["kind"] == "result")
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["code"], result_code.as_str());
    assert_eq!(results[0]["signed"], true);
    assert_eq!(results[0]["sha256"], sha256(&result_bytes).as_str());
    assert_eq!(w.app.count("unit_signing_keys"), 1);

    // Anyone holding the file can check it, by digest or by upload, and learns nothing else.
    let by_digest = w.app.get(
        &format!(
            "/api/v1/results/{result_code}/verify?sha256={}",
            sha256(&result_bytes)
        ),
        None,
    );
    let ok = by_digest.ok(200);
    assert_eq!(ok["authentic"], true);
    assert_eq!(ok["issuing_unit_code"], "000.00.12.H30");
    assert!(ok.get("content").is_none() && ok.get("owner_national_id").is_none());
    assert_eq!(
        verify(&w, &result_code, &result_bytes).ok(200)["authentic"],
        true
    );
    let mut altered = result_bytes.clone();
    *altered.last_mut().unwrap() ^= 1;
    // Another content answers as a code never issued: it learns nothing of the result.
    verify(&w, &result_code, &altered).problem(404, "not_found");
    w.app
        .get(
            &format!(
                "/api/v1/results/{result_code}/verify?sha256={}",
                sha256(&altered)
            ),
            None,
        )
        .problem(404, "not_found");
    w.app
        .get(
            &format!(
                "/api/v1/results/{code}-KQ9/verify?sha256={}",
                sha256(&result_bytes)
            ),
            None,
        )
        .problem(404, "not_found");
    w.app
        .get(
            &format!("/api/v1/results/{result_code}/verify?sha256=abc"),
            None,
        )
        .problem(400, "invalid_query");
    // A result cannot be removed.
    let id = results[0]["id"].as_str().unwrap();
    w.app
        .send(
            "DELETE",
            &format!("/api/v1/documents/{id}"),
            Some(&w.citizen),
            None,
        )
        .problem(409, "document_in_use");
}

#[test]
fn historical_results_join_their_owners_store_and_the_backlog_is_reported() {
    let w = World::new();
    let province = w.app.get("/api/v1/units?code=000.00.00.H30", None).ok(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let commune = w.commune.clone();
    let register = |token: &str, unit: &str, owner: &str, number: &str, issued_on: &str| {
        let file = w.upload(token, number);
        w.app.post(
            &format!("/api/v1/units/{unit}/historical-results"),
            Some(token),
            json!({"owner_national_id": owner, "result_number": number, "title": "Giấy khai sinh",
                   "issued_on": issued_on, "procedure_id": w.procedure["id"], "file_id": file}),
        )
    };
    // The registered citizen's result joins their store at once.
    let first = register(
        &w.reception,
        &commune,
        "001099012345",
        "KS-2015-001",
        "2015-03-02",
    );
    assert_eq!(first.ok(201)["kind"], "historical_result");
    // The owner of the next ones has no account yet.
    register(
        &w.reception,
        &commune,
        "038188000777",
        "KS-2016-014",
        "2016-07-09",
    )
    .ok(201);
    register(
        &w.reception,
        &commune,
        "038188000777",
        "KS-2021-003",
        "2021-01-20",
    )
    .ok(201);
    register(
        &w.specialist,
        &commune,
        "038188000777",
        "KS-2005-100",
        "2005-05-05",
    )
    .ok(201);
    register(
        &w.reception,
        &commune,
        "038188000777",
        "KS-2005-100",
        "2006-01-01",
    )
    .problem(409, "result_registered");
    // Not an official of that unit; a bad national id; a file not one's own.
    register(&w.reception, &province, "038188000777", "X-1", "2015-01-01")
        .problem(403, "forbidden");
    register(&w.citizen, &commune, "038188000777", "X-2", "2015-01-01").problem(403, "forbidden");
    register(&w.reception, &commune, "12345", "X-3", "2015-01-01")
        .problem(422, "validation_failed");
    assert_eq!(w.app.count("documents"), 4);
    assert_eq!(my_documents(&w, &w.citizen).len(), 1);
    let late = w.app.citizen("038188000777");
    let theirs = my_documents(&w, &late);
    assert_eq!(
        theirs.len(),
        3,
        "results registered before the owner had an account"
    );

    // The plan: 4 results of 2010–2019 and 2 of 2020 onward at the commune.
    let stored = w.app.put(
        &format!("/api/v1/units/{commune}/digitization-plan"),
        Some(&w.app.admin),
        json!({"periods": [{"period": "2010-2019", "planned": 4}, {"period": "2020-", "planned": 2}]}),
    );
    assert_eq!(stored.status, 204, "{}", stored.text);
    assert_eq!(w.app.count("digitization_plans"), 2);
    w.app
        .put(
            &format!("/api/v1/units/{commune}/digitization-plan"),
            Some(&w.app.admin),
            json!({"periods": [{"period": "1990-1999", "planned": 4}]}),
        )
        .problem(422, "validation_failed");
    let supervisor = w.app.official("giam.sat", "supervisor", None);
    let report = w.app.get(
        &format!("/api/v1/reports/digitization?unit={province}&subtree=true"),
        Some(&supervisor),
    );
    let report = report.ok(200).clone();
    assert_eq!(report["periods"], json!(["-2009", "2010-2019", "2020-"]));
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "the province, the commune, the total");
    let commune_row = rows
        .iter()
        .find(|r| r["unit_id"] == commune.as_str())
        .unwrap();
    assert_eq!(
        commune_row["periods"],
        json!([
            {"period": "-2009", "digitized": 1, "planned": null, "ratio": null},
            {"period": "2010-2019", "digitized": 2, "planned": 4, "ratio": 50.0},
            {"period": "2020-", "digitized": 1, "planned": 2, "ratio": 50.0},
        ])
    );
    let province_row = rows
        .iter()
        .find(|r| r["unit_id"] == province.as_str())
        .unwrap();
    assert_eq!(province_row["periods"][1]["digitized"], 0);
    assert!(
        province_row["periods"][1]["ratio"].is_null(),
        "no plan: not applicable"
    );
    let total = rows.last().unwrap();
    assert!(total["unit_id"].is_null());
    assert_eq!(
        total["periods"][1],
        json!({"period": "2010-2019", "digitized": 2, "planned": null, "ratio": null}),
        "the province has no plan: the total's ratio is not applicable"
    );
    // With the province's plan too, the total compares all that was digitized with all planned.
    let stored = w.app.put(
        &format!("/api/v1/units/{province}/digitization-plan"),
        Some(&w.app.admin),
        json!({"periods": [{"period": "2010-2019", "planned": 1}]}),
    );
    assert_eq!(stored.status, 204);
    let report = w.app.get(
        &format!("/api/v1/reports/digitization?unit={province}&subtree=true"),
        Some(&supervisor),
    );
    let rows = report.ok(200)["rows"].as_array().unwrap().clone();
    assert_eq!(
        rows.last().unwrap()["periods"][1],
        json!({"period": "2010-2019", "digitized": 2, "planned": 5, "ratio": 40.0})
    );
    // Leaders read their own subtree only; citizens and desk officers not at all.
    let commune_report = format!("/api/v1/reports/digitization?unit={commune}");
    w.app.get(&commune_report, Some(&w.leader)).ok(200);
    w.app
        .get(
            &format!("/api/v1/reports/digitization?unit={province}"),
            Some(&w.leader),
        )
        .problem(403, "forbidden");
    w.app
        .get(&commune_report, Some(&w.citizen))
        .problem(403, "forbidden");
    w.app
        .get(&commune_report, Some(&w.reception))
        .problem(403, "forbidden");
}
