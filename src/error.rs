//! Errors: [`StoreError`] from `store/` (no HTTP in it) and [`ApiError`], the one error every
//! handler returns, rendered as `application/problem+json` (RFC 9457) with a stable snake_case
//! `code`. The request id is added to every problem body by `api::middleware`.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// What a store operation can fail with, besides the database itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist (or may not be seen).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change contradicts the current state (a duplicate, a cycle).
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The resource changed since the version the client saw.
    #[error("the resource has changed")]
    Stale,
    /// The input refers to something unusable (an unknown unit, a closed procedure).
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One invalid field of a request body.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// The field's path, e.g. `components[0].name`.
    pub field: String,
    /// A machine code, e.g. `length`, `range`, `required`.
    pub code: String,
    /// A human explanation.
    pub message: String,
}

/// A problem document (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:motcua:problem:<code>`).
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A stable machine-readable code.
    pub code: String,
    /// What went wrong, for a person.
    pub detail: String,
    /// The field errors of a validation failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The id of the request, as in the logs and the `X-Request-Id` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The error of every handler.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u32>,
    /// The `Allow` header of a 405.
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 429 with `Retry-After: seconds`.
    pub fn too_many_requests(seconds: u64, detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", detail);
        e.retry_after = Some(u32::try_from(seconds).unwrap_or(u32::MAX));
        e
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Your role does not allow this.",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found."),
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// `If-Match` names a version that is no longer current.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "stale_version",
            "The resource has changed since you read it: read it again and retry.",
        )
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// A single invalid field.
    pub fn invalid_field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.to_string(),
            code: code.to_string(),
            message: message.into(),
        }])
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::unprocessable("validation_failed", "The request has invalid fields.");
        e.errors = errors;
        e
    }

    pub fn unavailable() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service is busy or its database is unreachable; retry shortly.",
        );
        e.retry_after = Some(1);
        e
    }

    /// An internal failure: logged with its cause, answered without it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred.",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:motcua:problem:{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            code: self.code.to_string(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            request_id: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((header::ALLOW, allow.clone()));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(code, detail) => ApiError::conflict(code, detail),
            StoreError::Stale => ApiError::precondition_failed(),
            StoreError::Invalid(code, detail) => ApiError::unprocessable(code, detail),
            StoreError::Db(e) => e.into(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::not_found("Resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ApiError::conflict(
                "already_exists",
                "A resource with these values already exists.",
            ),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::unavailable()
            }
            // The database went away (or SQLite stayed locked past its timeout): the request
            // may be retried; the broken connection is dropped when it returns to the pool.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | Error::BrokenTransactionManager => {
                tracing::warn!(error = %e, "the database connection failed");
                ApiError::unavailable()
            }
            Error::DatabaseError(_, ref info) if info.message().contains("database is locked") => {
                tracing::warn!(error = %e, "the database stayed locked");
                ApiError::unavailable()
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection available");
        ApiError::unavailable()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        let mut errors = Vec::new();
        flatten(String::new(), &e, &mut errors);
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::validation(errors)
    }
}

fn flatten(prefix: String, errors: &validator::ValidationErrors, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    // A rule across fields names, by its code, the field to fix.
                    let field = if *field == "__all__" {
                        match prefix.as_str() {
                            "" => e.code.to_string(),
                            p => format!("{p}.{}", e.code),
                        }
                    } else {
                        path.clone()
                    };
                    out.push(FieldError {
                        field,
                        code: e.code.to_string(),
                        message: e
                            .message
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| describe(e)),
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => {
                format!("must have between {min} and {max} characters or items")
            }
            (Some(min), None) => format!("must have at least {min} characters or items"),
            (None, Some(max)) => format!("must have at most {max} characters or items"),
            _ => "has the wrong length".to_string(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_string(),
        },
        "email" => "must be an e-mail address".to_string(),
        code => format!("is invalid ({code})"),
    }
}
