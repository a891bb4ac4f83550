//! Units: the tree of administrative units, read by anyone, changed by administrators.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{double_option, field, not_blank, List, ListParams, ValidJson};
use crate::auth::Principal;
use crate::domain::accounts::Role;
use crate::domain::codes::UnitCode;
use crate::domain::units::UnitLevel;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::units::{NewUnit, Unit, UnitChanges, UnitFilter};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_unit)
        .service(list_units)
        .service(get_unit)
        .service(update_unit);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub id: Id,
    /// The electronic identifier code, e.g. `000.00.00.H30`.
    pub code: String,
    pub name: String,
    /// The parent unit; null for a root (a province).
    pub parent_id: Option<Id>,
    pub level: UnitLevel,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Unit> for UnitView {
    fn from(u: Unit) -> Self {
        UnitView {
            level: u.level(),
            id: u.id,
            code: u.code,
            name: u.name,
            parent_id: u.parent_id,
            created_at: u.created_at.and_utc(),
            updated_at: u.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    /// The electronic identifier code, `XXX.XX.XX.Ynn`.
    #[validate(length(max = 20))]
    pub code: String,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    pub name: String,
    pub parent_id: Option<Id>,
    pub level: UnitLevel,
}

/// Add a unit (administrators).
#[utoipa::path(
    tag = "units",
    request_body = CreateUnit,
    responses(
        (status = 201, description = "The new unit", body = UnitView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 409, description = "The code is taken"),
        (status = 422, description = "Invalid fields or an unknown parent"),
    ),
    security(("bearer" = []))
)]
#[post("/units")]
async fn create_unit(
    state: web::Data<AppState>,
    who: Principal,
    body: ValidJson<CreateUnit>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let body = body.0;
    let new = NewUnit {
        code: field("code", UnitCode::parse(&body.code))?,
        name: body.name.trim().to_string(),
        parent_id: body.parent_id,
        level: body.level,
    };
    let unit = state
        .db(move |conn| Ok(store::units::create(conn, new)?))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/units/{}", unit.id)))
        .json(UnitView::from(unit)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Only the direct children of this unit.
    pub parent_id: Option<Id>,
    /// Only this unit and everything below it.
    pub subtree_of: Option<Id>,
    pub level: Option<UnitLevel>,
    /// Only the unit with this code.
    pub code: Option<String>,
}

/// List units, optionally a unit's children or whole subtree.
#[utoipa::path(
    tag = "units",
    params(UnitQuery, ListParams),
    responses(
        (status = 200, description = "A page of units", body = List<UnitView>),
        (status = 400, description = "Invalid query parameters"),
        (status = 404, description = "The subtree's root does not exist"),
    )
)]
#[get("/units")]
async fn list_units(
    state: web::Data<AppState>,
    query: web::Query<UnitQuery>,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<UnitView>>, ApiError> {
    let page = list.page(&state.config.limits)?;
    let query = query.into_inner();
    let filter = UnitFilter {
        parent_id: query.parent_id,
        subtree_of: query.subtree_of,
        level: query.level,
        code: query.code.map(|c| c.trim().to_ascii_uppercase()),
    };
    let (rows, next) = state
        .db(move |conn| Ok(store::units::list(conn, &filter, page)?))
        .await?;
    Ok(web::Json(List::new(
        rows.into_iter().map(UnitView::from).collect(),
        next,
    )))
}

/// One unit.
#[utoipa::path(
    tag = "units",
    params(("id" = Id, Path, description = "The unit's id")),
    responses(
        (status = 200, description = "The unit", body = UnitView),
        (status = 404, description = "No such unit"),
    )
)]
#[get("/units/{id}")]
async fn get_unit(
    state: web::Data<AppState>,
    id: web::Path<Id>,
) -> Result<web::Json<UnitView>, ApiError> {
    let id = id.into_inner();
    let unit = state
        .db(move |conn| Ok(store::units::find(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("Unit"))?;
    Ok(web::Json(unit.into()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    #[validate(length(max = 20))]
    pub code: Option<String>,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    pub name: Option<String>,
    pub level: Option<UnitLevel>,
    /// A new parent; `null` makes the unit a root. Moving a unit moves its subtree.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Id>)]
    pub parent_id: Option<Option<Id>>,
}

/// Change a unit: rename, recode or move it (administrators).
#[utoipa::path(
    tag = "units",
    params(("id" = Id, Path, description = "The unit's id")),
    request_body = UpdateUnit,
    responses(
        (status = 200, description = "The changed unit", body = UnitView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such unit"),
        (status = 409, description = "The code is taken, or the move would make a cycle"),
        (status = 422, description = "Invalid fields or an unknown parent"),
    ),
    security(("bearer" = []))
)]
#[patch("/units/{id}")]
async fn update_unit(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<UpdateUnit>,
) -> Result<web::Json<UnitView>, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let body = body.0;
    let changes = UnitChanges {
        code: body
            .code
            .map(|c| field("code", UnitCode::parse(&c)))
            .transpose()?,
        name: body.name.map(|n| n.trim().to_string()),
        level: body.level,
        parent_id: body.parent_id,
    };
    let unit = state
        .db(move |conn| Ok(store::units::update(conn, id, changes)?))
        .await?;
    Ok(web::Json(unit.into()))
}
