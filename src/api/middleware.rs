//! Response middleware: every response carries `X-Request-Id`, and every error response is a
//! problem document (RFC 9457) carrying the same request id, including the errors that actix
//! itself produces (unknown routes and the like) — but for the HTML pages of `/dashboard`,
//! whose errors are pages too.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::Error;

use crate::error::{ApiError, PROBLEM_JSON};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn problem_details(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = Some(crate::telemetry::request_id(&req)).filter(|id| !id.is_empty());
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Some(id) = request_id
        .as_deref()
        .and_then(|id| HeaderValue::from_str(id).ok())
    {
        res.headers_mut().insert(REQUEST_ID, id);
    }
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    // An HTML page (the dashboard's) renders its own errors.
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        return Ok(res);
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let mut problem: serde_json::Value = if is_problem {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| serde_json::json!({}))
    } else {
        let (code, detail) = match status.as_u16() {
            404 => ("not_found", "No such resource.".to_string()),
            405 => (
                "method_not_allowed",
                "This method is not allowed here.".to_string(),
            ),
            _ => ("http_error", String::from_utf8_lossy(&bytes).into_owned()),
        };
        serde_json::to_value(ApiError::new(status, code, detail).problem()).unwrap_or_default()
    };
    if let (Some(map), Some(id)) = (problem.as_object_mut(), request_id) {
        map.insert("request_id".to_string(), serde_json::Value::String(id));
    }
    head.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    head.headers_mut().remove(header::CONTENT_LENGTH);
    let res = head.set_body(BoxBody::new(problem.to_string()));
    Ok(ServiceResponse::new(req, res))
}
