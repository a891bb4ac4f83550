//! [`Literal`]: a select expression of hand-written SQL, one text per database, that is prepared
//! once per connection like any typed query. Diesel's own `sql` literal marks its statement as
//! never to be cached, so a hot read built on it would be parsed and planned on every call.

use std::marker::PhantomData;

use diesel::expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression};
use diesel::expression::{TypedExpressionType, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

use super::Backend;
use super::MultiBackend;

/// The SQL of one [`Literal`]: its type alone determines its text, because prepared statements
/// are cached by the query's type.
pub trait LiteralSql: 'static {
    type SqlType: TypedExpressionType;
    fn sql(backend: Backend) -> &'static str;
}

/// The expression `S::sql`, of type `S::SqlType`.
pub struct Literal<S>(PhantomData<S>);

impl<S> Literal<S> {
    pub fn new() -> Self {
        Literal(PhantomData)
    }
}

impl<S> Default for Literal<S> {
    fn default() -> Self {
        Literal::new()
    }
}

impl<S> Clone for Literal<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Literal<S> {}

impl<S: LiteralSql> Expression for Literal<S> {
    type SqlType = S::SqlType;
}

impl<S: LiteralSql, QS> SelectableExpression<QS> for Literal<S> {}

impl<S: LiteralSql, QS> AppearsOnTable<QS> for Literal<S> {}

impl<S, GB> ValidGrouping<GB> for Literal<S> {
    type IsAggregate = is_aggregate::Never;
}

impl<S: 'static> QueryId for Literal<S> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S: LiteralSql> QueryFragment<Pg> for Literal<S> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(S::sql(Backend::Postgres));
        Ok(())
    }
}

impl<S: LiteralSql> QueryFragment<Sqlite> for Literal<S> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(S::sql(Backend::Sqlite));
        Ok(())
    }
}

impl<S: LiteralSql> QueryFragment<MultiBackend> for Literal<S> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}
