//! Dossiers: intake (online by citizens, at the desk by reception officers), reading with the
//! national codes and the clock, the history, the receipt, lists, and the applicant's rating.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{field, not_blank, List, ListParams, ValidJson};
use crate::auth::principal::Caller;
use crate::auth::{policy, Principal};
use crate::db::{self, DbConn};
use crate::domain::accounts::Role;
use crate::domain::codes::{NationalId, PhoneNumber};
use crate::domain::deadline;
use crate::domain::documents::is_valid as is_document_valid;
use crate::domain::lifecycle::{Channel, Status};
use crate::domain::procedures::{is_valid_on, OnlineService};
use crate::domain::rating::Satisfaction;
use crate::domain::timeliness::{self, Timeliness};
use crate::domain::workflow::{Facts, Procedure as Timing};
use crate::error::{ApiError, FieldError};
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::dossiers::{
    Details, Dossier, DossierFilter, Event, Intake, NewDossier, Provided, Rating, Scope,
};
use crate::store::idempotency;
use crate::store::procedures::ProcedureDetail;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_dossier)
        .service(list_dossiers)
        .service(get_dossier)
        .service(dossier_events)
        .service(receipt)
        .service(rate);
}

/// Who applies.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    /// The applicant's 12-digit national id.
    #[validate(length(max = 20))]
    pub national_id: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub full_name: String,
    #[validate(length(max = 20))]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    #[validate(length(max = 500))]
    pub address: Option<String>,
}

/// A component provided with the dossier: an uploaded file (`POST /files`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvidedComponent {
    /// The procedure's component this satisfies.
    pub component_id: Id,
    /// A file the caller uploaded.
    pub file_id: Option<Id>,
    /// Instead of a file: a valid document of the applicant's store (where the component accepts
    /// a digitized copy).
    pub document_id: Option<Id>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDossier {
    pub procedure_id: Id,
    /// `online` (citizens) or `in_person` / `postal` (reception officers at the desk).
    pub channel: Channel,
    /// Required at the desk; online it defaults to the caller.
    #[validate(nested)]
    pub applicant: Option<Applicant>,
    /// Defaults to the receiving unit when it applies the procedure, else to the procedure's
    /// only applying unit.
    pub processing_unit_id: Option<Id>,
    /// At the desk: the officer's unit (the default). Online: defaults to the processing unit.
    pub receiving_unit_id: Option<Id>,
    #[serde(default)]
    #[validate(length(max = 50))]
    pub components: Vec<ProvidedComponent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    pub component_id: Id,
    pub file_id: Option<Id>,
    /// A stored document reused instead of an upload.
    pub document_id: Option<Id>,
    pub added_at: DateTime<Utc>,
}

/// A dossier as clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierView {
    pub id: Id,
    /// `<receiving unit code>-<yyMMdd>-<NNNN>`, given on receipt; null before.
    pub code: Option<String>,
    pub status: Status,
    /// The state's code on the national portal (1–10).
    pub national_status_code: i32,
    pub channel: Channel,
    /// The channel's code on the national portal (online 2, in person 1, postal 3).
    pub national_channel_code: i32,
    pub procedure_id: Id,
    pub receiving_unit_id: Id,
    pub processing_unit_id: Id,
    pub applicant: Applicant,
    pub submitted_at: Option<DateTime<Utc>>,
    /// An online dossier must be received by then (8 working hours after submission).
    pub reception_due_at: Option<DateTime<Utc>>,
    /// Whether it was left unreceived past `reception_due_at`.
    pub reception_overdue: bool,
    pub received_at: Option<DateTime<Utc>>,
    /// The appointment, moved later by the time paused for supplements.
    pub due_at: Option<DateTime<Utc>>,
    /// The new appointment given by an apology letter (the original still judges timeliness).
    pub apology_due_at: Option<DateTime<Utc>>,
    /// Processing time paused while waiting for supplements, in seconds of the procedure's
    /// kind of time.
    pub paused_seconds: i64,
    /// Set while waiting for a supplement: when it was requested.
    pub paused_at: Option<DateTime<Utc>>,
    pub supplement_requests: i32,
    pub assigned_specialist_id: Option<Id>,
    pub draft_submitted: bool,
    pub finished_at: Option<DateTime<Utc>>,
    /// `early`, `on_time`, `late`; for open dossiers `in_time` or `overdue` as of now; null
    /// before receipt.
    pub timeliness: Option<Timeliness>,
    /// The components provided (on single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentView>>,
    /// The fee, frozen at submission, and its payments (on single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee: Option<super::fees::DossierFeeView>,
    /// Also sent as `ETag`; send it back as `If-Match` to act.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new dossier's details, from what its intake stores (nothing to read back), in the order
