//! The notification outbox and the webhook subscriptions. [`tell_of`] writes the messages a
//! dossier change gives (the applicant's e-mail and SMS, one webhook call per subscription that
//! takes the event) in the transaction of the change itself, so a change is never told without
//! being stored, nor stored without being told. The workers [`claim`] due messages under a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas never take the same one; the write lock
//! on SQLite), deliver them outside any transaction, and record the outcome: [`sent`], or
//! [`failed`] with a next try or dead. A worker that dies mid-delivery leaves its message to be
//! claimed again when the lease ends: delivery is at least once.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{notifications, webhook_subscriptions};
use crate::db::{self, DbConn};
use crate::domain::notices::{self, Letter, Notice};
use crate::id::Id;

use super::dossiers::{Change, Dossier, Event};
use super::{paginate, Page};

/// Which of the applicant's channels are configured: messages are written only for those.
#[derive(Debug, Clone, Copy, Default)]
pub struct Channels {
    pub email: bool,
    pub sms: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub struct Notification {
    pub id: Id,
    /// `email`, `sms` or `webhook`.
    pub channel: String,
    /// The notice (`dossier.received`, `official.due_soon`, …) or the webhook event.
    pub kind: String,
    /// An e-mail address, a phone number, or a webhook subscription's id.
    pub recipient: String,
    pub dossier_id: Option<Id>,
    pub subject: String,
    /// The message's text, or the webhook's JSON body.
    pub body: String,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    /// Scheduled messages are written once per key, whichever replica gets there first.
    pub dedup_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl Notification {
    /// A pending message, due at once.
    pub fn new(
        channel: &str,
        kind: &str,
        recipient: &str,
        dossier_id: Option<Id>,
        subject: String,
        body: String,
        now: NaiveDateTime,
    ) -> Notification {
        Notification {
            id: Id::new(),
            channel: channel.to_string(),
            kind: kind.to_string(),
            recipient: recipient.to_string(),
            dossier_id,
            subject,
            body,
            status: "pending".to_string(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            dedup_key: None,
            created_at: now,
            sent_at: None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct Subscription {
    pub id: Id,
    pub name: String,
    pub url: String,
    /// The HMAC-SHA256 key of its signatures.
    pub secret: String,
    /// Which events it takes ([`notices::filter_takes`]).
    pub events: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

/// Writes what the change `event` to `dossier` tells, inside the caller's write transaction.
pub fn tell_of(
    conn: &mut DbConn,
    channels: Channels,
    dossier: &Dossier,
    event: &Event,
    tz: chrono_tz::Tz,
) -> QueryResult<()> {
    let now = event.at;
    let mut out = Vec::new();
    if let Some(notice) = Notice::after(&event.action, dossier.status()) {
        let due_at = match notice {
            Notice::Apologized => dossier.apology_due_at.or(dossier.due_at),
            _ => dossier.due_at,
        };
        // What the applicant is told of the officials' words: what to supplement, why the
        // delay; never the internal notes of other actions.
        let details: serde_json::Value = serde_json::from_str(&event.details).unwrap_or_default();
        let note = match notice {
            Notice::SupplementRequested => event.note.clone(),
            Notice::Apologized => details["reason"].as_str().map(str::to_string),
            _ => None,
        };
        let letter = Letter {
            applicant_name: &dossier.applicant_full_name,
            code: dossier.code.as_deref(),
            due_at: due_at.map(|d| d.and_utc().with_timezone(&tz).naive_local()),
            note: note.as_deref(),
        };
        if let (true, Some(address)) = (channels.email, &dossier.applicant_email) {
            let (subject, body) = notice.email(&letter);
            out.push(Notification::new(
                "email",
                notice.as_str(),
                address,
                Some(dossier.id),
                subject,
                body,
                now,
            ));
        }
        if let (true, Some(phone)) = (channels.sms, &dossier.applicant_phone) {
            out.push(Notification::new(
                "sms",
                notice.as_str(),
                phone,
                Some(dossier.id),
                String::new(),
                notice.sms(&letter),
                now,
            ));
        }
    }
    let name = notices::event_name(&event.action);
    let subscribers: Vec<(Id, String)> = webhook_subscriptions::table
        .filter(webhook_subscriptions::active.eq(true))
        .select((webhook_subscriptions::id, webhook_subscriptions::events))
        .load(conn)?;
    let takers: Vec<Id> = subscribers
        .into_iter()
        .filter(|(_, filter)| notices::filter_takes(filter, &name))
        .map(|(id, _)| id)
        .collect();
    if !takers.is_empty() {
        let change = Change::of(dossier, event).record();
        for subscription in takers {
            let mut call = Notification::new(
                "webhook",
                &name,
                &subscription.to_string(),
                Some(dossier.id),
                String::new(),
                String::new(),
                now,
            );
            call.body = serde_json::json!({
                "delivery": call.id,
                "event": name,
                "change": change,
            })
            .to_string();
            out.push(call);
        }
    }
    for message in out {
        diesel::insert_into(notifications::table)
            .values(&message)
            .execute(conn)?;
    }
    Ok(())
}

/// Writes a scheduled message unless one with its `dedup_key` exists; whether it was written.
pub fn schedule(conn: &mut DbConn, message: &Notification) -> QueryResult<bool> {
    let insert = diesel::insert_into(notifications::table).values(message);
    let written = match conn {
        DbConn::Pg(pg) => insert.on_conflict_do_nothing().execute(pg)?,
        DbConn::Sqlite(sqlite) => insert.on_conflict_do_nothing().execute(sqlite)?,
    };
    Ok(written == 1)
}

/// Takes up to `limit` pending messages due at `now`, oldest first, and leases them until
/// `lease_until` (counting the try), so that no other worker takes them meanwhile.
pub fn claim(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    use notifications as n;
    let due_now = || {
        n::table
            .filter(n::status.eq("pending"))
            .filter(n::next_attempt_at.le(now.naive_utc()))
    };
    // A read first: most polls find nothing, and need not take SQLite's write lock.
    let any: Option<Id> = due_now().select(n::id).first(conn).optional()?;
    if any.is_none() {
        return Ok(Vec::new());
    }
    db::write(conn, |conn| {
        let due = n::table
            .filter(n::status.eq("pending"))
            .filter(n::next_attempt_at.le(now.naive_utc()))
            .order(n::next_attempt_at.asc())
            .limit(limit)
            .select(n::id);
        let ids: Vec<Id> = match conn {
            DbConn::Pg(pg) => due.for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(sqlite) => due.load(sqlite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(n::table.filter(n::id.eq_any(&ids)))
            .set((
                n::attempts.eq(n::attempts + 1),
                n::next_attempt_at.eq(lease_until.naive_utc()),
            ))
            .execute(conn)?;
        n::table
            .filter(n::id.eq_any(&ids))
            .order(n::created_at.asc())
            .select(Notification::as_select())
            .load(conn)
    })
}

/// Records a delivered message. Fenced by its try: a worker whose lease ended (and whose
/// message another worker took, counting another try) writes nothing.
pub fn sent(conn: &mut DbConn, message: &Notification, now: DateTime<Utc>) -> QueryResult<()> {
    use notifications as n;
    diesel::update(
        n::table
            .filter(n::id.eq(message.id))
            .filter(n::status.eq("pending"))
            .filter(n::attempts.eq(message.attempts)),
    )
    .set((
        n::status.eq("sent"),
        n::sent_at.eq(Some(now.naive_utc())),
        n::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Records a failed try: the next one at `retry_at`, or dead when there is none. Fenced like
/// [`sent`].
pub fn failed(
    conn: &mut DbConn,
    message: &Notification,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    use notifications as n;
    let error: String = error.chars().take(1000).collect();
    let target = n::table
        .filter(n::id.eq(message.id))
        .filter(n::status.eq("pending"))
        .filter(n::attempts.eq(message.attempts));
    match retry_at {
        Some(at) => diesel::update(target)
            .set((
                n::next_attempt_at.eq(at.naive_utc()),
                n::last_error.eq(Some(error)),
            ))
            .execute(conn),
        None => diesel::update(target)
            .set((n::status.eq("dead"), n::last_error.eq(Some(error))))
            .execute(conn),
    }
    .map(|_| ())
}

/// Puts a dead message back in the queue, due at once with its tries counted from zero;
/// whether there was such a dead message.
pub fn retry(conn: &mut DbConn, id: Id, now: DateTime<Utc>) -> QueryResult<bool> {
    use notifications as n;
    diesel::update(n::table.filter(n::id.eq(id)).filter(n::status.eq("dead")))
        .set((
            n::status.eq("pending"),
            n::attempts.eq(0),
            n::next_attempt_at.eq(now.naive_utc()),
        ))
        .execute(conn)
        .map(|updated| updated == 1)
}

/// Deletes the sent messages sent before `before` (the outbox keeps what it delivered for a
/// while, for support, not forever); how many.
pub fn purge_sent(conn: &mut DbConn, before: DateTime<Utc>) -> QueryResult<usize> {
    use notifications as n;
    diesel::delete(
        n::table
            .filter(n::status.eq("sent"))
            .filter(n::sent_at.lt(before.naive_utc())),
    )
    .execute(conn)
}

/// The messages waiting (pending) and given up (dead), per channel: (channel, status, count).
/// Two queries, each on its partial index, so that the sent messages kept are never scanned.
pub fn depth(conn: &mut DbConn) -> QueryResult<Vec<(String, String, i64)>> {
    use notifications as n;
    let mut out = Vec::new();
    for status in ["pending", "dead"] {
        let counts: Vec<(String, i64)> = n::table
            .filter(n::status.eq(status))
            .group_by(n::channel)
            .select((n::channel, diesel::dsl::count_star()))
            .load(conn)?;
        out.extend(
            counts
                .into_iter()
                .map(|(channel, count)| (channel, status.to_string(), count)),
        );
    }
    Ok(out)
}

/// What [`list`] filters on.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub dossier_id: Option<Id>,
}

/// Messages in id (creation) order, a page at a time.
pub fn list(
    conn: &mut DbConn,
    filter: &Filter,
    page: Page,
) -> QueryResult<(Vec<Notification>, Option<Id>)> {
    use notifications as n;
    let mut query = n::table
        .select(Notification::as_select())
        .order(n::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(status) = &filter.status {
        query = query.filter(n::status.eq(status.clone()));
    }
    if let Some(channel) = &filter.channel {
        query = query.filter(n::channel.eq(channel.clone()));
    }
    if let Some(dossier) = filter.dossier_id {
        query = query.filter(n::dossier_id.eq(dossier));
    }
    if let Some(after) = page.after {
        query = query.filter(n::id.gt(after));
    }
    Ok(paginate(query.load(conn)?, page.limit, |m| m.id))
}

pub fn subscribe(conn: &mut DbConn, subscription: &Subscription) -> QueryResult<()> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(subscription)
        .execute(conn)
        .map(|_| ())
}

pub fn subscription(conn: &mut DbConn, id: Id) -> QueryResult<Option<Subscription>> {
    webhook_subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .first(conn)
        .optional()
}

/// Every subscription, active or not, oldest first (there are a handful).
pub fn subscriptions(conn: &mut DbConn) -> QueryResult<Vec<Subscription>> {
    webhook_subscriptions::table
        .order(webhook_subscriptions::id.asc())
        .select(Subscription::as_select())
        .load(conn)
}

/// Ends a subscription: no new calls are written for it (those already written are delivered).
pub fn unsubscribe(conn: &mut DbConn, id: Id) -> QueryResult<bool> {
    diesel::update(
        webhook_subscriptions::table
            .filter(webhook_subscriptions::id.eq(id))
            .filter(webhook_subscriptions::active.eq(true)),
    )
    .set(webhook_subscriptions::active.eq(false))
    .execute(conn)
    .map(|updated| updated == 1)
}
