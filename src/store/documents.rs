//! The personal document store: digitized components, electronic results and historical results,
//! owned by a national id (so that results registered before the owner has an account are theirs
//! as soon as they register); the units' signing keys; results attached to dossiers; and the
//! digitization backlog's plans and counts.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    digitization_plans, documents, dossier_components, dossier_results, unit_signing_keys,
};
use crate::db::DbConn;
use crate::domain::documents::DocumentKind;
use crate::error::{StoreError, StoreResult};
use crate::id::Id;

use super::{paginate, Page};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = documents, treat_none_as_default_value = false)]
pub struct Document {
    pub id: Id,
    pub owner_national_id: String,
    pub kind: String,
    pub title: String,
    pub issuing_unit_id: Option<Id>,
    pub issued_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub sha256: String,
    pub content_type: String,
    pub size: i64,
    /// An electronic result's code, `<dossier code>-KQ<n>`.
    pub code: Option<String>,
    /// A historical result's number, as printed on the paper.
    pub result_number: Option<String>,
    pub procedure_id: Option<Id>,
    pub source_dossier_id: Option<Id>,
    pub source_component_id: Option<Id>,
    /// The issuing unit's Ed25519 signature (hex) of an electronic result.
    pub signature: Option<String>,
    pub signing_key_id: Option<Id>,
    pub digitized_by: Option<Id>,
    pub digitized_at: NaiveDateTime,
}

impl Document {
    pub fn kind(&self) -> DocumentKind {
        DocumentKind::parse(&self.kind).unwrap_or(DocumentKind::Component)
    }
}

pub fn insert(conn: &mut DbConn, document: &Document) -> QueryResult<()> {
    diesel::insert_into(documents::table)
        .values(document)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: Id) -> QueryResult<Option<Document>> {
    documents::table
        .find(id)
        .select(Document::as_select())
        .first(conn)
        .optional()
}

pub fn by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Document>> {
    documents::table
        .filter(documents::code.eq(code))
        .select(Document::as_select())
        .first(conn)
        .optional()
}

/// The documents of the owner of `national_id`, optionally of one kind.
pub fn of_owner(
    conn: &mut DbConn,
    national_id: &str,
    kind: Option<DocumentKind>,
    page: Page,
) -> QueryResult<(Vec<Document>, Option<Id>)> {
    let mut query = documents::table
        .filter(documents::owner_national_id.eq(national_id))
        .select(Document::as_select())
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(documents::kind.eq(kind.as_str()));
    }
    if let Some(after) = page.after {
        query = query.filter(documents::id.gt(after));
    }
    let rows = query
        .order(documents::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    Ok(paginate(rows, page.limit, |d| d.id))
}

/// The dossiers that use a document: that reuse it for a component, or that it came from.
pub fn dossiers_using(conn: &mut DbConn, document: &Document) -> QueryResult<Vec<Id>> {
    let mut ids: Vec<Id> = dossier_components::table
        .filter(dossier_components::document_id.eq(document.id))
        .select(dossier_components::dossier_id)
        .load(conn)?;
    ids.extend(document.source_dossier_id);
    Ok(ids)
}

/// Removes a document that nothing uses. Results and documents a dossier reuses are kept:
/// removing them is refused.
pub fn delete(conn: &mut DbConn, document: &Document) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let reused = dossier_components::table
            .filter(dossier_components::document_id.eq(document.id))
            .count()
            .get_result::<i64>(conn)?;
        if reused > 0 || document.kind() != DocumentKind::Component {
            return Err(StoreError::Conflict(
                "document_in_use",
                "This document is used by a dossier or is a result: it cannot be removed."
                    .to_string(),
            ));
        }
        diesel::delete(documents::table.find(document.id)).execute(conn)?;
        Ok(())
    })
}

/// The document digitized from a dossier's component, if it was.
pub fn digitized(conn: &mut DbConn, dossier: Id, component: Id) -> QueryResult<Option<Document>> {
    documents::table
        .filter(documents::source_dossier_id.eq(dossier))
        .filter(documents::source_component_id.eq(component))
        .filter(documents::kind.eq(DocumentKind::Component.as_str()))
        .select(Document::as_select())
        .first(conn)
        .optional()
}

