//! `squads`: teams inside a project, nested at most one level, enforced by the database.
//!
//! A squad is top-level (`depth` 0, no parent) or a sub-squad (`depth` 1) of a top-level squad of
//! the same project. Hand-written SQL cannot break that, because:
//! - `ck_squads_depth` ties `depth` and `parent_depth` to `parent_id`: a sub-squad has depth 1 and
//!   claims a parent of depth 0;
//! - `fk_squads_parent` makes the claim true: `(project_id, parent_id, parent_depth)` must be the
//!   `(project_id, id, depth)` of an existing squad, so the parent is in the same project and is
//!   top-level — a sub-sub-squad has nothing to reference;
//! - that foreign key is `ON UPDATE NO ACTION`: a squad with sub-squads cannot change its depth
//!   (become a sub-squad itself) while they reference `(…, id, 0)`, nor move to another project.
//!
//! Deleting a squad deletes its sub-squads (`ON DELETE CASCADE`).

use sea_orm_migration::prelude::*;

use crate::support::{check, is_postgres, primary_key, text, timestamp, unique, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Squads {
    Table,
    Id,
    ProjectId,
    ParentId,
    ParentDepth,
    Name,
    Depth,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

/// The key that sub-squads reference (their parent, its project and its depth).
const UQ_PARENT_KEY: &str = "uq_squads_project_id_depth";
/// The key that squad_members references (the squad and its project).
const UQ_MEMBER_KEY: &str = "uq_squads_id_project";

fn parent_key() -> IndexCreateStatement {
    unique(
        UQ_PARENT_KEY,
        Squads::Table,
        [Squads::ProjectId, Squads::Id, Squads::Depth],
    )
}

fn member_key() -> IndexCreateStatement {
    unique(
        UQ_MEMBER_KEY,
        Squads::Table,
        [Squads::Id, Squads::ProjectId],
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = is_postgres(manager);
        let mut table = Table::create();
        table
            .table(Squads::Table)
            .col(uuid(Squads::Id))
            .col(uuid(Squads::ProjectId))
            .col(uuid_null(Squads::ParentId))
            .col(ColumnDef::new(Squads::ParentDepth).small_integer().null())
            .col(text(Squads::Name))
            .col(ColumnDef::new(Squads::Depth).small_integer().not_null())
            .col(timestamp(Squads::CreatedAt))
            .col(timestamp(Squads::UpdatedAt))
            .primary_key(&mut primary_key("pk_squads", Squads::Id))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_squads_project")
                    .from(Squads::Table, Squads::ProjectId)
                    .to(Projects::Table, Projects::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_squads_parent")
                    .from_tbl(Squads::Table)
                    .from_col(Squads::ProjectId)
                    .from_col(Squads::ParentId)
                    .from_col(Squads::ParentDepth)
                    .to_tbl(Squads::Table)
                    .to_col(Squads::ProjectId)
                    .to_col(Squads::Id)
                    .to_col(Squads::Depth)
                    .on_delete(ForeignKeyAction::Cascade)
                    // Not CASCADE: a cascaded depth would break the child's CHECK anyway, and
                    // NO ACTION says plainly that a parent's key may not change under its children.
                    .on_update(ForeignKeyAction::NoAction),
            )
            .check(check(
                "ck_squads_depth",
                "(parent_id IS NULL AND parent_depth IS NULL AND depth = 0) \
                 OR (parent_id IS NOT NULL AND parent_depth = 0 AND depth = 1)",
            ));
        if postgres {
            // PostgreSQL checks a foreign key's target when the table is created, so the keys it
            // references must be table constraints here; SQLite resolves them lazily, and there
            // they are created below as named indexes (an inline UNIQUE would lose its name).
            table.index(&mut parent_key()).index(&mut member_key());
        }
        manager.create_table(table).await?;
        if !postgres {
            manager.create_index(parent_key()).await?;
            manager.create_index(member_key()).await?;
        }

        // Names are unique among siblings; NULL parents are distinct in a unique index, so the
        // top-level squads of a project need their own partial index.
        manager
            .create_index(unique(
                "uq_squads_parent_name",
                Squads::Table,
                [Squads::ParentId, Squads::Name],
            ))
            .await?;
        manager
            .create_index(
                unique(
                    "uq_squads_project_root_name",
                    Squads::Table,
                    [Squads::ProjectId, Squads::Name],
                )
                .and_where(Expr::col(Squads::ParentId).is_null())
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Squads::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
