//! `idp_bindings`: an IdP group bound to one Roster group, project or squad (exactly one of the
//! three ids) with a role its members hold there (spec §11).

use sea_orm::entity::prelude::*;

use crate::idp_groups;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idp_bindings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub idp_group_id: Uuid,
    pub group_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub squad_id: Option<Uuid>,
    /// A group role for a group; a project role for a project or a squad (held in its project).
    #[sea_orm(column_type = "Text")]
    pub role: String,
    /// Who bound it (no foreign key: it outlives them, as the audit trail does).
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

relations! {
    IdpGroup: belongs_to idp_groups::Entity,
        from Column::IdpGroupId, to idp_groups::Column::Id, on_delete Cascade;
}

related! {
    idp_groups::Entity => Relation::IdpGroup;
}

impl ActiveModelBehavior for ActiveModel {}
