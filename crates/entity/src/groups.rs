//! `groups`: the organisation tree, with a materialized path.
//!
//! `path` holds the ids of the group's ancestors and of itself, each as 32 lower-case hex digits,
//! joined by `.`; `depth` is the number of labels minus one. On PostgreSQL the column is `ltree`,
//! which sqlx will neither write from nor read into a `String`, so the column casts: writes go
//! through `CAST(… AS ltree)` and reads through `CAST(path AS text)`. On SQLite the column is
//! plain text and must not be cast (a cast to the unknown type `ltree` has numeric affinity and
//! mangles the labels). SeaORM's `select_as`/`save_as` derive attributes cast on every backend,
//! so this entity is written in the expanded form with a hand-written [`ColumnTrait`] whose casts
//! use sea-query's backend-aware `as_enum`: a `CAST` on PostgreSQL, nothing on SQLite.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, ExprTrait};

use crate::{group_members, projects, users};

#[derive(Copy, Clone, Default, Debug, DeriveEntity)]
pub struct Entity;

impl EntityName for Entity {
    fn table_name(&self) -> &'static str {
        "groups"
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveModel, DeriveActiveModel)]
pub struct Model {
    pub id: Uuid,
    /// `None` for a root group.
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// Unique among siblings, and among roots.
    pub slug: String,
    /// Ancestor ids and the group's own, as 32-hex-digit labels joined by `.` (root first).
    pub path: String,
    /// 0 for a root, at most 20.
    pub depth: i16,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveColumn)]
pub enum Column {
    Id,
    ParentId,
    Name,
    Slug,
    Path,
    Depth,
    CreatedAt,
    UpdatedAt,
}

#[derive(Copy, Clone, Debug, EnumIter, DerivePrimaryKey)]
pub enum PrimaryKey {
    Id,
}

impl PrimaryKeyTrait for PrimaryKey {
    type ValueType = Uuid;

    fn auto_increment() -> bool {
        false
    }
}

impl ColumnTrait for Column {
    type EntityName = Entity;

    fn def(&self) -> ColumnDef {
        match self {
            Self::Id => ColumnType::Uuid.def(),
            Self::ParentId => ColumnType::Uuid.def().null(),
            Self::Name | Self::Slug => ColumnType::Text.def(),
            // Text as Rust sees it; `ltree` on PostgreSQL thanks to the casts below.
            Self::Path => ColumnType::Text.def(),
            Self::Depth => ColumnType::SmallInteger.def(),
            Self::CreatedAt | Self::UpdatedAt => ColumnType::TimestampWithTimeZone.def(),
        }
    }

    fn select_as(&self, expr: Expr) -> Expr {
        match self {
            Self::Path => expr.as_enum(Alias::new("text")),
            _ => self.select_enum_as(expr),
        }
    }

    fn save_as(&self, val: Expr) -> Expr {
        match self {
            Self::Path => val.as_enum(Alias::new("ltree")),
            _ => self.save_enum_as(val),
        }
    }
}

relations! {
    /// The parent group (see [`ParentLink`] and [`ChildrenLink`] to follow it).
    Parent: belongs_to Entity, from Column::ParentId, to Column::Id, on_delete Cascade;
    GroupMembers: has_many group_members::Entity;
    Projects: has_many projects::Entity;
}

related! {
    group_members::Entity => Relation::GroupMembers;
    projects::Entity => Relation::Projects;
    /// Groups to their direct members, through `group_members`.
    users::Entity => group_members::Relation::User, via group_members::Relation::Group;
}

linked! {
    /// From a group to its parent: `group.find_linked(ParentLink)`.
    ParentLink: Entity = [Relation::Parent.def()];
    /// From a group to its children: `group.find_linked(ChildrenLink)`.
    ChildrenLink: Entity = [Relation::Parent.def().rev()];
}

impl ActiveModelBehavior for ActiveModel {}