/// [`store::dossiers::details`] reads them.
pub fn intake_details(intake: &store::dossiers::Intake) -> Details {
    let mut components = store::dossiers::component_rows(intake);
    components.sort_by_key(|c| c.component_id);
    Details {
        components,
        fees: intake.fees.clone(),
        payments: Vec::new(),
    }
}

pub fn view(
    d: Dossier,
    details: Option<Details>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> DossierView {
    let (components, fee) = match details {
        Some(details) => (
            Some(details.components),
            Some(super::fees::fee_view(details.fees, details.payments)),
        ),
        None => (None, None),
    };
    let status = d.status();
    let channel = d.channel();
    let reception_due_at = d.reception_due_at.map(|t| t.and_utc());
    let received_at = d.received_at.map(|t| t.and_utc());
    let reception_overdue = match (reception_due_at, received_at) {
        (Some(limit), Some(received)) => received > limit,
        (Some(limit), None) => status == Status::Submitted && now > limit,
        _ => false,
    };
    DossierView {
        timeliness: timeliness::of_dossier(d.clock(), now, tz),
        id: d.id,
        code: d.code,
        status,
        national_status_code: status.national_code(),
        channel,
        national_channel_code: channel.national_code(),
        procedure_id: d.procedure_id,
        receiving_unit_id: d.receiving_unit_id,
        processing_unit_id: d.processing_unit_id,
        applicant: Applicant {
            national_id: d.applicant_national_id,
            full_name: d.applicant_full_name,
            phone: d.applicant_phone,
            email: d.applicant_email,
            address: d.applicant_address,
        },
        submitted_at: d.submitted_at.map(|t| t.and_utc()),
        reception_due_at,
        reception_overdue,
        received_at,
        due_at: d.due_at.map(|t| t.and_utc()),
        apology_due_at: d.apology_due_at.map(|t| t.and_utc()),
        paused_seconds: d.paused_seconds,
        paused_at: d.paused_at.map(|t| t.and_utc()),
        supplement_requests: d.supplement_requests,
        assigned_specialist_id: d.assigned_specialist_id,
        draft_submitted: d.draft_submitted,
        finished_at: d.finished_at.map(|t| t.and_utc()),
        components: components.map(|list| {
            list.into_iter()
                .map(|c| ComponentView {
                    component_id: c.component_id,
                    file_id: c.file_id,
                    document_id: c.document_id,
                    added_at: c.added_at.and_utc(),
                })
                .collect()
        }),
        fee,
        version: d.version,
        created_at: d.created_at.and_utc(),
        updated_at: d.updated_at.and_utc(),
    }
}

/// A dossier answer with its `ETag`.
pub fn respond(status: actix_web::http::StatusCode, view: &DossierView) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::ETAG, format!("\"{}\"", view.version)));
    if status == actix_web::http::StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/api/v1/dossiers/{}", view.id)));
    }
    response.json(view)
}

/// The timing a procedure gives its dossiers.
pub fn timing(p: &ProcedureDetail) -> Timing {
    Timing {
        amount: p.procedure.processing_amount as u32,
        unit: p.procedure.processing_unit(),
        steps: p.steps.iter().map(|s| (s.name.clone(), s.share)).collect(),
    }
}

/// The caller's dossier scope, or 403 for accounts that see no dossier.
pub fn scope_of(who: &Principal) -> Result<Scope, ApiError> {
    policy::dossier_scope(who).ok_or_else(ApiError::forbidden)
}

/// Who provides components, for whom.
pub struct Provider<'a> {
    /// The caller: files must be theirs.
    pub uploader: Id,
    /// The applicant: reused documents must be theirs.
    pub applicant_national_id: &'a str,
    /// A citizen may reuse only their own documents, even for another applicant.
    pub caller_national_id: Option<&'a str>,
    pub today: chrono::NaiveDate,
}

