//! Uploaded files: the row that names a stored content, its owner and its type.

use diesel::prelude::*;

use crate::db::schema::{documents, dossier_components, files};
use crate::db::DbConn;
use crate::id::Id;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = files)]
pub struct File {
    pub id: Id,
    pub owner_id: Id,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub file_name: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, file: &File) -> QueryResult<()> {
    diesel::insert_into(files::table)
        .values(file)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: Id) -> QueryResult<Option<File>> {
    files::table
        .find(id)
        .select(File::as_select())
        .first(conn)
        .optional()
}

/// The files among `ids` that `owner` uploaded.
pub fn owned(conn: &mut DbConn, owner: Id, ids: &[Id]) -> QueryResult<Vec<File>> {
    files::table
        .filter(files::id.eq_any(ids))
        .filter(files::owner_id.eq(owner))
        .select(File::as_select())
        .load(conn)
}

/// Whether the file is attached to a dossier the caller may see (checked by the caller).
pub fn dossiers_using(conn: &mut DbConn, file: Id) -> QueryResult<Vec<Id>> {
    dossier_components::table
        .filter(dossier_components::file_id.eq(file))
        .select(dossier_components::dossier_id)
        .load(conn)
}

/// Every content a row names: the files' and the documents' digests.
pub fn named_contents(conn: &mut DbConn) -> QueryResult<std::collections::HashSet<String>> {
    let mut named: std::collections::HashSet<String> = files::table
        .select(files::sha256)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    named.extend(
        documents::table
            .select(documents::sha256)
            .distinct()
            .load::<String>(conn)?,
    );
    Ok(named)
}

/// Whether a file or a document names this content.
pub fn names(conn: &mut DbConn, sha256: &str) -> QueryResult<bool> {
    let files: i64 = files::table
        .filter(files::sha256.eq(sha256))
        .count()
        .get_result(conn)?;
    let documents: i64 = documents::table
        .filter(documents::sha256.eq(sha256))
        .count()
        .get_result(conn)?;
    Ok(files + documents > 0)
}
