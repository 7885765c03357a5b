//! Identity providers' groups and what they grant (spec §11).
//!
//! - `idp_groups`: the groups an identity provider pushes over SCIM. They are not Roster groups:
//!   Roster owns its tree, the provider owns who is in these.
//! - `idp_group_members`: who is in each (the provider's word).
//! - `idp_bindings`: an IdP group bound to one Roster group, project or squad (exactly one of
//!   the three columns) with a role; deleted with either end.
//! - Memberships remember their sources: `manual_role` is the role given through `/v1` (null
//!   when the membership exists only through bindings), and `idp_sources` the IdP groups whose
//!   bindings grant it (their ids, comma-separated; null when none). `role` stays the role in
//!   force — the strongest of the manual and the bound ones — so every reader keeps reading it.
//!   Memberships that exist already were all made by hand.
//! - `group_members` keeps exactly the fields seed 000 gives it (AC2), so a group membership's
//!   sources live beside it in `group_member_sources`, one row for each membership that IdP
//!   bindings grant (none: made by hand alone, `manual_role` = `role`). Project and squad
//!   memberships carry theirs as columns.

use sea_orm_migration::prelude::*;

use crate::support::{check, index, is_postgres, primary_key, text, timestamp, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdpGroups {
    Table,
    Id,
    DisplayName,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdpGroupMembers {
    Table,
    IdpGroupId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdpBindings {
    Table,
    Id,
    IdpGroupId,
    GroupId,
    ProjectId,
    SquadId,
    Role,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupMemberSources {
    Table,
    GroupMemberId,
    ManualRole,
    IdpSources,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    Id,
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

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Squads {
    Table,
    Id,
}

/// Every role a binding may grant: the group roles, then the project roles (a squad binding
/// takes a project role, held in the squad's project).
const BINDING_ROLES: &str = "role IN ('system_admin', 'group_admin', 'teacher', 'student', \
                             'admin', 'pm', 'squad_lead', 'member')";

fn foreign_key<F: IntoIden, T: IntoIden, C: IntoIden>(
    name: &str,
    from: F,
    table: T,
    column: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(IdpBindings::Table, from)
        .to(table, column)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdpGroups::Table)
                    .col(uuid(IdpGroups::Id))
                    .col(text(IdpGroups::DisplayName))
                    .col(ColumnDef::new(IdpGroups::ExternalId).text().null())
                    .col(timestamp(IdpGroups::CreatedAt))
                    .col(timestamp(IdpGroups::UpdatedAt))
                    .primary_key(&mut primary_key("pk_idp_groups", IdpGroups::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdpGroupMembers::Table)
                    .col(uuid(IdpGroupMembers::IdpGroupId))
                    .col(uuid(IdpGroupMembers::UserId))
                    .col(timestamp(IdpGroupMembers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_idp_group_members")
                            .col(IdpGroupMembers::IdpGroupId)
                            .col(IdpGroupMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_idp_group_members_group")
                            .from(IdpGroupMembers::Table, IdpGroupMembers::IdpGroupId)
                            .to(IdpGroups::Table, IdpGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_idp_group_members_user")
                            .from(IdpGroupMembers::Table, IdpGroupMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_idp_group_members_user",
                IdpGroupMembers::Table,
                [IdpGroupMembers::UserId],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdpBindings::Table)
                    .col(uuid(IdpBindings::Id))
                    .col(uuid(IdpBindings::IdpGroupId))
                    .col(ColumnDef::new(IdpBindings::GroupId).uuid().null())
                    .col(ColumnDef::new(IdpBindings::ProjectId).uuid().null())
                    .col(ColumnDef::new(IdpBindings::SquadId).uuid().null())
                    .col(text(IdpBindings::Role))
                    // Whoever made it; no foreign key: like the audit trail, it outlives them.
                    .col(ColumnDef::new(IdpBindings::CreatedBy).uuid().null())
                    .col(timestamp(IdpBindings::CreatedAt))
                    .primary_key(&mut primary_key("pk_idp_bindings", IdpBindings::Id))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_idp_bindings_idp_group")
                            .from(IdpBindings::Table, IdpBindings::IdpGroupId)
                            .to(IdpGroups::Table, IdpGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut foreign_key(
                        "fk_idp_bindings_group",
                        IdpBindings::GroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_idp_bindings_project",
                        IdpBindings::ProjectId,
                        Projects::Table,
                        Projects::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_idp_bindings_squad",
                        IdpBindings::SquadId,
                        Squads::Table,
                        Squads::Id,
                    ))
                    .check(check(
                        "ck_idp_bindings_one_target",
                        "(CASE WHEN group_id IS NULL THEN 0 ELSE 1 END \
                         + CASE WHEN project_id IS NULL THEN 0 ELSE 1 END \
                         + CASE WHEN squad_id IS NULL THEN 0 ELSE 1 END) = 1",
                    ))
                    .check(check("ck_idp_bindings_role_name", BINDING_ROLES))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("uq_idp_bindings_group", IdpBindings::GroupId),
            ("uq_idp_bindings_project", IdpBindings::ProjectId),
            ("uq_idp_bindings_squad", IdpBindings::SquadId),
        ] {
            manager
                .create_index(unique(
                    name,
                    IdpBindings::Table,
                    [IdpBindings::IdpGroupId, column],
                ))
                .await?;
        }
        let db = manager.get_connection();
        let (project_role, sqlite_checks) = if is_postgres(manager) {
            ("project_role", false)
        } else {
            ("text", true)
        };
        // The role column is the `member_role` enum on PostgreSQL; on SQLite, text and a CHECK.
        let postgres = is_postgres(manager);
        let mut sources = Table::create();
        sources
            .table(GroupMemberSources::Table)
            .col(uuid(GroupMemberSources::GroupMemberId))
            .col(
                ColumnDef::new(GroupMemberSources::ManualRole)
                    .custom(Alias::new(if postgres { "member_role" } else { "text" }))
                    .null(),
            )
            .col(text(GroupMemberSources::IdpSources))
            .primary_key(&mut primary_key(
                "pk_group_member_sources",
                GroupMemberSources::GroupMemberId,
            ))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_group_member_sources_member")
                    .from(GroupMemberSources::Table, GroupMemberSources::GroupMemberId)
                    .to(GroupMembers::Table, GroupMembers::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        if !postgres {
            sources.check(check(
                "ck_group_member_sources_manual_role",
                "manual_role IN ('system_admin', 'group_admin', 'teacher', 'student')",
            ));
        }
        manager.create_table(sources.to_owned()).await?;
        let statements = [
            format!(
                "ALTER TABLE project_members ADD COLUMN manual_role {project_role} NULL{}",
                if sqlite_checks {
                    " CONSTRAINT \"ck_project_members_manual_role\" CHECK (manual_role IN \
                     ('admin', 'pm', 'squad_lead', 'member'))"
                } else {
                    ""
                }
            ),
            "ALTER TABLE project_members ADD COLUMN idp_sources text NULL".to_owned(),
            "UPDATE project_members SET manual_role = role".to_owned(),
            "ALTER TABLE squad_members ADD COLUMN manual boolean NOT NULL DEFAULT true".to_owned(),
            "ALTER TABLE squad_members ADD COLUMN idp_sources text NULL".to_owned(),
        ];
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Memberships that exist only through bindings go with them.
        for statement in [
            "DELETE FROM squad_members WHERE NOT manual",
            "DELETE FROM project_members WHERE manual_role IS NULL",
            "DELETE FROM group_members WHERE id IN \
             (SELECT group_member_id FROM group_member_sources WHERE manual_role IS NULL)",
            "UPDATE project_members SET role = manual_role",
            "UPDATE group_members SET role = (SELECT manual_role FROM group_member_sources \
             WHERE group_member_id = group_members.id) \
             WHERE id IN (SELECT group_member_id FROM group_member_sources)",
            "ALTER TABLE squad_members DROP COLUMN idp_sources",
            "ALTER TABLE squad_members DROP COLUMN manual",
            "ALTER TABLE project_members DROP COLUMN idp_sources",
            "ALTER TABLE project_members DROP COLUMN manual_role",
        ] {
            db.execute_unprepared(statement).await?;
        }
        for table in [
            GroupMemberSources::Table.into_iden(),
            IdpBindings::Table.into_iden(),
            IdpGroupMembers::Table.into_iden(),
            IdpGroups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
