//! `project_members`: one [`ProjectRole`] per user per project, with a reporting line.

use sea_orm::entity::prelude::*;

use crate::roles::ProjectRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub role: ProjectRole,
    /// The user this member reports to; set to null by the database when that user is deleted.
    pub reports_to: Option<Uuid>,
    /// Whether `reports_to` was chosen explicitly rather than computed.
    pub reports_to_explicit: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Project,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    /// The manager: `find_also_linked(ReportsToLink)` or a join on this relation.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ReportsTo",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    ReportsTo,
    #[sea_orm(has_many = "super::squad_members::Entity")]
    SquadMembers,
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

/// The member's own user (the manager is [`Relation::ReportsTo`]).
impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::squad_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SquadMembers.def()
    }
}

/// From a membership to the user it reports to.
#[derive(Debug, Clone, Copy)]
pub struct ReportsToLink;

impl Linked for ReportsToLink {
    type FromEntity = Entity;
    type ToEntity = super::users::Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::ReportsTo.def()]
    }
}

impl ActiveModelBehavior for ActiveModel {}
