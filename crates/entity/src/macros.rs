//! Helpers that write the relation code every entity module repeats: the `Relation` enum, its
//! `Related` impls and its `Linked` chains.
//!
//! Each macro expands to exactly what SeaORM's derives or the hand-written impls produced before
//! (`DeriveRelation` only implements [`RelationTrait`](sea_orm::RelationTrait)), so the public
//! items keep their names and behaviour; the macros only let each module state its relations in
//! one line apiece. They expect `sea_orm::entity::prelude::*` in scope and an `Entity` and
//! `Column` in the calling module, as every entity module has.

/// Writes `pub enum Relation` and its `RelationTrait` impl from one short entry per relation.
///
/// ```text
/// relations! {
///     /// Docs and other attributes go on the variant.
///     User: belongs_to users::Entity,
///         from Column::UserId, to users::Column::Id, on_delete Cascade;
///     Projects: has_many projects::Entity;
/// }
/// ```
///
/// `from`/`to` take anything SeaORM's `RelationBuilder` accepts (a column or a tuple of columns),
/// and `on_delete` names a [`ForeignKeyAction`](sea_orm::ForeignKeyAction) variant, just like the
/// `#[sea_orm(belongs_to = …, from = …, to = …, on_delete = …)]` attributes they replace.
macro_rules! relations {
    ($(
        $(#[$attr:meta])*
        $variant:ident: $kind:ident $target:path
            $(, from $from:expr, to $to:expr, on_delete $action:ident)?;
    )+) => {
        #[derive(Copy, Clone, Debug, EnumIter)]
        pub enum Relation {
            $($(#[$attr])* $variant,)+
        }

        impl RelationTrait for Relation {
            fn def(&self) -> RelationDef {
                match self {
                    $(Self::$variant => Entity::$kind($target)
                        $(.from($from).to($to).on_delete(ForeignKeyAction::$action))?
                        .into(),)+
                }
            }
        }
    };
}

/// Writes `impl Related<Target> for Entity` from `Target => Relation::Variant;`.
///
/// With `, via Junction::Relation::Back`, the relation goes through a junction table: `to` is the
/// junction's relation to the target, and `via` is the junction's relation back to this entity,
/// walked in reverse (SeaORM's many-to-many pattern).
macro_rules! related {
    ($(
        $(#[$attr:meta])*
        $target:ty => $to:expr $(, via $via:expr)?;
    )+) => {$(
        $(#[$attr])*
        impl Related<$target> for Entity {
            fn to() -> RelationDef {
                $to.def()
            }
            $(
                fn via() -> Option<RelationDef> {
                    Some($via.def().rev())
                }
            )?
        }
    )+};
}

/// Writes a public unit struct and its `Linked` impl from `Name: Target = [relation defs…];`.
///
/// The chain starts at this module's `Entity`; a self-referencing table gets its parent and
/// children links from one relation, forwards and reversed.
macro_rules! linked {
    ($(
        $(#[$attr:meta])*
        $name:ident: $to:ty = [$($link:expr),+ $(,)?];
    )+) => {$(
        $(#[$attr])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl Linked for $name {
            type FromEntity = Entity;
            type ToEntity = $to;

            fn link(&self) -> Vec<RelationDef> {
                vec![$($link),+]
            }
        }
    )+};
}