/// Checks provided components against the procedure: each a component of it, once, with either a
/// file the caller uploaded or a valid document of the applicant's store that the component
/// accepts as a digitized copy. Someone else's or an unknown document answers 404.
pub fn check_components(
    conn: &mut DbConn,
    procedure: &ProcedureDetail,
    provided: &[ProvidedComponent],
    by: &Provider<'_>,
) -> Result<Vec<Provided>, ApiError> {
    let file_ids: Vec<Id> = provided.iter().filter_map(|c| c.file_id).collect();
    let owned = store::files::owned(conn, by.uploader, &file_ids)?;
    let document_ids: Vec<Id> = provided.iter().filter_map(|c| c.document_id).collect();
    let documents = store::documents::many(conn, &document_ids)?;
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, c) in provided.iter().enumerate() {
        let component = procedure
            .components
            .iter()
            .find(|pc| pc.id == c.component_id);
        let problem = match (component, c.file_id, c.document_id) {
            (None, _, _) => Some((
                "",
                "unknown_component",
                "is not a component of this procedure",
            )),
            _ if !seen.insert(c.component_id) => Some(("", "duplicate", "is listed twice")),
            (_, None, None) | (_, Some(_), Some(_)) => {
                Some(("", "required", "needs either a file_id or a document_id"))
            }
            (_, Some(file), None) if !owned.iter().any(|f| f.id == file) => Some((
                ".file_id",
                "unknown_file",
                "names a file you did not upload",
            )),
            (Some(pc), None, Some(document)) => {
                let found = documents.iter().find(|d| {
                    d.id == document
                        && d.owner_national_id == by.applicant_national_id
                        && by
                            .caller_national_id
                            .is_none_or(|me| me == d.owner_national_id)
                });
                let Some(found) = found else {
                    return Err(ApiError::not_found("Document"));
                };
                if !pc.digitized_copy_accepted {
                    Some((
                        ".document_id",
                        "copy_not_accepted",
                        "does not accept a digitized copy: upload the paper's scan",
                    ))
                } else if !is_document_valid(found.valid_until, by.today) {
                    Some((
                        ".document_id",
                        "expired_document",
                        "names a document whose validity has ended",
                    ))
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some((suffix, code, message)) = problem {
            errors.push(FieldError {
                field: format!("components[{i}]{suffix}"),
                code: code.to_string(),
                message: format!("component {} {message}", c.component_id),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(provided
        .iter()
        .map(|c| Provided {
            component_id: c.component_id,
            file_id: c.file_id,
            document_id: c.document_id,
        })
        .collect())
}

/// The `Idempotency-Key` header: 1 to 200 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("");
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must have 1 to 200 visible ASCII characters.",
        ));
    }
    Ok(Some(key.to_string()))
}

/// Submit a dossier online (citizens), or record one brought to the desk or sent by post
/// (reception officers; it starts received, with its code and appointment).
#[utoipa::path(
    tag = "dossiers",
    request_body = CreateDossier,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the first answer and creates nothing")),
    responses(
        (status = 201, description = "The new dossier", body = DossierView, headers(("ETag" = String, description = "The version"))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "The caller may not use this channel or unit"),
        (status = 404, description = "A reused document that does not exist or is not the applicant's"),
        (status = 422, description = "Invalid fields; a procedure not online, not valid today or missing mandatory components; an idempotency key reused with another body"),
    ),
    security(("bearer" = []))
)]
#[post("/dossiers")]
async fn create_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: ValidJson<CreateDossier>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let body = body.0;
    let request_hash = hex::encode(Sha256::digest(
        serde_json::to_vec(&body).unwrap_or_default(),
    ));
    let config = state.config.clone();
    let (status, json) = state
        .db(move |conn| {
            let (who, account) = caller.account(conn)?;
            if let Some(key) = &key {
                if let Some(record) = idempotency::find(conn, who.account_id, key)? {
                    return replay(record, &request_hash);
                }
            }
            let now = db::now().and_utc();
            let intake = intake(conn, &who, &account, body, &config, now)?;
            let tz = config.time_zone;
            let created = db::write(conn, |conn| {
                let details = intake_details(&intake);
                let dossier = store::dossiers::insert(conn, intake)?;
                let json = serde_json::to_string(&view(dossier, Some(details), now, tz))
                    .map_err(ApiError::internal)?;
                if let Some(key) = &key {
                    idempotency::save(
                        conn,
                        &idempotency::Record {
                            account_id: who.account_id,
                            key: key.clone(),
                            request_hash: request_hash.clone(),
                            response_status: 201,
                            response_body: json.clone(),
                            created_at: now.naive_utc(),
                        },
                    )?;
                }
                Ok::<_, ApiError>(json)
            });
            match (created, &key) {
                (Ok(json), _) => Ok((201, json)),
                // The same key raced in from a concurrent retry: answer what it stored.
                (Err(e), Some(key)) if e.code == "already_exists" => {
                    let record = idempotency::find(conn, who.account_id, key)?.ok_or(e)?;
                    replay(record, &request_hash)
                }
                (Err(e), _) => Err(e),
            }
        })
        .await?;
    let view: serde_json::Value = serde_json::from_str(&json).map_err(ApiError::internal)?;
    let status = actix_web::http::StatusCode::from_u16(status).map_err(ApiError::internal)?;
    let id = view["id"].as_str().unwrap_or_default().to_string();
    Ok(HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{}\"", view["version"])))
        .insert_header((header::LOCATION, format!("/api/v1/dossiers/{id}")))
        .content_type("application/json")
        .body(json))
}

