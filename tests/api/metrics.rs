//! `/metrics`: the request counters and latency histograms per route, the pool, and the
//! dossiers per unit, in Prometheus' text format; a configured token is required.

use serde_json::json;

use crate::dossiers::World;

/// The value of the sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_count_requests_per_route_and_dossiers_per_unit() {
    let w = World::new();
    let app = &w.app;
    let first = w.submit();
    w.submit();
    w.step(&w.reception, &first, json!({"action": "receive"}));
    for _ in 0..3 {
        app.get(
            &format!("/api/v1/dossiers/{}", first["id"].as_str().unwrap()),
            Some(&w.citizen),
        )
        .ok(200);
    }
    app.get(
        "/api/v1/dossiers/00000000-0000-7000-8000-000000000000",
        Some(&w.citizen),
    )
    .problem(404, "not_found");

    let answer = app.get("/metrics", None);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.starts_with("text/plain; version=0.0.4"));
    let text = &answer.text;
    let get = r#"method="GET",route="/api/v1/dossiers/{id}""#;
    // Ids do not make series: the route's pattern does, with the status.
    assert_eq!(
        sample(
            text,
            &format!(r#"motcua_http_requests_total{{{get},status="200"}}"#)
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            text,
            &format!(r#"motcua_http_requests_total{{{get},status="404"}}"#)
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            text,
            &format!("motcua_http_request_duration_seconds_count{{{get}}}")
        ),
        Some(4.0)
    );
    assert!(text.contains(&format!(
        r#"motcua_http_request_duration_seconds_bucket{{{get},le="0.25"}}"#
    )));
    assert!(!text.contains(first["id"].as_str().unwrap()));
    assert!(sample(text, r#"motcua_db_pool_connections{state="in_use"}"#).is_some());
    assert_eq!(sample(text, "motcua_db_pool_max_connections"), Some(4.0));
    // One dossier received at the commune, none finished, one open and not overdue.
    let commune = r#"{unit="000.00.12.H30"}"#;
    assert_eq!(
        sample(text, &format!("motcua_dossiers_received{commune}")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(text, &format!("motcua_dossiers_finished{commune}")),
        Some(0.0)
    );
    assert_eq!(
        sample(text, &format!("motcua_dossiers_open{commune}")),
        Some(1.0)
    );
    assert_eq!(
        sample(text, &format!("motcua_dossiers_overdue{commune}")),
        Some(0.0)
    );
}

#[test]
fn a_configured_metrics_token_is_required() {
    let w = World::with(|c| c.metrics_token = Some("scrape-secret".into()));
    w.app.get("/metrics", None).problem(401, "invalid_token");
    w.app
        .get("/metrics", Some("wrong"))
        .problem(401, "invalid_token");
    let answer = w.app.get("/metrics", Some("scrape-secret"));
    assert_eq!(answer.status, 200);
    assert!(answer.text.contains("motcua_db_pool_connections"));
}
