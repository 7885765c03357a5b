//! `projects`: owned by a group; the slug is unique within that group.

use sea_orm::entity::prelude::*;

use crate::{groups, project_members, squads};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning group (organisation).
    pub group_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub slug: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

relations! {
    Group: belongs_to groups::Entity,
        from Column::GroupId, to groups::Column::Id, on_delete Cascade;
    ProjectMembers: has_many project_members::Entity;
    Squads: has_many squads::Entity;
}

related! {
    groups::Entity => Relation::Group;
    project_members::Entity => Relation::ProjectMembers;
    squads::Entity => Relation::Squads;
}

impl ActiveModelBehavior for ActiveModel {}
