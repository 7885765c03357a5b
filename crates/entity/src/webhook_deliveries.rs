//! `webhook_deliveries`: the outbox — one row per change (or ping) owed to an endpoint, with the
//! outcome of its latest attempt.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// `change` or `ping`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// The change's revision; `None` for a ping.
    pub revision: Option<i64>,
    /// The change's audit event.
    pub event_id: Option<Uuid>,
    /// `pending`, `succeeded`, `failed` or `skipped`.
    #[sea_orm(column_type = "Text")]
    pub state: String,
    pub attempts: i32,
    pub status_code: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub latency_ms: Option<i64>,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
