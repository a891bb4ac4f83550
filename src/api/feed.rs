//! The change feed: `GET /feed/dossiers?cursor=` lists every dossier change (each history
//! entry) in order, with the national portal's status and channel codes, for systems that
//! pull instead of subscribing. The feed trails real time by `MOTCUA_FEED_LAG_SECONDS` (15 by
//! default), so that a change
//! whose transaction commits after a later one's is never skipped by a reader already past it
//! (a write transaction lasts milliseconds; an import batch should stay under the lag). Its
//! `next_cursor` is always the last entry read (or the cursor given), so that a reader polls
//! with it forever. Supervisors and administrators only.

use actix_web::{get, web};
use chrono::Utc;

use super::extract::{List, ListParams};
use crate::auth::Principal;
use crate::domain::accounts::Role;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::dossiers::{Change, DossierChange};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(dossier_feed);
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
    let items = changes.into_iter().map(Change::record).collect();
    Ok(web::Json(List::new(items, next)))
}
