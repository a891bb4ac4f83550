//! Liveness (`/health`) and readiness (`/ready`: the database answers and every migration is
//! applied).

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::migrations;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health).service(ready);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The database backend in use (`/ready` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// The process is alive.
#[utoipa::path(tag = "health", responses((status = 200, description = "Alive", body = Health)))]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".to_string(),
        database: None,
    })
}

/// The service can serve: the database answers and its schema is up to date.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database is unreachable or migrations are pending"),
    )
)]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backend = state
        .db(|conn| {
            let pending = migrations::pending(conn).map_err(|e| {
                tracing::warn!(error = %e, "readiness check failed");
                ApiError::unavailable()
            })?;
            if pending {
                return Err(ApiError::unavailable());
            }
            Ok(conn.backend())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".to_string(),
        database: Some(backend.name().to_string()),
    }))
}
