//! The procedure catalogue: searchable by anyone; administrators add procedures and publish new
//! versions (a version that dossiers use is never edited).

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::extract::{field, not_blank, List, ListParams, ValidJson};
use crate::auth::Principal;
use crate::domain::accounts::Role;
use crate::domain::calendar::TimeUnit;
use crate::domain::codes::ProcedureCode;
use crate::domain::procedures::{
    check_step_shares, max_processing_amount, OnlineService, ProcedureLevel,
};
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::procedures::{ProcedureDefinition, ProcedureDetail, ProcedureFilter};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_procedure)
        .service(list_procedures)
        .service(get_procedure)
        .service(publish_version);
}

/// The maximum processing time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessingTime {
    pub amount: u32,
    pub unit: TimeUnit,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentView {
    /// Set by the service; ignored on input.
    #[serde(default)]
    pub id: Option<Id>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    pub name: String,
    /// Whether a dossier must include it.
    #[serde(default = "yes")]
    pub mandatory: bool,
    /// Whether a valid digitized copy from the citizen's document store may stand in for it.
    #[serde(default)]
    pub digitized_copy_accepted: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeView {
    /// Set by the service; ignored on input.
    #[serde(default)]
    pub id: Option<Id>,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    pub name: String,
    /// Integer VND.
    #[validate(range(min = 0, max = 1_000_000_000_000i64))]
    pub amount: i64,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepView {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub name: String,
    /// The step's share of the processing time, in whole percent; shares add up to 100.
    #[validate(range(min = 1, max = 100))]
    pub share: i32,
}

/// A procedure as clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureView {
    pub id: Id,
    /// The national code, e.g. `1.001234.000.00.00.H30`.
    pub code: String,
    /// 1 for the first version; each published version adds one.
    pub version: i32,
    /// Whether this is the latest version of the procedure.
    pub latest: bool,
    pub name: String,
    /// The field (lĩnh vực), e.g. "Hộ tịch".
    pub field: String,
    pub level: ProcedureLevel,
    pub processing_time: ProcessingTime,
    pub online_service: OnlineService,
    pub components: Vec<ComponentView>,
    pub fees: Vec<FeeView>,
    /// Whether fees can be paid online.
    pub online_payment: bool,
    pub steps: Vec<StepView>,
    /// The units that apply the procedure.
    pub unit_ids: Vec<Id>,
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    /// The last day of validity; null while open-ended.
    pub valid_to: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl From<ProcedureDetail> for ProcedureView {
    fn from(d: ProcedureDetail) -> Self {
        let p = d.procedure;
        ProcedureView {
            level: p.level(),
            online_service: p.online_service(),
            processing_time: ProcessingTime {
                amount: p.processing_amount as u32,
                unit: p.processing_unit(),
            },
            id: p.id,
            code: p.code,
            version: p.version,
            latest: p.is_latest,
            name: p.name,
            field: p.field,
            components: d
                .components
                .into_iter()
                .map(|c| ComponentView {
                    id: Some(c.id),
                    name: c.name,
                    mandatory: c.mandatory,
                    digitized_copy_accepted: c.digitized_copy_accepted,
                })
                .collect(),
            fees: d
                .fees
                .into_iter()
                .map(|f| FeeView {
                    id: Some(f.id),
                    name: f.name,
                    amount: f.amount,
                })
                .collect(),
            online_payment: p.online_payment,
            steps: d
                .steps
                .into_iter()
                .map(|s| StepView {
                    name: s.name,
                    share: s.share,
                })
                .collect(),
            unit_ids: d.unit_ids,
            legal_basis: p.legal_basis,
            valid_from: p.valid_from,
            valid_to: p.valid_to,
            created_at: p.created_at.and_utc(),
        }
    }
}

/// A procedure's definition, to create it or to publish a new version of it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "check_definition"))]
pub struct ProcedureInput {
    /// The national code: required to create; when publishing a version, omit it or repeat the
    /// procedure's code.
    #[validate(length(max = 40))]
    pub code: Option<String>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    pub name: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub field: String,
    pub level: ProcedureLevel,
    pub processing_time: ProcessingTime,
    pub online_service: OnlineService,
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    pub components: Vec<ComponentView>,
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    pub fees: Vec<FeeView>,
    #[serde(default)]
    pub online_payment: bool,
    #[serde(default)]
    #[validate(length(max = 10), nested)]
    pub steps: Vec<StepView>,
    /// At least one unit applies the procedure.
    #[validate(length(min = 1, max = 1000))]
    pub unit_ids: Vec<Id>,
    #[serde(default)]
    #[validate(length(max = 4000))]
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

fn check_definition(input: &ProcedureInput) -> Result<(), ValidationError> {
    let fail = |code: &'static str, message: String| {
        let mut e = ValidationError::new(code);
        e.message = Some(message.into());
        Err(e)
    };
    let time = input.processing_time;
    let max = max_processing_amount(time.unit);
    if time.amount < 1 || time.amount > max {
        return fail(
            "processing_time",
            format!(
                "processing_time.amount must be between 1 and {max} {}",
                time.unit
            ),
        );
    }
    if input.valid_to.is_some_and(|to| to < input.valid_from) {
        return fail("valid_to", "valid_to is before valid_from".to_string());
    }
    let shares: Vec<i32> = input.steps.iter().map(|s| s.share).collect();
    if let Err(message) = check_step_shares(&shares) {
        return fail("steps", message);
    }
    Ok(())
}

impl ProcedureInput {
    fn definition(self) -> ProcedureDefinition {
        ProcedureDefinition {
            name: self.name.trim().to_string(),
            field: self.field.trim().to_string(),
            level: self.level,
            processing_amount: self.processing_time.amount,
            processing_unit: self.processing_time.unit,
            online_service: self.online_service,
            online_payment: self.online_payment,
            legal_basis: self.legal_basis.trim().to_string(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            components: self
                .components
                .into_iter()
                .map(|c| {
                    (
                        c.name.trim().to_string(),
                        c.mandatory,
                        c.digitized_copy_accepted,
                    )
                })
                .collect(),
            fees: self
                .fees
                .into_iter()
                .map(|f| (f.name.trim().to_string(), f.amount))
                .collect(),
            steps: self
                .steps
                .into_iter()
                .map(|s| (s.name.trim().to_string(), s.share))
                .collect(),
            unit_ids: self.unit_ids,
        }
    }
}

/// Add a procedure to the catalogue (administrators).
#[utoipa::path(
    tag = "procedures",
    request_body = ProcedureInput,
    responses(
        (status = 201, description = "The new procedure, version 1", body = ProcedureView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 409, description = "The code is already in the catalogue"),
        (status = 422, description = "Invalid fields or an unknown unit"),
    ),
    security(("bearer" = []))
)]
#[post("/procedures")]
async fn create_procedure(
    state: web::Data<AppState>,
    who: Principal,
    body: ValidJson<ProcedureInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let mut input = body.0;
    let code = input.code.take().ok_or_else(|| {
        ApiError::invalid_field("code", "required", "the national code is required")
    })?;
    let code = field("code", ProcedureCode::parse(&code))?;
    let definition = input.definition();
    let detail = state
        .db(move |conn| Ok(store::procedures::create(conn, &code, &definition)?))
        .await?;
    Ok(created(detail))
}

fn created(detail: ProcedureDetail) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/procedures/{}", detail.procedure.id),
        ))
        .json(ProcedureView::from(detail))
}

