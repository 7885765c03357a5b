//! `projects`: owned by a group; slugs are unique within the owning group.

use sea_orm_migration::prelude::*;

use crate::support::{index, primary_key, text, timestamp, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    GroupId,
    Name,
    Slug,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(uuid(Projects::Id))
                    .col(uuid(Projects::GroupId))
                    .col(text(Projects::Name))
                    .col(text(Projects::Slug))
                    .col(timestamp(Projects::CreatedAt))
                    .col(timestamp(Projects::UpdatedAt))
                    .primary_key(&mut primary_key("pk_projects", Projects::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_projects_group")
                            .from(Projects::Table, Projects::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_projects_group_slug",
                Projects::Table,
                [Projects::GroupId, Projects::Slug],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_projects_group_id",
                Projects::Table,
                [Projects::GroupId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Projects::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
