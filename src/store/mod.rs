//! Every query: one module per aggregate. Functions take `&mut DbConn`, return plain structs,
//! and run multi-statement changes in one write transaction (`db::write`). Nothing here knows
//! HTTP.

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod documents;
pub mod dossiers;
pub mod fees;
pub mod files;
pub mod idempotency;
pub mod outbox;
pub mod procedures;
pub mod reports;
pub mod units;

use crate::id::Id;

/// A keyset page: at most `limit` rows with ids after `after`, in id (creation) order.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub after: Option<Id>,
}

/// Splits `limit + 1` fetched rows into the page and the cursor of the next one.
pub fn paginate<T>(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> Id) -> (Vec<T>, Option<Id>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(id);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern that uses `\` as its escape character.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
