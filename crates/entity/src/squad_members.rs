//! `squad_members`: users in a squad. The row repeats the squad's `project_id` so that the
//! database can require a `project_members` row for that project and user.

use sea_orm::entity::prelude::*;

use crate::{project_members, squads};

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
    /// Whether the membership was given through `/v1` (else only IdP bindings grant it).
    pub manual: bool,
    /// The IdP groups whose bindings grant it, comma-separated ids (`None`: none).
    #[sea_orm(column_type = "Text", nullable)]
    pub idp_sources: Option<String>,
}

relations! {
    Squad: belongs_to squads::Entity,
        from (Column::SquadId, Column::ProjectId),
        to (squads::Column::Id, squads::Column::ProjectId),
        on_delete Cascade;
    ProjectMember: belongs_to project_members::Entity,
        from (Column::ProjectId, Column::UserId),
        to (project_members::Column::ProjectId, project_members::Column::UserId),
        on_delete Cascade;
}

related! {
    squads::Entity => Relation::Squad;
    project_members::Entity => Relation::ProjectMember;
}

impl ActiveModelBehavior for ActiveModel {}