fn replay(record: idempotency::Record, request_hash: &str) -> Result<(u16, String), ApiError> {
    if record.request_hash != request_hash {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "This Idempotency-Key was used with another request.",
        ));
    }
    Ok((record.response_status as u16, record.response_body))
}

/// Checks an intake request by `who` (whose account `caller` is) and builds the dossier to
/// store.
pub(crate) fn intake(
    conn: &mut DbConn,
    who: &Principal,
    caller: &store::accounts::Account,
    body: CreateDossier,
    config: &crate::config::Config,
    now: DateTime<Utc>,
) -> Result<Intake, ApiError> {
    let procedure = store::procedures::get(conn, body.procedure_id).map_err(|e| match e {
        crate::error::StoreError::NotFound(_) => {
            ApiError::invalid_field("procedure_id", "unknown", "is not a procedure")
        }
        other => other.into(),
    })?;
    let today = now.with_timezone(&config.time_zone).date_naive();
    if !is_valid_on(
        procedure.procedure.valid_from,
        procedure.procedure.valid_to,
        today,
    ) {
        return Err(ApiError::unprocessable(
            "procedure_not_valid",
            "This procedure is not valid today.",
        ));
    }
    let online = body.channel == Channel::Online;
    // Who may use the channel, and which unit receives.
    let receiving_unit_id = if online {
        if who.role != Role::Citizen {
            return Err(ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "forbidden",
                "Online submission is for citizens and businesses; officials record desk intake.",
            ));
        }
        if procedure.procedure.online_service() == OnlineService::None {
            return Err(ApiError::unprocessable(
                "not_online",
                "This procedure cannot be submitted online.",
            ));
        }
        body.receiving_unit_id
    } else {
        let unit = who
            .unit_id
            .filter(|_| who.role == Role::Reception)
            .ok_or_else(|| {
                ApiError::new(
                    actix_web::http::StatusCode::FORBIDDEN,
                    "forbidden",
                    "Desk and postal intake is recorded by reception officers.",
                )
            })?;
        if body.receiving_unit_id.is_some_and(|u| u != unit) {
            return Err(ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "forbidden",
                "A reception officer records intake for their own unit.",
            ));
        }
        Some(unit)
    };
    let processing_unit_id = match body.processing_unit_id {
        Some(unit) if procedure.unit_ids.contains(&unit) => unit,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "processing_unit_id",
                "not_applying",
                "this unit does not apply the procedure",
            ))
        }
        None => match receiving_unit_id {
            Some(unit) if procedure.unit_ids.contains(&unit) => unit,
            _ if procedure.unit_ids.len() == 1 => procedure.unit_ids[0],
            _ => {
                return Err(ApiError::invalid_field(
                    "processing_unit_id",
                    "required",
                    "several units apply this procedure: choose one",
                ))
            }
        },
    };
    let receiving_unit_id = receiving_unit_id.unwrap_or(processing_unit_id);
    let receiving_unit = store::units::require(conn, receiving_unit_id)?;
    // The applicant.
    let applicant = match (body.applicant, online) {
        (Some(a), _) => a,
        (None, true) => Applicant {
            national_id: caller.national_id.clone().unwrap_or_default(),
            full_name: caller.full_name.clone(),
            phone: caller.phone.clone(),
            email: caller.email.clone(),
            address: None,
        },
        (None, false) => {
            return Err(ApiError::invalid_field(
                "applicant",
                "required",
                "give the applicant's national id and name",
            ))
        }
    };
    let national_id = field(
        "applicant.national_id",
        NationalId::parse(&applicant.national_id),
    )?;
    if online && caller.national_id.as_deref() != Some(national_id.as_str()) {
        return Err(ApiError::invalid_field(
            "applicant.national_id",
            "not_yours",
            "online, a citizen applies in their own name",
        ));
    }
    let phone = applicant
        .phone
        .as_deref()
        .map(|p| field("applicant.phone", PhoneNumber::parse(p)).map(|p| p.as_str().to_string()))
        .transpose()?;
    let applicant_account_id = if online {
        Some(who.account_id)
    } else {
        store::accounts::find_by_username(conn, national_id.as_str())?
            .filter(|a| a.role() == Role::Citizen)
            .map(|a| a.id)
    };
    // Components: online, every mandatory one must be there.
    let components = check_components(
        conn,
        &procedure,
        &body.components,
        &Provider {
            uploader: who.account_id,
            applicant_national_id: national_id.as_str(),
            caller_national_id: online.then_some(caller.national_id.as_deref().unwrap_or("")),
            today,
        },
    )?;
    if online {
        let missing: Vec<FieldError> = procedure
            .components
            .iter()
            .filter(|pc| pc.mandatory && !components.iter().any(|c| c.component_id == pc.id))
            .map(|pc| FieldError {
                field: "components".to_string(),
                code: "missing_component".to_string(),
                message: format!(
                    "the mandatory component \"{}\" ({}) is missing",
                    pc.name, pc.id
                ),
            })
            .collect();
        if !missing.is_empty() {
            let mut e =
                ApiError::unprocessable("missing_components", "Mandatory components are missing.");
            e.errors = missing;
            return Err(e);
        }
    }
    let calendar = store::calendar::working_calendar(conn, config, today)?;
    let mut facts = Facts::new(if online {
        Status::Submitted
    } else {
        Status::Received
    });
    if !online {
        facts.receive(now, &timing(&procedure), &calendar);
    }
    let at = now.naive_utc();
    let dossier = Dossier::new(
        NewDossier {
            id: Id::new(),
            code: None,
            procedure_id: procedure.procedure.id,
            channel: body.channel,
            receiving_unit_id,
            processing_unit_id,
            applicant_account_id,
            applicant_national_id: national_id.as_str().to_string(),
            applicant_full_name: applicant.full_name.trim().to_string(),
            applicant_phone: phone,
            applicant_email: applicant.email,
            applicant_address: applicant.address.map(|a| a.trim().to_string()),
            submitted_at: online.then_some(at),
            reception_due_at: online.then(|| deadline::reception_due(&calendar, now).naive_utc()),
            version: 1,
            created_by: who.account_id,
            created_at: at,
            updated_at: at,
        },
        &facts,
    );
    let lines = super::fees::quote(conn, &procedure, body.channel, today, processing_unit_id)?;
    Ok(Intake {
        fees: super::fees::freeze(dossier.id, &lines),
        dossier,
        components,
        receiving_unit_code: receiving_unit.code,
        tz: config.time_zone,
        notify: config.notifications.channels(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DossierQuery {
    pub status: Option<Status>,
    pub channel: Option<Channel>,
    pub procedure_id: Option<Id>,
    pub receiving_unit_id: Option<Id>,
    pub processing_unit_id: Option<Id>,
    /// Only dossiers assigned to the calling specialist.
    #[serde(default)]
    pub assigned_to_me: bool,
    /// Only open dossiers that are overdue: past their appointment and not waiting for a
    /// supplement, or marked late by a second supplement request.
    #[serde(default)]
    pub overdue: bool,
    /// Only online dossiers still waiting at the desk past their 8-working-hour limit.
    #[serde(default)]
    pub reception_overdue: bool,
    /// Submitted at or after (RFC 3339).
    pub submitted_from: Option<DateTime<FixedOffset>>,
    /// Submitted before (RFC 3339).
    pub submitted_to: Option<DateTime<FixedOffset>>,
    pub received_from: Option<DateTime<FixedOffset>>,
    pub received_to: Option<DateTime<FixedOffset>>,
    pub due_from: Option<DateTime<FixedOffset>>,
    pub due_to: Option<DateTime<FixedOffset>>,
}

fn naive(t: Option<DateTime<FixedOffset>>) -> Option<chrono::NaiveDateTime> {
    t.map(|t| t.naive_utc())
}

/// List the dossiers the caller may see: a citizen their own, officials their unit's (a leader
/// their subtree's), supervisors all.
#[utoipa::path(
    tag = "dossiers",
    params(DossierQuery, ListParams),
    responses(
        (status = 200, description = "A page of dossiers, oldest first", body = List<DossierView>),
        (status = 400, description = "Invalid query parameters"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "The caller's role sees no dossier"),
    ),
    security(("bearer" = []))
)]
#[get("/dossiers")]
async fn list_dossiers(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<DossierQuery>,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<DossierView>>, ApiError> {
    let scope = scope_of(&who)?;
    let page = list.page(&state.config.limits)?;
    let q = query.into_inner();
    let now = db::now().and_utc();
    let filter = DossierFilter {
        status: q.status,
        channel: q.channel,
        procedure_id: q.procedure_id,
        receiving_unit_id: q.receiving_unit_id,
        processing_unit_id: q.processing_unit_id,
        assigned_to: q.assigned_to_me.then_some(who.account_id),
        submitted: (naive(q.submitted_from), naive(q.submitted_to)),
        received: (naive(q.received_from), naive(q.received_to)),
        due: (naive(q.due_from), naive(q.due_to)),
        overdue_at: q.overdue.then(|| now.naive_utc()),
        reception_overdue_at: q.reception_overdue.then(|| now.naive_utc()),
    };
    let (rows, next) = state
        .db(move |conn| Ok(store::dossiers::list(conn, &scope, &filter, page)?))
        .await?;
    let tz = state.config.time_zone;
    Ok(web::Json(List::new(
        rows.into_iter().map(|d| view(d, None, now, tz)).collect(),
        next,
    )))
}

/// Loads a dossier the caller may see, or 404.
pub fn visible_dossier(conn: &mut DbConn, who: &Principal, id: Id) -> Result<Dossier, ApiError> {
    let scope = policy::dossier_scope(who).ok_or_else(|| ApiError::not_found("Dossier"))?;
    store::dossiers::find_visible(conn, id, &scope)?.ok_or_else(|| ApiError::not_found("Dossier"))
}

/// The dossier `id` if the token's caller may see it (404 otherwise; 401 for a bad account):
/// for an account, read joined with the account in one statement and checked with
/// [`Scope::admits`](store::dossiers::Scope::admits), as [`visible_dossier`] would filter it.
fn caller_dossier(
    conn: &mut DbConn,
    caller: Caller,
    id: Id,
) -> Result<(Dossier, Details), ApiError> {
    let Some((account, generation)) = caller.token_account() else {
        let who = caller.principal(conn)?;
        let dossier = visible_dossier(conn, &who, id)?;
        return Ok((dossier, store::dossiers::details(conn, id)?));
    };
    let (account, dossier) = store::dossiers::with_account(conn, account, id)?.unzip();
    let who = Principal::of_account(account.as_ref(), Some(generation))?;
    let scope = policy::dossier_scope(&who).ok_or_else(|| ApiError::not_found("Dossier"))?;
    match dossier
        .flatten()
        .map(|(d, details)| (scope.admits(&d), d, details))
    {
        Some((Some(true), d, details)) => Ok((d, details)),
        Some((None, _, details)) => Ok((visible_dossier(conn, &who, id)?, details)),
        _ => Err(ApiError::not_found("Dossier")),
    }
}

/// One dossier, with its components; `ETag` carries its version.
#[utoipa::path(
    tag = "dossiers",
    params(("id" = Id, Path, description = "The dossier's id")),
    responses(
        (status = 200, description = "The dossier", body = DossierView, headers(("ETag" = String, description = "The version"))),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such dossier, or not one the caller may see"),
    ),
    security(("bearer" = []))
)]
#[get("/dossiers/{id}")]
async fn get_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // The hottest read: one statement reads the caller's account, the dossier and its details.
    let (dossier, details) = state
        .db(move |conn| caller_dossier(conn, caller, id))
        .await?;
    let view = view(
        dossier,
        Some(details),
        chrono::Utc::now(),
        state.config.time_zone,
    );
    Ok(respond(actix_web::http::StatusCode::OK, &view))
}

