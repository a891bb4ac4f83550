//! `Id`: the UUIDv7 identifier of every row, stored as 16 bytes on both databases and written
//! as a hyphenated UUID in JSON. v7 ids grow with time, so ordering by id is ordering by creation,
//! which keyset pagination relies on.

use std::fmt;
use std::str::FromStr;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Binary;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    AsExpression,
    FromSqlRow,
    Serialize,
    Deserialize,
)]
#[diesel(sql_type = Binary)]
#[serde(transparent)]
pub struct Id(pub Uuid);

impl Id {
    /// A fresh time-ordered id.
    pub fn new() -> Self {
        Id(Uuid::now_v7())
    }

    /// The lowest id of the millisecond `ms` (since the epoch): every id made before it is
    /// smaller, every id made in it or after is not.
    pub fn first_at(ms: i64) -> Self {
        let mut bytes = [0u8; 16];
        bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        bytes[6] = 0x70;
        Id(Uuid::from_bytes(bytes))
    }

    /// The opaque form used in pagination cursors.
    pub fn to_cursor(self) -> String {
        self.0.simple().to_string()
    }

    /// Parses a cursor made by [`Id::to_cursor`].
    pub fn from_cursor(cursor: &str) -> Option<Id> {
        if cursor.len() != 32 {
            return None;
        }
        Uuid::try_parse(cursor).ok().map(Id)
    }
}

impl Default for Id {
    fn default() -> Self {
        Id::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for Id {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map(Id)
    }
}

impl<DB> ToSql<Binary, DB> for Id
where
    DB: Backend,
    [u8]: ToSql<Binary, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.as_bytes().as_slice().to_sql(out)
    }
}

impl<DB> FromSql<Binary, DB> for Id
where
    DB: Backend,
    Vec<u8>: FromSql<Binary, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let raw = Vec::<u8>::from_sql(bytes)?;
        Ok(Id(Uuid::from_slice(&raw)?))
    }
}

impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into()
    }
}

impl utoipa::ToSchema for Id {}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_id_of_a_millisecond_is_below_every_id_made_in_it_and_above_earlier_ones() {
        let now = chrono::Utc::now().timestamp_millis();
        let made = super::Id::new();
        assert!(super::Id::first_at(now - 1) < made);
        assert!(super::Id::first_at(now + 2) > made);
    }
}
