//! The workflow: `POST /dossiers/{id}/actions` with `If-Match`. The handler finds the dossier the
//! caller may see, checks the version, works out the caller's relation to it, checks what the
//! request refers to, lets `domain::workflow::plan` decide and compute, and stores the outcome
//! with its history entry — with, in the same transaction, the payment a confirmation records,
//! the result file a draft or an approval attaches, and the electronic result a return issues.

use actix_web::http::{header, StatusCode};
use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::dossiers::{
    check_components, respond, timing, view, visible_dossier, DossierView, ProvidedComponent,
    Provider,
};
use crate::auth::{policy, Principal};
use crate::config::Config;
use crate::db::DbConn;
use crate::domain::accounts::Role;
use crate::domain::documents::{self, DocumentKind};
use crate::domain::fees::PaymentMethod;
use crate::domain::lifecycle::Action;
use crate::domain::workflow::{self, Refused, Request};
use crate::error::{ApiError, StoreError};
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::documents::{Document, DossierResult};
use crate::store::dossiers::{Also, Applied, Details, Dossier, Provided};
use crate::store::fees::Payment;
use crate::store::procedures::ProcedureDetail;

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
    /// `confirm_payment` at the counter: `cash` (the default), `bank_transfer` or `card`.
    pub payment_method: Option<PaymentMethod>,
    /// `submit_draft` or `approve`: the result file (uploaded by an official of the processing
    /// unit). Approving needs one, given then or with the draft.
    pub result_file_id: Option<Id>,
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
        ("If-Match" = Option<String>, Header, description = "The dossier's version, as in its ETag: without it the action is refused with 428"),
    ),
    request_body = ActionInput,
    responses(
        (status = 200, description = "The dossier after the action", body = DossierView, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "A malformed If-Match"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "The caller may not take this action"),
        (status = 404, description = "No such dossier (or document), or not one the caller may see"),
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
    let (after, details, now) = state
        .db(move |conn| take_action(conn, &who, id, expected, input, &config))
        .await?;
    let view: DossierView = view(after, Some(details), now, state.config.time_zone);
    Ok(respond(StatusCode::OK, &view))
}

fn take_action(
    conn: &mut DbConn,
    who: &Principal,
    id: Id,
    expected: i32,
    input: ActionInput,
    config: &Config,
) -> Result<(Dossier, Details, chrono::DateTime<Utc>), ApiError> {
    let dossier = visible_dossier(conn, who, id)?;
    check_fields(&input)?;
    if dossier.version != expected {
        return Err(ApiError::precondition_failed());
    }
    let actor = policy::relation(conn, who, &dossier)?;
    let procedure = store::procedures::get(conn, dossier.procedure_id)?;
    let now = crate::db::now().and_utc();
    let today = now.with_timezone(&config.time_zone).date_naive();
    check_references(conn, &dossier, &procedure, &input, today)?;
    let supplied = supplied(conn, who, &dossier, &procedure, &input, today)?;
    let (charged, paid) = store::fees::balance(conn, dossier.id)?;
    let request = Request {
        note: input.note.clone(),
        reason: input.reason.clone(),
        missing_components: input.missing_components.clone().unwrap_or_default(),
        specialist_id: input.specialist_id,
        new_due_at: input.new_due_at.map(|t| t.with_timezone(&Utc)),
        supplied_components: supplied.len(),
        acting_account: Some(who.account_id),
        amount_due: charged - paid,
        receipt_number: input.receipt_number.clone(),
    };
    let outcome = plan(
        conn,
        &dossier,
        &procedure,
        input.action,
        actor,
        &request,
        config,
        now,
    )?;
    let result_file = result_file(conn, &dossier, &input)?;
    // Confirming a payment at the counter records it, for what is due.
    let payment =
        (input.action == Action::ConfirmPayment && request.amount_due > 0).then(|| Payment {
            id: Id::new(),
            dossier_id: dossier.id,
            amount: request.amount_due,
            method: input
                .payment_method
                .unwrap_or(PaymentMethod::Cash)
                .as_str()
                .to_string(),
            receipt_number: request.receipt_number.clone(),
            transaction_id: None,
            paid_at: now.naive_utc(),
            recorded_by: Some(who.account_id),
            created_at: now.naive_utc(),
        });
    let also: Option<Also<'_>> = match input.action {
        Action::SubmitDraft | Action::Approve => result_file.map(|file| -> Also<'_> {
            let by = who.account_id;
            Box::new(move |conn: &mut DbConn, d: &Dossier| {
                store::documents::attach_result(
                    conn,
                    &DossierResult {
                        dossier_id: d.id,
                        file_id: file.id,
                        attached_by: by,
                        attached_at: now.naive_utc(),
                        document_id: None,
                    },
                )?;
                Ok(details_of([("result_file_id", serde_json::json!(file.id))]))
            })
        }),
        Action::ReturnResult => {
            let title = procedure.procedure.name.clone();
            let procedure_id = procedure.procedure.id;
            let by = who.account_id;
            Some(Box::new(move |conn: &mut DbConn, d: &Dossier| {
                issue_result(conn, d, title, procedure_id, by, now, today)
            }))
        }
        _ => None,
    };
    let receiving = store::units::require(conn, dossier.receiving_unit_id)?;
    let (after, _event) = store::dossiers::apply(
        conn,
        &dossier,
        Applied {
            action: input.action.as_str(),
            actor_id: Some(who.account_id),
            note: input
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            details: serde_json::Value::Object(history_details(&input, &request, &supplied)),
            outcome,
            components: supplied,
            payment,
            also,
            receiving_unit_code: receiving.code,
            tz: config.time_zone,
            now,
            notify: config.notifications.channels(),
        },
    )?;
    let details = store::dossiers::details(conn, id)?;
    Ok((after, details, now))
}

