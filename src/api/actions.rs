//! The workflow: `POST /dossiers/{id}/actions` with `If-Match`. The handler finds the dossier the
//! caller may see, checks the version, works out the caller's relation to it, lets
//! `domain::workflow::plan` decide and compute, and stores the outcome with its history entry.

use actix_web::http::{header, StatusCode};
use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::dossiers::{
    respond, timing, view, visible_dossier, Details, DossierView, ProvidedComponent,
};
use crate::auth::{policy, Principal};
use crate::domain::accounts::Role;
use crate::domain::lifecycle::Action;
use crate::domain::workflow::{self, Refused, Request};
use crate::error::{ApiError, FieldError};
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::dossiers::Applied;
use crate::store::fees::Payment;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(act);
}

/// An action with its own fields.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub action: Action,
    /// A note for the history.
    #[validate(length(max = 2000))]
    pub note: Option<String>,
    /// Required to refuse, stop, and apologize.
    #[validate(length(max = 2000))]
    pub reason: Option<String>,
    /// `request_supplement`: the components missing or to correct.
    #[validate(length(max = 50))]
    pub missing_components: Option<Vec<Id>>,
    /// `assign`: a specialist of the processing unit.
    pub specialist_id: Option<Id>,
    /// `apology`: the new appointment.
    pub new_due_at: Option<DateTime<FixedOffset>>,
    /// `supplement`: the components brought (uploaded files).
    #[validate(length(max = 50))]
    pub components: Option<Vec<ProvidedComponent>>,
    /// `confirm_payment` at the counter: the number of the receipt given for the fee.
    #[validate(length(min = 1, max = 100))]
    pub receipt_number: Option<String>,
}

/// `If-Match: "<version>"` (quotes and a weak prefix are tolerated).
fn expected_version(req: &HttpRequest) -> Result<i32, ApiError> {
    let value = req.headers().get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "Send If-Match with the dossier's version (its ETag).",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_if_match",
                "If-Match must be the dossier's version.",
            )
        })
}

