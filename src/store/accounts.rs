//! Accounts: officials, citizens and administrators.

use diesel::prelude::*;

use crate::db::schema::accounts;
use crate::db::{self, DbConn};
use crate::domain::accounts::Role;
use crate::error::{StoreError, StoreResult};
use crate::id::Id;

use super::{paginate, Page};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts, treat_none_as_default_value = false)]
pub struct Account {
    pub id: Id,
    pub username: String,
    pub password_hash: String,
    pub full_name: String,
    pub role: String,
    pub unit_id: Option<Id>,
    pub national_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub disabled: bool,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// The generation of the account's tokens: a token issued in an earlier one is refused
    /// (moved on by logging out and by a new password).
    pub token_generation: i32,
}

impl Account {
    /// The stored role; an unknown value (which no code writes) is treated as the least
    /// privileged role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Citizen)
    }
}

/// The changes an administrator may make to an account.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = accounts)]
pub struct AccountChanges {
    pub full_name: Option<String>,
    pub role: Option<String>,
    pub unit_id: Option<Option<Id>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    pub token_generation: Option<i32>,
    pub updated_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Default, Clone)]
pub struct AccountFilter {
    pub role: Option<Role>,
    pub unit_id: Option<Id>,
    pub disabled: Option<bool>,
}

pub fn find(conn: &mut DbConn, id: Id) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::username.eq(username))
        .select(Account::as_select())
        .first(conn)
        .optional()
}

/// Inserts an account; a taken username or national id is a conflict, an unknown unit invalid.
pub fn create(conn: &mut DbConn, account: &Account) -> StoreResult<()> {
    db::write(conn, |conn| {
        if let Some(unit) = account.unit_id {
            super::units::require(conn, unit)?;
        }
        let taken = accounts::table
            .filter(accounts::username.eq(&account.username))
            .or_filter(accounts::national_id.eq(&account.national_id))
            .count()
            .get_result::<i64>(conn)?;
        if taken > 0 {
            return Err(StoreError::Conflict(
                "account_exists",
                "An account with this username or national id already exists.".to_string(),
            ));
        }
        diesel::insert_into(accounts::table)
            .values(account)
            .execute(conn)?;
        Ok(())
    })
}

/// Refuses every token issued to the account so far ([`Account::token_generation`]).
pub fn revoke_tokens(conn: &mut DbConn, id: Id) -> QueryResult<()> {
    db::write(conn, |conn| {
        diesel::update(accounts::table.find(id))
            .set(accounts::token_generation.eq(accounts::token_generation + 1))
            .execute(conn)
            .map(|_| ())
    })
}

pub fn update(conn: &mut DbConn, id: Id, changes: &AccountChanges) -> StoreResult<Account> {
    db::write(conn, |conn| {
        if let Some(Some(unit)) = changes.unit_id {
            super::units::require(conn, unit)?;
        }
        let updated = diesel::update(accounts::table.find(id))
            .set(changes)
            .execute(conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound("Account"));
        }
        find(conn, id)?.ok_or(StoreError::NotFound("Account"))
    })
}

pub fn list(
    conn: &mut DbConn,
    filter: &AccountFilter,
    page: Page,
) -> QueryResult<(Vec<Account>, Option<Id>)> {
    let mut query = accounts::table.select(Account::as_select()).into_boxed();
    if let Some(role) = filter.role {
        query = query.filter(accounts::role.eq(role.as_str()));
    }
    if let Some(unit) = filter.unit_id {
        query = query.filter(accounts::unit_id.eq(unit));
    }
    if let Some(disabled) = filter.disabled {
        query = query.filter(accounts::disabled.eq(disabled));
    }
    if let Some(after) = page.after {
        query = query.filter(accounts::id.gt(after));
    }
    let rows = query
        .order(accounts::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    Ok(paginate(rows, page.limit, |a| a.id))
}

/// How many accounts have this role.
pub fn count_with_role(conn: &mut DbConn, role: Role) -> QueryResult<i64> {
    accounts::table
        .filter(accounts::role.eq(role.as_str()))
        .count()
        .get_result(conn)
}

/// The citizen account registered with this national id, if any.
pub fn citizen_with_national_id(conn: &mut DbConn, national_id: &str) -> QueryResult<Option<Id>> {
    accounts::table
        .filter(accounts::national_id.eq(national_id))
        .filter(accounts::role.eq(Role::Citizen.as_str()))
        .select(accounts::id)
        .first(conn)
        .optional()
}

/// The first account created with this role.
pub fn first_with_role(conn: &mut DbConn, role: Role) -> QueryResult<Option<Id>> {
    accounts::table
        .filter(accounts::role.eq(role.as_str()))
        .order(accounts::created_at.asc())
        .select(accounts::id)
        .first(conn)
        .optional()
}

/// The e-mail addresses of a unit's enabled officials with `role`: (account, address).
pub fn emails_of(conn: &mut DbConn, unit: Id, role: Role) -> QueryResult<Vec<(Id, String)>> {
    let rows: Vec<(Id, Option<String>)> = accounts::table
        .filter(accounts::unit_id.eq(unit))
        .filter(accounts::role.eq(role.as_str()))
        .filter(accounts::disabled.eq(false))
        .filter(accounts::email.is_not_null())
        .order(accounts::id.asc())
        .select((accounts::id, accounts::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, email)| Some((id, email?)))
        .collect())
}
