//! Importing legacy dossiers (administrators): NDJSON, one dossier per line, with its procedure
//! and unit codes, channel, applicant, appointment and timestamped history of status changes
//! (names or national status codes). Every line is checked first; a batch with any error is
//! refused whole, with errors naming the line and the field; otherwise it is stored in one
//! transaction and counts in the reports like native dossiers. Its fee is computed as at its
//! submission (the discount policies then in force for its channel) and frozen. The same function serves the
//! endpoint and `motcua import dossiers FILE`.

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dossiers::timing;
use crate::auth::Principal;
use crate::config::Config;
use crate::db::{self, DbConn};
use crate::domain::accounts::Role;
use crate::domain::codes::NationalId;
use crate::domain::deadline;
use crate::domain::imports::{self, Change};
use crate::domain::lifecycle::{Channel, Status};
use crate::domain::rating::Satisfaction;
use crate::error::{ApiError, FieldError};
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::dossiers::{Dossier, Event, NewDossier, Rating};

/// The most lines one batch takes.
pub const MAX_LINES: usize = 10_000;
/// The most changes in one dossier's history.
pub const MAX_HISTORY: usize = 100;
/// The most errors reported for a refused batch.
const MAX_ERRORS: usize = 100;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_dossiers);
}

/// A status by name (`received`) or by national code (`2`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StatusName {
    Code(i32),
    Name(String),
}

impl StatusName {
    fn status(&self) -> Option<Status> {
        match self {
            StatusName::Code(code) => Status::ALL
                .iter()
                .copied()
                .find(|s| s.national_code() == *code),
            StatusName::Name(name) => Status::parse(name),
        }
    }
}

/// A channel by name (`online`) or by national code (`2`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ChannelName {
    Code(i32),
    Name(String),
}

impl ChannelName {
    fn channel(&self) -> Option<Channel> {
        match self {
            ChannelName::Code(code) => Channel::ALL
                .iter()
                .copied()
                .find(|c| c.national_code() == *code),
            ChannelName::Name(name) => Channel::parse(name),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyApplicant {
    national_id: String,
    full_name: String,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyChange {
    status: StatusName,
    at: DateTime<FixedOffset>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyRating {
    rating: Satisfaction,
    at: DateTime<FixedOffset>,
    comment: Option<String>,
}

/// One line of the import file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyDossier {
    /// The legacy dossier code, kept; one is made on the day of receipt when absent.
    code: Option<String>,
    procedure_code: String,
    receiving_unit_code: String,
    /// Defaults to the receiving unit.
    processing_unit_code: Option<String>,
    channel: ChannelName,
    applicant: LegacyApplicant,
    /// The appointment on the receipt; computed from the procedure when absent.
    appointment: Option<DateTime<FixedOffset>>,
    history: Vec<LegacyChange>,
    rating: Option<LegacyRating>,
}

/// A line checked and ready to store.
struct Prepared {
    dossier: Dossier,
    fees: Vec<store::fees::DossierFee>,
    events: Vec<Event>,
    rating: Option<Rating>,
    receiving_unit_code: String,
}

/// Collects the errors of one line.
struct LineErrors<'a> {
    line: usize,
    errors: &'a mut Vec<FieldError>,
}

impl LineErrors<'_> {
    fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: if field.is_empty() {
                format!("line {}", self.line)
            } else {
                format!("line {}: {field}", self.line)
            },
            code: code.to_string(),
            message: message.into(),
        });
    }
}

fn text_ok(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max
}

