//! Dossiers: intake, the code counter, applying planned actions with optimistic locking, the
//! append-only history, visibility as a query predicate, lists, the public look-up and ratings.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::literal::{Literal, LiteralSql};
use crate::db::schema::{
    accounts, dossier_code_counters, dossier_components, dossier_events, dossier_ratings, dossiers,
    procedures, units,
};
use crate::db::{self, DbConn};
use crate::domain::lifecycle::{Channel, Status};
use crate::domain::timeliness::Clock;
use crate::domain::workflow::{Facts, Outcome};
use crate::error::{StoreError, StoreResult};
use crate::id::Id;

use super::accounts::Account;
use super::fees::{DossierFee, Payment};
use super::{paginate, Page};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dossiers, treat_none_as_default_value = false)]
pub struct Dossier {
    pub id: Id,
    pub code: Option<String>,
    pub procedure_id: Id,
    pub channel: String,
    pub status: String,
    pub receiving_unit_id: Id,
    pub processing_unit_id: Id,
    pub applicant_account_id: Option<Id>,
    pub applicant_national_id: String,
    pub applicant_full_name: String,
    pub applicant_phone: Option<String>,
    pub applicant_email: Option<String>,
    pub applicant_address: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub reception_due_at: Option<NaiveDateTime>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub apology_due_at: Option<NaiveDateTime>,
    pub paused_at: Option<NaiveDateTime>,
    pub paused_seconds: i64,
    pub supplement_requests: i32,
    pub resume_status: Option<String>,
    pub assigned_specialist_id: Option<Id>,
    pub draft_submitted: bool,
    pub step_index: i32,
    pub step_started_at: Option<NaiveDateTime>,
    pub step_paused_base: i64,
    pub finished_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_by: Id,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub overdue_at: Option<NaiveDateTime>,
    pub processing_seconds: Option<i64>,
}

fn utc(t: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    t.map(|t| t.and_utc())
}

fn naive(t: Option<DateTime<Utc>>) -> Option<NaiveDateTime> {
    t.map(|t| t.naive_utc())
}

/// A new dossier's row besides its clock, which [`Dossier::new`] takes from its facts.
pub struct NewDossier {
    pub id: Id,
    pub code: Option<String>,
    pub procedure_id: Id,
    pub channel: Channel,
    pub receiving_unit_id: Id,
    pub processing_unit_id: Id,
    pub applicant_account_id: Option<Id>,
    pub applicant_national_id: String,
    pub applicant_full_name: String,
    pub applicant_phone: Option<String>,
    pub applicant_email: Option<String>,
    pub applicant_address: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub reception_due_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_by: Id,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Dossier {
    /// The row of a new dossier with the clock `facts`.
    pub fn new(n: NewDossier, facts: &Facts) -> Dossier {
        let mut dossier = Dossier {
            id: n.id,
            code: n.code,
            procedure_id: n.procedure_id,
            channel: n.channel.as_str().to_string(),
            status: String::new(),
            receiving_unit_id: n.receiving_unit_id,
            processing_unit_id: n.processing_unit_id,
            applicant_account_id: n.applicant_account_id,
            applicant_national_id: n.applicant_national_id,
            applicant_full_name: n.applicant_full_name,
            applicant_phone: n.applicant_phone,
            applicant_email: n.applicant_email,
            applicant_address: n.applicant_address,
            submitted_at: n.submitted_at,
            reception_due_at: n.reception_due_at,
            received_at: None,
            due_at: None,
            apology_due_at: None,
            paused_at: None,
            paused_seconds: 0,
            supplement_requests: 0,
            resume_status: None,
            assigned_specialist_id: None,
            draft_submitted: false,
            step_index: 0,
            step_started_at: None,
            step_paused_base: 0,
            finished_at: None,
            version: n.version,
            created_by: n.created_by,
            created_at: n.created_at,
            updated_at: n.updated_at,
            overdue_at: None,
            processing_seconds: None,
        };
        dossier.set_facts(facts);
        dossier
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Submitted)
    }

    pub fn channel(&self) -> Channel {
        Channel::parse(&self.channel).unwrap_or(Channel::Online)
    }

    pub fn facts(&self) -> Facts {
        Facts {
            status: self.status(),
            received_at: utc(self.received_at),
            due_at: utc(self.due_at),
            apology_due_at: utc(self.apology_due_at),
            paused_at: utc(self.paused_at),
            paused_seconds: self.paused_seconds,
            supplement_requests: self.supplement_requests,
            resume_status: self.resume_status.as_deref().and_then(Status::parse),
            assigned_specialist_id: self.assigned_specialist_id,
            draft_submitted: self.draft_submitted,
            step_index: self.step_index,
            step_started_at: utc(self.step_started_at),
            step_paused_base: self.step_paused_base,
            finished_at: utc(self.finished_at),
            overdue_at: utc(self.overdue_at),
            processing_seconds: self.processing_seconds,
        }
    }

