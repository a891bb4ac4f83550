//! The procedure catalogue: procedures with their components, fees, steps and applying units.
//! A procedure is never edited in place: [`publish_version`] adds a new version and closes the
//! validity window of the current one; what a version carries (components, fees, steps, units)
//! is never changed after it is written, which [`get`] relies on to keep it in memory.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{
    procedure_components, procedure_fees, procedure_steps, procedure_units, procedures, units,
};
use crate::db::{self, DbConn};
use crate::domain::calendar::TimeUnit;
use crate::domain::codes::ProcedureCode;
use crate::domain::procedures::{self as rules, OnlineService, ProcedureLevel};
use crate::domain::text::fold;
use crate::error::{StoreError, StoreResult};
use crate::id::Id;

use super::{like_escape, paginate, Page};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = procedures, treat_none_as_default_value = false)]
pub struct Procedure {
    pub id: Id,
    pub code: String,
    pub version: i32,
    pub is_latest: bool,
    pub name: String,
    pub search_text: String,
    pub field: String,
    pub field_key: String,
    pub level: String,
    pub processing_amount: i32,
    pub processing_unit: String,
    pub online_service: String,
    pub online_payment: bool,
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub created_at: chrono::NaiveDateTime,
}

impl Procedure {
    pub fn level(&self) -> ProcedureLevel {
        ProcedureLevel::parse(&self.level).unwrap_or(ProcedureLevel::Province)
    }
    pub fn online_service(&self) -> OnlineService {
        OnlineService::parse(&self.online_service).unwrap_or(OnlineService::None)
    }
    pub fn processing_unit(&self) -> TimeUnit {
        TimeUnit::parse(&self.processing_unit).unwrap_or(TimeUnit::WorkingDays)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = procedure_components, treat_none_as_default_value = false)]
pub struct Component {
    pub id: Id,
    pub procedure_id: Id,
    pub position: i32,
    pub name: String,
    pub mandatory: bool,
    pub digitized_copy_accepted: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = procedure_fees, treat_none_as_default_value = false)]
pub struct Fee {
    pub id: Id,
    pub procedure_id: Id,
    pub position: i32,
    pub name: String,
    pub amount: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = procedure_steps)]
pub struct Step {
    pub procedure_id: Id,
    pub position: i32,
    pub name: String,
    pub share: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = procedure_units, treat_none_as_default_value = false)]
pub struct ProcedureUnit {
    pub procedure_id: Id,
    pub unit_id: Id,
}

/// A procedure with everything it carries.
#[derive(Debug, Clone)]
pub struct ProcedureDetail {
    pub procedure: Procedure,
    pub components: Vec<Component>,
    pub fees: Vec<Fee>,
    pub steps: Vec<Step>,
    pub unit_ids: Vec<Id>,
}

/// A procedure definition, already validated.
#[derive(Debug, Clone)]
pub struct ProcedureDefinition {
    pub name: String,
    pub field: String,
    pub level: ProcedureLevel,
    pub processing_amount: u32,
    pub processing_unit: TimeUnit,
    pub online_service: OnlineService,
    pub online_payment: bool,
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// (name, mandatory, digitized copy accepted)
    pub components: Vec<(String, bool, bool)>,
    /// (name, amount in VND)
    pub fees: Vec<(String, i64)>,
    /// (name, share in percent)
    pub steps: Vec<(String, i32)>,
    pub unit_ids: Vec<Id>,
}

/// Adds a new procedure (version 1). A code already in the catalogue is a conflict: amend it by
/// publishing a version instead.
pub fn create(
    conn: &mut DbConn,
    code: &ProcedureCode,
    definition: &ProcedureDefinition,
) -> StoreResult<ProcedureDetail> {
    db::write(conn, |conn| {
        let existing = procedures::table
            .filter(procedures::code.eq(code.as_str()))
            .count()
            .get_result::<i64>(conn)?;
        if existing > 0 {
            return Err(StoreError::Conflict(
                "procedure_exists",
                format!(
                    "Procedure {code} is already in the catalogue; publish a new version of it instead."
                ),
            ));
        }
        insert(conn, code.as_str(), 1, definition)
    })
}

/// Publishes a new version of the procedure `id`, which must be the latest version. The current
/// version stays as it is for the dossiers that use it, except that its validity now ends the
/// day before the new version's starts.
pub fn publish_version(
    conn: &mut DbConn,
    id: Id,
    definition: &ProcedureDefinition,
) -> StoreResult<ProcedureDetail> {
    db::write(conn, |conn| {
        let current = procedures::table
            .find(id)
            .select(Procedure::as_select())
            .first(conn)
            .optional()?
            .ok_or(StoreError::NotFound("Procedure"))?;
        if !current.is_latest {
            return Err(StoreError::Conflict(
                "not_latest_version",
                format!(
                    "Version {} of {} has been superseded; publish from the latest version.",
                    current.version, current.code
                ),
            ));
        }
        let closed_to =
            rules::supersede(current.valid_from, current.valid_to, definition.valid_from)
                .map_err(|e| StoreError::Invalid("invalid_validity", e))?;
        diesel::update(procedures::table.find(id))
            .set((
                procedures::is_latest.eq(false),
                procedures::valid_to.eq(closed_to),
            ))
            .execute(conn)?;
        insert(conn, &current.code, current.version + 1, definition)
    })
}

