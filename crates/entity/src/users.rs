//! `users`: the people Roster knows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique, stored lower-case (the database refuses upper-case ASCII).
    #[sea_orm(column_type = "Text", unique)]
    pub email: String,
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::group_members::Entity")]
    GroupMembers,
    /// The user's own project memberships (not the ones that report to them).
    #[sea_orm(has_many = "super::project_members::Entity")]
    ProjectMembers,
}

impl Related<super::group_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::GroupMembers.def()
    }
}

impl Related<super::project_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectMembers.def()
    }
}

/// Users to the groups they are direct members of, through `group_members`.
impl Related<super::groups::Entity> for Entity {
    fn to() -> RelationDef {
        super::group_members::Relation::Group.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::group_members::Relation::User.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