    pub fn set_facts(&mut self, f: &Facts) {
        self.status = f.status.as_str().to_string();
        self.received_at = naive(f.received_at);
        self.due_at = naive(f.due_at);
        self.apology_due_at = naive(f.apology_due_at);
        self.paused_at = naive(f.paused_at);
        self.paused_seconds = f.paused_seconds;
        self.supplement_requests = f.supplement_requests;
        self.resume_status = f.resume_status.map(|s| s.as_str().to_string());
        self.assigned_specialist_id = f.assigned_specialist_id;
        self.draft_submitted = f.draft_submitted;
        self.step_index = f.step_index;
        self.step_started_at = naive(f.step_started_at);
        self.step_paused_base = f.step_paused_base;
        self.finished_at = naive(f.finished_at);
        self.overdue_at = naive(f.overdue_at);
        self.processing_seconds = f.processing_seconds;
    }

    pub fn clock(&self) -> Clock {
        Clock {
            due_at: utc(self.due_at),
            finished_at: utc(self.finished_at),
            paused_at: utc(self.paused_at),
            supplement_requests: self.supplement_requests,
        }
    }
}

/// The columns an action may change.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = dossiers, treat_none_as_null = true)]
struct ActionChanges<'a> {
    code: Option<&'a str>,
    status: &'a str,
    received_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    apology_due_at: Option<NaiveDateTime>,
    paused_at: Option<NaiveDateTime>,
    paused_seconds: i64,
    supplement_requests: i32,
    resume_status: Option<&'a str>,
    assigned_specialist_id: Option<Id>,
    draft_submitted: bool,
    step_index: i32,
    step_started_at: Option<NaiveDateTime>,
    step_paused_base: i64,
    finished_at: Option<NaiveDateTime>,
    overdue_at: Option<NaiveDateTime>,
    processing_seconds: Option<i64>,
    version: i32,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = dossier_components)]
pub struct DossierComponent {
    pub dossier_id: Id,
    pub component_id: Id,
    pub file_id: Option<Id>,
    pub added_at: NaiveDateTime,
    /// A document of the applicant's store reused instead of an upload.
    pub document_id: Option<Id>,
}

/// A component provided: an uploaded file, or a stored document reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provided {
    pub component_id: Id,
    pub file_id: Option<Id>,
    pub document_id: Option<Id>,
}

/// The component rows a new dossier's intake stores.
pub fn component_rows(intake: &Intake) -> Vec<DossierComponent> {
    let d = &intake.dossier;
    intake
        .components
        .iter()
        .map(|p| component_row(d.id, p, d.created_at))
        .collect()
}

fn component_row(dossier: Id, provided: &Provided, at: NaiveDateTime) -> DossierComponent {
    DossierComponent {
        dossier_id: dossier,
        component_id: provided.component_id,
        file_id: provided.file_id,
        added_at: at,
        document_id: provided.document_id,
    }
}

/// Work an action does besides its own changes, in the same transaction (attaching or issuing a
/// result); it returns fields for the history entry.
pub type Also<'a> = Box<
    dyn FnOnce(&mut DbConn, &Dossier) -> StoreResult<serde_json::Map<String, serde_json::Value>>
        + 'a,
>;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dossier_events, treat_none_as_default_value = false)]
pub struct Event {
    pub id: Id,
    pub dossier_id: Id,
    pub seq: i32,
    pub action: String,
    pub actor_id: Option<Id>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    /// The action's own fields, as a JSON object.
    pub details: String,
    pub step_name: Option<String>,
    pub step_due_at: Option<NaiveDateTime>,
    pub step_timeliness: Option<String>,
    pub at: NaiveDateTime,
    /// The link of the dossier's hash chain ([`super::audit`]).
    pub hash: Vec<u8>,
}

/// Who may see which dossiers, as a query predicate.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Supervisors: every dossier.
    All,
    /// A citizen: the dossiers of their account.
    Applicant(Id),
    /// A reception officer or specialist: dossiers received or processed by their unit.
    Unit(Id),
    /// A leader: dossiers received or processed by their unit or any unit below it.
    Subtree(Id),
}

impl Scope {
    /// Whether a dossier already read is in the scope, as [`visible`] filters a query: `None`
    /// for a subtree, which takes the unit tree to decide (then [`find_visible`]).
    pub fn admits(&self, d: &Dossier) -> Option<bool> {
        match self {
            Scope::All => Some(true),
            Scope::Applicant(account) => Some(d.applicant_account_id == Some(*account)),
            Scope::Unit(unit) => {
                Some(d.receiving_unit_id == *unit || d.processing_unit_id == *unit)
            }
            Scope::Subtree(_) => None,
        }
    }
}

