//! Users: creation, lookup, visibility, and the caller's own memberships.

use std::collections::HashSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, SqlErr,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::AuditRecord;
use super::write::{Outcome, write};
use crate::auth::Principal;
use crate::convert;
use crate::error::ApiError;

/// A validated request to create a user.
#[derive(Debug)]
pub struct NewUser {
    pub email: domain::Email,
    pub display_name: domain::Name,
}

/// The caller's direct memberships, for `/v1/me`.
#[derive(Debug)]
pub struct Memberships {
    pub groups: Vec<entity::group_members::Model>,
    pub projects: Vec<entity::project_members::Model>,
}

pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Memberships, DbErr> {
    let groups = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::UserId.eq(user_id))
        .order_by_asc(entity::group_members::Column::GroupId)
        .all(db)
        .await?;
    let projects = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::UserId.eq(user_id))
        .order_by_asc(entity::project_members::Column::ProjectId)
        .all(db)
        .await?;
    Ok(Memberships { groups, projects })
}

/// The strongest role the user holds in any group (system admins: `SystemAdmin`).
async fn strongest_group_role(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<domain::GroupRole>, DbErr> {
    let memberships = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    Ok(memberships
        .into_iter()
        .map(|m| convert::group_role(m.role))
        .min())
}

/// Whether `actor` manages users: a system admin, or a group_admin of any group.
async fn manages_users(db: &impl ConnectionTrait, actor: &Principal) -> Result<bool, DbErr> {
    let strongest = strongest_group_role(db, actor.id()).await?;
    Ok(strongest.is_some_and(|role| {
        domain::has_group_capability(role, domain::Capability::GroupManageMembers)
    }))
}

/// Creates a user; `409 email_taken` when the address (compared lower-case) is in use.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Principal,
    input: NewUser,
) -> Result<entity::users::Model, ApiError> {
    if !manages_users(db, actor).await? {
        return Err(ApiError::Forbidden(
            "only system admins and group admins create users".into(),
        ));
    }
    write(db, &[], async |tx| {
        let now = chrono::Utc::now();
        let user = entity::users::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(input.email.as_str().to_owned()),
            display_name: Set(input.display_name.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let user = entity::users::Entity::insert(user)
            .exec_with_returning(tx)
            .await
            .map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::EmailTaken,
                _ => e.into(),
            })?;
        let audit = AuditRecord::new(Some(actor.id()), "user.create", "user", user.id)
            .change(serde_json::Value::Null, user_json(&user));
        Ok(Outcome::changed(user, audit))
    })
    .await
}

/// The user `id` if `actor` may read it (spec §4: self, system admins, group admins, and anyone
/// sharing a group — by effective membership — or a project); otherwise 404, so that the
/// existence of users is not leaked.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    actor: &Principal,
    id: Uuid,
) -> Result<entity::users::Model, ApiError> {
    let user = entity::users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    if id == actor.id()
        || manages_users(db, actor).await?
        || shares_scope(db, actor.id(), id).await?
    {
        Ok(user)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Whether two users share a project, or a group in which both have an effective role (one's
/// membership group is the other's, or an ancestor of it).
async fn shares_scope(db: &impl ConnectionTrait, a: Uuid, b: Uuid) -> Result<bool, DbErr> {
    let projects_of = |user: Uuid| {
        entity::project_members::Entity::find()
            .filter(entity::project_members::Column::UserId.eq(user))
            .all(db)
    };
    let mine: HashSet<Uuid> = projects_of(a)
        .await?
        .into_iter()
        .map(|m| m.project_id)
        .collect();
    if projects_of(b)
        .await?
        .iter()
        .any(|m| mine.contains(&m.project_id))
    {
        return Ok(true);
    }
    let paths_a = membership_paths(db, a).await?;
    let paths_b = membership_paths(db, b).await?;
    Ok(paths_a.iter().any(|pa| {
        paths_b
            .iter()
            .any(|pb| pa.is_descendant_or_self_of(pb) || pb.is_descendant_or_self_of(pa))
    }))
}

/// The paths of the groups `user` is a direct member of.
async fn membership_paths(
    db: &impl ConnectionTrait,
    user: Uuid,
) -> Result<Vec<domain::GroupPath>, DbErr> {
    let rows = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::UserId.eq(user))
        .find_also_related(entity::groups::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(_, group)| group)
        .filter_map(|g| domain::GroupPath::parse(&g.path).ok())
        .collect())
}

/// What an audit event records of a user.
pub fn user_json(user: &entity::users::Model) -> serde_json::Value {
    json!({ "id": user.id, "email": user.email, "display_name": user.display_name })
}
