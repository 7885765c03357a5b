//! `audit_events`: the append-only history of changes.
//!
//! It has **no foreign keys**: the history outlives what it describes, so deleting a user, group
//! or project leaves its events intact (with ids that no longer resolve).

use sea_orm_migration::prelude::*;

use crate::support::{index, primary_key, text, timestamp, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorId,
    Action,
    ResourceType,
    ResourceId,
    GroupId,
    ProjectId,
    Details,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(uuid(AuditEvents::Id))
                    .col(timestamp(AuditEvents::OccurredAt))
                    // Null for actions without an authenticated user (CLI, bootstrap).
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(text(AuditEvents::Action))
                    .col(text(AuditEvents::ResourceType))
                    .col(uuid_null(AuditEvents::ResourceId))
                    .col(uuid_null(AuditEvents::GroupId))
                    .col(uuid_null(AuditEvents::ProjectId))
                    // jsonb on PostgreSQL, JSON text on SQLite.
                    .col(
                        ColumnDef::new(AuditEvents::Details)
                            .json_binary()
                            .not_null(),
                    )
                    .col(timestamp(AuditEvents::CreatedAt))
                    .primary_key(&mut primary_key("pk_audit_events", AuditEvents::Id))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            index(
                "ix_audit_events_resource",
                AuditEvents::Table,
                [AuditEvents::ResourceType, AuditEvents::ResourceId],
            ),
            index(
                "ix_audit_events_group_id",
                AuditEvents::Table,
                [AuditEvents::GroupId],
            ),
            index(
                "ix_audit_events_project_id",
                AuditEvents::Table,
                [AuditEvents::ProjectId],
            ),
            index(
                "ix_audit_events_occurred_at",
                AuditEvents::Table,
                [AuditEvents::OccurredAt],
            ),
            // `GET /v1/audit?actor_id=` filters on it.
            index(
                "ix_audit_events_actor_id",
                AuditEvents::Table,
                [AuditEvents::ActorId],
            ),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