/// Publish a new version of a procedure (administrators). The current version's validity ends
/// the day before the new one's starts; dossiers keep the version they were made under.
#[utoipa::path(
    tag = "procedures",
    params(("id" = Id, Path, description = "The id of the procedure's latest version")),
    request_body = ProcedureInput,
    responses(
        (status = 201, description = "The new version", body = ProcedureView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such procedure"),
        (status = 409, description = "The procedure has a newer version"),
        (status = 422, description = "Invalid fields, a different code, or a start not after the current version's"),
    ),
    security(("bearer" = []))
)]
#[post("/procedures/{id}/versions")]
async fn publish_version(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<ProcedureInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let mut input = body.0;
    let code = input
        .code
        .take()
        .map(|c| field("code", ProcedureCode::parse(&c)))
        .transpose()?;
    let definition = input.definition();
    let detail = state
        .db(move |conn| {
            if let Some(code) = code {
                let current = store::procedures::get(conn, id)?;
                if current.procedure.code != code.as_str() {
                    return Err(ApiError::invalid_field(
                        "code",
                        "immutable",
                        "a new version keeps the procedure's code",
                    ));
                }
            }
            Ok(store::procedures::publish_version(conn, id, &definition)?)
        })
        .await?;
    Ok(created(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    /// Words to find in the code or the name, ignoring diacritics and case ("ho tich" finds
    /// "Hộ tịch").
    pub q: Option<String>,
    /// The exact national code.
    pub code: Option<String>,
    /// The field, ignoring diacritics and case.
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    /// Only procedures this unit applies.
    pub unit_id: Option<Id>,
    pub online_service: Option<OnlineService>,
    /// Include superseded versions too.
    #[serde(default)]
    pub all_versions: bool,
}

/// Search the catalogue.
#[utoipa::path(
    tag = "procedures",
    params(ProcedureQuery, ListParams),
    responses(
        (status = 200, description = "A page of procedures", body = List<ProcedureView>),
        (status = 400, description = "Invalid query parameters"),
    )
)]
#[get("/procedures")]
async fn list_procedures(
    state: web::Data<AppState>,
    query: web::Query<ProcedureQuery>,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<ProcedureView>>, ApiError> {
    let page = list.page(&state.config.limits)?;
    let q = query.into_inner();
    if q.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "q is longer than 200 characters.",
        ));
    }
    let filter = ProcedureFilter {
        q: q.q,
        code: q.code,
        field: q.field,
        level: q.level,
        unit_id: q.unit_id,
        online_service: q.online_service,
        all_versions: q.all_versions,
    };
    let (rows, next) = state
        .db(move |conn| Ok(store::procedures::list(conn, &filter, page)?))
        .await?;
    Ok(web::Json(List::new(
        rows.into_iter().map(ProcedureView::from).collect(),
        next,
    )))
}

/// One procedure version.
#[utoipa::path(
    tag = "procedures",
    params(("id" = Id, Path, description = "The procedure version's id")),
    responses(
        (status = 200, description = "The procedure", body = ProcedureView),
        (status = 404, description = "No such procedure"),
    )
)]
#[get("/procedures/{id}")]
async fn get_procedure(
    state: web::Data<AppState>,
    id: web::Path<Id>,
) -> Result<web::Json<ProcedureView>, ApiError> {
    let id = id.into_inner();
    let detail = state
        .db(move |conn| Ok(store::procedures::get(conn, id)?))
        .await?;
    Ok(web::Json(detail.into()))
}
