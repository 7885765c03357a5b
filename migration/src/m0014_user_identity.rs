//! What identity providers know a user by (spec §11): `user_name` (SCIM `userName`, unique
//! ignoring case; a user made through `/v1/users` gets their email), `external_id` (the
//! provider's own id for them, SCIM `externalId`), and `active` (false: deactivated, kept but
//! granting nothing).
//!
//! Users that exist already are named by their email. The uniqueness is an index on
//! `lower(user_name)`: PostgreSQL lowers every letter, SQLite only ASCII ones.

use sea_orm_migration::prelude::*;

use crate::support::is_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UNIQUE_USER_NAME: &str = "CREATE UNIQUE INDEX uq_users_user_name ON users (lower(user_name))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // SQLite adds a NOT NULL column only with a default; the write path always sets it.
        let statements: &[&str] = if is_postgres(manager) {
            &[
                "ALTER TABLE users ADD COLUMN user_name text",
                "UPDATE users SET user_name = email",
                "ALTER TABLE users ALTER COLUMN user_name SET NOT NULL",
                "ALTER TABLE users ADD COLUMN external_id text NULL",
                "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true",
                UNIQUE_USER_NAME,
            ]
        } else {
            &[
                "ALTER TABLE users ADD COLUMN user_name text NOT NULL DEFAULT ''",
                "UPDATE users SET user_name = email",
                "ALTER TABLE users ADD COLUMN external_id text NULL",
                "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT 1",
                UNIQUE_USER_NAME,
            ]
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "DROP INDEX uq_users_user_name",
            "ALTER TABLE users DROP COLUMN active",
            "ALTER TABLE users DROP COLUMN external_id",
            "ALTER TABLE users DROP COLUMN user_name",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
