//! `group_members` (seed 000): one [`MemberRole`] per user per group.

use sea_orm::entity::prelude::*;

use crate::roles::MemberRole;
use crate::{groups, users};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub group_id: Uuid,
    pub role: MemberRole,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

relations! {
    User: belongs_to users::Entity, from Column::UserId, to users::Column::Id, on_delete Cascade;
    Group: belongs_to groups::Entity,
        from Column::GroupId, to groups::Column::Id, on_delete Cascade;
}

related! {
    users::Entity => Relation::User;
    groups::Entity => Relation::Group;
}

impl ActiveModelBehavior for ActiveModel {}