fn insert(
    conn: &mut DbConn,
    code: &str,
    version: i32,
    d: &ProcedureDefinition,
) -> StoreResult<ProcedureDetail> {
    let mut unit_ids = d.unit_ids.clone();
    unit_ids.sort();
    unit_ids.dedup();
    let known = units::table
        .filter(units::id.eq_any(&unit_ids))
        .count()
        .get_result::<i64>(conn)?;
    if known != unit_ids.len() as i64 {
        return Err(StoreError::Invalid(
            "unknown_unit",
            "One of unit_ids is not a unit.".to_string(),
        ));
    }
    let id = Id::new();
    let procedure = Procedure {
        id,
        code: code.to_string(),
        version,
        is_latest: true,
        name: d.name.clone(),
        search_text: fold(&format!("{code} {}", d.name)),
        field: d.field.clone(),
        field_key: fold(&d.field),
        level: d.level.as_str().to_string(),
        processing_amount: d.processing_amount as i32,
        processing_unit: d.processing_unit.as_str().to_string(),
        online_service: d.online_service.as_str().to_string(),
        online_payment: d.online_payment,
        legal_basis: d.legal_basis.clone(),
        valid_from: d.valid_from,
        valid_to: d.valid_to,
        created_at: db::now(),
    };
    let position = |i: usize| i as i32 + 1;
    let components: Vec<Component> = d
        .components
        .iter()
        .enumerate()
        .map(|(i, (name, mandatory, copy))| Component {
            id: Id::new(),
            procedure_id: id,
            position: position(i),
            name: name.clone(),
            mandatory: *mandatory,
            digitized_copy_accepted: *copy,
        })
        .collect();
    let fees: Vec<Fee> = d
        .fees
        .iter()
        .enumerate()
        .map(|(i, (name, amount))| Fee {
            id: Id::new(),
            procedure_id: id,
            position: position(i),
            name: name.clone(),
            amount: *amount,
        })
        .collect();
    let steps: Vec<Step> = d
        .steps
        .iter()
        .enumerate()
        .map(|(i, (name, share))| Step {
            procedure_id: id,
            position: position(i),
            name: name.clone(),
            share: *share,
        })
        .collect();
    let links: Vec<ProcedureUnit> = unit_ids
        .iter()
        .map(|unit_id| ProcedureUnit {
            procedure_id: id,
            unit_id: *unit_id,
        })
        .collect();
    diesel::insert_into(procedures::table)
        .values(&procedure)
        .execute(conn)?;
    for c in &components {
        diesel::insert_into(procedure_components::table)
            .values(c)
            .execute(conn)?;
    }
    for f in &fees {
        diesel::insert_into(procedure_fees::table)
            .values(f)
            .execute(conn)?;
    }
    for s in &steps {
        diesel::insert_into(procedure_steps::table)
            .values(s)
            .execute(conn)?;
    }
    for l in &links {
        diesel::insert_into(procedure_units::table)
            .values(l)
            .execute(conn)?;
    }
    Ok(ProcedureDetail {
        procedure,
        components,
        fees,
        steps,
        unit_ids,
    })
}

/// A procedure version with what it carries. Its row is read every time (its validity and
/// `is_latest` change when a version supersedes it); what it carries is written with it and never
/// changed, so that comes from memory once read ([`CARRIED`]): one statement instead of five on
/// every intake, receipt and action.
pub fn get(conn: &mut DbConn, id: Id) -> StoreResult<ProcedureDetail> {
    let procedure = procedures::table
        .find(id)
        .select(Procedure::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound("Procedure"))?;
    let known = CARRIED.lock().ok().and_then(|c| c.get(&id).cloned());
    if let Some(known) = known {
        return Ok(ProcedureDetail { procedure, ..known });
    }
    let detail = with_children(conn, vec![procedure])?.remove(0);
    if let Ok(mut carried) = CARRIED.lock() {
        if carried.len() >= CARRIED_LIMIT {
            carried.clear();
        }
        carried.insert(id, detail.clone());
    }
    Ok(detail)
}

/// The versions read so far, by id (ids are never reused, so one map serves every database a
/// process opens), of which [`get`] uses what they carry; emptied when it reaches
/// [`CARRIED_LIMIT`] versions, a few megabytes.
static CARRIED: LazyLock<Mutex<HashMap<Id, ProcedureDetail>>> = LazyLock::new(Default::default);
const CARRIED_LIMIT: usize = 4_096;

