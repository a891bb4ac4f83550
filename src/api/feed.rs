//! The change feed: `GET /feed/dossiers?cursor=` lists every dossier change (each history
//! entry) in order, with the national portal's status and channel codes, for systems that
//! pull instead of subscribing. The feed trails real time by `MOTCUA_FEED_LAG_SECONDS` (15 by
//! default), so that a change
//! whose transaction commits after a later one's is never skipped by a reader already past it
//! (a write transaction lasts milliseconds; an import batch should stay under the lag). Its
//! `next_cursor` is always the last entry read (or the cursor given), so that a reader polls
//! with it forever. Supervisors and administrators only.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{List, ListParams};
use crate::auth::Principal;
use crate::domain::accounts::Role;
use crate::domain::lifecycle::{Channel, Status};
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(dossier_feed);
}

/// One change of a dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierChange {
    /// The change's position: pass as `cursor` to read on from it.
    pub cursor: String,
    pub dossier_id: Id,
    pub code: Option<String>,
    /// The history entry's number within the dossier (1 for its intake).
    pub seq: i32,
    pub action: String,
    pub from_status: Option<Status>,
    pub status: Status,
    /// The national portal's status code of `status`.
    pub national_status_code: i32,
    pub channel: Channel,
    pub national_channel_code: i32,
    pub procedure_id: Id,
    pub receiving_unit_id: Id,
    pub processing_unit_id: Id,
    pub at: DateTime<Utc>,
}

/// Dossier changes in order, from a cursor.
#[utoipa::path(
    tag = "dossiers",
    params(ListParams),
    responses(
        (status = 200, description = "The next changes, oldest first; next_cursor is the last one's (or the cursor sent) to poll with", body = List<DossierChange>),
        (status = 400, description = "Invalid query parameters"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not a supervisor or administrator"),
    ),
    security(("bearer" = []))
)]
#[get("/feed/dossiers")]
async fn dossier_feed(
    state: web::Data<AppState>,
    who: Principal,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<DossierChange>>, ApiError> {
    who.require(&[Role::Supervisor, Role::Admin])?;
    let page = list.page(&state.config.limits)?;
    let lag = i64::from(state.config.limits.feed_lag_seconds) * 1000;
    let before = Id::first_at(Utc::now().timestamp_millis() - lag);
    let after = page.after;
    let changes = state
        .db(move |conn| Ok(store::dossiers::changes(conn, after, before, page.limit)?))
        .await?;
    let next = changes.last().map(|c| c.event_id).or(after);
    let items = changes
        .into_iter()
        .map(|c| {
            let status = Status::parse(&c.to_status).unwrap_or(Status::Submitted);
            let channel = Channel::parse(&c.channel).unwrap_or(Channel::Online);
            DossierChange {
                cursor: c.event_id.to_cursor(),
                dossier_id: c.dossier_id,
                code: c.code,
                seq: c.seq,
                action: c.action,
                from_status: c.from_status.as_deref().and_then(Status::parse),
                status,
                national_status_code: status.national_code(),
                channel,
                national_channel_code: channel.national_code(),
                procedure_id: c.procedure_id,
                receiving_unit_id: c.receiving_unit_id,
                processing_unit_id: c.processing_unit_id,
                at: c.at.and_utc(),
            }
        })
        .collect();
    Ok(web::Json(List::new(items, next)))
}
