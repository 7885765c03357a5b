//! `project_members`: one [`ProjectRole`] per user per project, with a reporting line.

use sea_orm::entity::prelude::*;

use crate::roles::ProjectRole;
use crate::{projects, squad_members, users};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    /// The role in force: the strongest of `manual_role` and the bound roles.
    pub role: ProjectRole,
    /// The user this member reports to; set to null by the database when that user is deleted.
    pub reports_to: Option<Uuid>,
    /// Whether `reports_to` was chosen explicitly rather than computed.
    pub reports_to_explicit: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The role given through `/v1`; `None` when only IdP bindings grant the membership.
    pub manual_role: Option<ProjectRole>,
    /// The IdP groups whose bindings grant it, comma-separated ids (`None`: none).
    #[sea_orm(column_type = "Text", nullable)]
    pub idp_sources: Option<String>,
}

relations! {
    Project: belongs_to projects::Entity,
        from Column::ProjectId, to projects::Column::Id, on_delete Cascade;
    User: belongs_to users::Entity, from Column::UserId, to users::Column::Id, on_delete Cascade;
    /// The manager: `find_also_linked(ReportsToLink)` or a join on this relation.
    ReportsTo: belongs_to users::Entity,
        from Column::ReportsTo, to users::Column::Id, on_delete SetNull;
    SquadMembers: has_many squad_members::Entity;
}

related! {
    projects::Entity => Relation::Project;
    /// The member's own user (the manager is [`Relation::ReportsTo`]).
    users::Entity => Relation::User;
    squad_members::Entity => Relation::SquadMembers;
}

linked! {
    /// From a membership to the user it reports to.
    ReportsToLink: users::Entity = [Relation::ReportsTo.def()];
}

impl ActiveModelBehavior for ActiveModel {}
