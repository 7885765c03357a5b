//! The rest of what identity providers say about a user (spec §11): the parts of their `name`
//! (`given_name`, `family_name`), the kind of their email address (`email_type`, SCIM
//! `emails[].type`), their `manager` (enterprise extension; emptied when the manager is
//! deleted); and `email` becomes optional — a provisioned user may have none — while staying
//! unique when present (`uq_users_email` allows any number of nulls on both databases).
//!
//! SQLite cannot drop a NOT NULL constraint with ALTER TABLE, and rebuilding `users` would
//! cascade-delete every membership (`DROP TABLE` deletes its rows first, and foreign keys cannot
//! be switched off inside a transaction). So the constraint is removed the way SQLite's own
//! documentation gives for NOT NULL (“Making Other Kinds Of Table Schema Changes”): the table's
//! stored definition is edited in place under `writable_schema`, and the schema version bumped so
//! that every connection reads it again. Nothing on disk changes shape.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::support::is_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// How `m0001` spelled the column on SQLite, and what it becomes.
const SQLITE_REQUIRED_EMAIL: &str = "\"email\" text NOT NULL";
const SQLITE_OPTIONAL_EMAIL: &str = "\"email\" text NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: &[&str] = if is_postgres(manager) {
            &[
                "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
                "ALTER TABLE users ADD COLUMN given_name text NULL",
                "ALTER TABLE users ADD COLUMN family_name text NULL",
                "ALTER TABLE users ADD COLUMN email_type text NULL",
                "ALTER TABLE users ADD COLUMN manager_id uuid NULL \
                 CONSTRAINT fk_users_manager REFERENCES users (id) ON DELETE SET NULL",
            ]
        } else {
            sqlite_swap_email(manager, SQLITE_REQUIRED_EMAIL, SQLITE_OPTIONAL_EMAIL).await?;
            &[
                "ALTER TABLE users ADD COLUMN given_name text NULL",
                "ALTER TABLE users ADD COLUMN family_name text NULL",
                "ALTER TABLE users ADD COLUMN email_type text NULL",
                "ALTER TABLE users ADD COLUMN manager_id uuid_text NULL \
                 CONSTRAINT fk_users_manager REFERENCES users (id) ON DELETE SET NULL",
            ]
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let without_email = db
            .query_one_raw(Statement::from_string(
                manager.get_database_backend(),
                "SELECT count(*) AS n FROM users WHERE email IS NULL",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if without_email > 0 {
            return Err(DbErr::Migration(format!(
                "{without_email} users have no email; give them one before going back past \
                 m0015, where email was required"
            )));
        }
        for statement in [
            "ALTER TABLE users DROP COLUMN manager_id",
            "ALTER TABLE users DROP COLUMN email_type",
            "ALTER TABLE users DROP COLUMN family_name",
            "ALTER TABLE users DROP COLUMN given_name",
        ] {
            db.execute_unprepared(statement).await?;
        }
        if is_postgres(manager) {
            db.execute_unprepared("ALTER TABLE users ALTER COLUMN email SET NOT NULL")
                .await?;
        } else {
            sqlite_swap_email(manager, SQLITE_OPTIONAL_EMAIL, SQLITE_REQUIRED_EMAIL).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// Rewrites `users`' stored definition on SQLite, replacing the email column's declaration
/// `from` with `to`; fails, changing nothing, when the definition does not read as expected.
async fn sqlite_swap_email(manager: &SchemaManager<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let version: i64 = db
        .query_one_raw(Statement::from_string(backend, "PRAGMA schema_version"))
        .await?
        .ok_or_else(|| DbErr::Migration("PRAGMA schema_version answered nothing".into()))?
        .try_get_by_index(0)?;
    db.execute_unprepared("PRAGMA writable_schema = ON").await?;
    let edited = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE sqlite_master SET sql = replace(sql, ?1, ?2) \
             WHERE type = 'table' AND name = 'users' AND instr(sql, ?1) > 0",
            [from.into(), to.into()],
        ))
        .await;
    // The version is bumped whatever happened, so that no connection keeps a stale schema.
    db.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1))
        .await?;
    db.execute_unprepared("PRAGMA writable_schema = OFF")
        .await?;
    if edited?.rows_affected() != 1 {
        return Err(DbErr::Migration(format!(
            "users' definition does not declare {from}; edit it by hand"
        )));
    }
    Ok(())
}