fn details_of<const N: usize>(
    fields: [(&str, serde_json::Value); N],
) -> serde_json::Map<String, serde_json::Value> {
    fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The action's own fields, for the history.
fn history_details(
    input: &ActionInput,
    request: &Request,
    supplied: &[Provided],
) -> serde_json::Map<String, serde_json::Value> {
    let mut details = serde_json::Map::new();
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
        let components: Vec<serde_json::Value> = supplied
            .iter()
            .map(|c| serde_json::json!({"component_id": c.component_id, "file_id": c.file_id, "document_id": c.document_id}))
            .collect();
        details.insert("components".into(), components.into());
    }
    details
}

/// Every field but `note` belongs to some actions only; sent with another, it is refused rather
/// than silently kept in the history.
fn check_fields(input: &ActionInput) -> Result<(), ApiError> {
    use Action as A;
    let fields: [(&str, bool, &[Action]); 8] = [
        (
            "reason",
            input.reason.is_some(),
            &[A::Refuse, A::Stop, A::Apology],
        ),
        (
            "missing_components",
            input.missing_components.is_some(),
            &[A::RequestSupplement],
        ),
        ("specialist_id", input.specialist_id.is_some(), &[A::Assign]),
        ("new_due_at", input.new_due_at.is_some(), &[A::Apology]),
        ("components", input.components.is_some(), &[A::Supplement]),
        (
            "receipt_number",
            input.receipt_number.is_some(),
            &[A::ConfirmPayment],
        ),
        (
            "payment_method",
            input.payment_method.is_some(),
            &[A::ConfirmPayment],
        ),
        (
            "result_file_id",
            input.result_file_id.is_some(),
            &[A::SubmitDraft, A::Approve],
        ),
    ];
    for (name, given, actions) in fields {
        if given && !actions.contains(&input.action) {
            return Err(ApiError::invalid_field(
                name,
                "unexpected",
                format!("does not belong to the action {}", input.action),
            ));
        }
    }
    if input.payment_method == Some(PaymentMethod::Online) {
        return Err(ApiError::invalid_field(
            "payment_method",
            "online",
            "online payments are recorded by the payment gateway's callback",
        ));
    }
    Ok(())
}

