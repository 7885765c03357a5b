//! `groups`: the organisation tree, with a materialized `path` of ids (PostgreSQL `ltree`).

use sea_orm_migration::prelude::*;

use crate::support::{
    check, index, is_postgres, primary_key, text, timestamp, unique, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    ParentId,
    Name,
    Slug,
    Path,
    Depth,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = is_postgres(manager);
        let mut path = ColumnDef::new(Groups::Path);
        if postgres {
            // ltree is a trusted extension: a database owner may create it without superuser.
            manager
                .get_connection()
                .execute_unprepared("CREATE EXTENSION IF NOT EXISTS ltree")
                .await?;
            path.custom(Alias::new("ltree"));
        } else {
            // Labels are fixed-length hex, so text order is ltree order and a B-tree range scan
            // answers "descendants of" on SQLite.
            path.text();
        }
        path.not_null();

        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .col(uuid(Groups::Id))
                    .col(uuid_null(Groups::ParentId))
                    .col(text(Groups::Name))
                    .col(text(Groups::Slug))
                    .col(path)
                    .col(ColumnDef::new(Groups::Depth).small_integer().not_null())
                    .col(timestamp(Groups::CreatedAt))
                    .col(timestamp(Groups::UpdatedAt))
                    .primary_key(&mut primary_key("pk_groups", Groups::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_groups_parent")
                            .from(Groups::Table, Groups::ParentId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(check("ck_groups_depth", "depth BETWEEN 0 AND 20"))
                    .to_owned(),
            )
            .await?;

        // Slugs are unique among siblings; NULL parents are distinct in a unique index, so the
        // roots need their own partial index.
        manager
            .create_index(unique(
                "uq_groups_parent_slug",
                Groups::Table,
                [Groups::ParentId, Groups::Slug],
            ))
            .await?;
        manager
            .create_index(
                unique("uq_groups_root_slug", Groups::Table, [Groups::Slug])
                    .and_where(Expr::col(Groups::ParentId).is_null())
                    .to_owned(),
            )
            .await?;
        // A path names exactly one group; on SQLite this B-tree index is also the path index.
        manager
            .create_index(unique("uq_groups_path", Groups::Table, [Groups::Path]))
            .await?;
        if postgres {
            // GiST serves the ltree operators (`<@`, `@>`, `~`) that ancestor/descendant queries use.
            manager
                .create_index(
                    index("ix_groups_path_gist", Groups::Table, [Groups::Path])
                        .index_type(IndexType::Custom(Alias::new("GIST").into_iden()))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The ltree extension stays: it may predate Roster or serve others, and `CREATE EXTENSION
        // IF NOT EXISTS` makes the next `up` work either way.
        manager
            .drop_table(Table::drop().table(Groups::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
