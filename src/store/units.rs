//! Units and their tree. Each unit keeps its materialized path (`/<id>/<id>/…/`, ids in hex), so
//! that a subtree is one indexed range predicate on `path`, usable inside any query.

use diesel::prelude::*;

use crate::db::schema::units;
use crate::db::{self, DbConn};
use crate::domain::codes::UnitCode;
use crate::domain::units::UnitLevel;
use crate::error::{StoreError, StoreResult};
use crate::id::Id;

use super::{paginate, Page};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = units, treat_none_as_default_value = false)]
pub struct Unit {
    pub id: Id,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Id>,
    pub level: String,
    pub path: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl Unit {
    pub fn level(&self) -> UnitLevel {
        UnitLevel::parse(&self.level).unwrap_or(UnitLevel::Department)
    }
}

/// The `[low, high)` range of `path` values that lie in the subtree of the unit with `path`
/// (the unit itself included). Paths end in `/`, and `0` is the character after `/`.
pub fn subtree_range(path: &str) -> (String, String) {
    let high = format!("{}0", &path[..path.len() - 1]);
    (path.to_string(), high)
}

fn child_path(parent_path: Option<&str>, id: Id) -> String {
    format!("{}{}/", parent_path.unwrap_or("/"), id.to_cursor())
}

pub fn find(conn: &mut DbConn, id: Id) -> QueryResult<Option<Unit>> {
    units::table
        .find(id)
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

/// The unit, or `Invalid` when it does not exist (for references in other requests).
pub fn require(conn: &mut DbConn, id: Id) -> StoreResult<Unit> {
    find(conn, id)?
        .ok_or_else(|| StoreError::Invalid("unknown_unit", format!("Unit {id} does not exist.")))
}

pub struct NewUnit {
    pub code: UnitCode,
    pub name: String,
    pub parent_id: Option<Id>,
    pub level: UnitLevel,
}

pub fn create(conn: &mut DbConn, new: NewUnit) -> StoreResult<Unit> {
    db::write(conn, |conn| {
        let parent_path = match new.parent_id {
            Some(parent) => Some(require(conn, parent)?.path),
            None => None,
        };
        ensure_code_free(conn, &new.code, None)?;
        let id = Id::new();
        let now = db::now();
        let unit = Unit {
            id,
            code: new.code.as_str().to_string(),
            name: new.name,
            parent_id: new.parent_id,
            level: new.level.as_str().to_string(),
            path: child_path(parent_path.as_deref(), id),
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(units::table)
            .values(&unit)
            .execute(conn)?;
        Ok(unit)
    })
}

fn ensure_code_free(conn: &mut DbConn, code: &UnitCode, except: Option<Id>) -> StoreResult<()> {
    let holder: Option<Id> = units::table
        .filter(units::code.eq(code.as_str()))
        .select(units::id)
        .first(conn)
        .optional()?;
    match holder {
        Some(id) if Some(id) != except => Err(StoreError::Conflict(
            "unit_code_taken",
            format!("Another unit has the code {code}."),
        )),
        _ => Ok(()),
    }
}

#[derive(Debug, Default)]
pub struct UnitChanges {
    pub code: Option<UnitCode>,
    pub name: Option<String>,
    pub level: Option<UnitLevel>,
    /// `Some(None)` makes the unit a root.
    pub parent_id: Option<Option<Id>>,
}

/// Applies changes; moving a unit rewrites the paths of its whole subtree, and moving it under
/// itself or one of its descendants is a conflict.
pub fn update(conn: &mut DbConn, id: Id, changes: UnitChanges) -> StoreResult<Unit> {
    db::write(conn, |conn| {
        let mut unit = find(conn, id)?.ok_or(StoreError::NotFound("Unit"))?;
        if let Some(code) = &changes.code {
            ensure_code_free(conn, code, Some(id))?;
            unit.code = code.as_str().to_string();
        }
        if let Some(name) = changes.name {
            unit.name = name;
        }
        if let Some(level) = changes.level {
            unit.level = level.as_str().to_string();
        }
        if let Some(new_parent) = changes.parent_id {
            if new_parent != unit.parent_id {
                let parent_path = match new_parent {
                    Some(parent) => {
                        let parent = require(conn, parent)?;
                        if parent.path.starts_with(&unit.path) {
                            return Err(StoreError::Conflict(
                                "unit_cycle",
                                "A unit cannot be moved under itself or its descendants."
                                    .to_string(),
                            ));
                        }
                        Some(parent.path)
                    }
                    None => None,
                };
                let old_path = unit.path.clone();
                let new_path = child_path(parent_path.as_deref(), id);
                move_subtree(conn, &old_path, &new_path)?;
                unit.parent_id = new_parent;
                unit.path = new_path;
            }
        }
        unit.updated_at = db::now();
        diesel::update(units::table.find(id))
            .set((
                units::code.eq(&unit.code),
                units::name.eq(&unit.name),
                units::level.eq(&unit.level),
                units::parent_id.eq(unit.parent_id),
                units::updated_at.eq(unit.updated_at),
            ))
            .execute(conn)?;
        Ok(unit)
    })
}

/// Rewrites the path prefix of every unit in a subtree (moves are rare administrative changes).
fn move_subtree(conn: &mut DbConn, old_path: &str, new_path: &str) -> QueryResult<()> {
    let (low, high) = subtree_range(old_path);
    let members: Vec<(Id, String)> = units::table
        .filter(units::path.ge(&low).and(units::path.lt(&high)))
        .select((units::id, units::path))
        .load(conn)?;
    for (member, path) in members {
        let moved = format!("{new_path}{}", &path[old_path.len()..]);
        diesel::update(units::table.find(member))
            .set(units::path.eq(moved))
            .execute(conn)?;
    }
    Ok(())
}

/// What a report's row shows of its unit.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct Label {
    pub id: Id,
    pub code: String,
    pub name: String,
}

impl From<Unit> for Label {
    fn from(unit: Unit) -> Label {
        Label {
            id: unit.id,
            code: unit.code,
            name: unit.name,
        }
    }
}

/// The labels of the unit with `path` and of every unit below it, in path order, at most
/// `limit` of them.
pub fn subtree(conn: &mut DbConn, path: &str, limit: i64) -> QueryResult<Vec<Label>> {
    let (low, high) = subtree_range(path);
    units::table
        .filter(units::path.ge(low).and(units::path.lt(high)))
        .order(units::path.asc())
        .limit(limit)
        .select(Label::as_select())
        .load(conn)
}

#[derive(Debug, Default, Clone)]
pub struct UnitFilter {
    pub parent_id: Option<Id>,
    /// Only this unit and its descendants.
    pub subtree_of: Option<Id>,
    pub level: Option<UnitLevel>,
    pub code: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    filter: &UnitFilter,
    page: Page,
) -> StoreResult<(Vec<Unit>, Option<Id>)> {
    let mut query = units::table.select(Unit::as_select()).into_boxed();
    if let Some(root) = filter.subtree_of {
        let root = find(conn, root)?.ok_or(StoreError::NotFound("Unit"))?;
        let (low, high) = subtree_range(&root.path);
        query = query.filter(units::path.ge(low).and(units::path.lt(high)));
    }
    if let Some(parent) = filter.parent_id {
        query = query.filter(units::parent_id.eq(parent));
    }
    if let Some(level) = filter.level {
        query = query.filter(units::level.eq(level.as_str()));
    }
    if let Some(code) = &filter.code {
        query = query.filter(units::code.eq(code));
    }
    if let Some(after) = page.after {
        query = query.filter(units::id.gt(after));
    }
    let rows = query
        .order(units::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    Ok(paginate(rows, page.limit, |u| u.id))
}

/// The unit with this code.
pub fn by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Unit>> {
    units::table
        .filter(units::code.eq(code))
        .select(Unit::as_select())
        .first(conn)
        .optional()
}
