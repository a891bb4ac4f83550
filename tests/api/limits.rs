//! Rate limits: log-in attempts per username, requests per account, both answering 429 with
//! `Retry-After`, other callers unaffected.

use serde_json::json;

use crate::common::TestApp;

#[test]
fn log_in_attempts_are_limited_per_username() {
    let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 3);
    let attempt = |username: &str, password: &str| {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({"username": username, "password": password}),
        )
    };
    // The app's own start logged the admin in once; two more attempts are allowed.
    attempt("admin", "wrong password 1").problem(401, "invalid_credentials");
    attempt("admin", "wrong password 2").problem(401, "invalid_credentials");
    // Then even the right password waits: guessing stops here.
    let (answer, headers) = app.send_with_headers(
        "POST",
        "/api/v1/auth/login",
        None,
        &[],
        Some((
            "application/json",
            json!({"username": "ADMIN", "password": crate::common::ADMIN_PASSWORD})
                .to_string()
                .into_bytes(),
        )),
    );
    answer.problem(429, "too_many_requests");
    let retry: u64 = headers
        .iter()
        .find(|(name, _)| name == "retry-after")
        .map(|(_, v)| v.parse().unwrap())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry));
    // Another username is not held up.
    attempt("nobody", "wrong password 3").problem(401, "invalid_credentials");
}

#[test]
fn requests_are_limited_per_account() {
    let app = TestApp::spawn_with(|c| c.limits.requests_per_minute = 5);
    let citizen = app.citizen("001099012345");
    for _ in 0..5 {
        app.get("/api/v1/me", Some(&citizen)).ok(200);
    }
    let (answer, headers) = app.send_with_headers("GET", "/api/v1/me", Some(&citizen), &[], None);
    answer.problem(429, "too_many_requests");
    assert!(headers.iter().any(|(name, _)| name == "retry-after"));
    // Another account still gets through; so do anonymous reads.
    app.get("/api/v1/me", Some(&app.admin)).ok(200);
    app.get("/api/v1/units", None).ok(200);
}

/// Public look-ups from `address` (sent as `X-Forwarded-For`); their statuses.
fn lookups(app: &TestApp, address: &str, times: usize) -> Vec<u16> {
    let body = json!({"code": "000.00.12.H30-261201-0001", "national_id": "001099012345"});
    (0..times)
        .map(|_| {
            let (answer, _) = app.send_with_headers(
                "POST",
                "/api/v1/public/dossier-status",
                None,
                &[("X-Forwarded-For", address)],
                Some(("application/json", body.to_string().into_bytes())),
            );
            answer.status
        })
        .collect()
}

#[test]
fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let app = TestApp::spawn_with(|c| {
        c.limits.public_lookups_per_minute = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    });
    assert_eq!(lookups(&app, "203.0.113.7", 3), [404, 404, 429]);
    // Another client behind the same proxy is counted apart; a proxy chain is followed to the
    // nearest address that is not a trusted proxy.
    assert_eq!(lookups(&app, "203.0.113.8", 2), [404, 404]);
    assert_eq!(
        lookups(&app, "198.51.100.1, 203.0.113.9, 127.0.0.1", 3),
        [404, 404, 429]
    );
}

#[test]
fn an_untrusted_peer_cannot_pose_as_other_clients() {
    let app = TestApp::spawn_with(|c| c.limits.public_lookups_per_minute = 2);
    assert_eq!(lookups(&app, "203.0.113.7", 2), [404, 404]);
    // Its header is ignored: it is still the same client.
    assert_eq!(lookups(&app, "203.0.113.8", 1), [429]);
}
