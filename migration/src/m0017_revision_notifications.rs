//! On PostgreSQL, every new revision is announced on the channel `roster_revisions` (payload:
//! the revision) when its transaction commits, so that the other servers on the database learn
//! of it at once and bring their decision memory up to date (spec §13). A trigger on the
//! counter does it: the writer pays no extra round trip, and a change that rolls back announces
//! nothing. SQLite has no notifications; its servers poll the counter.

use sea_orm_migration::prelude::*;

use crate::support::is_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "CREATE OR REPLACE FUNCTION roster_notify_revision() RETURNS trigger \
     LANGUAGE plpgsql AS $$ \
     BEGIN PERFORM pg_notify('roster_revisions', NEW.revision::text); RETURN NEW; END $$";

const TRIGGER: &str = "CREATE TRIGGER tr_revisions_notify \
     AFTER UPDATE OF revision ON revisions FOR EACH ROW \
     WHEN (NEW.revision IS DISTINCT FROM OLD.revision) \
     EXECUTE FUNCTION roster_notify_revision()";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if is_postgres(manager) {
            let db = manager.get_connection();
            db.execute_unprepared(FUNCTION).await?;
            db.execute_unprepared(TRIGGER).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if is_postgres(manager) {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER tr_revisions_notify ON revisions")
                .await?;
            db.execute_unprepared("DROP FUNCTION roster_notify_revision()")
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
