//! The personal document store (kho dữ liệu): a citizen's digitized documents and electronic
//! results; officers digitize a dossier's components; officials register the paper results of the
//! past; anyone holding a result checks it is authentic; the backlog's progress is reported.

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::dossiers::visible_dossier;
use super::extract::{field, not_blank, List, ListParams, ValidJson};
use crate::auth::{policy, Principal};
use crate::db::{self, DbConn};
use crate::domain::accounts::Role;
use crate::domain::codes::NationalId;
use crate::domain::documents::{self, DocumentKind};
use crate::domain::lifecycle::Actor;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::storage;
use crate::store;
use crate::store::documents::Document;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(my_documents)
        .service(get_document)
        .service(document_content)
        .service(delete_document)
        .service(digitize)
        .service(register_historical)
        .service(set_plan)
        .service(digitization_report)
        .service(verify_digest)
        .service(verify_file);
}

/// A document of a personal store.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: Id,
    pub kind: DocumentKind,
    pub title: String,
    /// The owner's national id.
    pub owner_national_id: String,
    pub issuing_unit_id: Option<Id>,
    pub issued_on: NaiveDate,
    /// The last day of validity; null when it does not expire.
    pub valid_until: Option<NaiveDate>,
    /// Whether it is valid today (only valid documents stand in for an upload).
    pub valid: bool,
    pub sha256: String,
    pub content_type: String,
    pub size: i64,
    /// An electronic result's code, `<dossier code>-KQ<n>`.
    pub code: Option<String>,
    /// A historical result's number, as on the paper.
    pub result_number: Option<String>,
    pub procedure_id: Option<Id>,
    /// The dossier it came from.
    pub source_dossier_id: Option<Id>,
    pub source_component_id: Option<Id>,
    /// Whether the issuing unit signed it (electronic results).
    pub signed: bool,
    /// Who digitized or issued it, and when.
    pub digitized_by: Option<Id>,
    pub digitized_at: DateTime<Utc>,
}

pub fn document_view(d: Document, today: NaiveDate) -> DocumentView {
    DocumentView {
        kind: d.kind(),
        valid: documents::is_valid(d.valid_until, today),
        signed: d.signature.is_some(),
        id: d.id,
        title: d.title,
        owner_national_id: d.owner_national_id,
        issuing_unit_id: d.issuing_unit_id,
        issued_on: d.issued_on,
        valid_until: d.valid_until,
        sha256: d.sha256,
        content_type: d.content_type,
        size: d.size,
        code: d.code,
        result_number: d.result_number,
        procedure_id: d.procedure_id,
        source_dossier_id: d.source_dossier_id,
        source_component_id: d.source_component_id,
        digitized_by: d.digitized_by,
        digitized_at: d.digitized_at.and_utc(),
    }
}

fn today(state: &AppState) -> NaiveDate {
    Utc::now()
        .with_timezone(&state.config.time_zone)
        .date_naive()
}

/// The caller's national id, for a citizen.
fn national_id_of(conn: &mut DbConn, who: &Principal) -> Result<Option<String>, ApiError> {
    if who.role != Role::Citizen {
        return Ok(None);
    }
    Ok(store::accounts::find(conn, who.account_id)?.and_then(|a| a.national_id))
}

