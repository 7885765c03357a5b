//! `users`: the people Roster knows, identified by a lower-case, unique email.

use sea_orm_migration::prelude::*;

use crate::support::{check, primary_key, text, timestamp, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid(Users::Id))
                    .col(text(Users::Email))
                    .col(text(Users::DisplayName))
                    .col(timestamp(Users::CreatedAt))
                    .col(timestamp(Users::UpdatedAt))
                    .primary_key(&mut primary_key("pk_users", Users::Id))
                    // The application lower-cases emails; this catches a writer that forgets, so
                    // that `uq_users_email` really is case-insensitive. (SQLite's `lower` folds
                    // ASCII only, PostgreSQL's follows the database locale.)
                    .check(check("ck_users_email_lowercase", "email = lower(email)"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("uq_users_email", Users::Table, [Users::Email]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