type Boxed<'a> =
    dossiers::BoxedQuery<'a, db::MultiBackend, diesel::dsl::AsSelect<Dossier, db::MultiBackend>>;

/// Restricts a dossier query to what `scope` may see.
fn visible<'a>(conn: &mut DbConn, query: Boxed<'a>, scope: &Scope) -> QueryResult<Boxed<'a>> {
    Ok(match scope {
        Scope::All => query,
        Scope::Applicant(account) => query.filter(dossiers::applicant_account_id.eq(*account)),
        Scope::Unit(unit) => query.filter(
            dossiers::receiving_unit_id
                .eq(*unit)
                .or(dossiers::processing_unit_id.eq(*unit)),
        ),
        Scope::Subtree(root) => {
            let path: String = units::table.find(*root).select(units::path).first(conn)?;
            let (low, high) = super::units::subtree_range(&path);
            let subtree = || {
                units::table
                    .filter(
                        units::path
                            .ge(low.clone())
                            .and(units::path.lt(high.clone())),
                    )
                    .select(units::id)
            };
            query.filter(
                dossiers::receiving_unit_id
                    .eq_any(subtree())
                    .or(dossiers::processing_unit_id.eq_any(subtree())),
            )
        }
    })
}

/// Takes the dossier's row lock until the transaction ends (PostgreSQL; SQLite's write
/// transactions already exclude each other), so that checks made after it see a settled row.
pub fn lock(conn: &mut DbConn, id: Id) -> QueryResult<()> {
    diesel::update(dossiers::table.find(id))
        .set(dossiers::version.eq(dossiers::version))
        .execute(conn)
        .map(|_| ())
}

/// An account and, in the same statement, the dossier `id` whoever may see it (the caller
/// checks with [`Scope::admits`]) with its [`Details`]: the hottest read,
/// `GET /dossiers/{id}`, is one statement, run on the database's own connection
/// (`db::on_backend!`). `None` when there is no such account.
pub fn with_account(
    conn: &mut DbConn,
    account: Id,
    id: Id,
) -> QueryResult<Option<(Account, Option<DossierRead>)>> {
    let row: Option<(Account, Option<Dossier>, DetailLists)> = db::on_backend!(conn, c => {
        accounts::table
            .left_join(dossiers::table.on(dossiers::id.eq(id)))
            .filter(accounts::id.eq(account))
            .select((
                Account::as_select(),
                Option::<Dossier>::as_select(),
                Literal::<DetailColumns>::new(),
            ))
            .first(c)
            .optional()?
    });
    row.map(|(account, dossier, lists)| {
        let dossier = match dossier {
            Some(d) => Some((d, Details::decode(lists)?)),
            None => None,
        };
        Ok((account, dossier))
    })
    .transpose()
}

/// A dossier and its [`Details`], as a single read shows them.
pub type DossierRead = (Dossier, Details);

/// What a dossier's full view shows beside its row: the components provided (by component),
/// the fee lines frozen at intake (by position) and the payments (oldest first).
#[derive(Debug, Clone)]
pub struct Details {
    pub components: Vec<DossierComponent>,
    pub fees: Vec<DossierFee>,
    pub payments: Vec<Payment>,
}

/// [`Details`]' three lists as JSON arrays, one column each.
type DetailLists = (String, String, String);

/// A dossier's [`Details`], in one statement.
pub fn details(conn: &mut DbConn, id: Id) -> QueryResult<Details> {
    let lists: DetailLists = dossiers::table
        .filter(dossiers::id.eq(id))
        .select(Literal::<DetailColumns>::new())
        .first(conn)?;
    Details::decode(lists)
}

impl Details {
    fn decode((components, fees, payments): DetailLists) -> QueryResult<Details> {
        fn list<T: serde::de::DeserializeOwned>(json: &str) -> QueryResult<Vec<T>> {
            serde_json::from_str(json)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
        }
        let mut details = Details {
            components: list(&components)?,
            fees: list(&fees)?,
            payments: list(&payments)?,
        };
        details.components.sort_by_key(|c| c.component_id);
        details.fees.sort_by_key(|f| f.position);
        details.payments.sort_by_key(|p| p.id);
        Ok(details)
    }
}

/// The select list of [`DetailLists`] over a statement that has `dossiers` in scope: one
/// correlated subquery per list, each aggregating its rows into a JSON array (`json_agg` on
/// PostgreSQL, `json_group_array` on SQLite) whose objects deserialize into the row structs.
/// Ids are written in hex and timestamps in ISO form on both databases.
struct DetailColumns;

impl LiteralSql for DetailColumns {
    type SqlType = (Text, Text, Text);
    fn sql(backend: db::Backend) -> &'static str {
        static LISTS: std::sync::LazyLock<[String; 2]> =
            std::sync::LazyLock::new(|| [false, true].map(detail_lists_sql));
        &LISTS[usize::from(backend == db::Backend::Postgres)]
    }
}

