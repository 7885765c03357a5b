//! `idp_groups`: the groups an identity provider pushes over SCIM (spec §11). They are not
//! Roster groups: bindings (`idp_bindings`) say what their members hold in Roster's tree.

use sea_orm::entity::prelude::*;

use crate::{idp_bindings, idp_group_members};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idp_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    /// The provider's own id for the group (SCIM `externalId`).
    #[sea_orm(column_type = "Text", nullable)]
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

relations! {
    Members: has_many idp_group_members::Entity;
    Bindings: has_many idp_bindings::Entity;
}

related! {
    idp_group_members::Entity => Relation::Members;
    idp_bindings::Entity => Relation::Bindings;
}

impl ActiveModelBehavior for ActiveModel {}