/// What the request names must exist and fit: the procedure's components (and not one the
/// applicant satisfied with a valid stored document), an active specialist of the processing
/// unit.
fn check_references(
    conn: &mut DbConn,
    dossier: &Dossier,
    procedure: &ProcedureDetail,
    input: &ActionInput,
    today: chrono::NaiveDate,
) -> Result<(), ApiError> {
    let missing = input.missing_components.as_deref().unwrap_or_default();
    if missing
        .iter()
        .any(|c| !procedure.components.iter().any(|pc| pc.id == *c))
    {
        return Err(ApiError::invalid_field(
            "missing_components",
            "unknown_component",
            "lists a component that is not the procedure's",
        ));
    }
    if !missing.is_empty() {
        let provided = store::dossiers::components(conn, dossier.id)?;
        let reused: Vec<Id> = provided.iter().filter_map(|c| c.document_id).collect();
        let valid: Vec<Id> = store::documents::many(conn, &reused)?
            .into_iter()
            .filter(|d| documents::is_valid(d.valid_until, today))
            .map(|d| d.id)
            .collect();
        let satisfied = provided.iter().any(|c| {
            missing.contains(&c.component_id) && c.document_id.is_some_and(|d| valid.contains(&d))
        });
        if satisfied {
            return Err(ApiError::invalid_field(
                "missing_components",
                "satisfied_by_document",
                "lists a component the applicant provided as a valid digitized document",
            ));
        }
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
    Ok(())
}

/// The components a supplement brings (none for other actions).
fn supplied(
    conn: &mut DbConn,
    who: &Principal,
    dossier: &Dossier,
    procedure: &ProcedureDetail,
    input: &ActionInput,
    today: chrono::NaiveDate,
) -> Result<Vec<Provided>, ApiError> {
    match &input.components {
        None => Ok(Vec::new()),
        Some(list) => {
            let caller = store::accounts::find(conn, who.account_id)?;
            let caller_national_id = caller
                .as_ref()
                .filter(|_| who.role == Role::Citizen)
                .map(|a| a.national_id.clone().unwrap_or_default());
            check_components(
                conn,
                procedure,
                list,
                &Provider {
                    uploader: who.account_id,
                    applicant_national_id: &dossier.applicant_national_id,
                    caller_national_id: caller_national_id.as_deref(),
                    today,
                },
            )
        }
    }
}

/// The result file a draft or an approval attaches: uploaded by an official of the processing
/// unit. Approving needs one, now or from the draft.
fn result_file(
    conn: &mut DbConn,
    dossier: &Dossier,
    input: &ActionInput,
) -> Result<Option<store::files::File>, ApiError> {
    let Some(file_id) = input.result_file_id else {
        if input.action == Action::Approve
            && dossier.status() == crate::domain::lifecycle::Status::Processing
            && store::documents::result_of(conn, dossier.id)?.is_none()
        {
            return Err(ApiError::invalid_field(
                "result_file_id",
                "required",
                "approving attaches the result file",
            ));
        }
        return Ok(None);
    };
    let file = store::files::find(conn, file_id)?;
    let owner_unit = match &file {
        Some(f) => store::accounts::find(conn, f.owner_id)?.and_then(|a| a.unit_id),
        None => None,
    };
    match file {
        Some(file) if owner_unit == Some(dossier.processing_unit_id) => Ok(Some(file)),
        _ => Err(ApiError::invalid_field(
            "result_file_id",
            "unknown_file",
            "is not a file uploaded by an official of the processing unit",
        )),
    }
}

/// Issues the electronic result of a returned dossier: coded `<dossier code>-KQ<n>`, signed by
/// the processing unit's Ed25519 key, placed in the applicant's store.
fn issue_result(
    conn: &mut DbConn,
    dossier: &Dossier,
    title: String,
    procedure_id: Id,
    by: Id,
    now: chrono::DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    let Some(result) = store::documents::result_of(conn, dossier.id)? else {
        return Ok(serde_json::Map::new());
    };
    let file = store::files::find(conn, result.file_id)?.ok_or(StoreError::NotFound("File"))?;
    let issued = store::documents::results_issued(conn, dossier.id)?;
    let code = documents::result_code(
        dossier.code.as_deref().unwrap_or_default(),
        issued as usize + 1,
    );
    let key = store::documents::signing_key_for(conn, dossier.processing_unit_id)?;
    let signature = crate::signing::sign(
        &key.secret_key,
        &documents::signed_message(&code, &file.sha256),
    )
    .ok_or_else(|| StoreError::Invalid("signing_failed", "the unit's key is unusable".into()))?;
    let document = Document {
        id: Id::new(),
        owner_national_id: dossier.applicant_national_id.clone(),
        kind: DocumentKind::Result.as_str().to_string(),
        title,
        issuing_unit_id: Some(dossier.processing_unit_id),
        issued_on: today,
        valid_until: None,
        sha256: file.sha256,
        content_type: file.content_type,
        size: file.size,
        code: Some(code.clone()),
        result_number: None,
        procedure_id: Some(procedure_id),
        source_dossier_id: Some(dossier.id),
        source_component_id: None,
        signature: Some(signature),
        signing_key_id: Some(key.id),
        digitized_by: Some(by),
        digitized_at: now.naive_utc(),
    };
    store::documents::insert(conn, &document)?;
    store::documents::mark_issued(conn, dossier.id, document.id)?;
    Ok(details_of([
        ("result_code", serde_json::json!(code)),
        ("result_document_id", serde_json::json!(document.id)),
    ]))
}

/// Plans an action on a dossier with the working calendar from the dossier's creation on.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    conn: &mut DbConn,
    dossier: &Dossier,
    procedure: &ProcedureDetail,
    action: Action,
    actor: crate::domain::lifecycle::Actor,
    request: &Request,
    config: &Config,
    now: chrono::DateTime<Utc>,
) -> Result<workflow::Outcome, ApiError> {
    let from = dossier
        .created_at
        .and_utc()
        .with_timezone(&config.time_zone)
        .date_naive();
    let calendar = store::calendar::working_calendar(conn, config, from)?;
    workflow::plan(
        &dossier.facts(),
        action,
        actor,
        request,
        &timing(procedure),
        &calendar,
        now,
    )
    .map_err(refused)
}

/// The answer to a refused action.
pub fn refused(r: Refused) -> ApiError {
    match r {
        Refused::Illegal(message) => ApiError::conflict("illegal_transition", message),
        Refused::NotAllowed(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
        Refused::Invalid { field, message } => ApiError::invalid_field(field, "invalid", message),
    }
}
