//! SCIM tokens (spec §11): the bearer tokens identity providers provision through, made by a
//! system admin. Only a hash is stored; revoking a token deletes its row (the audit trail,
//! which has no foreign keys, keeps its id).

use sea_orm_migration::prelude::*;

use crate::support::{index, primary_key, text, timestamp, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScimTokens {
    Table,
    Id,
    Name,
    TokenHash,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScimTokens::Table)
                    .col(uuid(ScimTokens::Id))
                    .col(text(ScimTokens::Name))
                    // SHA-256 of the token, in hex: the token is random, so no salt is needed.
                    .col(text(ScimTokens::TokenHash))
                    // The system admin who made it; null once deleted, or made on the command line.
                    .col(ColumnDef::new(ScimTokens::CreatedBy).uuid().null())
                    .col(timestamp(ScimTokens::CreatedAt))
                    .col(timestamp(ScimTokens::UpdatedAt))
                    .primary_key(&mut primary_key("pk_scim_tokens", ScimTokens::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_tokens_created_by")
                            .from(ScimTokens::Table, ScimTokens::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_scim_tokens_token_hash",
                ScimTokens::Table,
                [ScimTokens::TokenHash],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_scim_tokens_created_by",
                ScimTokens::Table,
                [ScimTokens::CreatedBy],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScimTokens::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