/// One entry of a dossier's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// 1 for the submission or desk record, then one more per action.
    pub seq: i32,
    /// `submit`, `record`, or the action taken.
    pub action: String,
    pub actor_id: Option<Id>,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub note: Option<String>,
    /// The action's own fields (reason, missing components, new appointment, code…).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// The control sheet's step this action closed, with its deadline and judgement.
    pub step_name: Option<String>,
    pub step_due_at: Option<DateTime<Utc>>,
    pub step_timeliness: Option<Timeliness>,
    pub at: DateTime<Utc>,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        EventView {
            seq: e.seq,
            action: e.action,
            actor_id: e.actor_id,
            from_status: e.from_status.as_deref().and_then(Status::parse),
            to_status: Status::parse(&e.to_status).unwrap_or(Status::Submitted),
            note: e.note,
            details: serde_json::from_str(&e.details).unwrap_or_default(),
            step_name: e.step_name,
            step_due_at: e.step_due_at.map(|t| t.and_utc()),
            step_timeliness: e.step_timeliness.as_deref().and_then(Timeliness::parse),
            at: e.at.and_utc(),
        }
    }
}

/// A dossier's history, oldest first: who did what, when, from which state to which.
#[utoipa::path(
    tag = "dossiers",
    params(("id" = Id, Path, description = "The dossier's id")),
    responses(
        (status = 200, description = "The history", body = Vec<EventView>),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such dossier, or not one the caller may see"),
    ),
    security(("bearer" = []))
)]
#[get("/dossiers/{id}/events")]
async fn dossier_events(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<web::Json<Vec<EventView>>, ApiError> {
    let id = id.into_inner();
    let events = state
        .db(move |conn| {
            visible_dossier(conn, &who, id)?;
            Ok(store::dossiers::events(conn, id)?)
        })
        .await?;
    Ok(web::Json(events.into_iter().map(EventView::from).collect()))
}

/// The receipt with appointment (phiếu tiếp nhận và hẹn trả kết quả).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    pub dossier_id: Id,
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub receiving_unit: String,
    pub processing_unit: String,
    pub applicant_name: String,
    pub applicant_national_id: String,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    /// The appointment for the result.
    pub due_at: DateTime<Utc>,
    /// The same instants in the service's time zone, as printed.
    pub received_at_local: DateTime<FixedOffset>,
    pub due_at_local: DateTime<FixedOffset>,
    /// The components received.
    pub components: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// `json` (the default) or `html` (a printable page); `Accept: text/html` also gives HTML.
    #[param(pattern = "^(json|html)$")]
    pub format: Option<String>,
}

