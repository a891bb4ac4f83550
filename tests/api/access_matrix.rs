//! A sweep of every operation of the served OpenAPI document: anonymous callers get 401 from
//! every operation that requires the bearer scheme, and nothing else from any (no 401 from an
//! open one, no 5xx anywhere); a citizen gets 403 or 404 from every operation that is not
//! theirs, and never a 5xx. The per-feature tests (`dossier_access.rs`, `documents.rs`, …)
//! check who sees which resource.

use serde_json::Value;

use crate::common::TestApp;

/// Every (method, path with its parameters filled in, secured) of the document.
fn operations(app: &TestApp) -> Vec<(String, String, bool)> {
    let document = app.get("/api-docs/openapi.json", None).ok(200).clone();
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            // Secured: a bearer token is one way in, and no way in is anonymous (`{}`, the
            // dashboard's, whose anonymous callers get its login form).
            let secured = op["security"].as_array().is_some_and(|s| {
                s.iter().any(|r| r.get("bearer").is_some())
                    && !s
                        .iter()
                        .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let filled = path
                .replace("{year}", "2026")
                .replace("{code}", "000.00.12.H30-261201-0001")
                .replace("{id}", "01a23188-83fc-706c-98e0-f8038dc331fd");
            out.push((method.to_uppercase(), filled, secured));
        }
    }
    out
}

fn send(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let body =
        (method != "GET" && method != "DELETE").then(|| ("application/json", b"{}".to_vec()));
    let answer = app.send(method, path, token, body);
    (answer.status, answer.body)
}

#[test]
fn every_secured_operation_refuses_anonymous_callers_and_none_fails() {
    let app = TestApp::spawn();
    let operations = operations(&app);
    assert!(operations.len() > 50, "{}", operations.len());
    for (method, path, secured) in &operations {
        let (status, body) = send(&app, method, path, None);
        assert!(status < 500, "{method} {path}: {status} {body}");
        if *secured {
            assert_eq!(status, 401, "{method} {path} without a token: {body}");
        } else {
            assert_ne!(
                status, 401,
                "{method} {path} is open but answered 401: {body}"
            );
        }
    }
}

#[test]
fn a_citizen_gets_nothing_from_operations_that_are_not_theirs() {
    let app = TestApp::spawn();
    let citizen = app.citizen("001099012345");
    // What a citizen may call at all; everything else must be 403 or 404 (or a 4xx about the
    // empty body, for operations whose body is checked before the role).
    let theirs = [
        "/api/v1/me",
        "/api/v1/me/documents",
        "/api/v1/dossiers",
        "/api/v1/files",
    ];
    for (method, path, secured) in operations(&app) {
        if !secured {
            continue;
        }
        let (status, body) = send(&app, &method, &path, Some(&citizen));
        assert!(status < 500, "{method} {path}: {status} {body}");
        if theirs.contains(&path.as_str()) || path.starts_with("/api/v1/dossiers/") {
            continue;
        }
        assert!(
            matches!(status, 400 | 403 | 404 | 415 | 422),
            "{method} {path} as a citizen: {status} {body}"
        );
        assert_ne!(status / 100, 2, "{method} {path} as a citizen: {body}");
    }
}
