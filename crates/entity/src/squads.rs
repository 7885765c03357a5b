//! `squads`: teams in a project, nested at most one level.
//!
//! The database enforces the nesting (see the `m0006_create_squads` migration): a top-level squad
//! has `depth` 0 and no parent; a sub-squad has `depth` 1 and `parent_depth` 0, and its parent is
//! a top-level squad of the same project. `parent_depth` exists only to let a foreign key check
//! the parent's depth: set it to `Some(0)` with a parent and `None` without.

use sea_orm::entity::prelude::*;

use crate::{projects, squad_members};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "squads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub parent_id: Option<Uuid>,
    /// The parent's depth (always `Some(0)` with a parent, `None` without).
    pub parent_depth: Option<i16>,
    /// Unique among siblings, and among the project's top-level squads.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// 0 for a top-level squad, 1 for a sub-squad.
    pub depth: i16,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

relations! {
    Project: belongs_to projects::Entity,
        from Column::ProjectId, to projects::Column::Id, on_delete Cascade;
    /// The parent squad (see [`ParentLink`] and [`ChildrenLink`] to follow it).
    Parent: belongs_to Entity, from Column::ParentId, to Column::Id, on_delete Cascade;
    SquadMembers: has_many squad_members::Entity;
}

related! {
    projects::Entity => Relation::Project;
    squad_members::Entity => Relation::SquadMembers;
}

linked! {
    /// From a squad to its parent squad.
    ParentLink: Entity = [Relation::Parent.def()];
    /// From a squad to its sub-squads.
    ChildrenLink: Entity = [Relation::Parent.def().rev()];
}

impl ActiveModelBehavior for ActiveModel {}
