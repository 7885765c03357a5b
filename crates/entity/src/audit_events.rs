//! `audit_events`: the append-only change history. It has no foreign keys (the history outlives
//! what it describes), hence no relations.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// `None` for actions without an authenticated user (CLI, bootstrap).
    pub actor_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    /// Before/after and other details: `jsonb` on PostgreSQL, JSON text on SQLite.
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Json,
    pub created_at: DateTimeUtc,
    /// The change's place in commit order (spec §8): strictly increasing, one per event.
    pub revision: i64,
    /// The effective-access deltas the change caused: `[{user_id, type, id, before, after}]`.
    #[sea_orm(column_type = "JsonBinary")]
    pub access: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
