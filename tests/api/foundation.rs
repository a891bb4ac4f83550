//! Health, readiness, problem documents, request ids and bad input in general.

use serde_json::json;

use crate::common::TestApp;

#[test]
fn health_and_ready() {
    let app = TestApp::spawn();
    assert_eq!(app.get("/health", None).ok(200)["status"], "ok");
    let ready = app.get("/ready", None);
    let expected = if app.is_postgres() {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(ready.ok(200)["database"], expected);
}

#[test]
fn unknown_routes_are_problems_with_the_request_id() {
    let app = TestApp::spawn();
    let answer = app.get("/api/v1/nothing-here", None);
    answer.problem(404, "not_found");
    let answer = app.get("/api/v1/units/not-a-uuid", None);
    answer.problem(404, "not_found");
    // A served path with a method it does not answer: 405 with the methods it does.
    let (answer, headers) = app.send_with_headers("DELETE", "/api/v1/units", None, &[], None);
    answer.problem(405, "method_not_allowed");
    let allow = headers
        .iter()
        .find(|(name, _)| name == "allow")
        .map(|(_, v)| v.as_str());
    assert_eq!(allow, Some("GET, POST"));
    let (answer, _) = app.send_with_headers("GET", "/api/v1/dossiers/x/actions", None, &[], None);
    answer.problem(405, "method_not_allowed");
    // A year the calendar route does not take is simply not found.
    app.get("/api/v1/calendar/20260", None)
        .problem(404, "not_found");

    // A request id from a client is not taken; from a trusted load balancer it is kept (answer
    // and problem), unless malformed.
    let sent = [("X-Request-Id", "nginx-4f2a9c.17")];
    let (answer, _) = app.send_with_headers("GET", "/api/v1/nothing-here", None, &sent, None);
    assert_eq!(answer.request_id.as_deref().map(str::len), Some(36));
    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]);
    let (answer, _) = app.send_with_headers("GET", "/api/v1/nothing-here", None, &sent, None);
    answer.problem(404, "not_found");
    assert_eq!(answer.request_id.as_deref(), Some("nginx-4f2a9c.17"));
    for bad in ["<script>alert(1)</script>", "001099012345", &"a".repeat(65)] {
        let headers = [("X-Request-Id", bad)];
        let (answer, _) = app.send_with_headers("GET", "/health", None, &headers, None);
        let generated = answer.request_id.expect("an id");
        assert_eq!(
            generated.len(),
            36,
            "{bad}: a generated UUID, not {generated}"
        );
    }
}

#[test]
fn bad_bodies_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn();
    let token = app.admin.clone();
    let units_before = app.count("units");
    let valid =
        json!({"code": "000.00.00.H30", "name": "UBND tỉnh Hậu Giang", "level": "province"});

    let mut unknown = valid.clone();
    unknown["extra"] = json!(1);
    app.post("/api/v1/units", Some(&token), unknown)
        .problem(422, "invalid_body");

    let mut wrong_type = valid.clone();
    wrong_type["name"] = json!(42);
    app.post("/api/v1/units", Some(&token), wrong_type)
        .problem(422, "invalid_body");

    let mut wrong_enum = valid.clone();
    wrong_enum["level"] = json!("galaxy");
    app.post("/api/v1/units", Some(&token), wrong_enum)
        .problem(422, "invalid_body");

    let malformed = app.send(
        "POST",
        "/api/v1/units",
        Some(&token),
        Some((
            "application/json",
            b"{\"code\": \"000.00.00.H30\",".to_vec(),
        )),
    );
    malformed.problem(400, "malformed_json");

    // JSON nested deeper than the parser's limit (128 levels) is refused, not recursed into.
    let deep = format!(
        "{{\"code\": \"000.00.00.H30\", \"name\": {}1{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let answer = app.send(
        "POST",
        "/api/v1/units",
        Some(&token),
        Some(("application/json", deep.into_bytes())),
    );
    assert!(
        answer.status == 400 || answer.status == 422,
        "deep JSON: {} {}",
        answer.status,
        answer.text
    );

    let not_json = app.send(
        "POST",
        "/api/v1/units",
        Some(&token),
        Some(("text/plain", valid.to_string().into_bytes())),
    );
    not_json.problem(415, "unsupported_media_type");

    let mut huge = valid.clone();
    huge["name"] = json!("x".repeat(300 * 1024));
    app.post("/api/v1/units", Some(&token), huge)
        .problem(413, "payload_too_large");

    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    app.send(
        "POST",
        "/api/v1/units",
        Some(&token),
        Some(("application/json", deep.into_bytes())),
    )
    .problem(422, "invalid_body");

    let mut bad_code = valid.clone();
    bad_code["code"] = json!("H30");
    let problem = app.post("/api/v1/units", Some(&token), bad_code);
    let body = problem.problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "code");

    let mut blank = valid.clone();
    blank["name"] = json!("   ");
    let problem = app.post("/api/v1/units", Some(&token), blank);
    assert_eq!(
        problem.problem(422, "validation_failed")["errors"][0]["field"],
        "name"
    );

    assert_eq!(app.count("units"), units_before, "nothing was stored");
    app.post("/api/v1/units", Some(&token), valid).ok(201);
    assert_eq!(app.count("units"), units_before + 1);
}

#[test]
fn bad_query_parameters_are_problems() {
    let app = TestApp::spawn();
    app.get("/api/v1/units?limit=0", None)
        .problem(400, "invalid_limit");
    app.get("/api/v1/units?limit=1000", None)
        .problem(400, "invalid_limit");
    app.get("/api/v1/units?limit=abc", None)
        .problem(400, "invalid_query");
    app.get("/api/v1/units?cursor=zzz", None)
        .problem(400, "invalid_cursor");
}

#[test]
fn the_served_openapi_document_is_the_committed_one() {
    let app = TestApp::spawn();
    let served = app.get("/api-docs/openapi.json", None);
    let served = served.ok(200);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi/openapi.json"))
            .expect("the committed document is JSON");
    assert!(
        served == &committed,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
    // Every operation documents its answers, each with a description.
    let paths = served["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/procedures"));
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} has no responses");
            for (status, response) in responses {
                let description = response["description"].as_str().unwrap_or("");
                assert!(
                    !description.is_empty(),
                    "{method} {path} {status} has no description"
                );
                // Errors are problem documents, but for the dashboard's pages, whose errors
                // are pages too.
                let page = path.starts_with("/dashboard");
                if (status.starts_with('4') || status.starts_with('5')) && !page {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is not a problem document"
                    );
                }
                if (status.starts_with('4') || status.starts_with('5')) && page {
                    assert!(
                        response["content"]["text/html"].is_object(),
                        "{method} {path} {status} is not a page"
                    );
                }
            }
        }
    }
    // Enumerations are documented with the names the API speaks.
    let schemas = &served["components"]["schemas"];
    assert_eq!(schemas["Role"]["enum"][0], "admin");
    assert!(schemas["Status"]["enum"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("supplement_requested")));
    assert!(schemas["Channel"]["enum"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("in_person")));
    // Swagger UI is served from the binary (no download).
    let docs = app.get("/docs/", None);
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "{}", docs.text);
}
