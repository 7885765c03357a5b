//! `idp_group_members`: who is in each IdP group, as the identity provider says.

use sea_orm::entity::prelude::*;

use crate::{idp_groups, users};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idp_group_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub idp_group_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub created_at: DateTimeUtc,
}

relations! {
    IdpGroup: belongs_to idp_groups::Entity,
        from Column::IdpGroupId, to idp_groups::Column::Id, on_delete Cascade;
    User: belongs_to users::Entity, from Column::UserId, to users::Column::Id, on_delete Cascade;
}

related! {
    idp_groups::Entity => Relation::IdpGroup;
    users::Entity => Relation::User;
}

impl ActiveModelBehavior for ActiveModel {}