/// A document the caller may read: their own, or one a dossier they can see uses.
fn readable(conn: &mut DbConn, who: &Principal, id: Id) -> Result<Document, ApiError> {
    let document =
        store::documents::find(conn, id)?.ok_or_else(|| ApiError::not_found("Document"))?;
    if national_id_of(conn, who)?.as_deref() == Some(document.owner_national_id.as_str()) {
        return Ok(document);
    }
    if let Some(scope) = policy::handling_scope(who) {
        let using = store::documents::dossiers_using(conn, &document)?;
        if store::dossiers::any_visible(conn, &using, &scope)? {
            return Ok(document);
        }
    }
    Err(ApiError::not_found("Document"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    pub kind: Option<DocumentKind>,
}

/// The caller's personal document store (citizens).
#[utoipa::path(
    tag = "documents",
    params(DocumentQuery, ListParams),
    responses(
        (status = 200, description = "A page of the caller's documents", body = List<DocumentView>),
        (status = 400, description = "Invalid query parameters"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only citizens have a document store"),
    ),
    security(("bearer" = []))
)]
#[get("/me/documents")]
async fn my_documents(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<DocumentQuery>,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<DocumentView>>, ApiError> {
    who.require(&[Role::Citizen])?;
    let page = list.page(&state.config.limits)?;
    let kind = query.kind;
    let (rows, next) = state
        .db(move |conn| {
            let national_id = national_id_of(conn, &who)?.unwrap_or_default();
            Ok(store::documents::of_owner(conn, &national_id, kind, page)?)
        })
        .await?;
    let today = today(&state);
    Ok(web::Json(List::new(
        rows.into_iter().map(|d| document_view(d, today)).collect(),
        next,
    )))
}

/// One document: its owner's, or officials' of a dossier that uses it.
#[utoipa::path(
    tag = "documents",
    params(("id" = Id, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such document, or not one the caller may read"),
    ),
    security(("bearer" = []))
)]
#[get("/documents/{id}")]
async fn get_document(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<web::Json<DocumentView>, ApiError> {
    let id = id.into_inner();
    let document = state.db(move |conn| readable(conn, &who, id)).await?;
    Ok(web::Json(document_view(document, today(&state))))
}

/// Download a document.
#[utoipa::path(
    tag = "documents",
    params(("id" = Id, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The document's bytes", content(
            (String = "application/pdf"),
            (String = "image/jpeg"),
            (String = "image/png"),
        )),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such document, or not one the caller may read"),
    ),
    security(("bearer" = []))
)]
#[get("/documents/{id}/content")]
async fn document_content(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let document = state.db(move |conn| readable(conn, &who, id)).await?;
    let bytes = state
        .files
        .read(&document.sha256)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, document.content_type.clone()))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CONTENT_DISPOSITION, "attachment"))
        .body(bytes))
}

