//! `revisions`: the one-row counter that numbers changes in commit order (spec §8).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    /// Always 1: the table holds one row.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The newest committed revision.
    pub revision: i64,
    /// The newest revision whose event is no longer kept (0 while the whole history is).
    pub retained_after: i64,
    /// Set to a new random value by every change to a webhook endpoint: the write path's
    /// list of endpoints is current while this has not moved.
    pub webhooks_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