/// How a column of [`detail_lists_sql`] is written into JSON.
#[derive(Clone, Copy)]
enum Json {
    Plain,
    Id,
    Time,
}

fn detail_lists_sql(pg: bool) -> String {
    use Json::*;
    let list = |table: &str, columns: &[(&str, Json)]| {
        let fields: Vec<String> = columns
            .iter()
            .map(|&(name, kind)| {
                let value = match (kind, pg) {
                    (Plain, _) => format!("x.{name}"),
                    (Id, true) => format!("encode(x.{name}, 'hex')"),
                    // hex(NULL) is ''.
                    (Id, false) => format!("nullif(hex(x.{name}), '')"),
                    (Time, true) => format!("x.{name}"),
                    (Time, false) => format!("replace(x.{name}, ' ', 'T')"),
                };
                format!("'{name}', {value}")
            })
            .collect();
        let rows = format!("FROM {table} x WHERE x.dossier_id = dossiers.id");
        if pg {
            format!(
                "COALESCE((SELECT json_agg(json_build_object({}))::text {rows}), '[]')",
                fields.join(", ")
            )
        } else {
            format!(
                "(SELECT json_group_array(json_object({})) {rows})",
                fields.join(", ")
            )
        }
    };
    [
        list(
            "dossier_components",
            &[
                ("dossier_id", Id),
                ("component_id", Id),
                ("file_id", Id),
                ("added_at", Time),
                ("document_id", Id),
            ],
        ),
        list(
            "dossier_fees",
            &[
                ("dossier_id", Id),
                ("position", Plain),
                ("fee_item_id", Id),
                ("name", Plain),
                ("base_amount", Plain),
                ("charged_amount", Plain),
                ("policies", Plain),
            ],
        ),
        list(
            "dossier_payments",
            &[
                ("id", Id),
                ("dossier_id", Id),
                ("amount", Plain),
                ("method", Plain),
                ("receipt_number", Plain),
                ("transaction_id", Plain),
                ("paid_at", Time),
                ("recorded_by", Id),
                ("created_at", Time),
            ],
        ),
    ]
    .join(", ")
}

/// A dossier, whoever asks (for the service's own work, such as payment callbacks).
pub fn find(conn: &mut DbConn, id: Id) -> QueryResult<Option<Dossier>> {
    dossiers::table
        .find(id)
        .select(Dossier::as_select())
        .first(conn)
        .optional()
}

/// A dossier that `scope` may see; `None` when it does not exist or may not be seen.
pub fn find_visible(conn: &mut DbConn, id: Id, scope: &Scope) -> QueryResult<Option<Dossier>> {
    let query = dossiers::table
        .filter(dossiers::id.eq(id))
        .select(Dossier::as_select())
        .into_boxed();
    visible(conn, query, scope)?.first(conn).optional()
}

/// Whether `scope` may see any of the dossiers `ids` (one query).
pub fn any_visible(conn: &mut DbConn, ids: &[Id], scope: &Scope) -> QueryResult<bool> {
    if ids.is_empty() {
        return Ok(false);
    }
    let query = dossiers::table
        .filter(dossiers::id.eq_any(ids.to_vec()))
        .select(Dossier::as_select())
        .into_boxed();
    Ok(!visible(conn, query, scope)?.limit(1).load(conn)?.is_empty())
}

/// A new dossier, its components and the event that created it.
pub struct Intake {
    pub dossier: Dossier,
    pub components: Vec<Provided>,
    /// The fee, computed at intake and frozen.
    pub fees: Vec<super::fees::DossierFee>,
    /// The receiving unit's code, for the dossier code when it starts received.
    pub receiving_unit_code: String,
    pub tz: chrono_tz::Tz,
    /// The applicant's channels to tell of it (its receipt, for a desk intake).
    pub notify: super::outbox::Channels,
}

/// Stores a new dossier — an online submission, or a desk intake that starts received (and then
/// gets its code at once) — with its components, frozen fee and first history entry, and adds it
/// to the report aggregates and its notifications to the outbox, inside the write transaction
/// the caller holds (which also keeps the idempotency record).
pub fn insert(conn: &mut DbConn, intake: Intake) -> StoreResult<Dossier> {
    let tz = intake.tz;
    let extras = super::reports::Extras {
        reused: intake.components.iter().any(|c| c.document_id.is_some()),
        charged_vnd: intake.fees.iter().map(|f| f.charged_amount).sum(),
        base_vnd: intake.fees.iter().map(|f| f.base_amount).sum(),
        ..Default::default()
    };
    let notify = intake.notify;
    let (dossier, first) = insert_rows(conn, intake)?;
    super::reports::track_new(conn, &dossier, extras, tz)?;
    super::outbox::tell_of(conn, notify, &dossier, &first, tz)?;
    Ok(dossier)
}

