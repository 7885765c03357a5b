//! `project_members`: one tiered role per user per project, with a reporting line.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_query::extension::postgres::Type;

use crate::support::{
    check, index, is_postgres, one_of, primary_key, timestamp, unique, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    Id,
    ProjectId,
    UserId,
    Role,
    ReportsTo,
    ReportsToExplicit,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// The `project_role` enum type, in tier order (seed 004: admin=0, pm=1, squad_lead=2,
/// member=3), so that PostgreSQL sorts roles by tier.
#[derive(DeriveIden, Clone, Copy)]
enum ProjectRole {
    #[sea_orm(iden = "project_role")]
    Enum,
    Admin,
    Pm,
    SquadLead,
    Member,
}

const ROLES: [ProjectRole; 4] = [
    ProjectRole::Admin,
    ProjectRole::Pm,
    ProjectRole::SquadLead,
    ProjectRole::Member,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = is_postgres(manager);
        if postgres {
            manager
                .create_type(
                    Type::create()
                        .as_enum(ProjectRole::Enum)
                        .values(ROLES)
                        .to_owned(),
                )
                .await?;
        }

        let mut table = Table::create();
        table
            .table(ProjectMembers::Table)
            .col(uuid(ProjectMembers::Id))
            .col(uuid(ProjectMembers::ProjectId))
            .col(uuid(ProjectMembers::UserId))
            .col(
                ColumnDef::new(ProjectMembers::Role)
                    .enumeration(ProjectRole::Enum, ROLES)
                    .not_null(),
            )
            .col(uuid_null(ProjectMembers::ReportsTo))
            .col(
                ColumnDef::new(ProjectMembers::ReportsToExplicit)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(timestamp(ProjectMembers::CreatedAt))
            .col(timestamp(ProjectMembers::UpdatedAt))
            .primary_key(&mut primary_key("pk_project_members", ProjectMembers::Id))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_project_members_project")
                    .from(ProjectMembers::Table, ProjectMembers::ProjectId)
                    .to(Projects::Table, Projects::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_project_members_user")
                    .from(ProjectMembers::Table, ProjectMembers::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                // Losing one's manager must not lose one's membership: the line goes null and the
                // service recomputes it in the same transaction.
                ForeignKey::create()
                    .name("fk_project_members_reports_to")
                    .from(ProjectMembers::Table, ProjectMembers::ReportsTo)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::SetNull),
            )
            // Nobody reports to themselves. (Deliberately no CHECK tying `reports_to_explicit` to
            // a non-null `reports_to`: ON DELETE SET NULL would then make deleting the manager fail.)
            .check(check(
                "ck_project_members_reports_to_not_self",
                "reports_to <> user_id",
            ));
        if !postgres {
            table.check(one_of("ck_project_members_role", "role", &ROLES));
        }
        manager.create_table(table).await?;

        // (project_id, user_id) is also the key that squad_members references.
        manager
            .create_index(unique(
                "uq_project_members_project_user",
                ProjectMembers::Table,
                [ProjectMembers::ProjectId, ProjectMembers::UserId],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_project_members_user_id",
                ProjectMembers::Table,
                [ProjectMembers::UserId],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_project_members_project_id",
                ProjectMembers::Table,
                [ProjectMembers::ProjectId],
            ))
            .await?;
        // ON DELETE SET NULL looks rows up by the deleted user: index it.
        manager
            .create_index(index(
                "ix_project_members_reports_to",
                ProjectMembers::Table,
                [ProjectMembers::ReportsTo],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProjectMembers::Table).to_owned())
            .await?;
        if is_postgres(manager) {
            manager
                .drop_type(Type::drop().name(ProjectRole::Enum).to_owned())
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
