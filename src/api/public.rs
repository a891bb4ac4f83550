//! The public status look-up: anyone holding a dossier's code and its applicant's national id
//! learns its status, its procedure's name and its appointment — nothing else. Limited per
//! client address; a wrong pair answers exactly like an unknown code.

use actix_web::{post, web, HttpRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::extract::ValidJson;
use crate::domain::lifecycle::Status;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(dossier_status);
}

/// Sent in the body, not the URL, so that national ids stay out of access logs.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// The dossier's code, as on the receipt.
    #[validate(length(min = 1, max = 60))]
    pub code: String,
    /// The applicant's national id.
    #[validate(length(min = 1, max = 20))]
    pub national_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatusView {
    pub status: Status,
    pub national_status_code: i32,
    pub procedure_name: String,
    pub due_at: Option<DateTime<Utc>>,
    /// A later appointment given by an apology letter.
    pub apology_due_at: Option<DateTime<Utc>>,
}

/// Look up a dossier's status by its code and the applicant's national id.
#[utoipa::path(
    tag = "public",
    request_body = StatusQuery,
    responses(
        (status = 200, description = "The dossier's status", body = PublicStatusView),
        (status = 404, description = "No dossier with this code and national id"),
        (status = 429, description = "Too many look-ups from this address; retry after Retry-After seconds"),
    )
)]
#[post("/public/dossier-status")]
async fn dossier_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<StatusQuery>,
) -> Result<web::Json<PublicStatusView>, ApiError> {
    let client = super::extract::client_address(&req, &state.config);
    if let Err(wait) = state.lookups.check(&client) {
        return Err(ApiError::too_many_requests(
            wait,
            "Too many look-ups; wait a moment.",
        ));
    }
    let StatusQuery { code, national_id } = body.0;
    let found = state
        .db(move |conn| {
            Ok(store::dossiers::public_status(
                conn,
                code.trim(),
                national_id.trim(),
            )?)
        })
        .await?
        .ok_or_else(|| ApiError::not_found("Dossier"))?;
    Ok(web::Json(PublicStatusView {
        status: found.status,
        national_status_code: found.status.national_code(),
        procedure_name: found.procedure_name,
        due_at: found.due_at,
        apology_due_at: found.apology_due_at,
    }))
}
