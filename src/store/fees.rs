//! Fee discount policies with their scope, each dossier's frozen fee breakdown, and payments.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{dossier_fees, dossier_payments, fee_policies, fee_policy_targets, units};
use crate::db::{self, DbConn};
use crate::domain::fees::{Effect, Policy};
use crate::domain::lifecycle::Channel;
use crate::error::{StoreError, StoreResult};
use crate::id::Id;

use super::{paginate, Page};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = fee_policies, treat_none_as_null = true)]
pub struct FeePolicy {
    pub id: Id,
    pub name: String,
    pub legal_basis: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// `None`: every channel.
    pub channel: Option<String>,
    /// `percent` (charge `amount` percent of the fee) or `reduction` (take `amount` VND off).
    pub effect: String,
    pub amount: i64,
    pub stacking: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FeePolicy {
    pub fn effect(&self) -> Effect {
        match self.effect.as_str() {
            "reduction" => Effect::Reduction(self.amount),
            _ => Effect::Percent(self.amount),
        }
    }
}

/// One target of a policy's scope: `procedure` (a procedure code), `field` (a folded field
/// name), `unit` (a unit id, covering its subtree) or `fee_item` (a folded fee item name).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = fee_policy_targets)]
pub struct Target {
    pub policy_id: Id,
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct PolicyDetail {
    pub policy: FeePolicy,
    pub targets: Vec<Target>,
}

fn check_units(conn: &mut DbConn, targets: &[Target]) -> StoreResult<()> {
    for target in targets.iter().filter(|t| t.kind == "unit") {
        let id: Id = target.value.parse().map_err(|_| {
            StoreError::Invalid("unknown_unit", format!("{} is not a unit id", target.value))
        })?;
        super::units::require(conn, id)?;
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConn,
    policy: &FeePolicy,
    targets: &[Target],
) -> StoreResult<PolicyDetail> {
    db::write(conn, |conn| {
        check_units(conn, targets)?;
        diesel::insert_into(fee_policies::table)
            .values(policy)
            .execute(conn)?;
        for target in targets {
            diesel::insert_into(fee_policy_targets::table)
                .values(target)
                .execute(conn)?;
        }
        Ok(PolicyDetail {
            policy: policy.clone(),
            targets: targets.to_vec(),
        })
    })
}

/// Replaces a policy's terms (and its targets when given). Dossiers keep the fee frozen when
/// they were submitted.
pub fn update(
    conn: &mut DbConn,
    policy: &FeePolicy,
    targets: Option<&[Target]>,
) -> StoreResult<PolicyDetail> {
    db::write(conn, |conn| {
        let updated = diesel::update(fee_policies::table.find(policy.id))
            .set(policy)
            .execute(conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound("Fee policy"));
        }
        if let Some(targets) = targets {
            check_units(conn, targets)?;
            diesel::delete(
                fee_policy_targets::table.filter(fee_policy_targets::policy_id.eq(policy.id)),
            )
            .execute(conn)?;
            for target in targets {
                diesel::insert_into(fee_policy_targets::table)
                    .values(target)
                    .execute(conn)?;
            }
        }
        get(conn, policy.id)
    })
}

pub fn get(conn: &mut DbConn, id: Id) -> StoreResult<PolicyDetail> {
    let policy = fee_policies::table
        .find(id)
        .select(FeePolicy::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound("Fee policy"))?;
    Ok(with_targets(conn, vec![policy])?.remove(0))
}

pub fn list(conn: &mut DbConn, page: Page) -> QueryResult<(Vec<PolicyDetail>, Option<Id>)> {
    let mut query = fee_policies::table
        .select(FeePolicy::as_select())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(fee_policies::id.gt(after));
    }
    let rows = query
        .order(fee_policies::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    let (rows, next) = paginate(rows, page.limit, |p| p.id);
    Ok((with_targets(conn, rows)?, next))
}

fn with_targets(conn: &mut DbConn, policies: Vec<FeePolicy>) -> QueryResult<Vec<PolicyDetail>> {
    let ids: Vec<Id> = policies.iter().map(|p| p.id).collect();
    let targets: Vec<Target> = fee_policy_targets::table
        .filter(fee_policy_targets::policy_id.eq_any(&ids))
        .order((fee_policy_targets::kind, fee_policy_targets::value))
        .select(Target::as_select())
        .load(conn)?;
    Ok(policies
        .into_iter()
        .map(|policy| PolicyDetail {
            targets: targets
                .iter()
                .filter(|t| t.policy_id == policy.id)
                .cloned()
                .collect(),
            policy,
        })
        .collect())
}

/// The policies in force on `date` for `channel`, as the fee rules take them, in creation order
/// (unit targets resolved to their paths in the unit tree).
pub fn in_force(
    conn: &mut DbConn,
    date: NaiveDate,
    channel: Channel,
) -> QueryResult<Vec<Policy<Id>>> {
    let rows: Vec<FeePolicy> = fee_policies::table
        .filter(fee_policies::valid_from.le(date))
        .filter(
            fee_policies::valid_to
                .is_null()
                .or(fee_policies::valid_to.ge(date)),
        )
        .filter(
            fee_policies::channel
                .is_null()
                .or(fee_policies::channel.eq(channel.as_str())),
        )
        .order(fee_policies::id.asc())
        .select(FeePolicy::as_select())
        .load(conn)?;
    let details = with_targets(conn, rows)?;
    let unit_ids: Vec<Id> = details
        .iter()
        .flat_map(|d| d.targets.iter())
        .filter(|t| t.kind == "unit")
        .filter_map(|t| t.value.parse().ok())
        .collect();
    let paths: Vec<(Id, String)> = units::table
        .filter(units::id.eq_any(&unit_ids))
        .select((units::id, units::path))
        .load(conn)?;
    Ok(details
        .into_iter()
        .map(|d| {
            let of = |kind: &str| -> Vec<String> {
                d.targets
                    .iter()
                    .filter(|t| t.kind == kind)
                    .map(|t| t.value.clone())
                    .collect()
            };
            let units = of("unit")
                .iter()
                .filter_map(|v| v.parse::<Id>().ok())
                .filter_map(|id| paths.iter().find(|(u, _)| *u == id).map(|(_, p)| p.clone()))
                .collect();
            Policy {
                id: d.policy.id,
                name: d.policy.name.clone(),
                valid_from: d.policy.valid_from,
                valid_to: d.policy.valid_to,
                channel: d.policy.channel.as_deref().and_then(Channel::parse),
                effect: d.policy.effect(),
                stacking: d.policy.stacking,
                procedures: of("procedure"),
                fields: of("field"),
                units,
                fee_items: of("fee_item"),
            }
        })
        .collect())
}

/// One fee item of a dossier, frozen when it was submitted or recorded.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = dossier_fees, treat_none_as_default_value = false)]
pub struct DossierFee {
    pub dossier_id: Id,
    pub position: i32,
    pub fee_item_id: Id,
    pub name: String,
    pub base_amount: i64,
    pub charged_amount: i64,
    /// The policies applied: a JSON list of `{"id","name"}`.
    pub policies: String,
}

/// Stores a dossier's fee breakdown (inside the intake transaction).
pub fn freeze(conn: &mut DbConn, fees: &[DossierFee]) -> QueryResult<()> {
    for fee in fees {
        diesel::insert_into(dossier_fees::table)
            .values(fee)
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = dossier_payments, treat_none_as_default_value = false)]
pub struct Payment {
    pub id: Id,
    pub dossier_id: Id,
    pub amount: i64,
    /// `counter` or `online`.
    pub method: String,
    pub receipt_number: Option<String>,
    /// The payment gateway's transaction id (online payments).
    pub transaction_id: Option<String>,
    pub paid_at: NaiveDateTime,
    pub recorded_by: Option<Id>,
    pub created_at: NaiveDateTime,
}

pub fn payment_by_transaction(
    conn: &mut DbConn,
    transaction: &str,
) -> QueryResult<Option<Payment>> {
    dossier_payments::table
        .filter(dossier_payments::transaction_id.eq(transaction))
        .select(Payment::as_select())
        .first(conn)
        .optional()
}

pub fn record_payment(conn: &mut DbConn, payment: &Payment) -> QueryResult<()> {
    diesel::insert_into(dossier_payments::table)
        .values(payment)
        .execute(conn)
        .map(|_| ())
}

/// What a dossier owes: (charged in total, paid in total).
pub fn balance(conn: &mut DbConn, dossier: Id) -> QueryResult<(i64, i64)> {
    let charged: Vec<i64> = dossier_fees::table
        .filter(dossier_fees::dossier_id.eq(dossier))
        .select(dossier_fees::charged_amount)
        .load(conn)?;
    let paid: Vec<i64> = dossier_payments::table
        .filter(dossier_payments::dossier_id.eq(dossier))
        .select(dossier_payments::amount)
        .load(conn)?;
    Ok((charged.iter().sum(), paid.iter().sum()))
}
