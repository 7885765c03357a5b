//! Group memberships: adding, changing, reading, listing and removing who holds which role where.
//!
//! Every mutation is one [`write`] transaction that takes its locks first and only then decides:
//! the actor's effective role, the membership's current role and the system-admin count are all
//! read through the transaction, so the decision and the change see the same state.
//!
//! Locks: every membership change takes [`Lock::GroupTree`], because whether the actor may act
//! depends on the group's ancestors (a concurrent move or subtree delete must not slip between
//! the decision and the change). Changes that may touch a `system_admin` membership also take
//! [`Lock::SystemAdmins`], so the last-system-admin rule holds against every other writer of
//! system admins (user deletion, group deletion, bootstrap).

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{self, Subject};
use super::audit::AuditRecord;
use super::write::{Lock, Outcome, write};
use crate::auth::{self, Principal};
use crate::convert;
use crate::error::ApiError;

use entity::group_members::{ActiveModel, Column, Entity, Model};

/// What an upsert did, which decides its status (201 or 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// One entry of a member listing: the membership that gives the user the shown role.
#[derive(Debug, Clone)]
pub struct Listed {
    pub membership: Model,
    /// The ancestor the role comes from; `None` for a membership in the listed group itself.
    pub inherited_from: Option<Uuid>,
}

/// What to list: `?role=` and `?inherited=`, and the page window on user ids.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery {
    /// Only users whose shown role is this one.
    pub role: Option<domain::GroupRole>,
    /// Also list members of the group's ancestors, each user once at their strongest role.
    pub inherited: bool,
    /// Only users with a larger id (the page cursor).
    pub after: Option<Uuid>,
    /// At most this many entries.
    pub fetch: u64,
}

/// `POST /v1/groups/{id}/members`: a new membership; 409 `already_member` if one exists.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Principal,
    group_id: Uuid,
    user_id: Uuid,
    role: domain::GroupRole,
) -> Result<Model, ApiError> {
    write(db, &locks_for(Some(role)), async |tx| {
        let access = authorize(tx, actor, group_id, domain::Capability::GroupManageMembers).await?;
        require_user(tx, user_id).await?;
        if find_row(tx, group_id, user_id).await?.is_some() {
            return Err(ApiError::AlreadyMember);
        }
        check_grant(access.grant.role, None, Some(role))?;
        let created = insert(tx, group_id, user_id, role).await?;
        let audit = record(actor, "group_member.create", &created)
            .change(serde_json::Value::Null, membership_json(&created));
        Ok(Outcome::changed(created, audit))
    })
    .await
}

/// `PUT /v1/groups/{id}/members/{user_id}`: sets the role, creating the membership if needed.
/// An unchanged role writes nothing, not even an audit event.
pub async fn upsert(
    db: &DatabaseConnection,
    actor: &Principal,
    group_id: Uuid,
    user_id: Uuid,
    role: domain::GroupRole,
) -> Result<(Model, Upserted), ApiError> {
    // The current role is only known inside the transaction, and it may be system_admin.
    write(db, &locks_for(None), async |tx| {
        let access = authorize(tx, actor, group_id, domain::Capability::GroupManageMembers).await?;
        require_user(tx, user_id).await?;
        let Some(current) = find_row(tx, group_id, user_id).await? else {
            check_grant(access.grant.role, None, Some(role))?;
            let created = insert(tx, group_id, user_id, role).await?;
            let audit = record(actor, "group_member.create", &created)
                .change(serde_json::Value::Null, membership_json(&created));
            return Ok(Outcome::changed((created, Upserted::Created), audit));
        };
        let current_role = convert::group_role(current.role);
        check_grant(access.grant.role, Some(current_role), Some(role))?;
        if current_role == role {
            return Ok(Outcome::unchanged((current, Upserted::Unchanged)));
        }
        if role != domain::GroupRole::SystemAdmin {
            ensure_not_last_system_admin(tx, &current).await?;
        }
        let before = membership_json(&current);
        let mut changed: ActiveModel = current.into();
        changed.role = Set(convert::stored_group_role(role));
        changed.updated_at = Set(chrono::Utc::now());
        let updated = changed.update(tx).await?;
        let audit = record(actor, "group_member.update", &updated)
            .change(before, membership_json(&updated));
        Ok(Outcome::changed((updated, Upserted::Updated), audit))
    })
    .await
}

