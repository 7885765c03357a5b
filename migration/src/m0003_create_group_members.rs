//! `group_members` (seed 000's `0003_create_group_members`): one role per user per group.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_query::extension::postgres::Type;

use crate::support::{index, is_postgres, one_of, primary_key, timestamp, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    Id,
    UserId,
    GroupId,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

/// The `member_role` enum type, strongest role first (seed 000).
#[derive(DeriveIden, Clone, Copy)]
enum MemberRole {
    #[sea_orm(iden = "member_role")]
    Enum,
    SystemAdmin,
    GroupAdmin,
    Teacher,
    Student,
}

const ROLES: [MemberRole; 4] = [
    MemberRole::SystemAdmin,
    MemberRole::GroupAdmin,
    MemberRole::Teacher,
    MemberRole::Student,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = is_postgres(manager);
        if postgres {
            manager
                .create_type(
                    Type::create()
                        .as_enum(MemberRole::Enum)
                        .values(ROLES)
                        .to_owned(),
                )
                .await?;
        }

        let mut table = Table::create();
        table
            .table(GroupMembers::Table)
            .col(uuid(GroupMembers::Id))
            .col(uuid(GroupMembers::UserId))
            .col(uuid(GroupMembers::GroupId))
            .col(
                ColumnDef::new(GroupMembers::Role)
                    .enumeration(MemberRole::Enum, ROLES)
                    .not_null(),
            )
            .col(timestamp(GroupMembers::CreatedAt))
            .col(timestamp(GroupMembers::UpdatedAt))
            .primary_key(&mut primary_key("pk_group_members", GroupMembers::Id))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_group_members_user")
                    .from(GroupMembers::Table, GroupMembers::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_group_members_group")
                    .from(GroupMembers::Table, GroupMembers::GroupId)
                    .to(Groups::Table, Groups::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        if !postgres {
            // SQLite has no enum types: the column is text and this CHECK is the enum.
            table.check(one_of("ck_group_members_role", "role", &ROLES));
        }
        manager.create_table(table).await?;

        // The unique pair also serves lookups by user; the two plain indexes are the ones seed
        // 000 asks for ("get user's groups", "get group's members").
        manager
            .create_index(unique(
                "uq_group_members_user_group",
                GroupMembers::Table,
                [GroupMembers::UserId, GroupMembers::GroupId],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_group_members_user_id",
                GroupMembers::Table,
                [GroupMembers::UserId],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_group_members_group_id",
                GroupMembers::Table,
                [GroupMembers::GroupId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GroupMembers::Table).to_owned())
            .await?;
        if is_postgres(manager) {
            manager
                .drop_type(Type::drop().name(MemberRole::Enum).to_owned())
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