/// [`insert`] without the report aggregates: the baseline `motcua bench submissions` measures
/// their cost against. Nothing else may call it.
pub(crate) fn insert_rows(conn: &mut DbConn, intake: Intake) -> StoreResult<(Dossier, Event)> {
    let Intake {
        mut dossier,
        components,
        fees,
        receiving_unit_code,
        tz,
        notify: _,
    } = intake;
    if let Some(received_at) = dossier.received_at {
        let day = received_at.and_utc().with_timezone(&tz).date_naive();
        dossier.code = Some(next_code(
            conn,
            dossier.receiving_unit_id,
            &receiving_unit_code,
            day,
        )?);
    }
    diesel::insert_into(dossiers::table)
        .values(&dossier)
        .execute(conn)?;
    for provided in &components {
        diesel::insert_into(dossier_components::table)
            .values(component_row(dossier.id, provided, dossier.created_at))
            .execute(conn)?;
    }
    super::fees::freeze(conn, &fees)?;
    let (action, details) = match dossier.received_at {
        Some(_) => ("record", serde_json::json!({"code": dossier.code})),
        None => ("submit", serde_json::json!({})),
    };
    let mut first = [Event {
        id: Id::new(),
        dossier_id: dossier.id,
        seq: 1,
        action: action.to_string(),
        actor_id: Some(dossier.created_by),
        from_status: None,
        to_status: dossier.status.clone(),
        note: None,
        details: details.to_string(),
        step_name: None,
        step_due_at: None,
        step_timeliness: None,
        at: dossier.created_at,
        hash: Vec::new(),
    }];
    super::audit::chain(&mut first, &[]);
    let [first] = first;
    insert_event(conn, first.clone())?;
    Ok((dossier, first))
}

/// Stores an imported legacy dossier with its whole history (and rating), inside the caller's
/// write transaction, with its frozen fee; a received dossier without a legacy code gets one for its day of receipt.
pub fn import(
    conn: &mut DbConn,
    mut dossier: Dossier,
    fees: &[super::fees::DossierFee],
    events: Vec<Event>,
    rating: Option<Rating>,
    receiving_unit_code: &str,
    tz: chrono_tz::Tz,
) -> StoreResult<Dossier> {
    if let (None, Some(received_at)) = (&dossier.code, dossier.received_at) {
        let day = received_at.and_utc().with_timezone(&tz).date_naive();
        dossier.code = Some(next_code(
            conn,
            dossier.receiving_unit_id,
            receiving_unit_code,
            day,
        )?);
    }
    diesel::insert_into(dossiers::table)
        .values(&dossier)
        .execute(conn)?;
    super::fees::freeze(conn, fees)?;
    for event in events {
        insert_event(conn, event)?;
    }
    if let Some(rating) = rating {
        diesel::insert_into(dossier_ratings::table)
            .values(&rating)
            .execute(conn)?;
    }
    super::reports::track_inserted(conn, &dossier, tz)?;
    Ok(dossier)
}

/// The next code of a unit for a day, `<unit code>-<yyMMdd>-<NNNN>`. The counter row is locked
/// until the transaction ends, so codes are unique and gapless under concurrent intake, on
/// several servers too: a rolled-back transaction gives its number back.
fn next_code(conn: &mut DbConn, unit: Id, unit_code: &str, day: NaiveDate) -> QueryResult<String> {
    use dossier_code_counters as c;
    let key = day.format("%y%m%d").to_string();
    let insert = diesel::insert_into(c::table).values((
        c::unit_id.eq(unit),
        c::day.eq(&key),
        c::last_sequence.eq(1),
    ));
    let sequence: i32 = match conn {
        DbConn::Pg(pg) => insert
            .on_conflict((c::unit_id, c::day))
            .do_update()
            .set(c::last_sequence.eq(c::last_sequence + 1))
            .returning(c::last_sequence)
            .get_result(pg)?,
        DbConn::Sqlite(sqlite) => insert
            .on_conflict((c::unit_id, c::day))
            .do_update()
            .set(c::last_sequence.eq(c::last_sequence + 1))
            .returning(c::last_sequence)
            .get_result(sqlite)?,
    };
    Ok(format!("{unit_code}-{key}-{sequence:04}"))
}

fn insert_event(conn: &mut DbConn, event: Event) -> QueryResult<()> {
    diesel::insert_into(dossier_events::table)
        .values(&event)
        .execute(conn)
        .map(|_| ())
}

/// An action to record: its planned outcome and what goes into the history.
pub struct Applied<'a> {
    pub action: &'a str,
    /// `None` when the service acts by itself (a payment callback).
    pub actor_id: Option<Id>,
    pub note: Option<String>,
    pub details: serde_json::Value,
    pub outcome: Outcome,
    /// Components the action brings (a supplement): (component, file).
    pub components: Vec<Provided>,
    /// Other work of the action, in the same transaction.
    pub also: Option<Also<'a>>,
    /// A payment the action records.
    pub payment: Option<super::fees::Payment>,
    pub receiving_unit_code: String,
    pub tz: chrono_tz::Tz,
    pub now: DateTime<Utc>,
    /// The applicant's channels to tell of it.
    pub notify: super::outbox::Channels,
}

