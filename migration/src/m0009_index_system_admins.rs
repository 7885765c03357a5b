//! A partial index of the `system_admin` memberships, by user: who the system admins are is
//! asked by every subject lookup (system admins hold every capability everywhere), and without
//! it that question reads the whole membership table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same text on both backends: each has partial indexes, and PostgreSQL reads the literal
/// as its `member_role` enum value.
const CREATE: &str = "CREATE INDEX ix_group_members_system_admins ON group_members (user_id) \
                      WHERE role = 'system_admin'";
const DROP: &str = "DROP INDEX ix_group_members_system_admins";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(CREATE).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DROP).await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