/// `DELETE /v1/groups/{id}/members/{user_id}`: by a member manager (within the no-escalation
/// rule), or by the member themselves — leaving is always allowed, except for the last system
/// admin.
pub async fn remove(
    db: &DatabaseConnection,
    actor: &Principal,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    write(db, &locks_for(None), async |tx| {
        let current = if user_id == actor.id() {
            // Leaving needs no capability; a membership exists only in an existing group.
            find_row(tx, group_id, user_id)
                .await?
                .ok_or(ApiError::NotFound)?
        } else {
            let access =
                authorize(tx, actor, group_id, domain::Capability::GroupManageMembers).await?;
            let current = find_row(tx, group_id, user_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            check_grant(
                access.grant.role,
                Some(convert::group_role(current.role)),
                None,
            )?;
            current
        };
        ensure_not_last_system_admin(tx, &current).await?;
        Entity::delete_by_id(current.id).exec(tx).await?;
        let audit = record(actor, "group_member.delete", &current)
            .change(membership_json(&current), serde_json::Value::Null);
        Ok(Outcome::changed((), audit))
    })
    .await
}

/// `GET /v1/groups/{id}/members/{user_id}`: the direct membership, for those who may see the
/// group's members and for the member themselves; otherwise (or when absent) 404.
pub async fn find(
    db: &impl ConnectionTrait,
    actor: &Principal,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<Model, ApiError> {
    // Members read their own membership without a capability (it exists only if the group does).
    if user_id != actor.id() {
        access::authorize_group(
            db,
            Subject::from(actor),
            group_id,
            domain::Capability::GroupViewMembers,
        )
        .await?;
    }
    find_row(db, group_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `GET /v1/groups/{id}/members`: needs `group.view_members`; entries ordered by user id.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Principal,
    group_id: Uuid,
    query: ListQuery,
) -> Result<Vec<Listed>, ApiError> {
    let access = access::authorize_group(
        db,
        Subject::from(actor),
        group_id,
        domain::Capability::GroupViewMembers,
    )
    .await?;
    if query.inherited {
        Ok(list_inherited(db, &access.path, query).await?)
    } else {
        Ok(list_direct(db, group_id, query).await?)
    }
}

async fn list_direct(
    db: &impl ConnectionTrait,
    group_id: Uuid,
    query: ListQuery,
) -> Result<Vec<Listed>, DbErr> {
    let mut select = Entity::find().filter(Column::GroupId.eq(group_id));
    if let Some(role) = query.role {
        select = select.filter(Column::Role.eq(convert::stored_group_role(role)));
    }
    if let Some(after) = query.after {
        select = select.filter(Column::UserId.gt(after));
    }
    let rows = select
        .order_by_asc(Column::UserId)
        .limit(query.fetch)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|membership| Listed {
            membership,
            inherited_from: None,
        })
        .collect())
}

/// Members of the group and of its ancestors, one entry per user at their strongest role.
///
/// Users are read in batches of ids (a user has at most one membership per group on the path,
/// so a batch of users is a bounded number of rows); the role filter applies to the shown role,
/// so a batch may yield fewer entries than users and the loop reads on until the page is full.
async fn list_inherited(
    db: &impl ConnectionTrait,
    path: &domain::GroupPath,
    query: ListQuery,
) -> Result<Vec<Listed>, DbErr> {
    let group_id = path.id();
    // The group itself first, then its ancestors root first: on equal roles the first wins, so a
    // direct membership beats an inherited one, and among ancestors the one nearest the root
    // (where the role starts to apply) is named, as in `domain::effective_group_role`.
    let order: Vec<Uuid> = std::iter::once(group_id)
        .chain(path.ancestor_ids())
        .collect();
    let mut listed = Vec::new();
    let mut after = query.after;
    let wanted = usize::try_from(query.fetch).unwrap_or(usize::MAX);
    while listed.len() < wanted {
        let mut users = Entity::find()
            .select_only()
            .column(Column::UserId)
            .distinct()
            .filter(Column::GroupId.is_in(order.iter().copied()));
        // A user shows role R only if one of their memberships on the path has role R.
        if let Some(role) = query.role {
            users = users.filter(Column::Role.eq(convert::stored_group_role(role)));
        }
        if let Some(after) = after {
            users = users.filter(Column::UserId.gt(after));
        }
        let batch = query.fetch.saturating_sub(listed.len() as u64);
        let users: Vec<Uuid> = users
            .order_by_asc(Column::UserId)
            .limit(batch)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&last) = users.last() else {
            break;
        };
        let rows = Entity::find()
            .filter(Column::GroupId.is_in(order.iter().copied()))
            .filter(Column::UserId.is_in(users.iter().copied()))
            .all(db)
            .await?;
        let mut by_user: BTreeMap<Uuid, Vec<Model>> = BTreeMap::new();
        for row in rows {
            by_user.entry(row.user_id).or_default().push(row);
        }
        for (_, mut memberships) in by_user {
            memberships.sort_by_key(|m| order.iter().position(|id| *id == m.group_id));
            let pairs: Vec<(Uuid, domain::GroupRole)> = memberships
                .iter()
                .map(|m| (m.group_id, convert::group_role(m.role)))
                .collect();
            let Some(grant) = domain::effective_group_role(None, &pairs) else {
                continue;
            };
            if query.role.is_some_and(|role| role != grant.role) {
                continue;
            }
            let source = grant.source.id();
            let Some(membership) = memberships.into_iter().find(|m| m.group_id == source) else {
                continue;
            };
            listed.push(Listed {
                inherited_from: (source != group_id).then_some(source),
                membership,
            });
        }
        if (users.len() as u64) < batch {
            break;
        }
        after = Some(last);
    }
    Ok(listed)
}

