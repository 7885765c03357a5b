//! Webhooks (spec §9): the endpoints, and their deliveries — the outbox, written in the same
//! transaction as the change each delivery carries, then worked off by the delivery worker.
//!
//! An endpoint goes with its scope (a group or project deleted takes its endpoints along) and
//! with its creator, whose visibility decides what it is sent.

use sea_orm_migration::prelude::*;

use crate::support::{check, index, primary_key, text, timestamp, unique, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Description,
    Actions,
    GroupId,
    ProjectId,
    CreatedBy,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    Enabled,
    DisabledReason,
    ConsecutiveFailures,
    FailingSince,
    HeldUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    Kind,
    Revision,
    EventId,
    State,
    Attempts,
    StatusCode,
    Error,
    LatencyMs,
    NextAttemptAt,
    CreatedAt,
    UpdatedAt,
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
enum Users {
    Table,
    Id,
}

fn optional_timestamp<C: IntoIden>(column: C) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn cascade<T: IntoIden, F: IntoIden, R: IntoIden, C: IntoIden>(
    name: &str,
    from: (T, F),
    to: (R, C),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(uuid(Webhooks::Id))
                    .col(text(Webhooks::Url))
                    .col(text(Webhooks::Description))
                    // The action patterns (`group_member.*`); empty for every action.
                    .col(ColumnDef::new(Webhooks::Actions).json_binary().not_null())
                    .col(uuid_null(Webhooks::GroupId))
                    .col(uuid_null(Webhooks::ProjectId))
                    .col(uuid(Webhooks::CreatedBy))
                    // Sealed (encrypted) with a key derived from the server's secret.
                    .col(text(Webhooks::Secret))
                    .col(ColumnDef::new(Webhooks::PreviousSecret).text().null())
                    .col(optional_timestamp(Webhooks::PreviousSecretUntil))
                    .col(ColumnDef::new(Webhooks::Enabled).boolean().not_null())
                    .col(ColumnDef::new(Webhooks::DisabledReason).text().null())
                    .col(
                        ColumnDef::new(Webhooks::ConsecutiveFailures)
                            .integer()
                            .not_null(),
                    )
                    .col(optional_timestamp(Webhooks::FailingSince))
                    // No worker takes the endpoint before this: an attempt in flight (one at a
                    // time), or a failed attempt's backoff.
                    .col(optional_timestamp(Webhooks::HeldUntil))
                    .col(timestamp(Webhooks::CreatedAt))
                    .col(timestamp(Webhooks::UpdatedAt))
                    .primary_key(&mut primary_key("pk_webhooks", Webhooks::Id))
                    .check(check(
                        "ck_webhooks_one_scope",
                        "group_id IS NULL OR project_id IS NULL",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_webhooks_group",
                        (Webhooks::Table, Webhooks::GroupId),
                        (Groups::Table, Groups::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_webhooks_project",
                        (Webhooks::Table, Webhooks::ProjectId),
                        (Projects::Table, Projects::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_webhooks_created_by",
                        (Webhooks::Table, Webhooks::CreatedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::WebhookId))
                    .col(text(WebhookDeliveries::Kind))
                    // The change's revision; null for a ping.
                    .col(
                        ColumnDef::new(WebhookDeliveries::Revision)
                            .big_integer()
                            .null(),
                    )
                    .col(uuid_null(WebhookDeliveries::EventId))
                    .col(text(WebhookDeliveries::State))
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::StatusCode)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::Error).text().null())
                    .col(
                        ColumnDef::new(WebhookDeliveries::LatencyMs)
                            .big_integer()
                            .null(),
                    )
                    .col(optional_timestamp(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp(WebhookDeliveries::CreatedAt))
                    .col(timestamp(WebhookDeliveries::UpdatedAt))
                    .primary_key(&mut primary_key(
                        "pk_webhook_deliveries",
                        WebhookDeliveries::Id,
                    ))
                    .check(check(
                        "ck_webhook_deliveries_kind",
                        "kind IN ('change', 'ping')",
                    ))
                    .check(check(
                        "ck_webhook_deliveries_state",
                        "state IN ('pending', 'succeeded', 'failed', 'skipped')",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_webhook_deliveries_webhook",
                        (WebhookDeliveries::Table, WebhookDeliveries::WebhookId),
                        (Webhooks::Table, Webhooks::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            // One delivery of each change to each endpoint.
            unique(
                "uq_webhook_deliveries_webhook_revision",
                WebhookDeliveries::Table,
                [WebhookDeliveries::WebhookId, WebhookDeliveries::Revision],
            ),
            // The worker's question: the oldest pending delivery of an endpoint.
            index(
                "ix_webhook_deliveries_state",
                WebhookDeliveries::Table,
                [
                    WebhookDeliveries::State,
                    WebhookDeliveries::WebhookId,
                    WebhookDeliveries::Revision,
                ],
            ),
            index("ix_webhooks_group_id", Webhooks::Table, [Webhooks::GroupId]),
            index(
                "ix_webhooks_project_id",
                Webhooks::Table,
                [Webhooks::ProjectId],
            ),
            index(
                "ix_webhooks_created_by",
                Webhooks::Table,
                [Webhooks::CreatedBy],
            ),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Webhooks::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