/// Take an action on a dossier: receive, refuse, request_supplement, supplement, transfer,
/// assign, request_payment, confirm_payment, submit_draft, approve, apology, withdraw,
/// confirm_withdrawal, stop, return_result.
#[utoipa::path(
    tag = "dossiers",
    params(
        ("id" = Id, Path, description = "The dossier's id"),
        ("If-Match" = String, Header, description = "The dossier's version, as in its ETag"),
    ),
    request_body = ActionInput,
    responses(
        (status = 200, description = "The dossier after the action", body = DossierView, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "A malformed If-Match"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "The caller may not take this action"),
        (status = 404, description = "No such dossier, or not one the caller may see"),
        (status = 409, description = "The action is not possible in the dossier's state"),
        (status = 412, description = "The dossier changed since the version in If-Match"),
        (status = 422, description = "A missing or invalid field of the action"),
        (status = 428, description = "If-Match is missing"),
    ),
    security(("bearer" = []))
)]
#[post("/dossiers/{id}/actions")]
async fn act(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    req: HttpRequest,
    body: super::extract::ValidJson<ActionInput>,
) -> Result<HttpResponse, ApiError> {
    let expected = expected_version(&req)?;
    let id = id.into_inner();
    let input = body.0;
    let config = state.config.clone();
    let dossier =
        state
            .db(move |conn| {
                let dossier = visible_dossier(conn, &who, id)?;
                if dossier.version != expected {
                    return Err(ApiError::precondition_failed());
                }
                let actor = policy::relation(conn, &who, &dossier)?;
                let procedure = store::procedures::get(conn, dossier.procedure_id)?;
                let (charged, paid) = store::fees::balance(conn, dossier.id)?;
                let mut request = Request {
                    note: input.note.clone(),
                    reason: input.reason.clone(),
                    missing_components: input.missing_components.clone().unwrap_or_default(),
                    specialist_id: input.specialist_id,
                    new_due_at: input.new_due_at.map(|t| t.with_timezone(&Utc)),
                    supplied_components: 0,
                    acting_account: Some(who.account_id),
                    amount_due: charged - paid,
                    receipt_number: input.receipt_number.clone(),
                };
                // References in the request must be the procedure's components, the unit's
                // specialists, the caller's files.
                let unknown: Vec<&Id> = request
                    .missing_components
                    .iter()
                    .filter(|c| !procedure.components.iter().any(|pc| pc.id == **c))
                    .collect();
                if !unknown.is_empty() {
                    return Err(ApiError::invalid_field(
                        "missing_components",
                        "unknown_component",
                        "lists a component that is not the procedure's",
                    ));
                }
                if let Some(specialist) = input.specialist_id {
                    let ok = store::accounts::find(conn, specialist)?.is_some_and(|a| {
                        a.role() == Role::Specialist
                            && a.unit_id == Some(dossier.processing_unit_id)
                            && !a.disabled
                    });
                    if !ok {
                        return Err(ApiError::invalid_field(
                            "specialist_id",
                            "unknown_specialist",
                            "is not an active specialist of the processing unit",
                        ));
                    }
                }
                let supplied = match &input.components {
                    Some(list) if input.action == Action::Supplement => {
                        supplied_components(conn, &procedure, list, who.account_id)?
                    }
                    Some(_) => {
                        return Err(ApiError::invalid_field(
                            "components",
                            "unexpected",
                            "only a supplement brings components",
                        ))
                    }
                    None => Vec::new(),
                };
                request.supplied_components = supplied.len();
                let from = dossier
                    .created_at
                    .and_utc()
                    .with_timezone(&config.time_zone)
                    .date_naive();
                let calendar = store::calendar::working_calendar(conn, &config, from)?;
                let now = crate::db::now().and_utc();
                let outcome = workflow::plan(
                    &dossier.facts(),
                    input.action,
                    actor,
                    &request,
                    &timing(&procedure),
                    &calendar,
                    now,
                )
                .map_err(refused)?;
                let mut details = serde_json::Map::new();
                let receiving = store::units::require(conn, dossier.receiving_unit_id)?;
                // Confirming a payment at the counter records it, for what is due.
                let payment = (input.action == Action::ConfirmPayment && request.amount_due > 0)
                    .then(|| Payment {
                        id: Id::new(),
                        dossier_id: dossier.id,
                        amount: request.amount_due,
                        method: "counter".to_string(),
                        receipt_number: request.receipt_number.clone(),
                        transaction_id: None,
                        paid_at: now.naive_utc(),
                        recorded_by: Some(who.account_id),
                        created_at: now.naive_utc(),
                    });
                if let Some(number) = &request.receipt_number {
                    details.insert("receipt_number".into(), number.clone().into());
                }
                if let Some(reason) = &input.reason {
                    details.insert("reason".into(), reason.clone().into());
                }
                if !request.missing_components.is_empty() {
                    details.insert(
                        "missing_components".into(),
                        serde_json::json!(request.missing_components),
                    );
                }
                if let Some(specialist) = input.specialist_id {
                    details.insert("specialist_id".into(), serde_json::json!(specialist));
                }
                if let Some(new_due) = request.new_due_at {
                    details.insert("new_due_at".into(), serde_json::json!(new_due));
                }
                if !supplied.is_empty() {
                    details.insert(
                        "components".into(),
                        serde_json::json!(supplied
                            .iter()
                            .map(|(c, f)| serde_json::json!({"component_id": c, "file_id": f}))
                            .collect::<Vec<_>>()),
                    );
                }
                let (after, _event) = store::dossiers::apply(
                    conn,
                    &dossier,
                    Applied {
                        action: input.action.as_str(),
                        actor_id: Some(who.account_id),
                        note: input
                            .note
                            .map(|n| n.trim().to_string())
                            .filter(|n| !n.is_empty()),
                        details: serde_json::Value::Object(details),
                        outcome,
                        components: supplied,
                        payment,
                        receiving_unit_code: receiving.code,
                        tz: config.time_zone,
                        now,
                    },
                )?;
                let details = Details::load(conn, id)?;
                Ok((after, details, now))
            })
            .await?;
    let (after, details, now) = dossier;
    let view: DossierView = view(after, Some(details), now, state.config.time_zone);
    Ok(respond(StatusCode::OK, &view))
}

/// The answer to a refused action.
pub fn refused(r: Refused) -> ApiError {
    match r {
        Refused::Illegal(message) => ApiError::conflict("illegal_transition", message),
        Refused::NotAllowed(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
        Refused::Invalid { field, message } => ApiError::invalid_field(field, "invalid", message),
    }
}

/// The components of a supplement: the procedure's, each with a file the caller uploaded.
fn supplied_components(
    conn: &mut crate::db::DbConn,
    procedure: &store::procedures::ProcedureDetail,
    list: &[ProvidedComponent],
    uploader: Id,
) -> Result<Vec<(Id, Id)>, ApiError> {
    let file_ids: Vec<Id> = list.iter().filter_map(|c| c.file_id).collect();
    let owned = store::files::owned(conn, uploader, &file_ids)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let known = procedure
            .components
            .iter()
            .any(|pc| pc.id == c.component_id);
        match c.file_id {
            Some(file) if known && owned.iter().any(|f| f.id == file) => {
                out.push((c.component_id, file))
            }
            _ => errors.push(FieldError {
                field: format!("components[{i}]"),
                code: "invalid_component".to_string(),
                message: "needs a component of the procedure and a file you uploaded".to_string(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(errors))
    }
}