/// The receipt of a received dossier, as JSON or as a printable HTML page.
#[utoipa::path(
    tag = "dossiers",
    params(("id" = Id, Path, description = "The dossier's id"), ReceiptQuery),
    responses(
        (status = 200, description = "The receipt: JSON, or a printable page with format=html", content(
            (ReceiptView = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "An unknown format"),
        (status = 401, description = "No valid access token"),
        (status = 404, description = "No such dossier, or not one the caller may see"),
        (status = 409, description = "The dossier has not been received"),
    ),
    security(("bearer" = []))
)]
#[get("/dossiers/{id}/receipt")]
async fn receipt(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    query: web::Query<ReceiptQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let html = match query.format.as_deref() {
        Some("html") => true,
        Some("json") => false,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html")),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "format is json or html.",
            ))
        }
    };
    let id = id.into_inner();
    let tz = state.config.time_zone;
    let receipt = state
        .db(move |conn| {
            let d = visible_dossier(conn, &who, id)?;
            let (Some(code), Some(received_at), Some(due_at)) =
                (d.code.clone(), d.received_at, d.due_at)
            else {
                return Err(ApiError::conflict(
                    "not_received",
                    "The dossier has not been received: it has no receipt yet.",
                ));
            };
            let procedure = store::procedures::get(conn, d.procedure_id)?;
            let unit_name = |conn: &mut DbConn, unit| -> Result<String, ApiError> {
                Ok(store::units::find(conn, unit)?
                    .map(|u| u.name)
                    .unwrap_or_default())
            };
            let provided = store::dossiers::components(conn, id)?;
            let components = procedure
                .components
                .iter()
                .filter(|pc| provided.iter().any(|c| c.component_id == pc.id))
                .map(|pc| pc.name.clone())
                .collect();
            Ok(ReceiptView {
                dossier_id: d.id,
                code,
                procedure_code: procedure.procedure.code.clone(),
                procedure_name: procedure.procedure.name.clone(),
                receiving_unit: unit_name(conn, d.receiving_unit_id)?,
                processing_unit: unit_name(conn, d.processing_unit_id)?,
                applicant_name: d.applicant_full_name.clone(),
                applicant_national_id: d.applicant_national_id.clone(),
                channel: d.channel(),
                received_at: received_at.and_utc(),
                due_at: due_at.and_utc(),
                received_at_local: received_at.and_utc().with_timezone(&tz).fixed_offset(),
                due_at_local: due_at.and_utc().with_timezone(&tz).fixed_offset(),
                components,
            })
        })
        .await?;
    if html {
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(receipt_html(&receipt)))
    } else {
        Ok(HttpResponse::Ok().json(receipt))
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The printable receipt, in Vietnamese.
fn receipt_html(r: &ReceiptView) -> String {
    let components: String = r
        .components
        .iter()
        .map(|c| format!("<li>{}</li>", escape(c)))
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Phiếu tiếp nhận {code}</title>
<style>body{{font-family:"Times New Roman",serif;max-width:48em;margin:2em auto}}h1{{text-align:center;font-size:1.3em}}td{{padding:.2em .6em;vertical-align:top}}@media print{{body{{margin:0}}}}</style>
</head><body>
<p>{receiving}</p>
<h1>PHIẾU TIẾP NHẬN VÀ HẸN TRẢ KẾT QUẢ</h1>
<table>
<tr><td>Mã hồ sơ:</td><td><strong>{code}</strong></td></tr>
<tr><td>Thủ tục:</td><td>{procedure} ({procedure_code})</td></tr>
<tr><td>Người nộp:</td><td>{applicant} — số định danh {national_id}</td></tr>
<tr><td>Cơ quan giải quyết:</td><td>{processing}</td></tr>
<tr><td>Tiếp nhận lúc:</td><td>{received}</td></tr>
<tr><td>Hẹn trả kết quả:</td><td><strong>{due}</strong></td></tr>
</table>
<p>Thành phần hồ sơ đã nhận:</p><ul>{components}</ul>
</body></html>
"#,
        code = escape(&r.code),
        receiving = escape(&r.receiving_unit),
        procedure = escape(&r.procedure_name),
        procedure_code = escape(&r.procedure_code),
        applicant = escape(&r.applicant_name),
        national_id = escape(&r.applicant_national_id),
        processing = escape(&r.processing_unit),
        received = r.received_at_local.format("%H:%M ngày %d/%m/%Y"),
        due = r.due_at_local.format("%H:%M ngày %d/%m/%Y"),
        components = components,
    )
}

