//! `group_member_sources`: where a group membership comes from, for each membership that
//! identity-provider bindings grant (spec §11). `group_members` keeps exactly the fields seed 000
//! gives it, so this sits beside it; a membership without a row here was made by hand alone.

use sea_orm::entity::prelude::*;

use crate::group_members;
use crate::roles::MemberRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_member_sources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_member_id: Uuid,
    /// The role given through `/v1`; `None` when only bindings grant the membership.
    pub manual_role: Option<MemberRole>,
    /// The IdP groups whose bindings grant it, comma-separated ids.
    #[sea_orm(column_type = "Text")]
    pub idp_sources: String,
}

relations! {
    GroupMember: belongs_to group_members::Entity,
        from Column::GroupMemberId, to group_members::Column::Id, on_delete Cascade;
}

related! {
    group_members::Entity => Relation::GroupMember;
}

impl ActiveModelBehavior for ActiveModel {}
