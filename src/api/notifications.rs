//! Notifications, for administrators: webhook subscriptions (`/webhooks`: add, list, end) and
//! the outbox (`/notifications`: what was sent, what waits, what is dead, and putting a dead
//! message back in the queue). The messages themselves are written with the dossier changes
//! (`store::outbox`) and delivered by `notify`.

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{not_blank, List, ListParams, ValidJson};
use crate::auth::Principal;
use crate::domain::accounts::Role;
use crate::domain::notices;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::outbox::{Filter, Notification, Subscription};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(subscribe)
        .service(list_subscriptions)
        .service(unsubscribe)
        .service(list_notifications)
        .service(retry_notification);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub name: String,
    /// Where the calls go: an `http://` or `https://` URL.
    #[validate(length(min = 8, max = 2000))]
    pub url: String,
    /// The events to send: names such as `dossier.receive` (`dossier.` and the action), `dossier.*`
    /// or `*` for all.
    #[validate(length(min = 1, max = 50))]
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: Id,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// The HMAC-SHA256 key of the `X-Motcua-Signature` header: shown once, when the
    /// subscription is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        SubscriptionView {
            id: s.id,
            name: s.name,
            url: s.url,
            events: s.events.split(',').map(str::to_string).collect(),
            active: s.active,
            created_at: s.created_at.and_utc(),
            secret: None,
        }
    }
}

/// Subscribe a system to dossier changes (administrators). Each change it takes is `POST`ed to
/// its URL as JSON (`delivery`, `event`, `change` as in the change feed), signed with
/// `X-Motcua-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, and retried
/// with backoff until a 2xx answer.
#[utoipa::path(
    tag = "notifications",
    request_body = CreateSubscription,
    responses(
        (status = 201, description = "The subscription, with its secret (shown only now)", body = SubscriptionView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 422, description = "Invalid fields"),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks")]
async fn subscribe(
    state: web::Data<AppState>,
    who: Principal,
    body: ValidJson<CreateSubscription>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let body = body.0;
    let url = body.url.trim().to_string();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.parse::<ureq::http::Uri>().is_err()
    {
        return Err(ApiError::invalid_field(
            "url",
            "format",
            "must be an http:// or https:// URL",
        ));
    }
    let events: Vec<String> = body.events.iter().map(|e| e.trim().to_string()).collect();
    let filter = events.join(",");
    if !notices::valid_filter(&filter) || filter.len() > 2000 {
        return Err(ApiError::invalid_field(
            "events",
            "format",
            "each event is a name such as dossier.receive, dossier.* or *",
        ));
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let subscription = Subscription {
        id: Id::new(),
        name: body.name.trim().to_string(),
        url,
        secret: secret.clone(),
        events: filter,
        active: true,
        created_at: crate::db::now(),
    };
    let stored = subscription.clone();
    state
        .db(move |conn| Ok(store::outbox::subscribe(conn, &stored)?))
        .await?;
    let mut view = SubscriptionView::from(subscription);
    view.secret = Some(secret);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", view.id)))
        .json(view))
}

/// List webhook subscriptions, ended ones included (administrators).
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 200, description = "Every subscription, oldest first", body = Vec<SubscriptionView>),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks")]
async fn list_subscriptions(
    state: web::Data<AppState>,
    who: Principal,
) -> Result<web::Json<Vec<SubscriptionView>>, ApiError> {
    who.require(&[Role::Admin])?;
    let all = state
        .db(|conn| Ok(store::outbox::subscriptions(conn)?))
        .await?;
    Ok(web::Json(all.into_iter().map(Into::into).collect()))
}

