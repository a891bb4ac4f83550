//! Request parsing shared by every handler: [`ValidJson`] (typed, size-limited, validated JSON
//! bodies), the error handlers of actix's JSON, query and path extractors, and list paging.

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::config::Limits;
use crate::error::ApiError;
use crate::id::Id;
use crate::store::Page;

/// A JSON body parsed into `T` (unknown fields and wrong types refused by `T`'s serde rules)
/// and then checked by `T`'s validator rules, all before the handler runs.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<T>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(value) = json.await?;
            value.validate().map_err(ApiError::from)?;
            Ok(ValidJson(value))
        })
    }
}

pub fn json_config(limits: &Limits) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limits.max_body_bytes)
        .error_handler(|err, _req| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    use serde_json::error::Category;
    match err {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The body is larger than {limit} bytes."),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The body must be JSON, sent with Content-Type: application/json.",
        ),
        JsonPayloadError::Deserialize(e) if e.classify() == Category::Data => {
            ApiError::unprocessable("invalid_body", format!("The body does not fit: {e}."))
        }
        JsonPayloadError::Deserialize(e) => ApiError::bad_request(
            "malformed_json",
            format!("The body is not valid JSON: {e}."),
        ),
        other => ApiError::bad_request(
            "malformed_body",
            format!("The body could not be read: {other}."),
        ),
    }
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::bad_request("invalid_query", format!("Invalid query parameters: {err}.")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_err: PathError, _req| ApiError::not_found("Resource").into())
}

/// Paging parameters of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many items to return (default 20, at most the configured maximum, 100 by default).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    pub fn page(&self, limits: &Limits) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(20);
        if limit < 1 || limit > limits.max_page_size {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be between 1 and {}.", limits.max_page_size),
            ));
        }
        let after = match &self.cursor {
            None => None,
            Some(cursor) => Some(Id::from_cursor(cursor).ok_or_else(|| {
                ApiError::bad_request("invalid_cursor", "The cursor is not one this service gave.")
            })?),
        };
        Ok(Page { limit, after })
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> List<T> {
    pub fn new(items: Vec<T>, next: Option<Id>) -> Self {
        List {
            items,
            next_cursor: next.map(Id::to_cursor),
        }
    }
}

/// For PATCH fields where `null` means "clear" and absence means "leave as is".
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A validator rule: the text is not empty once trimmed.
pub fn not_blank(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        let mut e = ValidationError::new("blank");
        e.message = Some("must not be blank".into());
        Err(e)
    } else {
        Ok(())
    }
}

/// Turns a domain parse error into a 422 on one field.
pub fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, ApiError> {
    parsed.map_err(|e| ApiError::invalid_field(name, "format", e))
}

/// The client's address for rate limits: the peer's, or, when the peer is one of
/// `MOTCUA_TRUSTED_PROXIES` (a load balancer), the nearest address in `X-Forwarded-For` that
/// is not itself a trusted proxy. A client cannot pose as another by sending the header
/// directly: an untrusted peer's header is ignored.
pub fn client_address(req: &actix_web::HttpRequest, config: &crate::config::Config) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    if !config.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !config.trusted_proxies.contains(a))
        .unwrap_or(&peer)
        .to_string()
}
