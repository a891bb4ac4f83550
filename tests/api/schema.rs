//! The two migration folders: the same migrations, and (with PostgreSQL at hand) the same tables
//! and columns, with the same types and nullability, once applied.

use std::collections::BTreeSet;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use motcua::db::{migrations, pool, DbConn};

fn migration_names(backend: &str) -> Vec<String> {
    let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

/// One name per portable type, whatever the dialect calls it.
fn portable(data_type: &str) -> String {
    match data_type.to_ascii_lowercase().as_str() {
        "bytea" | "blob" => "binary",
        "timestamp without time zone" | "timestamp" => "timestamp",
        "boolean" => "bool",
        "double precision" | "double" => "double",
        other => return other.to_string(),
    }
    .to_string()
}

fn columns(conn: &mut DbConn) -> BTreeSet<(String, String, String, bool)> {
    let sql = match conn {
        DbConn::Pg(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type, (is_nullable = 'YES') AS nullable \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name <> '__diesel_schema_migrations'"
        }
        DbConn::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql)
        .load::<Column>(conn)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.table_name,
                c.column_name,
                portable(&c.data_type),
                c.nullable,
            )
        })
        .collect()
}

#[test]
fn both_migration_folders_hold_the_same_migrations() {
    let postgres = migration_names("postgres");
    assert!(!postgres.is_empty());
    assert_eq!(postgres, migration_names("sqlite"));
}

#[test]
fn both_databases_end_with_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = dir.path().join("schema.db").to_string_lossy().into_owned();
    let sqlite = pool::build(&sqlite_url, 1, Duration::from_secs(5)).unwrap();
    let mut sqlite = sqlite.get().unwrap();
    migrations::run(&mut sqlite).unwrap();
    let sqlite_columns = columns(&mut sqlite);
    assert!(sqlite_columns.iter().any(|c| c.0 == "procedures"));

    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is not set: compared nothing with PostgreSQL");
        return;
    };
    let schema = format!("schema_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&url).unwrap();
    diesel::sql_query(format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let pg_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let pg = pool::build(&pg_url, 1, Duration::from_secs(5)).unwrap();
    let mut pg = pg.get().unwrap();
    migrations::run(&mut pg).unwrap();
    assert!(!migrations::pending(&mut pg).unwrap());
    let pg_columns = columns(&mut pg);
    let only_pg: Vec<_> = pg_columns.difference(&sqlite_columns).collect();
    let only_sqlite: Vec<_> = sqlite_columns.difference(&pg_columns).collect();
    assert!(
        only_pg.is_empty() && only_sqlite.is_empty(),
        "the schemas differ:\n only on PostgreSQL: {only_pg:#?}\n only on SQLite: {only_sqlite:#?}"
    );
}
