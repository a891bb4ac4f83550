//! `/metrics` in Prometheus' text format: requests and their latency per route (recorded by
//! [`record`], a middleware around every route), the database pool's use, and per unit the
//! dossiers received and finished (all time, from the report aggregates) and open and overdue
//! now. When `MOTCUA_METRICS_TOKEN` is set, the scrape must send it as a bearer token.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{get, web, HttpRequest, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(metrics);
}

/// The process's request metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let requests = IntCounterVec::new(
            Opts::new("motcua_http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )
        .expect("a valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "motcua_http_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("a valid metric");
        let registry = Registry::new();
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Metrics {
            registry,
            requests,
            latency,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Counts and times every request under its route's pattern (`/api/v1/dossiers/{id}`, so
/// that ids do not make series); requests no route matches count as `unmatched`. The pattern is
/// read after routing, from the route taken: before, actix matches the path against every
/// route's regular expression again (a tenth of a `GET /dossiers/{id}`'s time in the server).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        let status = res.status().as_u16().to_string();
        let m = &state.metrics;
        m.requests
            .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
            .inc();
        m.latency
            .with_label_values(&[method.as_str(), route.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}

/// Gauges read at each scrape: the pool, the dossiers per unit (`units`) and the notification
/// queue (`queue`: channel, status, count).
fn scraped(
    state: &AppState,
    units: &[store::reports::UnitTotals],
    queue: &[(String, String, i64)],
    registry: &Registry,
) -> Result<(), ApiError> {
    let gauge = |name: &str, help: &str, labels: &[&str]| {
        let g = IntGaugeVec::new(Opts::new(name, help), labels).map_err(ApiError::internal)?;
        registry
            .register(Box::new(g.clone()))
            .map_err(ApiError::internal)?;
        Ok::<_, ApiError>(g)
    };
    let pool = gauge(
        "motcua_db_pool_connections",
        "Database connections of this process's pool, by state",
        &["state"],
    )?;
    let s = state.pool.state();
    pool.with_label_values(&["idle"])
        .set(i64::from(s.idle_connections));
    pool.with_label_values(&["in_use"])
        .set(i64::from(s.connections - s.idle_connections));
    gauge(
        "motcua_db_pool_max_connections",
        "The most connections the pool opens",
        &[],
    )?
    .with_label_values(&[] as &[&str])
    .set(i64::from(state.pool.max_size()));
    let received = gauge(
        "motcua_dossiers_received",
        "Dossiers received by the unit (processing unit), all time",
        &["unit"],
    )?;
    let finished = gauge(
        "motcua_dossiers_finished",
        "Dossiers the unit finished, all time",
        &["unit"],
    )?;
    let open = gauge(
        "motcua_dossiers_open",
        "Dossiers received and not finished at the unit now",
        &["unit"],
    )?;
    let overdue = gauge(
        "motcua_dossiers_overdue",
        "Open dossiers past their appointment at the unit now",
        &["unit"],
    )?;
    for unit in units {
        let labels = [unit.code.as_str()];
        received.with_label_values(&labels).set(unit.received);
        finished.with_label_values(&labels).set(unit.finished);
        open.with_label_values(&labels)
            .set(unit.received - unit.finished);
        overdue.with_label_values(&labels).set(unit.overdue);
    }
    let notifications = gauge(
        "motcua_notifications",
        "Notifications waiting to be delivered (pending) or given up (dead), by channel",
        &["channel", "status"],
    )?;
    for channel in ["email", "sms", "webhook"] {
        for status in ["pending", "dead"] {
            let count = queue
                .iter()
                .find(|(c, s, _)| c == channel && s == status)
                .map_or(0, |q| q.2);
            notifications
                .with_label_values(&[channel, status])
                .set(count);
        }
    }
    Ok(())
}

/// The service's metrics, in Prometheus' text exposition format.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Metrics in Prometheus' text format", content_type = "text/plain", body = String),
        (status = 401, description = "MOTCUA_METRICS_TOKEN is set and was not sent"),
        (status = 503, description = "The database is unreachable"),
    )
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.config.metrics_token {
        let sent = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent != Some(expected.as_str()) {
            return Err(ApiError::unauthorized(
                "invalid_token",
                "Send the metrics token as a bearer token.",
            ));
        }
    }
    let now = crate::db::now();
    let (units, queue) = state
        .db(move |conn| {
            Ok((
                store::reports::unit_totals(conn, now)?,
                store::outbox::depth(conn)?,
            ))
        })
        .await?;
    let registry = Registry::new();
    scraped(&state, &units, &queue, &registry)?;
    let mut families = state.metrics.registry.gather();
    families.extend(registry.gather());
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut text)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