/// The locks of a membership change granting `granted`; `None` when the change may touch a
/// membership whose current role is not known before the transaction (it may be system_admin).
fn locks_for(granted: Option<domain::GroupRole>) -> Vec<Lock> {
    match granted {
        Some(role) if role != domain::GroupRole::SystemAdmin => vec![Lock::GroupTree],
        _ => vec![Lock::GroupTree, Lock::SystemAdmins],
    }
}

/// `authorize_group` with the actor's system-admin standing re-read in the transaction: the
/// principal was loaded before the locks were taken, and a revoked system admin must not act
/// on what they were a moment ago.
async fn authorize(
    tx: &impl ConnectionTrait,
    actor: &Principal,
    group_id: Uuid,
    capability: domain::Capability,
) -> Result<access::GroupAccess, ApiError> {
    let subject = Subject::current(tx, actor).await?;
    access::authorize_group(tx, subject, group_id, capability).await
}

/// The no-escalation rule (spec §3), as 403 `role_escalation`.
fn check_grant(
    actor: domain::GroupRole,
    current: Option<domain::GroupRole>,
    granted: Option<domain::GroupRole>,
) -> Result<(), ApiError> {
    domain::check_group_grant(actor, current, granted)
        .map_err(|e| ApiError::RoleEscalation(e.to_string()))
}

/// A membership names an existing user, or the request is invalid (400 naming `user_id`).
async fn require_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(), ApiError> {
    match entity::users::Entity::find_by_id(user_id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid("user_id", "names no user")),
    }
}

async fn find_row(
    db: &impl ConnectionTrait,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::GroupId.eq(group_id))
        .filter(Column::UserId.eq(user_id))
        .one(db)
        .await
}

async fn insert(
    tx: &impl ConnectionTrait,
    group_id: Uuid,
    user_id: Uuid,
    role: domain::GroupRole,
) -> Result<Model, ApiError> {
    let now = chrono::Utc::now();
    let row = ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        group_id: Set(group_id),
        role: Set(convert::stored_group_role(role)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Entity::insert(row)
        .exec_with_returning(tx)
        .await
        .map_err(|e| match e.sql_err() {
            // The locks make this unreachable through the API; a membership written around it
            // is still the client-facing conflict it means.
            Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::AlreadyMember,
            _ => e.into(),
        })
}

/// Refuses to remove or demote `membership` if it is what keeps the last system admin one.
async fn ensure_not_last_system_admin(
    tx: &impl ConnectionTrait,
    membership: &Model,
) -> Result<(), ApiError> {
    if convert::group_role(membership.role) != domain::GroupRole::SystemAdmin {
        return Ok(());
    }
    // A user with a second system_admin membership stays a system admin without this one.
    let elsewhere = Entity::find()
        .filter(Column::UserId.eq(membership.user_id))
        .filter(Column::Role.eq(entity::roles::MemberRole::SystemAdmin))
        .filter(Column::Id.ne(membership.id))
        .count(tx)
        .await?;
    if elsewhere == 0 && auth::count_system_admins(tx).await? <= 1 {
        return Err(ApiError::LastSystemAdmin);
    }
    Ok(())
}

fn record(actor: &Principal, action: &'static str, membership: &Model) -> AuditRecord {
    AuditRecord::new(Some(actor.id()), action, "group_member", membership.id)
        .in_group(membership.group_id)
}

/// What an audit event records of a membership.
fn membership_json(membership: &Model) -> serde_json::Value {
    json!({
        "user_id": membership.user_id,
        "group_id": membership.group_id,
        "role": convert::group_role(membership.role).as_str(),
    })
}