/// Applies a planned action to the dossier as it was at `before.version`; if it has changed since,
/// nothing is written and the answer is [`StoreError::Stale`]. The dossier row, its components,
/// the history entry and the notifications it gives change in one transaction.
pub fn apply(
    conn: &mut DbConn,
    before: &Dossier,
    applied: Applied<'_>,
) -> StoreResult<(Dossier, Event)> {
    db::write(conn, |conn| apply_within(conn, before, applied))
}

/// [`apply`] inside a write transaction the caller holds.
pub fn apply_within(
    conn: &mut DbConn,
    before: &Dossier,
    applied: Applied<'_>,
) -> StoreResult<(Dossier, Event)> {
    {
        let mut after = before.clone();
        after.set_facts(&applied.outcome.facts);
        after.version = before.version + 1;
        after.updated_at = applied.now.naive_utc();
        if applied.outcome.assign_code && after.code.is_none() {
            let day = applied.now.with_timezone(&applied.tz).date_naive();
            after.code = Some(next_code(
                conn,
                after.receiving_unit_id,
                &applied.receiving_unit_code,
                day,
            )?);
        }
        let changes = ActionChanges {
            code: after.code.as_deref(),
            status: &after.status,
            received_at: after.received_at,
            due_at: after.due_at,
            apology_due_at: after.apology_due_at,
            paused_at: after.paused_at,
            paused_seconds: after.paused_seconds,
            supplement_requests: after.supplement_requests,
            resume_status: after.resume_status.as_deref(),
            assigned_specialist_id: after.assigned_specialist_id,
            draft_submitted: after.draft_submitted,
            step_index: after.step_index,
            step_started_at: after.step_started_at,
            step_paused_base: after.step_paused_base,
            finished_at: after.finished_at,
            overdue_at: after.overdue_at,
            processing_seconds: after.processing_seconds,
            version: after.version,
            updated_at: after.updated_at,
        };
        let updated = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(before.id))
                .filter(dossiers::version.eq(before.version)),
        )
        .set(&changes)
        .execute(conn)?;
        if updated == 0 {
            return Err(StoreError::Stale);
        }
        if let Some(payment) = &applied.payment {
            super::fees::record_payment(conn, payment)?;
        }
        for provided in &applied.components {
            diesel::delete(
                dossier_components::table
                    .filter(dossier_components::dossier_id.eq(before.id))
                    .filter(dossier_components::component_id.eq(provided.component_id)),
            )
            .execute(conn)?;
            diesel::insert_into(dossier_components::table)
                .values(component_row(before.id, provided, after.updated_at))
                .execute(conn)?;
        }
        let mut details = applied.details;
        if let Some(also) = applied.also {
            let extra = also(conn, &after)?;
            if let Some(map) = details.as_object_mut() {
                map.extend(extra);
            }
        }
        let (seq, previous): (i32, Vec<u8>) = dossier_events::table
            .filter(dossier_events::dossier_id.eq(before.id))
            .order(dossier_events::seq.desc())
            .select((dossier_events::seq, dossier_events::hash))
            .first(conn)
            .optional()?
            .unwrap_or_default();
        let step = applied.outcome.step.as_ref();
        if applied.outcome.assign_code {
            details["code"] = serde_json::json!(after.code);
        }
        let mut event = Event {
            id: Id::new(),
            dossier_id: before.id,
            seq: seq + 1,
            action: applied.action.to_string(),
            actor_id: applied.actor_id,
            from_status: Some(before.status.clone()),
            to_status: after.status.clone(),
            note: applied.note,
            details: details.to_string(),
            step_name: step.map(|s| s.name.clone()),
            step_due_at: step.map(|s| s.due_at.naive_utc()),
            step_timeliness: step.map(|s| s.timeliness.as_str().to_string()),
            at: after.updated_at,
            hash: Vec::new(),
        };
        event.hash = super::audit::digest(&previous, &event);
        insert_event(conn, event.clone())?;
        super::reports::track_change(conn, before, &after, applied.tz)?;
        super::outbox::tell_of(conn, applied.notify, &after, &event, applied.tz)?;
        Ok((after, event))
    }
}

pub fn events(conn: &mut DbConn, dossier: Id) -> QueryResult<Vec<Event>> {
    dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier))
        .order(dossier_events::seq.asc())
        .select(Event::as_select())
        .load(conn)
}

pub fn components(conn: &mut DbConn, dossier: Id) -> QueryResult<Vec<DossierComponent>> {
    dossier_components::table
        .filter(dossier_components::dossier_id.eq(dossier))
        .select(DossierComponent::as_select())
        .load(conn)
}

