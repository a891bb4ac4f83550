//! The notification worker of each server process: it delivers the outbox (`store::outbox`)
//! by e-mail (SMTP), SMS (an HTTP gateway) and signed webhook calls, retrying with backoff until
//! a message is sent or dead, and every `schedule_seconds` writes the officials' warnings (one
//! working day before a due date) and their daily overdue lists, and deletes the messages sent
//! more than `keep_days` ago. Several replicas may run it at
//! once: a message is leased to one worker at a time, and a scheduled message is written once
//! per key.
//!
//! Webhook calls are `POST`s of the JSON the outbox holds (`delivery`, `event`, `change`) with
//! `X-Motcua-Event`, `X-Motcua-Delivery` and `X-Motcua-Signature: t=<unix seconds>,v1=<hex>`,
//! where the hex is HMAC-SHA256 of `<t>.<body>` under the subscription's secret. A receiver
//! checks the signature and that `t` is recent, and ignores deliveries it has seen (delivery is
//! at least once).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Config;
use crate::db::Pool;
use crate::domain::accounts::Role;
use crate::domain::notices;
use crate::id::Id;
use crate::store;
use crate::store::outbox::Notification;

/// Messages a worker takes at a time.
const BATCH: i64 = 20;
/// How long a taken message is the worker's before another may take it.
const LEASE: Duration = Duration::from_secs(300);
/// The longest wait for an SMTP server, SMS gateway or webhook receiver (per SMTP command).
const TIMEOUT: Duration = Duration::from_secs(10);
/// A message whose lease has less than this left is not tried: it is left to be taken again,
/// so that no try outlives its lease and overlaps another worker's.
const MARGIN: Duration = Duration::from_secs(60);

/// Why a delivery failed: worth another try, or never going to work (dead at once).
enum Failure {
    Transient(String),
    Permanent(String),
}

impl<T: ToString> From<T> for Failure {
    fn from(e: T) -> Failure {
        Failure::Transient(e.to_string())
    }
}

/// Starts the worker on the current actix system; it ends with the system.
pub fn start(pool: Pool, config: Arc<Config>) -> Result<(), String> {
    let worker = Arc::new(Worker::new(pool, config)?);
    actix_web::rt::spawn(async move {
        let poll = Duration::from_millis(worker.config.notifications.poll_ms);
        let every = Duration::from_secs(worker.config.notifications.schedule_seconds);
        let mut scheduled: Option<std::time::Instant> = None;
        loop {
            let schedule = scheduled.is_none_or(|at| at.elapsed() >= every);
            if schedule {
                scheduled = Some(std::time::Instant::now());
            }
            let w = worker.clone();
            let full = actix_web::rt::task::spawn_blocking(move || w.cycle(schedule))
                .await
                .unwrap_or(false);
            if !full {
                actix_web::rt::time::sleep(poll).await;
            }
        }
    });
    Ok(())
}

struct Worker {
    pool: Pool,
    config: Arc<Config>,
    smtp: Option<lettre::SmtpTransport>,
    from: lettre::message::Mailbox,
    http: ureq::Agent,
    /// The last day this worker wrote the overdue lists (each replica writes them once a day;
    /// their keys make the second replica's a no-op).
    listed_day: std::sync::Mutex<Option<NaiveDate>>,
}

impl Worker {
    fn new(pool: Pool, config: Arc<Config>) -> Result<Worker, String> {
        let n = &config.notifications;
        let smtp = match &n.smtp_url {
            Some(url) => Some(
                lettre::SmtpTransport::from_url(url)
                    .map_err(|e| format!("MOTCUA_SMTP_URL: {e}"))?
                    .timeout(Some(TIMEOUT))
                    .build(),
            ),
            None => None,
        };
        let from = n
            .mail_from
            .parse()
            .map_err(|e| format!("MOTCUA_MAIL_FROM: {e}"))?;
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .max_redirects(0)
            .build()
            .into();
        Ok(Worker {
            pool,
            config,
            smtp,
            from,
            http,
            listed_day: std::sync::Mutex::new(None),
        })
    }

