//! Two things that let a write number its change in the statement that stores its audit event.
//!
//! - **The webhook endpoints' version** on the counter row: the write path keeps the enabled
//!   endpoints in memory and learns whether that list is still current from the counter it
//!   reads anyway. The version is a random 63-bit number, set anew by every change to an
//!   endpoint. Random rather than counted, so that one value also names one database: a process
//!   serving several databases (the test suite) can never mistake one's endpoints for another's.
//! - **On SQLite, a trigger that advances the counter** to each new event's revision. SQLite has
//!   no data-modifying CTE, so the event takes the counter's next number in its insert and the
//!   trigger moves the counter in the same statement (PostgreSQL updates the counter in a CTE of
//!   that statement instead, for its row lock). SQLite's one writer at a time makes the pair
//!   atomic.

use sea_orm_migration::prelude::*;

use crate::support::is_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ADD_VERSION: &str =
    "ALTER TABLE revisions ADD COLUMN webhooks_version bigint NOT NULL DEFAULT 0";

const SQLITE_ADVANCE_TRIGGER: &str = "CREATE TRIGGER tr_audit_events_advance_revision \
     AFTER INSERT ON audit_events BEGIN \
     UPDATE revisions SET revision = max(revision, NEW.revision) WHERE id = 1; \
     END";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Endpoints made before this migration exist already: start from a random version.
        let statements: &[&str] = if is_postgres(manager) {
            &[
                ADD_VERSION,
                "UPDATE revisions SET webhooks_version = \
                 CAST(floor(random() * 9223372036854775807) AS bigint)",
            ]
        } else {
            &[
                ADD_VERSION,
                "UPDATE revisions SET webhooks_version = abs(random() / 2)",
                SQLITE_ADVANCE_TRIGGER,
            ]
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if !is_postgres(manager) {
            db.execute_unprepared("DROP TRIGGER tr_audit_events_advance_revision")
                .await?;
        }
        db.execute_unprepared("ALTER TABLE revisions DROP COLUMN webhooks_version")
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
