//! `users`: the people Roster knows.

use sea_orm::entity::prelude::*;

use crate::{group_members, groups, project_members};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique when present, stored lower-case (the database refuses upper-case ASCII); absent
    /// for a user an identity provider made without one.
    #[sea_orm(column_type = "Text", unique, nullable)]
    pub email: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// What identity providers know the user by (SCIM `userName`): unique ignoring case; the
    /// email of a user made through `/v1/users`.
    #[sea_orm(column_type = "Text")]
    pub user_name: String,
    /// The identity provider's own id for the user (SCIM `externalId`).
    #[sea_orm(column_type = "Text", nullable)]
    pub external_id: Option<String>,
    /// False once deactivated (SCIM `active`; docs/SCIM.md says what that does).
    pub active: bool,
    /// SCIM `name.givenName`.
    #[sea_orm(column_type = "Text", nullable)]
    pub given_name: Option<String>,
    /// SCIM `name.familyName`.
    #[sea_orm(column_type = "Text", nullable)]
    pub family_name: Option<String>,
    /// The kind of address `email` is (SCIM `emails[].type`: `work`, `home`, …).
    #[sea_orm(column_type = "Text", nullable)]
    pub email_type: Option<String>,
    /// The user's manager (SCIM enterprise `manager`); emptied when the manager is deleted.
    pub manager_id: Option<Uuid>,
}

relations! {
    GroupMembers: has_many group_members::Entity;
    /// The user's own project memberships (not the ones that report to them).
    ProjectMembers: has_many project_members::Entity;
}

related! {
    group_members::Entity => Relation::GroupMembers;
    project_members::Entity => Relation::ProjectMembers;
    /// Users to the groups they are direct members of, through `group_members`.
    groups::Entity => group_members::Relation::Group, via group_members::Relation::User;
}

impl ActiveModelBehavior for ActiveModel {}