    /// Writes the scheduled messages when `schedule`, then delivers one batch; whether the batch
    /// was full (more may be waiting).
    fn cycle(&self, schedule: bool) -> bool {
        if schedule {
            let now = Utc::now();
            if let Err(e) = self.schedule(now) {
                tracing::warn!(error = %e, "cannot write the officials' notifications");
            }
            let keep = chrono::Duration::days(i64::from(self.config.notifications.keep_days));
            let purged = self
                .pool
                .get()
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    store::outbox::purge_sent(&mut c, now - keep).map_err(|e| e.to_string())
                });
            if let Err(e) = purged {
                tracing::warn!(error = %e, "cannot delete old sent notifications");
            }
        }
        let now = Utc::now();
        let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let batch = match self
            .pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                store::outbox::claim(&mut c, now, lease, BATCH).map_err(|e| e.to_string())
            }) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "cannot take notifications to deliver");
                return false;
            }
        };
        let full = batch.len() as i64 == BATCH;
        let last_start = lease - chrono::Duration::from_std(MARGIN).unwrap_or_default();
        for message in batch {
            if Utc::now() >= last_start {
                // Too little lease left: the rest of the batch is taken again when it ends.
                break;
            }
            let outcome = self.deliver(&message);
            if let Err(e) = self.record(&message, outcome) {
                // The lease ends and the message is tried again.
                tracing::warn!(error = %e, id = %message.id, "cannot record a delivery");
            }
        }
        full
    }

    fn record(&self, message: &Notification, outcome: Result<(), Failure>) -> Result<(), String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let now = Utc::now();
        match outcome {
            Ok(()) => store::outbox::sent(&mut conn, message, now),
            Err(failure) => {
                let n = &self.config.notifications;
                let (error, retry) = match failure {
                    Failure::Transient(error) => {
                        let retry = notices::retry_delay(
                            message.attempts,
                            n.max_attempts,
                            n.retry_base_ms,
                        )
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .map(|d| now + d);
                        (error, retry)
                    }
                    Failure::Permanent(error) => (error, None),
                };
                if retry.is_none() {
                    tracing::warn!(id = %message.id, channel = %message.channel, %error, "notification dead");
                }
                store::outbox::failed(&mut conn, message, &error, retry)
            }
        }
        .map_err(|e| e.to_string())
    }

    fn deliver(&self, message: &Notification) -> Result<(), Failure> {
        let permanent = |e: String| Failure::Permanent(e);
        match message.channel.as_str() {
            "email" => {
                let smtp = self
                    .smtp
                    .as_ref()
                    .ok_or_else(|| permanent("e-mail is not configured".into()))?;
                let to = message
                    .recipient
                    .parse()
                    .map_err(|e| permanent(format!("recipient: {e}")))?;
                let email = lettre::Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(&message.subject)
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(message.body.clone())
                    .map_err(|e| permanent(e.to_string()))?;
                lettre::Transport::send(smtp, &email)?;
                Ok(())
            }
            "sms" => {
                let n = &self.config.notifications;
                let url = n
                    .sms_url
                    .as_deref()
                    .ok_or_else(|| permanent("SMS is not configured".into()))?;
                let mut request = self.http.post(url);
                if let Some(token) = &n.sms_token {
                    request = request.header("Authorization", &format!("Bearer {token}"));
                }
                let body = serde_json::json!({
                    "id": message.id,
                    "to": message.recipient,
                    "text": message.body,
                });
                answered(request.send_json(&body))
            }
            "webhook" => {
                let id: Id = message
                    .recipient
                    .parse()
                    .map_err(|_| permanent("not a subscription id".into()))?;
                let mut conn = self.pool.get()?;
                let subscription = store::outbox::subscription(&mut conn, id)?
                    .ok_or_else(|| permanent("the subscription no longer exists".into()))?;
                drop(conn);
                if !self.config.notifications.webhook_private_addresses {
                    public_only(&subscription.url)?;
                }
                let t = Utc::now().timestamp();
                let request = self
                    .http
                    .post(&subscription.url)
                    .header("Content-Type", "application/json")
                    .header("X-Motcua-Event", &message.kind)
                    .header("X-Motcua-Delivery", &message.id.to_string())
                    .header(
                        "X-Motcua-Signature",
                        &signature(&subscription.secret, t, &message.body),
                    );
                answered(request.send(message.body.as_bytes()))
            }
            other => Err(permanent(format!("unknown channel {other}"))),
        }
    }

    /// Writes the warnings of dossiers due within a working day and, once a working day, each
    /// unit's overdue list, to the officials' e-mail addresses (nothing without e-mail).
    fn schedule(&self, now: DateTime<Utc>) -> Result<(), String> {
        if self.smtp.is_none() {
            return Ok(());
        }
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        let conn = &mut conn;
        let e = |e: diesel::result::Error| e.to_string();
        let tz = self.config.time_zone;
        let today = now.with_timezone(&tz).date_naive();
        let calendar = store::calendar::working_calendar(conn, &self.config, today).map_err(e)?;
        let stamp = now.naive_utc();
        // A working day is never more than two weeks of calendar time, holidays included.
        let horizon = stamp + chrono::Duration::days(14);
        let mut after = None;
        loop {
            let page = store::Page { limit: 500, after };
            let (dossiers, next) =
                store::dossiers::due_between(conn, stamp, horizon, page).map_err(e)?;
            for d in &dossiers {
                let Some(due_at) = d.due_at else { continue };
                if !notices::due_soon(&calendar, now, due_at.and_utc()) {
                    continue;
                }
                let to = match d.assigned_specialist_id {
                    Some(specialist) => store::accounts::find(conn, specialist)
                        .map_err(e)?
                        .filter(|a| !a.disabled)
                        .and_then(|a| Some((a.id, a.email?)))
                        .into_iter()
                        .collect(),
                    None => {
                        store::accounts::emails_of(conn, d.processing_unit_id, Role::Specialist)
                            .map_err(e)?
                    }
                };
                let code = d.code.as_deref().unwrap_or("-");
                let due = due_at.and_utc().with_timezone(&tz).format("%H:%M %d/%m/%Y");
                for (account, address) in to {
                    let mut message = Notification::new(
                        "email",
                        "official.due_soon",
                        &address,
                        Some(d.id),
                        format!("Hồ sơ {code} sắp đến hạn ({due})"),
                        format!(
                            "Hồ sơ {code} của {} đến hạn trả kết quả lúc {due}: còn không quá một ngày làm việc.\n",
                            d.applicant_full_name
                        ),
                        stamp,
                    );
                    message.dedup_key = Some(format!(
                        "due_soon:{}:{}:{account}",
                        d.id,
                        due_at.and_utc().timestamp()
                    ));
                    store::outbox::schedule(conn, &message).map_err(e)?;
                }
            }
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if let Some(day) = notices::overdue_list_day(&calendar, now) {
            let mut done = self.listed_day.lock().unwrap_or_else(|e| e.into_inner());
            if *done != Some(day) && self.overdue_lists(conn, now, day)? {
                *done = Some(day);
            }
        }
        Ok(())
    }

    /// One message per leader of each unit with overdue dossiers, listing them (at most 200);
    /// whether there were any (until there are, the day's lists are looked for again).
    fn overdue_lists(
        &self,
        conn: &mut crate::db::DbConn,
        now: DateTime<Utc>,
        day: NaiveDate,
    ) -> Result<bool, String> {
        let e = |e: diesel::result::Error| e.to_string();
        let tz = self.config.time_zone;
        let filter = store::dossiers::DossierFilter {
            overdue_at: Some(now.naive_utc()),
            ..Default::default()
        };
        let mut per_unit: std::collections::BTreeMap<Id, Vec<String>> = Default::default();
        let mut after = None;
        loop {
            let page = store::Page { limit: 500, after };
            let (dossiers, next) =
                store::dossiers::list(conn, &store::dossiers::Scope::All, &filter, page)
                    .map_err(e)?;
            for d in dossiers {
                let due = d
                    .due_at
                    .map(|t| {
                        t.and_utc()
                            .with_timezone(&tz)
                            .format("%d/%m/%Y")
                            .to_string()
                    })
                    .unwrap_or_default();
                per_unit
                    .entry(d.processing_unit_id)
                    .or_default()
                    .push(format!(
                        "- {} (hẹn {due})",
                        d.code.as_deref().unwrap_or("-")
                    ));
            }
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let any = !per_unit.is_empty();
        for (unit, lines) in per_unit {
            let leaders = store::accounts::emails_of(conn, unit, Role::Leader).map_err(e)?;
            let count = lines.len();
            let shown: Vec<&str> = lines.iter().take(200).map(String::as_str).collect();
            let more = if count > shown.len() {
                format!("\n… và {} hồ sơ khác.\n", count - shown.len())
            } else {
                String::new()
            };
            for (account, address) in leaders {
                let mut message = Notification::new(
                    "email",
                    "official.overdue_list",
                    &address,
                    None,
                    format!("{count} hồ sơ quá hạn ngày {}", day.format("%d/%m/%Y")),
                    format!(
                        "Các hồ sơ quá hạn của đơn vị:\n{}\n{more}",
                        shown.join("\n")
                    ),
                    now.naive_utc(),
                );
                message.dedup_key = Some(format!("overdue_list:{unit}:{day}:{account}"));
                store::outbox::schedule(conn, &message).map_err(e)?;
            }
        }
        Ok(any)
    }
}

/// A 2xx answer is a delivery; anything else is a failed try.
fn answered(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<(), Failure> {
    let status = result?.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(Failure::Transient(format!("answered {status}")))
    }
}

/// Refuses a webhook URL whose host is, or resolves to, a loopback, private, link-local or
/// unspecified address (the service's own network), unless
/// `MOTCUA_WEBHOOK_PRIVATE_ADDRESSES` allows them.
fn public_only(url: &str) -> Result<(), Failure> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|_| Failure::Permanent("not a URL".into()))?;
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let addresses = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?;
    for address in addresses {
        if !notices::is_public(address.ip()) {
            return Err(Failure::Permanent(format!(
                "{host} is a private address (set MOTCUA_WEBHOOK_PRIVATE_ADDRESSES to allow)"
            )));
        }
    }
    Ok(())
}

/// The `X-Motcua-Signature` of a webhook body sent at `t` (Unix seconds).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_are_hmac_sha256_of_the_time_and_body() {
        // echo -n '1764547200.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            super::signature("secret", 1_764_547_200, r#"{"a":1}"#),
            format!(
                "t=1764547200,v1={}",
                "776415641d1f6a2f677a30d82c19b4908e9922f15650cd2096a318da8f446874"
            )
        );
    }
}
