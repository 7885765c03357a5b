//! `webhooks`: an endpoint that receives the changes its creator may read, within its scope.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// The action patterns it receives (`["group_member.*"]`); empty for every action.
    #[sea_orm(column_type = "JsonBinary")]
    pub actions: Json,
    pub group_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub created_by: Uuid,
    /// The signing secret, sealed with a key derived from the server's secret.
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    /// The secret before the last rotation, sealed; it signs too until `previous_secret_until`.
    #[sea_orm(column_type = "Text", nullable)]
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    pub enabled: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i32,
    pub failing_since: Option<DateTimeUtc>,
    /// No delivery worker takes the endpoint before this: an attempt is in flight (a worker's
    /// lease, so one is in flight at a time), or a failed one waits for its retry. In the past,
    /// it is when the endpoint was last released (the worker serves the longest-waiting first).
    pub held_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
