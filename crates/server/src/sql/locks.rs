//! The locks of the write path as PostgreSQL statements. SQLite takes none: its IMMEDIATE
//! transaction already excludes every other writer.

use sea_orm::{DbBackend, Statement, Value};
use uuid::Uuid;

/// A transaction-scoped advisory lock on `key`, released at commit or rollback.
pub fn advisory(key: i64) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [Value::from(key)],
    )
}

/// The row of project `id`, locked until the transaction ends.
pub fn project_row(id: Uuid) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT 1 FROM projects WHERE id = $1 FOR UPDATE",
        [Value::from(id)],
    )
}