#[derive(Debug, Default, Clone)]
pub struct ProcedureFilter {
    /// Words to find in the code or name, ignoring diacritics and case.
    pub q: Option<String>,
    pub code: Option<String>,
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    pub unit_id: Option<Id>,
    pub online_service: Option<OnlineService>,
    /// Include superseded versions (by default only the latest version of each procedure).
    pub all_versions: bool,
}

pub fn list(
    conn: &mut DbConn,
    filter: &ProcedureFilter,
    page: Page,
) -> QueryResult<(Vec<ProcedureDetail>, Option<Id>)> {
    let mut query = procedures::table
        .select(Procedure::as_select())
        .into_boxed();
    if !filter.all_versions {
        query = query.filter(procedures::is_latest.eq(true));
    }
    if let Some(q) = &filter.q {
        for word in fold(q).split(' ').filter(|w| !w.is_empty()) {
            let pattern = format!("%{}%", like_escape(word));
            query = query.filter(procedures::search_text.like(pattern).escape('\\'));
        }
    }
    if let Some(code) = &filter.code {
        query = query.filter(procedures::code.eq(code.trim().to_ascii_uppercase()));
    }
    if let Some(field) = &filter.field {
        query = query.filter(procedures::field_key.eq(fold(field)));
    }
    if let Some(level) = filter.level {
        query = query.filter(procedures::level.eq(level.as_str()));
    }
    if let Some(service) = filter.online_service {
        query = query.filter(procedures::online_service.eq(service.as_str()));
    }
    if let Some(unit) = filter.unit_id {
        query = query.filter(
            procedures::id.eq_any(
                procedure_units::table
                    .filter(procedure_units::unit_id.eq(unit))
                    .select(procedure_units::procedure_id),
            ),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(procedures::id.gt(after));
    }
    let rows = query
        .order(procedures::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    let (rows, next) = paginate(rows, page.limit, |p| p.id);
    Ok((with_children(conn, rows)?, next))
}

/// Loads the children of many procedures in four queries, whatever their number.
fn with_children(conn: &mut DbConn, rows: Vec<Procedure>) -> QueryResult<Vec<ProcedureDetail>> {
    let ids: Vec<Id> = rows.iter().map(|p| p.id).collect();
    let mut components: HashMap<Id, Vec<Component>> = HashMap::new();
    for c in procedure_components::table
        .filter(procedure_components::procedure_id.eq_any(&ids))
        .order((
            procedure_components::procedure_id,
            procedure_components::position,
        ))
        .select(Component::as_select())
        .load(conn)?
    {
        components.entry(c.procedure_id).or_default().push(c);
    }
    let mut fees: HashMap<Id, Vec<Fee>> = HashMap::new();
    for f in procedure_fees::table
        .filter(procedure_fees::procedure_id.eq_any(&ids))
        .order((procedure_fees::procedure_id, procedure_fees::position))
        .select(Fee::as_select())
        .load(conn)?
    {
        fees.entry(f.procedure_id).or_default().push(f);
    }
    let mut steps: HashMap<Id, Vec<Step>> = HashMap::new();
    for s in procedure_steps::table
        .filter(procedure_steps::procedure_id.eq_any(&ids))
        .order((procedure_steps::procedure_id, procedure_steps::position))
        .select(Step::as_select())
        .load(conn)?
    {
        steps.entry(s.procedure_id).or_default().push(s);
    }
    let mut unit_ids: HashMap<Id, Vec<Id>> = HashMap::new();
    for l in procedure_units::table
        .filter(procedure_units::procedure_id.eq_any(&ids))
        .order((procedure_units::procedure_id, procedure_units::unit_id))
        .select(ProcedureUnit::as_select())
        .load(conn)?
    {
        unit_ids.entry(l.procedure_id).or_default().push(l.unit_id);
    }
    Ok(rows
        .into_iter()
        .map(|procedure| {
            let id = procedure.id;
            ProcedureDetail {
                procedure,
                components: components.remove(&id).unwrap_or_default(),
                fees: fees.remove(&id).unwrap_or_default(),
                steps: steps.remove(&id).unwrap_or_default(),
                unit_ids: unit_ids.remove(&id).unwrap_or_default(),
            }
        })
        .collect())
}

/// The procedures with these ids (any version), in no particular order.
pub fn many(conn: &mut DbConn, ids: &[Id]) -> QueryResult<Vec<Procedure>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    procedures::table
        .filter(procedures::id.eq_any(ids.to_vec()))
        .select(Procedure::as_select())
        .load(conn)
}

/// Every version of the procedure with this code, oldest first.
pub fn versions_of(conn: &mut DbConn, code: &str) -> QueryResult<Vec<Procedure>> {
    procedures::table
        .filter(procedures::code.eq(code))
        .order(procedures::version.asc())
        .select(Procedure::as_select())
        .load(conn)
}
