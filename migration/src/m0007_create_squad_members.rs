//! `squad_members`: a squad member is always a member of the squad's project.
//!
//! The row carries the squad's `project_id`, pinned by `fk_squad_members_squad` (the squad *and*
//! its project), and `fk_squad_members_project_member` requires a `project_members` row for
//! that project and user. Leaving the project (or deleting the user, which deletes their project
//! memberships) therefore removes the squad memberships too.

use sea_orm_migration::prelude::*;

use crate::support::{index, primary_key, timestamp, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SquadMembers {
    Table,
    Id,
    SquadId,
    ProjectId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Squads {
    Table,
    Id,
    ProjectId,
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    ProjectId,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SquadMembers::Table)
                    .col(uuid(SquadMembers::Id))
                    .col(uuid(SquadMembers::SquadId))
                    .col(uuid(SquadMembers::ProjectId))
                    .col(uuid(SquadMembers::UserId))
                    .col(timestamp(SquadMembers::CreatedAt))
                    .primary_key(&mut primary_key("pk_squad_members", SquadMembers::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_squad_members_squad")
                            .from_tbl(SquadMembers::Table)
                            .from_col(SquadMembers::SquadId)
                            .from_col(SquadMembers::ProjectId)
                            .to_tbl(Squads::Table)
                            .to_col(Squads::Id)
                            .to_col(Squads::ProjectId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_squad_members_project_member")
                            .from_tbl(SquadMembers::Table)
                            .from_col(SquadMembers::ProjectId)
                            .from_col(SquadMembers::UserId)
                            .to_tbl(ProjectMembers::Table)
                            .to_col(ProjectMembers::ProjectId)
                            .to_col(ProjectMembers::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_squad_members_squad_user",
                SquadMembers::Table,
                [SquadMembers::SquadId, SquadMembers::UserId],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_squad_members_user_id",
                SquadMembers::Table,
                [SquadMembers::UserId],
            ))
            .await?;
        // Leads with project_id, then user_id: it is also the lookup that the cascade from
        // project_members performs.
        manager
            .create_index(index(
                "ix_squad_members_project_user",
                SquadMembers::Table,
                [SquadMembers::ProjectId, SquadMembers::UserId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SquadMembers::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