/// The applicant's rating of the handling.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    pub rating: Satisfaction,
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    pub dossier_id: Id,
    pub rating: Satisfaction,
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
}

/// Rate the handling of a returned dossier (its applicant, once).
#[utoipa::path(
    tag = "dossiers",
    params(("id" = Id, Path, description = "The dossier's id")),
    request_body = RatingInput,
    responses(
        (status = 201, description = "The rating", body = RatingView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only the applicant rates"),
        (status = 404, description = "No such dossier, or not one the caller may see"),
        (status = 409, description = "Not returned yet, or already rated"),
    ),
    security(("bearer" = []))
)]
#[post("/dossiers/{id}/rating")]
async fn rate(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<RatingInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.0;
    let tz = state.config.time_zone;
    let rating = state
        .db(move |conn| {
            let d = visible_dossier(conn, &who, id)?;
            if d.applicant_account_id != Some(who.account_id) {
                return Err(ApiError::forbidden());
            }
            if d.status() != Status::Returned {
                return Err(ApiError::conflict(
                    "not_returned",
                    "A dossier is rated once its result has been returned.",
                ));
            }
            let rating = Rating {
                dossier_id: id,
                rating: input.rating.as_str().to_string(),
                comment: input
                    .comment
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
                rated_at: db::now(),
            };
            store::dossiers::rate(conn, &rating, tz)?;
            Ok(rating)
        })
        .await?;
    Ok(HttpResponse::Created().json(RatingView {
        dossier_id: rating.dossier_id,
        rating: Satisfaction::parse(&rating.rating).unwrap_or(Satisfaction::Normal),
        comment: rating.comment,
        rated_at: rating.rated_at.and_utc(),
    }))
}