/// Checks one line and replays its history; `None` when it has errors (added to `errors`).
fn prepare(
    conn: &mut DbConn,
    config: &Config,
    by: Id,
    line: usize,
    text: &str,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<Prepared>, ApiError> {
    let mut e = LineErrors { line, errors };
    let input: LegacyDossier = match serde_json::from_str(text) {
        Ok(input) => input,
        Err(err) => {
            e.add("", "invalid_json", err.to_string());
            return Ok(None);
        }
    };
    let before = e.errors.len();
    let channel = input.channel.channel();
    if channel.is_none() {
        e.add(
            "channel",
            "unknown_channel",
            "online, in_person, postal (or 2, 1, 3)",
        );
    }
    let national_id = NationalId::parse(&input.applicant.national_id)
        .map_err(|m| e.add("applicant.national_id", "invalid", m))
        .ok();
    if !text_ok(&input.applicant.full_name, 200) {
        e.add(
            "applicant.full_name",
            "invalid",
            "1 to 200 characters, not blank",
        );
    }
    for (field, value) in [
        ("applicant.phone", &input.applicant.phone),
        ("applicant.email", &input.applicant.email),
        ("applicant.address", &input.applicant.address),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > 300) {
            e.add(field, "too_long", "at most 300 characters");
        }
    }
    if let Some(code) = &input.code {
        if !text_ok(code, 100) || !code.chars().all(|c| c.is_ascii_graphic()) {
            e.add("code", "invalid", "1 to 100 visible ASCII characters");
        }
    }
    let receiving = store::units::by_code(conn, &input.receiving_unit_code)?;
    if receiving.is_none() {
        e.add(
            "receiving_unit_code",
            "unknown_unit",
            "no unit has this code",
        );
    }
    let processing = match &input.processing_unit_code {
        Some(code) => {
            let unit = store::units::by_code(conn, code)?;
            if unit.is_none() {
                e.add(
                    "processing_unit_code",
                    "unknown_unit",
                    "no unit has this code",
                );
            }
            unit
        }
        None => receiving.clone(),
    };
    if input.history.len() > MAX_HISTORY {
        e.add(
            "history",
            "too_long",
            format!("at most {MAX_HISTORY} changes"),
        );
        return Ok(None);
    }
    let mut history = Vec::new();
    for (i, change) in input.history.iter().enumerate() {
        let Some(status) = change.status.status() else {
            e.add(
                &format!("history[{i}].status"),
                "unknown_status",
                "a status name or a national status code from 1 to 10",
            );
            continue;
        };
        if change
            .note
            .as_ref()
            .is_some_and(|n| n.chars().count() > 2000)
        {
            e.add(
                &format!("history[{i}].note"),
                "too_long",
                "at most 2000 characters",
            );
        }
        history.push(Change {
            status,
            at: change.at.with_timezone(&Utc),
            note: change.note.clone(),
        });
    }
    let first_day = history
        .first()
        .map(|c| c.at.with_timezone(&config.time_zone).date_naive());
    let versions = store::procedures::versions_of(conn, &input.procedure_code)?;
    let version = versions
        .iter()
        .rev()
        .find(|p| {
            first_day
                .is_some_and(|day| p.valid_from <= day && p.valid_to.is_none_or(|to| day <= to))
        })
        .or(versions.last());
    if version.is_none() {
        e.add(
            "procedure_code",
            "unknown_procedure",
            "no procedure has this code",
        );
    }
    if e.errors.len() > before {
        return Ok(None);
    }
    let (Some(channel), Some(national_id), Some(receiving), Some(processing), Some(version)) =
        (channel, national_id, receiving, processing, version)
    else {
        return Ok(None);
    };
    let procedure = store::procedures::get(conn, version.id)?;
    let calendar = store::calendar::working_calendar(conn, config, first_day.unwrap_or_default())?;
    let appointment = input.appointment.map(|a| a.with_timezone(&Utc));
    let (facts, steps) = match imports::replay(
        channel,
        &history,
        appointment,
        &timing(&procedure),
        &calendar,
        now,
    ) {
        Ok(replayed) => replayed,
        Err(refusal) => {
            e.add(
                &format!("history[{}]", refusal.index),
                "invalid_history",
                refusal.message,
            );
            return Ok(None);
        }
    };
    let rating = match &input.rating {
        Some(_) if facts.status != Status::Returned => {
            e.add("rating", "not_returned", "only a returned dossier is rated");
            return Ok(None);
        }
        Some(r) if r.comment.as_ref().is_some_and(|c| c.chars().count() > 2000) => {
            e.add("rating.comment", "too_long", "at most 2000 characters");
            return Ok(None);
        }
        other => other,
    };
    let first = &history[0];
    let last_at = history.last().map_or(first.at, |c| c.at).naive_utc();
    let online = channel == Channel::Online;
    let id = Id::new();
    let dossier = Dossier::new(
        NewDossier {
            id,
            code: input.code.clone(),
            procedure_id: version.id,
            channel,
            receiving_unit_id: receiving.id,
            processing_unit_id: processing.id,
            applicant_account_id: store::accounts::citizen_with_national_id(
                conn,
                national_id.as_str(),
            )?,
            applicant_national_id: national_id.as_str().to_string(),
            applicant_full_name: input.applicant.full_name.trim().to_string(),
            applicant_phone: input.applicant.phone.clone(),
            applicant_email: input.applicant.email.clone(),
            applicant_address: input.applicant.address.clone(),
            submitted_at: online.then_some(first.at.naive_utc()),
            reception_due_at: online
                .then(|| deadline::reception_due(&calendar, first.at).naive_utc()),
            version: i32::try_from(steps.len()).unwrap_or(i32::MAX),
            created_by: by,
            created_at: first.at.naive_utc(),
            updated_at: last_at,
        },
        &facts,
    );
    let fees = super::fees::freeze(
        id,
        &super::fees::quote(
            conn,
            &procedure,
            channel,
            first_day.unwrap_or_default(),
            processing.id,
        )?,
    );
    let mut events: Vec<Event> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| Event {
            id: Id::new(),
            dossier_id: id,
            seq: i32::try_from(i + 1).unwrap_or(i32::MAX),
            action: match s.action {
                Some(action) => action.as_str().to_string(),
                None if online => "submit".to_string(),
                None => "record".to_string(),
            },
            actor_id: None,
            from_status: s.from.map(|f| f.as_str().to_string()),
            to_status: s.change.status.as_str().to_string(),
            note: s.change.note.clone(),
            details: serde_json::json!({"imported": true}).to_string(),
            step_name: s.step.as_ref().map(|j| j.name.clone()),
            step_due_at: s.step.as_ref().map(|j| j.due_at.naive_utc()),
            step_timeliness: s.step.as_ref().map(|j| j.timeliness.as_str().to_string()),
            at: s.change.at.naive_utc(),
            hash: Vec::new(),
        })
        .collect();
    crate::store::audit::chain(&mut events, &[]);
    Ok(Some(Prepared {
        dossier,
        fees,
        events,
        rating: rating.as_ref().map(|r| Rating {
            dossier_id: id,
            rating: r.rating.as_str().to_string(),
            comment: r.comment.clone(),
            rated_at: r.at.with_timezone(&Utc).naive_utc(),
        }),
        receiving_unit_code: receiving.code,
    }))
}

