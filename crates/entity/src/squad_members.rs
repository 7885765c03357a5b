//! `squad_members`: users in a squad. The row repeats the squad's `project_id` so that the
//! database can require a `project_members` row for that project and user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "squad_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub squad_id: Uuid,
    /// The squad's project (the database checks that it is).
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::squads::Entity",
        from = "(Column::SquadId, Column::ProjectId)",
        to = "(super::squads::Column::Id, super::squads::Column::ProjectId)",
        on_delete = "Cascade"
    )]
    Squad,
    #[sea_orm(
        belongs_to = "super::project_members::Entity",
        from = "(Column::ProjectId, Column::UserId)",
        to = "(super::project_members::Column::ProjectId, super::project_members::Column::UserId)",
        on_delete = "Cascade"
    )]
    ProjectMember,
}

impl Related<super::squads::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Squad.def()
    }
}

impl Related<super::project_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectMember.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