/// Remove a document from one's store; documents a dossier uses and results are kept (409).
#[utoipa::path(
    tag = "documents",
    params(("id" = Id, Path, description = "The document's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such document in the caller's store"),
        (status = 409, description = "A dossier uses it, or it is a result"),
    ),
    security(("bearer" = []))
)]
#[delete("/documents/{id}")]
async fn delete_document(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db(move |conn| {
            let document =
                store::documents::find(conn, id)?.ok_or_else(|| ApiError::not_found("Document"))?;
            if national_id_of(conn, &who)?.as_deref() != Some(document.owner_national_id.as_str()) {
                return Err(ApiError::not_found("Document"));
            }
            Ok(store::documents::delete(conn, &document)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One component to digitize.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigitizeComponent {
    pub component_id: Id,
    /// The document's title (default: the component's name).
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    pub title: Option<String>,
    /// When the document stops being valid (e.g. an identity paper's expiry).
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigitizeInput {
    /// The components to digitize; omitted, every component provided as a file.
    #[validate(length(max = 50), nested)]
    pub components: Option<Vec<DigitizeComponent>>,
}

/// Digitize a dossier's components into the applicant's store (the receiving unit's reception
/// officers): each checked file becomes a document; one already digitized is not done twice.
#[utoipa::path(
    tag = "documents",
    params(("id" = Id, Path, description = "The dossier's id")),
    request_body = DigitizeInput,
    responses(
        (status = 201, description = "The documents of the digitized components", body = Vec<DocumentView>),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not a reception officer of the receiving unit"),
        (status = 404, description = "No such dossier, or not one the caller may see"),
        (status = 409, description = "The dossier has not been received"),
        (status = 422, description = "A component that was not provided as a file"),
    ),
    security(("bearer" = []))
)]
#[post("/dossiers/{id}/digitize")]
async fn digitize(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<DigitizeInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.0;
    let today = today(&state);
    let tz = state.config.time_zone;
    let documents = state
        .db(move |conn| {
            let dossier = visible_dossier(conn, &who, id)?;
            if policy::relation(conn, &who, &dossier)? != Actor::Reception {
                return Err(ApiError::forbidden());
            }
            if dossier.received_at.is_none() {
                return Err(ApiError::conflict(
                    "not_received",
                    "Only the components of a received dossier are digitized.",
                ));
            }
            let procedure = store::procedures::get(conn, dossier.procedure_id)?;
            let provided = store::dossiers::components(conn, id)?;
            let wanted: Vec<DigitizeComponent> = match input.components {
                Some(list) => list,
                None => provided
                    .iter()
                    .filter(|c| c.file_id.is_some())
                    .map(|c| DigitizeComponent {
                        component_id: c.component_id,
                        title: None,
                        valid_until: None,
                    })
                    .collect(),
            };
            db::write(conn, |conn| {
                let mut out = Vec::new();
                for (i, want) in wanted.iter().enumerate() {
                    let file_id = provided
                        .iter()
                        .find(|c| c.component_id == want.component_id)
                        .and_then(|c| c.file_id)
                        .ok_or_else(|| {
                            ApiError::invalid_field(
                                &format!("components[{i}].component_id"),
                                "not_provided",
                                "this component was not provided as a file",
                            )
                        })?;
                    if let Some(done) = store::documents::digitized(conn, id, want.component_id)? {
                        out.push(done);
                        continue;
                    }
                    let file = store::files::find(conn, file_id)?
                        .ok_or_else(|| ApiError::not_found("File"))?;
                    let name = procedure
                        .components
                        .iter()
                        .find(|pc| pc.id == want.component_id)
                        .map(|pc| pc.name.clone())
                        .unwrap_or_default();
                    let document = Document {
                        id: Id::new(),
                        owner_national_id: dossier.applicant_national_id.clone(),
                        kind: DocumentKind::Component.as_str().to_string(),
                        title: want
                            .title
                            .clone()
                            .map(|t| t.trim().to_string())
                            .unwrap_or(name),
                        issuing_unit_id: Some(dossier.receiving_unit_id),
                        issued_on: today,
                        valid_until: want.valid_until,
                        sha256: file.sha256,
                        content_type: file.content_type,
                        size: file.size,
                        code: None,
                        result_number: None,
                        procedure_id: Some(procedure.procedure.id),
                        source_dossier_id: Some(id),
                        source_component_id: Some(want.component_id),
                        signature: None,
                        signing_key_id: None,
                        digitized_by: Some(who.account_id),
                        digitized_at: db::now(),
                    };
                    store::documents::insert(conn, &document)?;
                    out.push(document);
                }
                store::reports::track(conn, &dossier, tz)?;
                Ok(out)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(
        documents
            .into_iter()
            .map(|d| document_view(d, today))
            .collect::<Vec<_>>(),
    ))
}

/// A result issued on paper before the system.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoricalResultInput {
    /// The owner's 12-digit national id: the result joins their store, now or when they register.
    #[validate(length(max = 20))]
    pub owner_national_id: String,
    /// The number printed on the result.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    pub result_number: String,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    pub title: String,
    pub issued_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub procedure_id: Option<Id>,
    /// The scan, uploaded by the caller (`POST /files`).
    pub file_id: Id,
}

/// Register a result issued on paper before the system, with its scan (officials of the unit
/// that issued it, or administrators).
#[utoipa::path(
    tag = "documents",
    params(("id" = Id, Path, description = "The issuing unit's id")),
    request_body = HistoricalResultInput,
    responses(
        (status = 201, description = "The registered result", body = DocumentView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an official of this unit"),
        (status = 404, description = "No such unit"),
        (status = 409, description = "This unit registered this result number already"),
        (status = 422, description = "Invalid fields, an unknown procedure or a file the caller did not upload"),
    ),
    security(("bearer" = []))
)]
#[post("/units/{id}/historical-results")]
async fn register_historical(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<HistoricalResultInput>,
) -> Result<HttpResponse, ApiError> {
    let unit = id.into_inner();
    let input = body.0;
    let official = matches!(who.role, Role::Reception | Role::Specialist | Role::Leader);
    if !(who.role == Role::Admin || official && who.unit_id == Some(unit)) {
        return Err(ApiError::forbidden());
    }
    let owner = field(
        "owner_national_id",
        NationalId::parse(&input.owner_national_id),
    )?;
    let today = today(&state);
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
    if input.issued_on > today || input.issued_on < earliest {
        return Err(ApiError::invalid_field(
            "issued_on",
            "range",
            "must be between 1900-01-01 and today",
        ));
    }
    if input
        .valid_until
        .is_some_and(|until| until < input.issued_on)
    {
        return Err(ApiError::invalid_field(
            "valid_until",
            "range",
            "is before issued_on",
        ));
    }
    let document = state
        .db(move |conn| {
            store::units::find(conn, unit)?.ok_or_else(|| ApiError::not_found("Unit"))?;
            if let Some(procedure) = input.procedure_id {
                store::procedures::get(conn, procedure).map_err(|_| {
                    ApiError::invalid_field("procedure_id", "unknown", "is not a procedure")
                })?;
            }
            let file = store::files::owned(conn, who.account_id, &[input.file_id])?
                .pop()
                .ok_or_else(|| {
                    ApiError::invalid_field("file_id", "unknown_file", "is not a file you uploaded")
                })?;
            let number = input.result_number.trim().to_string();
            if store::documents::historical_exists(conn, unit, &number)? {
                return Err(ApiError::conflict(
                    "result_registered",
                    "This unit has registered this result number already.",
                ));
            }
            let document = Document {
                id: Id::new(),
                owner_national_id: owner.as_str().to_string(),
                kind: DocumentKind::HistoricalResult.as_str().to_string(),
                title: input.title.trim().to_string(),
                issuing_unit_id: Some(unit),
                issued_on: input.issued_on,
                valid_until: input.valid_until,
                sha256: file.sha256,
                content_type: file.content_type,
                size: file.size,
                code: None,
                result_number: Some(number),
                procedure_id: input.procedure_id,
                source_dossier_id: None,
                source_component_id: None,
                signature: None,
                signing_key_id: None,
                digitized_by: Some(who.account_id),
                digitized_at: db::now(),
            };
            store::documents::insert(conn, &document)?;
            Ok(document)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/documents/{}", document.id),
        ))
        .json(document_view(document, today)))
}

/// The planned total of one issue period.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedPeriod {
    /// A configured period's label, e.g. `2010-2019`.
    #[validate(length(min = 1, max = 20))]
    pub period: String,
    /// How many paper results the campaign plans to digitize.
    #[validate(range(min = 0, max = 1_000_000_000))]
    pub planned: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    #[validate(length(max = 50), nested)]
    pub periods: Vec<PlannedPeriod>,
}

/// Set a unit's planned totals of the digitization backlog (administrators).
#[utoipa::path(
    tag = "documents",
    params(("id" = Id, Path, description = "The unit's id")),
    request_body = PlanInput,
    responses(
        (status = 204, description = "Stored"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "An unknown period, or one given twice"),
    ),
    security(("bearer" = []))
)]
#[put("/units/{id}/digitization-plan")]
async fn set_plan(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<PlanInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let unit = id.into_inner();
    let labels: Vec<String> = state
        .config
        .backlog_periods
        .iter()
        .map(|p| p.label.clone())
        .collect();
    let mut plan: Vec<(String, i64)> = Vec::new();
    for (i, p) in body.0.periods.iter().enumerate() {
        if !labels.contains(&p.period) || plan.iter().any(|(label, _)| *label == p.period) {
            return Err(ApiError::invalid_field(
                &format!("periods[{i}].period"),
                "unknown_period",
                format!("must be one of {} and given once", labels.join(", ")),
            ));
        }
        plan.push((p.period.clone(), p.planned));
    }
    state
        .db(move |conn| {
            store::units::find(conn, unit)?.ok_or_else(|| ApiError::not_found("Unit"))?;
            Ok(store::documents::set_plan(conn, unit, &plan)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The unit reported on.
    pub unit: Id,
    /// Include every unit below it, each on its own row.
    #[serde(default)]
    pub subtree: bool,
}

/// Progress of one issue period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodProgress {
    pub period: String,
    /// Historical results digitized.
    pub digitized: i64,
    /// The planned total; null when none was recorded (on the total row: unless every unit has
    /// one).
    pub planned: Option<i64>,
    /// digitized / planned in percent, two decimals; null ("not applicable") without a plan.
    pub ratio: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitProgress {
    /// Null on the total row.
    pub unit_id: Option<Id>,
    pub unit_code: Option<String>,
    pub unit_name: String,
    pub periods: Vec<PeriodProgress>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DigitizationReport {
    pub periods: Vec<String>,
    /// One row per unit, then the total.
    pub rows: Vec<UnitProgress>,
}

fn ratio(numerator: i64, denominator: Option<i64>) -> Option<f64> {
    denominator
        .filter(|d| *d > 0)
        .map(|d| (numerator as f64 * 10000.0 / d as f64).round() / 100.0)
}

/// Progress of the digitization backlog per unit and issue period (supervisors and
/// administrators; leaders for their own subtree).
#[utoipa::path(
    tag = "documents",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report", body = DigitizationReport),
        (status = 400, description = "Invalid query parameters"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not allowed to read this unit's reports"),
        (status = 404, description = "No such unit"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/digitization")]
async fn digitization_report(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<ReportQuery>,
) -> Result<web::Json<DigitizationReport>, ApiError> {
    let ReportQuery { unit, subtree } = query.into_inner();
    let periods = state.config.backlog_periods.clone();
    let limit = state.config.limits.max_page_size * 50;
    let report = state
        .db(move |conn| {
            let root =
                store::units::find(conn, unit)?.ok_or_else(|| ApiError::not_found("Unit"))?;
            let allowed = policy::may_read_reports(conn, &who, root.id)?;
            if !allowed {
                return Err(ApiError::forbidden());
            }
            let units = if subtree {
                store::units::subtree(conn, &root.path, limit)?
            } else {
                vec![root.into()]
            };
            let ids: Vec<Id> = units.iter().map(|u| u.id).collect();
            let plans = store::documents::plans(conn, &ids)?;
            let counts = store::documents::backlog_counts(conn, &ids)?;
            let progress = |unit: Option<Id>| -> Vec<PeriodProgress> {
                periods
                    .iter()
                    .map(|p| {
                        let digitized = counts
                            .iter()
                            .filter(|(u, day, _)| {
                                unit.is_none_or(|id| *u == Some(id)) && p.contains(*day)
                            })
                            .map(|(_, _, n)| n)
                            .sum();
                        let planned: Vec<i64> = plans
                            .iter()
                            .filter(|(u, label, _)| {
                                unit.is_none_or(|id| *u == id) && *label == p.label
                            })
                            .map(|(_, _, n)| *n)
                            .collect();
                        // A total has a plan only when every unit in it has one for the period.
                        let expected = if unit.is_some() { 1 } else { units.len() };
                        let planned = (planned.len() == expected).then(|| planned.iter().sum());
                        PeriodProgress {
                            period: p.label.clone(),
                            digitized,
                            planned,
                            ratio: ratio(digitized, planned),
                        }
                    })
                    .collect()
            };
            let mut rows: Vec<UnitProgress> = units
                .iter()
                .map(|u| UnitProgress {
                    unit_id: Some(u.id),
                    unit_code: Some(u.code.clone()),
                    unit_name: u.name.clone(),
                    periods: progress(Some(u.id)),
                })
                .collect();
            rows.push(UnitProgress {
                unit_id: None,
                unit_code: None,
                unit_name: "Tổng cộng".to_string(),
                periods: progress(None),
            });
            Ok(DigitizationReport {
                periods: periods.iter().map(|p| p.label.clone()).collect(),
                rows,
            })
        })
        .await?;
    Ok(web::Json(report))
}

/// The outcome of checking a result.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub code: String,
    /// True when the issuing unit's signature over the content holds (a content other than the
    /// one issued under the code answers 404).
    pub authentic: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    pub issuing_unit_id: Option<Id>,
    pub issuing_unit_code: Option<String>,
    pub issuing_unit_name: Option<String>,
    pub issued_on: NaiveDate,
    /// The Ed25519 public key (hex) that signed it.
    pub signer_public_key: Option<String>,
}

/// Checks a content against the result issued under `code`. A content other than the one issued
/// answers exactly like a code never issued (404): result codes are guessable, so anything else
/// would tell whoever tries a code which results exist, when and by whom they were issued.
fn verify(conn: &mut DbConn, code: &str, sha256: &str) -> Result<Verification, ApiError> {
    let document = store::documents::by_code(conn, code)?
        .filter(|d| d.kind() == DocumentKind::Result && d.sha256 == sha256)
        .ok_or_else(|| ApiError::not_found("Result"))?;
    let key = match document.signing_key_id {
        Some(id) => store::documents::signing_key_by_id(conn, id)?,
        None => None,
    };
    let unit = match document.issuing_unit_id {
        Some(id) => store::units::find(conn, id)?,
        None => None,
    };
    let signature_holds = match (&key, &document.signature) {
        (Some(key), Some(signature)) => crate::signing::verify(
            &key.public_key,
            &documents::signed_message(code, sha256),
            signature,
        ),
        _ => false,
    };
    let reason =
        (!signature_holds).then(|| "the issuing unit's signature does not hold".to_string());
    Ok(Verification {
        code: code.to_string(),
        authentic: reason.is_none(),
        reason,
        issuing_unit_id: unit.as_ref().map(|u| u.id),
        issuing_unit_code: unit.as_ref().map(|u| u.code.clone()),
        issuing_unit_name: unit.map(|u| u.name),
        issued_on: document.issued_on,
        signer_public_key: key.map(|k| k.public_key),
    })
}

fn limit(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    let client = super::extract::client_address(req, &state.config);
    state
        .lookups
        .check(&format!("verify:{client}"))
        .map_err(|wait| {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too many checks; wait a moment.",
            );
            e.retry_after = Some(wait as u32);
            e
        })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DigestQuery {
    /// The SHA-256 of the file, in hex.
    #[param(pattern = "^[0-9a-fA-F]{64}$")]
    pub sha256: String,
}

/// Check a result by the digest of the file one holds, without revealing its content.
#[utoipa::path(
    tag = "documents",
    params(("code" = String, Path, description = "The result's code, `<dossier code>-KQ<n>`"), DigestQuery),
    responses(
        (status = 200, description = "The content is the result issued under this code: whether its signature holds", body = Verification),
        (status = 400, description = "Not a SHA-256 digest"),
        (status = 404, description = "No result with this code and this content: a content other than the one issued answers like a code never issued"),
        (status = 429, description = "Too many checks from this address"),
    )
)]
#[get("/results/{code}/verify")]
async fn verify_digest(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    query: web::Query<DigestQuery>,
) -> Result<web::Json<Verification>, ApiError> {
    limit(&state, &req)?;
    let sha256 = query.sha256.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "sha256 must be 64 hex digits.",
        ));
    }
    let code = code.into_inner();
    Ok(web::Json(
        state.db(move |conn| verify(conn, &code, &sha256)).await?,
    ))
}

/// Check a result by uploading the file one holds (multipart field `file`); the file is not
/// kept.
#[utoipa::path(
    tag = "documents",
    params(("code" = String, Path, description = "The result's code, `<dossier code>-KQ<n>`")),
    request_body(content = super::files::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The content is the result issued under this code: whether its signature holds", body = Verification),
        (status = 404, description = "No result with this code and this content: a content other than the one issued answers like a code never issued"),
        (status = 413, description = "The file is larger than the upload limit"),
        (status = 429, description = "Too many checks from this address"),
    )
)]
#[post("/results/{code}/verify")]
async fn verify_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    payload: Multipart,
) -> Result<web::Json<Verification>, ApiError> {
    limit(&state, &req)?;
    let (_, bytes) =
        super::files::read_upload(payload, state.config.limits.max_upload_bytes).await?;
    let sha256 = storage::digest(&bytes);
    let code = code.into_inner();
    Ok(web::Json(
        state.db(move |conn| verify(conn, &code, &sha256)).await?,
    ))
}
