//! Idempotency records: the response first given to a creating request with an
//! `Idempotency-Key`, kept per account, so that a retry gets the same answer and creates nothing.

use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::DbConn;
use crate::id::Id;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct Record {
    pub account_id: Id,
    pub key: String,
    /// SHA-256 of the request (method, path and body).
    pub request_hash: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn find(conn: &mut DbConn, account: Id, key: &str) -> QueryResult<Option<Record>> {
    idempotency_keys::table
        .find((account, key))
        .select(Record::as_select())
        .first(conn)
        .optional()
}

/// Saves a record; run it in the transaction that created the resource, so that both or
/// neither are kept.
pub fn save(conn: &mut DbConn, record: &Record) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values(record)
        .execute(conn)
        .map(|_| ())
}