/// Filters of the dossier list; every one is a column predicate.
#[derive(Debug, Default, Clone)]
pub struct DossierFilter {
    pub status: Option<Status>,
    pub channel: Option<Channel>,
    pub procedure_id: Option<Id>,
    pub receiving_unit_id: Option<Id>,
    pub processing_unit_id: Option<Id>,
    pub assigned_to: Option<Id>,
    pub submitted: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    pub received: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    pub due: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    /// Open dossiers whose appointment has passed at this instant (and are not waiting for a
    /// supplement).
    pub overdue_at: Option<NaiveDateTime>,
    /// Online dossiers still waiting at the desk past their 8-working-hour limit at this instant.
    pub reception_overdue_at: Option<NaiveDateTime>,
}

/// The states of a received dossier that is not finished.
pub const OPEN: [Status; 5] = [
    Status::Received,
    Status::Processing,
    Status::SupplementRequested,
    Status::AwaitingPayment,
    Status::WithdrawalRequested,
];

pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &DossierFilter,
    page: Page,
) -> QueryResult<(Vec<Dossier>, Option<Id>)> {
    let mut query = visible(
        conn,
        dossiers::table.select(Dossier::as_select()).into_boxed(),
        scope,
    )?;
    if let Some(status) = filter.status {
        query = query.filter(dossiers::status.eq(status.as_str()));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(dossiers::channel.eq(channel.as_str()));
    }
    if let Some(id) = filter.procedure_id {
        query = query.filter(dossiers::procedure_id.eq(id));
    }
    if let Some(id) = filter.receiving_unit_id {
        query = query.filter(dossiers::receiving_unit_id.eq(id));
    }
    if let Some(id) = filter.processing_unit_id {
        query = query.filter(dossiers::processing_unit_id.eq(id));
    }
    if let Some(id) = filter.assigned_to {
        query = query.filter(dossiers::assigned_specialist_id.eq(id));
    }
    let (from, to) = filter.submitted;
    if let Some(from) = from {
        query = query.filter(dossiers::submitted_at.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(dossiers::submitted_at.lt(to));
    }
    let (from, to) = filter.received;
    if let Some(from) = from {
        query = query.filter(dossiers::received_at.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(dossiers::received_at.lt(to));
    }
    let (from, to) = filter.due;
    if let Some(from) = from {
        query = query.filter(dossiers::due_at.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(dossiers::due_at.lt(to));
    }
    if let Some(at) = filter.overdue_at {
        // As `domain::timeliness::of_dossier` judges open dossiers: past the appointment and not
        // waiting for a supplement, or marked late by a second supplement request.
        let open: Vec<&str> = OPEN.iter().map(|s| s.as_str()).collect();
        query = query.filter(dossiers::status.eq_any(open)).filter(
            dossiers::due_at
                .lt(at)
                .and(dossiers::paused_at.is_null())
                .or(dossiers::supplement_requests.gt(1)),
        );
    }
    if let Some(at) = filter.reception_overdue_at {
        query = query
            .filter(dossiers::status.eq(Status::Submitted.as_str()))
            .filter(dossiers::reception_due_at.lt(at));
    }
    if let Some(after) = page.after {
        query = query.filter(dossiers::id.gt(after));
    }
    let rows = query
        .order(dossiers::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    Ok(paginate(rows, page.limit, |d| d.id))
}

/// What the public look-up reveals: status, procedure name and appointments.
pub struct PublicStatus {
    pub status: Status,
    pub procedure_name: String,
    pub due_at: Option<DateTime<Utc>>,
    pub apology_due_at: Option<DateTime<Utc>>,
}

/// The public status of the dossier with this code, only when `national_id` is its applicant's.
pub fn public_status(
    conn: &mut DbConn,
    code: &str,
    national_id: &str,
) -> QueryResult<Option<PublicStatus>> {
    let row: Option<(String, String, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        dossiers::table
            .inner_join(procedures::table)
            .filter(dossiers::code.eq(code))
            .filter(dossiers::applicant_national_id.eq(national_id))
            .select((
                dossiers::status,
                procedures::name,
                dossiers::due_at,
                dossiers::apology_due_at,
            ))
            .first(conn)
            .optional()?;
    Ok(row.map(|(status, name, due, apology)| PublicStatus {
        status: Status::parse(&status).unwrap_or(Status::Submitted),
        procedure_name: name,
        due_at: utc(due),
        apology_due_at: utc(apology),
    }))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dossier_ratings, treat_none_as_default_value = false)]
pub struct Rating {
    pub dossier_id: Id,
    pub rating: String,
    pub comment: Option<String>,
    pub rated_at: NaiveDateTime,
}

pub fn rating(conn: &mut DbConn, dossier: Id) -> QueryResult<Option<Rating>> {
    dossier_ratings::table
        .find(dossier)
        .select(Rating::as_select())
        .first(conn)
        .optional()
}

/// Records the applicant's rating; a dossier is rated once.
pub fn rate(conn: &mut DbConn, rating: &Rating, tz: chrono_tz::Tz) -> StoreResult<()> {
    db::write(conn, |conn| {
        if self::rating(conn, rating.dossier_id)?.is_some() {
            return Err(StoreError::Conflict(
                "already_rated",
                "This dossier has already been rated.".to_string(),
            ));
        }
        diesel::insert_into(dossier_ratings::table)
            .values(rating)
            .execute(conn)?;
        super::reports::track_id(conn, rating.dossier_id, tz)?;
        Ok(())
    })
}

/// One change of the feed: a history entry with its dossier's code and channel.
#[derive(Debug, Clone, Queryable)]
pub struct Change {
    pub event_id: Id,
    pub dossier_id: Id,
    pub seq: i32,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: NaiveDateTime,
    pub code: Option<String>,
    pub channel: String,
    pub procedure_id: Id,
    pub receiving_unit_id: Id,
    pub processing_unit_id: Id,
}

impl Change {
    /// The change an action just made: its history entry on the dossier as it now is.
    pub fn of(dossier: &Dossier, event: &Event) -> Change {
        Change {
            event_id: event.id,
            dossier_id: dossier.id,
            seq: event.seq,
            action: event.action.clone(),
            from_status: event.from_status.clone(),
            to_status: event.to_status.clone(),
            at: event.at,
            code: dossier.code.clone(),
            channel: dossier.channel.clone(),
            procedure_id: dossier.procedure_id,
            receiving_unit_id: dossier.receiving_unit_id,
            processing_unit_id: dossier.processing_unit_id,
        }
    }

    /// As the feed and the webhooks tell it, with the national portal's codes.
    pub fn record(self) -> DossierChange {
        let status = Status::parse(&self.to_status).unwrap_or(Status::Submitted);
        let channel = Channel::parse(&self.channel).unwrap_or(Channel::Online);
        DossierChange {
            cursor: self.event_id.to_cursor(),
            dossier_id: self.dossier_id,
            code: self.code,
            seq: self.seq,
            action: self.action,
            from_status: self.from_status.as_deref().and_then(Status::parse),
            status,
            national_status_code: status.national_code(),
            channel,
            national_channel_code: channel.national_code(),
            procedure_id: self.procedure_id,
            receiving_unit_id: self.receiving_unit_id,
            processing_unit_id: self.processing_unit_id,
            at: self.at.and_utc(),
        }
    }
}

/// One change of a dossier, as the change feed lists it and webhooks send it (no personal data).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DossierChange {
    /// The change's position: pass as `cursor` to read the feed on from it.
    pub cursor: String,
    pub dossier_id: Id,
    pub code: Option<String>,
    /// The history entry's number within the dossier (1 for its intake).
    pub seq: i32,
    pub action: String,
    pub from_status: Option<Status>,
    pub status: Status,
    /// The national portal's status code of `status`.
    pub national_status_code: i32,
    pub channel: Channel,
    pub national_channel_code: i32,
    pub procedure_id: Id,
    pub receiving_unit_id: Id,
    pub processing_unit_id: Id,
    pub at: DateTime<Utc>,
}

/// History entries after `after` (in id order) and before `before`, at most `limit`.
pub fn changes(
    conn: &mut DbConn,
    after: Option<Id>,
    before: Id,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    use crate::db::schema::dossiers as d;
    use dossier_events as e;
    let mut query = e::table
        .inner_join(d::table)
        .filter(e::id.lt(before))
        .select((
            e::id,
            e::dossier_id,
            e::seq,
            e::action,
            e::from_status,
            e::to_status,
            e::at,
            d::code,
            d::channel,
            d::procedure_id,
            d::receiving_unit_id,
            d::processing_unit_id,
        ))
        .order(e::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(e::id.gt(after));
    }
    query.load(conn)
}

/// How many dossiers the database holds.
pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    dossiers::table.count().get_result(conn)
}

/// Open dossiers whose clock runs (not waiting for a supplement) due after `from` and at or
/// before `to`, in id order, a page at a time: those whose officials may need a warning.
pub fn due_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    page: Page,
) -> QueryResult<(Vec<Dossier>, Option<Id>)> {
    let open: Vec<&str> = OPEN.iter().map(|s| s.as_str()).collect();
    let mut query = dossiers::table
        .select(Dossier::as_select())
        .filter(dossiers::status.eq_any(open))
        .filter(dossiers::paused_at.is_null())
        .filter(dossiers::due_at.gt(from))
        .filter(dossiers::due_at.le(to))
        .order(dossiers::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(dossiers::id.gt(after));
    }
    Ok(paginate(query.load(conn)?, page.limit, |d| d.id))
}
