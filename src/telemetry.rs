//! Structured logs with `tracing`: text or JSON, filtered by `RUST_LOG` (default `info`). Every
//! request's span (with its request id, route, status and latency) is logged when it closes, so
//! each request leaves one line; its other lines carry the same request id.

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// A request's id: the `X-Request-Id` a trusted load balancer (`MOTCUA_TRUSTED_PROXIES`) sent
/// with it, when that is 1 to 64 letters, digits, `-`, `_` or `.` with at least one letter (so
/// that a plain number, an id or a phone number, is never taken); else the one generated for
/// it. It is logged with the request's lines and returned in its answer.
pub fn request_id(request: &actix_web::dev::ServiceRequest) -> String {
    use actix_web::HttpMessage;
    let trusted = request
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .zip(request.peer_addr())
        .is_some_and(|(state, peer)| state.config.trusted_proxies.contains(&peer.ip()));
    let sent = request
        .headers()
        .get("x-request-id")
        .filter(|_| trusted)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                && v.bytes().any(|b| b.is_ascii_alphabetic())
        });
    match sent {
        Some(id) => id.to_string(),
        None => request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default(),
    }
}

/// The request span of every request: like tracing-actix-web's default, but its target is the
/// path alone, never the query string, where a client could have put a national id or a
/// token. Its route is recorded at the end, from the route taken (as
/// [`crate::api::metrics::record`] reads it), not matched against every route before routing.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let request_id = request_id(request);
        let empty = tracing::field::Empty;
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = empty,
            http.target = %request.path(),
            http.client_ip = %request.connection_info().realip_remote_addr().unwrap_or(""),
            http.status_code = empty,
            otel.status_code = empty,
            request_id = %request_id,
            exception.message = empty,
            exception.details = empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        if let Ok(response) = outcome {
            let route = response.request().match_pattern().unwrap_or_default();
            span.record("http.route", route.as_str());
        }
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