/// Whether a unit registered a historical result with this number already.
pub fn historical_exists(conn: &mut DbConn, unit: Id, number: &str) -> QueryResult<bool> {
    documents::table
        .filter(documents::kind.eq(DocumentKind::HistoricalResult.as_str()))
        .filter(documents::issuing_unit_id.eq(unit))
        .filter(documents::result_number.eq(number))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

/// The documents among `ids`.
pub fn many(conn: &mut DbConn, ids: &[Id]) -> QueryResult<Vec<Document>> {
    documents::table
        .filter(documents::id.eq_any(ids))
        .select(Document::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = unit_signing_keys)]
pub struct SigningKey {
    pub id: Id,
    pub unit_id: Id,
    pub public_key: String,
    pub secret_key: String,
    pub created_at: NaiveDateTime,
}

pub fn signing_key(conn: &mut DbConn, unit: Id) -> QueryResult<Option<SigningKey>> {
    unit_signing_keys::table
        .filter(unit_signing_keys::unit_id.eq(unit))
        .select(SigningKey::as_select())
        .first(conn)
        .optional()
}

pub fn signing_key_by_id(conn: &mut DbConn, id: Id) -> QueryResult<Option<SigningKey>> {
    unit_signing_keys::table
        .find(id)
        .select(SigningKey::as_select())
        .first(conn)
        .optional()
}

/// The unit's signing key, created on first use (inside the caller's transaction).
pub fn signing_key_for(conn: &mut DbConn, unit: Id) -> QueryResult<SigningKey> {
    if let Some(key) = signing_key(conn, unit)? {
        return Ok(key);
    }
    let (public_key, secret_key) = crate::signing::generate();
    let key = SigningKey {
        id: Id::new(),
        unit_id: unit,
        public_key,
        secret_key,
        created_at: crate::db::now(),
    };
    diesel::insert_into(unit_signing_keys::table)
        .values(&key)
        .execute(conn)?;
    Ok(key)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dossier_results)]
pub struct DossierResult {
    pub dossier_id: Id,
    pub file_id: Id,
    pub attached_by: Id,
    pub attached_at: NaiveDateTime,
    /// The electronic result issued from it on return.
    pub document_id: Option<Id>,
}

pub fn result_of(conn: &mut DbConn, dossier: Id) -> QueryResult<Option<DossierResult>> {
    dossier_results::table
        .find(dossier)
        .select(DossierResult::as_select())
        .first(conn)
        .optional()
}

/// Attaches (or replaces, before it is issued) a dossier's result file.
pub fn attach_result(conn: &mut DbConn, result: &DossierResult) -> QueryResult<()> {
    diesel::delete(dossier_results::table.find(result.dossier_id)).execute(conn)?;
    diesel::insert_into(dossier_results::table)
        .values(result)
        .execute(conn)
        .map(|_| ())
}

/// Records the electronic result issued from a dossier's result file.
pub fn mark_issued(conn: &mut DbConn, dossier: Id, document: Id) -> QueryResult<()> {
    diesel::update(dossier_results::table.find(dossier))
        .set(dossier_results::document_id.eq(document))
        .execute(conn)
        .map(|_| ())
}

/// How many results a dossier has had issued.
pub fn results_issued(conn: &mut DbConn, dossier: Id) -> QueryResult<i64> {
    documents::table
        .filter(documents::source_dossier_id.eq(dossier))
        .filter(documents::kind.eq(DocumentKind::Result.as_str()))
        .count()
        .get_result(conn)
}

/// Replaces a unit's planned totals of the backlog, per period label.
pub fn set_plan(conn: &mut DbConn, unit: Id, plan: &[(String, i64)]) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        diesel::delete(digitization_plans::table.filter(digitization_plans::unit_id.eq(unit)))
            .execute(conn)?;
        for (period, planned) in plan {
            diesel::insert_into(digitization_plans::table)
                .values((
                    digitization_plans::unit_id.eq(unit),
                    digitization_plans::period.eq(period),
                    digitization_plans::planned.eq(planned),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The planned totals of these units: (unit, period label, planned).
pub fn plans(conn: &mut DbConn, units: &[Id]) -> QueryResult<Vec<(Id, String, i64)>> {
    digitization_plans::table
        .filter(digitization_plans::unit_id.eq_any(units))
        .select((
            digitization_plans::unit_id,
            digitization_plans::period,
            digitization_plans::planned,
        ))
        .load(conn)
}

/// Historical results digitized by these units, counted per unit and issue date.
pub fn backlog_counts(
    conn: &mut DbConn,
    units: &[Id],
) -> QueryResult<Vec<(Option<Id>, NaiveDate, i64)>> {
    documents::table
        .filter(documents::kind.eq(DocumentKind::HistoricalResult.as_str()))
        .filter(documents::issuing_unit_id.eq_any(units))
        .group_by((documents::issuing_unit_id, documents::issued_on))
        .select((
            documents::issuing_unit_id,
            documents::issued_on,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}
