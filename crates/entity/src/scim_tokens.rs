//! `scim_tokens`: the bearer tokens an identity provider provisions through (spec §11), stored
//! as a hash; a revoked token's row is deleted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// SHA-256 of the token, lower-case hex; the token itself is shown once and never stored.
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    /// The system admin who made it; `None` on the command line, or once they are deleted.
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
