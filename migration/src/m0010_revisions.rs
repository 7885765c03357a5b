//! Revisions (spec §8): one counter row, advanced inside every write transaction, numbers each
//! audit event in commit order; and the effective-access deltas each change records.
//!
//! The counter is a row, not a sequence: a sequence hands out numbers before commit, so a reader
//! could see revision 8 commit before 7 and skip 7 for ever. Updating one row serialises the
//! writers at that point instead (a row lock on PostgreSQL, the single writer on SQLite), so
//! revisions commit in the order they are numbered. Existing events are numbered in id order
//! (ids are UUID v7, time-ordered).

use sea_orm_migration::prelude::*;

use crate::support::is_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counter: exactly one row (`id = 1`). `retained_after` is the newest revision whose event
/// is no longer kept (0 while the whole history is): a feed cursor older than it is `gone`.
const CREATE_COUNTER: &str = "CREATE TABLE revisions (\
     id integer NOT NULL CONSTRAINT \"pk_revisions\" PRIMARY KEY \
     CONSTRAINT \"ck_revisions_single\" CHECK (id = 1), \
     revision bigint NOT NULL, \
     retained_after bigint NOT NULL DEFAULT 0)";

/// Numbers the existing events 1, 2, 3 … in id order; the same text works on both backends.
const NUMBER_EVENTS: &str = "UPDATE audit_events SET revision = numbered.n \
     FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events) AS numbered \
     WHERE audit_events.id = numbered.id";

const SEED_COUNTER: &str =
    "INSERT INTO revisions (id, revision) SELECT 1, COALESCE(MAX(revision), 0) FROM audit_events";

const UNIQUE_REVISION: &str =
    "CREATE UNIQUE INDEX ux_audit_events_revision ON audit_events (revision)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let columns: &[&str] = if is_postgres(manager) {
            // Added nullable, numbered, then required: no default would be a true revision.
            &[
                "ALTER TABLE audit_events ADD COLUMN revision bigint",
                NUMBER_EVENTS,
                "ALTER TABLE audit_events ALTER COLUMN revision SET NOT NULL",
                "ALTER TABLE audit_events ADD COLUMN access jsonb NOT NULL DEFAULT '[]'",
            ]
        } else {
            // SQLite adds a NOT NULL column only with a default; every row is numbered at once.
            &[
                "ALTER TABLE audit_events ADD COLUMN revision bigint NOT NULL DEFAULT 0",
                NUMBER_EVENTS,
                "ALTER TABLE audit_events ADD COLUMN access jsonb_text NOT NULL DEFAULT '[]'",
            ]
        };
        for statement in columns
            .iter()
            .chain(&[UNIQUE_REVISION, CREATE_COUNTER, SEED_COUNTER])
        {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "DROP TABLE revisions",
            "DROP INDEX ux_audit_events_revision",
            "ALTER TABLE audit_events DROP COLUMN access",
            "ALTER TABLE audit_events DROP COLUMN revision",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
