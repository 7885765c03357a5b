//! Creating the first system admin on an empty database, exactly once.
//!
//! Two servers starting together on one empty database must create one admin between them:
//! the work runs on the write path under the `SystemAdmins` lock (an advisory lock on
//! PostgreSQL, an IMMEDIATE transaction on SQLite) and re-checks inside it.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::AuditRecord;
use super::changes::{Node, Watch};
use super::write::{Lock, Written, write};
use crate::auth::count_system_admins;
use crate::convert;
use crate::error::ApiError;

/// The default address of the admin the server creates on first start.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@localhost";
/// The default name of the root group that holds the first system admin.
pub const DEFAULT_ROOT_GROUP: &str = "Organisation";

/// What bootstrapping created.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub user: entity::users::Model,
    pub group: entity::groups::Model,
}

/// Creates the first system admin with `email`, in a new root group named `group_name`
/// (reusing a root group with that slug), unless a system admin already exists.
pub async fn bootstrap(
    db: &DatabaseConnection,
    email: &domain::Email,
    group_name: &domain::Name,
) -> Result<Option<Bootstrapped>, ApiError> {
    let slug = domain::Slug::from_name(group_name)
        .map_err(|e| ApiError::invalid("group", e.to_string()))?;
    write(db, &[Lock::SystemAdmins], async |tx| {
        if count_system_admins(tx).await? > 0 {
            return Ok(Written::unchanged(None));
        }
        let now = chrono::Utc::now();
        let user = match entity::users::Entity::find()
            .filter(entity::users::Column::Email.eq(email.as_str()))
            .one(tx)
            .await?
        {
            Some(user) => user,
            None => {
                let user = entity::users::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    email: Set(Some(email.as_str().to_owned())),
                    display_name: Set("Administrator".to_owned()),
                    user_name: Set(email.as_str().to_owned()),
                    external_id: Set(None),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                entity::users::Entity::insert(user)
                    .exec_with_returning(tx)
                    .await?
            }
        };
        let group = match entity::groups::Entity::find()
            .filter(entity::groups::Column::ParentId.is_null())
            .filter(entity::groups::Column::Slug.eq(slug.as_str()))
            .one(tx)
            .await?
        {
            Some(group) => group,
            None => {
                let id = Uuid::now_v7();
                let group = entity::groups::ActiveModel {
                    id: Set(id),
                    parent_id: Set(None),
                    name: Set(group_name.as_str().to_owned()),
                    slug: Set(slug.as_str().to_owned()),
                    path: Set(domain::GroupPath::root(id).as_str().to_owned()),
                    depth: Set(0),
                    created_at: Set(now),
                    updated_at: Set(now),
                };
                entity::groups::Entity::insert(group)
                    .exec_with_returning(tx)
                    .await?
            }
        };
        let watch = Watch::user(tx, Node::Group(group.id), user.id).await?;
        let membership = entity::group_members::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            group_id: Set(group.id),
            role: Set(convert::stored_group_role(domain::GroupRole::SystemAdmin)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        entity::group_members::Entity::insert(membership)
            .on_conflict(
                OnConflict::columns([
                    entity::group_members::Column::UserId,
                    entity::group_members::Column::GroupId,
                ])
                .update_columns([
                    entity::group_members::Column::Role,
                    entity::group_members::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
        let audit = AuditRecord::new(None, "system.bootstrap", "user", user.id)
            .in_group(group.id)
            .change(
                serde_json::Value::Null,
                json!({ "user_id": user.id, "email": user.email, "group_id": group.id, "role": "system_admin" }),
            )
            .with_access(watch.deltas(tx).await?);
        Ok(Written::changed(Some(Bootstrapped { user, group }), audit))
    })
    .await
}