/// Checks and stores a batch of legacy dossiers (NDJSON) as the account `by`: all or nothing.
/// Returns how many were imported.
pub fn import(conn: &mut DbConn, config: &Config, by: Id, text: &str) -> Result<usize, ApiError> {
    let now = db::now().and_utc();
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return Err(ApiError::invalid_field(
            "body",
            "empty",
            "the file has no dossier: one JSON object per line",
        ));
    }
    if lines.len() > MAX_LINES {
        return Err(ApiError::invalid_field(
            "body",
            "too_many_lines",
            format!("at most {MAX_LINES} dossiers per batch"),
        ));
    }
    let mut errors = Vec::new();
    let mut prepared = Vec::new();
    let mut codes = std::collections::HashSet::new();
    for (n, line) in lines {
        if let Some(p) = prepare(conn, config, by, n, line, now, &mut errors)? {
            if let Some(code) = &p.dossier.code {
                if !codes.insert(code.clone()) {
                    errors.push(FieldError {
                        field: format!("line {n}: code"),
                        code: "duplicate_code".into(),
                        message: "another line of the file has this code".into(),
                    });
                }
            }
            prepared.push(p);
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if !errors.is_empty() {
        let mut e = ApiError::unprocessable(
            "import_refused",
            "The file has errors; nothing was imported.",
        );
        e.errors = errors;
        return Err(e);
    }
    let count = prepared.len();
    let tz = config.time_zone;
    db::write(conn, |conn| {
        for p in prepared {
            store::dossiers::import(
                conn,
                p.dossier,
                &p.fees,
                p.events,
                p.rating,
                &p.receiving_unit_code,
                tz,
            )?;
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(count)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// Dossiers imported.
    pub imported: usize,
}

/// Import legacy dossiers (administrators): `application/x-ndjson`, one dossier per line. The
/// batch is all or nothing; errors name the line and the field.
#[utoipa::path(
    tag = "dossiers",
    request_body(content = String, content_type = "application/x-ndjson", description = "One legacy dossier per line: `{\"code\", \"procedure_code\", \"receiving_unit_code\", \"processing_unit_code\", \"channel\", \"applicant\": {\"national_id\", \"full_name\", …}, \"appointment\", \"history\": [{\"status\", \"at\", \"note\"}], \"rating\": {\"rating\", \"at\", \"comment\"}}`"),
    responses(
        (status = 201, description = "Every dossier of the file was imported", body = Imported),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 409, description = "A legacy code already in use; nothing was imported"),
        (status = 413, description = "The file is too large"),
        (status = 415, description = "Not NDJSON"),
        (status = 422, description = "Lines with errors (each named by line and field); nothing was imported"),
    ),
    security(("bearer" = []))
)]
#[post("/imports/dossiers")]
async fn import_dossiers(
    state: web::Data<AppState>,
    who: Principal,
    req: actix_web::HttpRequest,
    mut body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    use futures_util::StreamExt;
    if who.role != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-ndjson") {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the dossiers as application/x-ndjson.",
        ));
    }
    let limit = state.config.limits.max_upload_bytes;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::bad_request("invalid_body", "The body could not be read."))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("An import file has at most {limit} bytes."),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("invalid_encoding", "The file must be UTF-8."))?;
    let config = state.config.clone();
    let imported = state
        .db(move |conn| import(conn, &config, who.account_id, &text))
        .await?;
    Ok(HttpResponse::Created().json(Imported { imported }))
}