/// End a webhook subscription (administrators): no new calls are written for it; those already
/// written are still delivered.
#[utoipa::path(
    tag = "notifications",
    params(("id" = Id, Path, description = "The subscription")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such active subscription"),
    ),
    security(("bearer" = []))
)]
#[delete("/webhooks/{id}")]
async fn unsubscribe(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let ended = state
        .db(move |conn| Ok(store::outbox::unsubscribe(conn, id)?))
        .await?;
    if !ended {
        return Err(ApiError::not_found("Subscription"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// A notification as administrators see it: what was sent to whom and how it went, not what it
/// said (administrators see no dossier: the text and the full address or number are the
/// applicant's).
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Id,
    /// `email`, `sms` or `webhook`.
    pub channel: String,
    /// The notice (`dossier.received`, `official.due_soon`, …) or the webhook's event.
    pub kind: String,
    /// The subscription id of a webhook call; an e-mail address or phone number masked
    /// (`ng***@example.vn`, `091****678`).
    pub recipient: String,
    pub dossier_id: Option<Id>,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    /// When it is tried next (while pending).
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        let recipient = match n.channel.as_str() {
            "webhook" => n.recipient.clone(),
            _ => mask(&n.recipient),
        };
        NotificationView {
            id: n.id,
            channel: n.channel,
            kind: n.kind,
            recipient,
            dossier_id: n.dossier_id,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at.and_utc(),
            last_error: n.last_error,
            created_at: n.created_at.and_utc(),
            sent_at: n.sent_at.map(|t| t.and_utc()),
        }
    }
}

/// An address or number with its middle hidden: the first two or three characters, then the
/// domain of an address or the last three digits of a number.
fn mask(recipient: &str) -> String {
    let chars: Vec<char> = recipient.chars().collect();
    match recipient.split_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            format!("{shown}***@{domain}")
        }
        None if chars.len() > 6 => {
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[chars.len() - 3..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
        }
        None => "*".repeat(chars.len()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `pending`, `sent` or `dead`.
    #[param(pattern = "^(pending|sent|dead)$")]
    pub status: Option<String>,
    /// `email`, `sms` or `webhook`.
    #[param(pattern = "^(email|sms|webhook)$")]
    pub channel: Option<String>,
    pub dossier_id: Option<Id>,
}

/// List notifications, oldest first (administrators).
#[utoipa::path(
    tag = "notifications",
    params(NotificationQuery, ListParams),
    responses(
        (status = 200, description = "A page of notifications", body = List<NotificationView>),
        (status = 400, description = "Invalid query parameters"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
    ),
    security(("bearer" = []))
)]
#[get("/notifications")]
async fn list_notifications(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<NotificationQuery>,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<NotificationView>>, ApiError> {
    who.require(&[Role::Admin])?;
    let page = list.page(&state.config.limits)?;
    let query = query.into_inner();
    let allowed = |value: &Option<String>, names: &[&str]| {
        value.as_deref().is_none_or(|v| names.contains(&v))
    };
    if !allowed(&query.status, &["pending", "sent", "dead"])
        || !allowed(&query.channel, &["email", "sms", "webhook"])
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "status is pending, sent or dead; channel is email, sms or webhook.",
        ));
    }
    let filter = Filter {
        status: query.status,
        channel: query.channel,
        dossier_id: query.dossier_id,
    };
    let (items, next) = state
        .db(move |conn| Ok(store::outbox::list(conn, &filter, page)?))
        .await?;
    Ok(web::Json(List::new(
        items.into_iter().map(Into::into).collect(),
        next,
    )))
}

/// Put a dead notification back in the queue, due at once (administrators).
#[utoipa::path(
    tag = "notifications",
    params(("id" = Id, Path, description = "The notification")),
    responses(
        (status = 204, description = "Queued again"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such dead notification"),
    ),
    security(("bearer" = []))
)]
#[post("/notifications/{id}/retry")]
async fn retry_notification(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let queued = state
        .db(move |conn| Ok(store::outbox::retry(conn, id, Utc::now())?))
        .await?;
    if !queued {
        return Err(ApiError::not_found("Dead notification"));
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    #[test]
    fn recipients_are_masked() {
        assert_eq!(super::mask("cong.dan@example.vn"), "co***@example.vn");
        assert_eq!(super::mask("0912345678"), "091****678");
        assert_eq!(super::mask("12345"), "*****");
    }
}
