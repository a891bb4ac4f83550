//! Who may see and act on dossiers, decided in one place. Seeing is a query predicate
//! ([`dossier_scope`]); acting depends on the caller's relation to the dossier ([`relation`]),
//! which the lifecycle table then judges.

use diesel::QueryResult;

use super::Principal;
use crate::db::DbConn;
use crate::domain::accounts::Role;
use crate::domain::lifecycle::Actor;
use crate::id::Id;
use crate::store::dossiers::{Dossier, Scope};
use crate::store::units;

/// The dossiers a caller may see: a citizen their own; reception officers and specialists those
/// their unit receives or processes; a leader those of their unit and every unit below it; a
/// supervisor all. Administrators manage the system and see no dossier (`None`).
pub fn dossier_scope(who: &Principal) -> Option<Scope> {
    match (who.role, who.unit_id) {
        (Role::Citizen, _) => Some(Scope::Applicant(who.account_id)),
        (Role::Supervisor, _) => Some(Scope::All),
        (Role::Reception | Role::Specialist, Some(unit)) => Some(Scope::Unit(unit)),
        (Role::Leader, Some(unit)) => Some(Scope::Subtree(unit)),
        _ => None,
    }
}

/// The dossiers whose files and documents a caller may read besides their own: those their unit
/// handles (reception officers, specialists, leaders). Supervisors read reports, not people's
/// papers.
pub fn handling_scope(who: &Principal) -> Option<Scope> {
    match who.role {
        Role::Reception | Role::Specialist | Role::Leader => dossier_scope(who),
        _ => None,
    }
}

/// Whether the caller may read the reports of the unit `root` (and its subtree): supervisors and
/// administrators any unit's, a leader those of their unit and the units below it.
pub fn may_read_reports(conn: &mut DbConn, who: &Principal, root: Id) -> QueryResult<bool> {
    Ok(match (who.role, who.unit_id) {
        (Role::Admin | Role::Supervisor, _) => true,
        (Role::Leader, Some(mine)) => within(conn, root, mine)?,
        _ => false,
    })
}

/// The caller's relation to a dossier they can see.
pub fn relation(conn: &mut DbConn, who: &Principal, dossier: &Dossier) -> QueryResult<Actor> {
    Ok(match (who.role, who.unit_id) {
        (Role::Citizen, _) if dossier.applicant_account_id == Some(who.account_id) => {
            Actor::Applicant
        }
        (Role::Reception, Some(unit)) if unit == dossier.receiving_unit_id => Actor::Reception,
        (Role::Specialist, Some(unit)) if unit == dossier.processing_unit_id => Actor::Specialist,
        (Role::Leader, Some(unit)) if within(conn, dossier.processing_unit_id, unit)? => {
            Actor::Leader
        }
        _ => Actor::Other,
    })
}

/// Whether `unit` is `root` or lies below it.
fn within(conn: &mut DbConn, unit: Id, root: Id) -> QueryResult<bool> {
    if unit == root {
        return Ok(true);
    }
    let (Some(unit), Some(root)) = (units::find(conn, unit)?, units::find(conn, root)?) else {
        return Ok(false);
    };
    Ok(unit.path.starts_with(&root.path))
}
