//! The locks of the write path as PostgreSQL statements. SQLite takes none: its IMMEDIATE
//! transaction already excludes every other writer.

use sea_orm::{DbBackend, Statement, Value};
use uuid::Uuid;

// Advisory-lock keys, all here so that none is used twice: a fixed prefix ("RSTR") so Roster's
// keys are recognisable among other applications' on the same server.
/// The group tree's shape (the write path's `Lock::GroupTree`).
pub const GROUP_TREE_KEY: i64 = 0x5253_5452_0000_0001;
/// The set of system admins (the write path's `Lock::SystemAdmins`).
pub const SYSTEM_ADMINS_KEY: i64 = 0x5253_5452_0000_0002;
/// Applying migrations at start-up (`db::migrate`).
pub const MIGRATIONS_KEY: i64 = 0x5253_5452_0000_0003;

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
