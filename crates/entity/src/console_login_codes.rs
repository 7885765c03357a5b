//! `console_login_codes`: one-time codes `roster login-link` prints (spec §12), stored as a hash;
//! redeeming one deletes it, and it goes with its user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_login_codes")]
pub struct Model {
    /// SHA-256 of the secret, lower-case hex; the secret itself is never stored.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub code_hash: String,
    pub user_id: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
