//! The console's sign-in (spec §12): one-time login codes (`roster login-link`) and the sessions
//! they open. Only hashes are stored — codes and session tokens are 32 random bytes, so a hash
//! without salt is as hard to reverse as the secret is to guess. Both go with their user.

use sea_orm_migration::prelude::*;

use crate::support::{index, primary_key, text, timestamp, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsoleLoginCodes {
    Table,
    CodeHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ConsoleSessions {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn of_user(
    name: &str,
    from: impl IntoTableRef,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleLoginCodes::Table)
                    // SHA-256 of the code, lower-case hex.
                    .col(text(ConsoleLoginCodes::CodeHash))
                    .col(uuid(ConsoleLoginCodes::UserId))
                    .col(timestamp(ConsoleLoginCodes::CreatedAt))
                    .col(timestamp(ConsoleLoginCodes::ExpiresAt))
                    .primary_key(&mut primary_key(
                        "pk_console_login_codes",
                        ConsoleLoginCodes::CodeHash,
                    ))
                    .foreign_key(&mut of_user(
                        "fk_console_login_codes_user_id",
                        ConsoleLoginCodes::Table,
                        ConsoleLoginCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_console_login_codes_user_id",
                ConsoleLoginCodes::Table,
                [ConsoleLoginCodes::UserId],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSessions::Table)
                    // SHA-256 of the session cookie's value, lower-case hex.
                    .col(text(ConsoleSessions::TokenHash))
                    .col(uuid(ConsoleSessions::UserId))
                    .col(timestamp(ConsoleSessions::CreatedAt))
                    .col(timestamp(ConsoleSessions::ExpiresAt))
                    .primary_key(&mut primary_key(
                        "pk_console_sessions",
                        ConsoleSessions::TokenHash,
                    ))
                    .foreign_key(&mut of_user(
                        "fk_console_sessions_user_id",
                        ConsoleSessions::Table,
                        ConsoleSessions::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_console_sessions_user_id",
                ConsoleSessions::Table,
                [ConsoleSessions::UserId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleSessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ConsoleLoginCodes::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
