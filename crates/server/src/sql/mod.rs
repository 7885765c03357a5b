//! Roster's hand-written SQL, one module per concern: [`bindings`] (what identity-provider
//! bindings grant a user somewhere), [`facts`] (what a decision reads),
//! [`locks`] (the write path's locks), [`tree`] (subtrees of the group tree), [`projects`] (the
//! projects a subject may view), [`reporting`] (chains and reports along reporting lines),
//! [`revisions`] (numbering a change) and [`webhooks`] (the deliveries a change owes).
//! Each statement is written once; where PostgreSQL and SQLite differ, the difference is a
//! fragment from [`Dialect`].

pub mod bindings;
pub mod facts;
pub mod locks;
pub mod projects;
pub mod reporting;
pub mod revisions;
pub mod tree;
pub mod webhooks;

use sea_orm::{DbBackend, Statement, Value};

/// The SQL dialect of a backend, as the fragments that differ between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    pub fn of(backend: DbBackend) -> Self {
        match backend {
            DbBackend::Postgres => Self::Postgres,
            _ => Self::Sqlite,
        }
    }

    /// The `n`th (1-based) bind parameter: `$n` or `?n` (both bind by number, so a statement
    /// may name its parameters in any order and more than once).
    pub fn param(self, n: usize) -> String {
        match self {
            Self::Postgres => format!("${n}"),
            Self::Sqlite => format!("?{n}"),
        }
    }

    /// `expr` read as text: `ltree` and enum columns are cast on PostgreSQL; SQLite stores text.
    pub fn text(self, expr: &str) -> String {
        match self {
            Self::Postgres => format!("CAST({expr} AS text)"),
            Self::Sqlite => expr.to_owned(),
        }
    }

    /// Text `expr` stored into a path column: cast to `ltree` on PostgreSQL.
    pub fn path(self, expr: &str) -> String {
        match self {
            Self::Postgres => format!("CAST({expr} AS ltree)"),
            Self::Sqlite => expr.to_owned(),
        }
    }
}

/// One statement's text for both backends, built once from a function of the dialect.
#[derive(Debug)]
pub struct Prepared {
    postgres: String,
    sqlite: String,
}

impl Prepared {
    pub fn new(build: impl Fn(Dialect) -> String) -> Self {
        Self {
            postgres: build(Dialect::Postgres),
            sqlite: build(Dialect::Sqlite),
        }
    }

    /// The statement for `backend` with `values` bound to its parameters 1, 2, ….
    pub fn statement(
        &self,
        backend: DbBackend,
        values: impl IntoIterator<Item = Value>,
    ) -> Statement {
        let sql = match Dialect::of(backend) {
            Dialect::Postgres => &self.postgres,
            Dialect::Sqlite => &self.sqlite,
        };
        Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}
