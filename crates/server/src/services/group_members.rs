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
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::Upserted;
use super::access;
use super::audit::AuditRecord;
use super::changes::Watch;
use super::guard::Subject;
use super::window::Window;
use super::write::{Lock, Written, write_as};
use crate::auth;
use crate::convert;
use crate::error::ApiError;

use domain::Capability;
use entity::group_members::{Column, Entity, Model};

/// One entry of a member listing: the membership that gives the user the shown role.
#[derive(Debug, Clone)]
pub struct Listed {
    pub membership: Model,
    /// The ancestor the role comes from; `None` for a membership in the listed group itself.
    pub inherited_from: Option<Uuid>,
}

/// Filters of `GET /v1/groups/{id}/members`: `?role=` and `?inherited=`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupMemberFilter {
    /// Only users whose shown role is this one.
    pub role: Option<domain::GroupRole>,
    /// Also list members of the group's ancestors, each user once at their strongest role.
    pub inherited: bool,
}

/// `POST /v1/groups/{id}/members`: a new membership; 409 `already_member` if one exists.
pub async fn create(
    db: &DatabaseConnection,
    subject: Subject,
    group_id: Uuid,
    user_id: Uuid,
    role: domain::GroupRole,
) -> Result<Model, ApiError> {
    write_as(db, subject, &locks_for(Some(role)), async |tx, subject| {
        let access =
            access::authorize_group(tx, subject, group_id, Capability::GroupManageMembers).await?;
        super::users::require_visible(tx, subject, user_id, "user_id").await?;
        let (watch, current) = Watch::group_member(tx, group_id, user_id).await?;
        let manual = super::sources::group_sources(tx, current.as_ref())
            .await?
            .manual;
        // A membership only bindings grant may still be given by hand.
        if manual.is_some() {
            return Err(ApiError::AlreadyMember);
        }
        let current_role = current.as_ref().map(|m| convert::group_role(m.role));
        domain::check_group_grant(access.grant.role, current_role, Some(role))?;
        let before = current.as_ref().map(membership_json);
        let bound = super::sources::bound_at_group(tx, group_id, user_id).await?;
        let created = set_manual(tx, group_id, user_id, current, role, bound).await?;
        let in_force = convert::group_role(created.role);
        let audit = record(subject, "group_member.create", &created)
            .change(before.unwrap_or_default(), membership_json(&created))
            .with_access(watch.membership_deltas(group_id, Some(in_force)));
        Ok(Written::changed(created, audit))
    })
    .await
}

/// `PUT /v1/groups/{id}/members/{user_id}`: sets the role, creating the membership if needed.
/// An unchanged role writes nothing, not even an audit event.
pub async fn upsert(
    db: &DatabaseConnection,
    subject: Subject,
    group_id: Uuid,
    user_id: Uuid,
    role: domain::GroupRole,
) -> Result<Upserted<Model>, ApiError> {
    // The current role is only known inside the transaction, and it may be system_admin.
    write_as(db, subject, &locks_for(None), async |tx, subject| {
        let access =
            access::authorize_group(tx, subject, group_id, Capability::GroupManageMembers).await?;
        super::users::require_visible(tx, subject, user_id, "user_id").await?;
        let (watch, current) = Watch::group_member(tx, group_id, user_id).await?;
        let current_role = current.as_ref().map(|m| convert::group_role(m.role));
        domain::check_group_grant(access.grant.role, current_role, Some(role))?;
        // The request replaces what was given by hand; bindings keep granting what they grant.
        let manual = super::sources::group_sources(tx, current.as_ref())
            .await?
            .manual;
        let plan = domain::plan_group_role(manual, role);
        if let (Some(current), domain::GroupRoleChange::Unchanged) = (&current, plan) {
            return Ok(Written::unchanged(Upserted::Unchanged(current.clone())));
        }
        let bound = super::sources::bound_at_group(tx, group_id, user_id).await?;
        let in_force = domain::GroupRole::strongest([role].into_iter().chain(bound.role));
        if let Some(current) = &current
            && domain::removes_system_admin(current_role, in_force)
        {
            ensure_system_admin_remains(tx, current).await?;
        }
        let before = current.as_ref().map(membership_json);
        let after = set_manual(tx, group_id, user_id, current, role, bound).await?;
        let (action, upserted) = match before {
            None => ("group_member.create", Upserted::Created(after.clone())),
            Some(_) => ("group_member.update", Upserted::Updated(after.clone())),
        };
        let audit = record(subject, action, &after)
            .change(before.unwrap_or_default(), membership_json(&after))
            .with_access(watch.membership_deltas(group_id, in_force));
        Ok(Written::changed(upserted, audit))
    })
    .await
}

/// `DELETE /v1/groups/{id}/members/{user_id}`: by a member manager (within the no-escalation
/// rule), or by the member themselves — leaving is always allowed, except for the last system
/// admin.
pub async fn remove(
    db: &DatabaseConnection,
    subject: Subject,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    write_as(db, subject, &locks_for(None), async |tx, subject| {
        let leaving = user_id == subject.user_id;
        let needed = domain::membership_capability(leaving, Capability::GroupManageMembers);
        let access = access::authorize_group(tx, subject, group_id, needed).await?;
        let (watch, current) = Watch::group_member(tx, group_id, user_id).await?;
        let current = current.ok_or(ApiError::NotFound)?;
        if super::sources::group_sources(tx, Some(&current))
            .await?
            .manual
            .is_none()
        {
            return Err(granted_by_bindings_only());
        }
        let current_role = convert::group_role(current.role);
        if !leaving {
            domain::check_group_grant(access.grant.role, Some(current_role), None)?;
        }
        // What bindings grant stays: the membership goes only if nothing else grants it.
        let bound = super::sources::bound_at_group(tx, group_id, user_id).await?;
        let in_force = bound.role;
        if domain::removes_system_admin(Some(current_role), in_force) {
            ensure_system_admin_remains(tx, &current).await?;
        }
        let after =
            super::sources::store_group(tx, group_id, user_id, Some(current.clone()), None, bound)
                .await?
                .as_ref()
                .map_or(serde_json::Value::Null, membership_json);
        let audit = record(subject, "group_member.delete", &current)
            .change(membership_json(&current), after)
            .with_access(watch.membership_deltas(group_id, in_force));
        Ok(Written::changed((), audit))
    })
    .await
}

/// `GET /v1/groups/{id}/members/{user_id}`: the direct membership, for those who may see the
/// group's members and for the member themselves; otherwise (or when absent) 404.
pub async fn get(
    db: &impl ConnectionTrait,
    subject: Subject,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<Model, ApiError> {
    let own = user_id == subject.user_id;
    let needed = domain::membership_capability(own, Capability::GroupViewMembers);
    access::authorize_group(db, subject, group_id, needed).await?;
    find_row(db, group_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `GET /v1/groups/{id}/members`: needs `group.view_members`; entries ordered by user id.
pub async fn list(
    db: &impl ConnectionTrait,
    subject: Subject,
    group_id: Uuid,
    filter: GroupMemberFilter,
    window: &Window<Uuid>,
) -> Result<Vec<Listed>, ApiError> {
    let access =
        access::authorize_group(db, subject, group_id, Capability::GroupViewMembers).await?;
    if filter.inherited {
        Ok(list_inherited(db, &access.path, filter, window).await?)
    } else {
        Ok(list_direct(db, group_id, filter, window).await?)
    }
}

async fn list_direct(
    db: &impl ConnectionTrait,
    group_id: Uuid,
    filter: GroupMemberFilter,
    window: &Window<Uuid>,
) -> Result<Vec<Listed>, DbErr> {
    let mut select = Entity::find().filter(Column::GroupId.eq(group_id));
    if let Some(role) = filter.role {
        select = select.filter(Column::Role.eq(convert::stored_group_role(role)));
    }
    let rows = window.read(db, select, Column::UserId).await?;
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
    filter: GroupMemberFilter,
    window: &Window<Uuid>,
) -> Result<Vec<Listed>, DbErr> {
    let group_id = path.id();
    // The group itself first, then its ancestors root first: on equal roles the first wins, so a
    // direct membership beats an inherited one, and among ancestors the one nearest the root
    // (where the role starts to apply) is named, as in `domain::effective_group_role`.
    let order: Vec<Uuid> = std::iter::once(group_id)
        .chain(path.ancestor_ids())
        .collect();
    let mut listed = Vec::new();
    let mut after = window.after;
    let fetch = window.fetch();
    let wanted = usize::try_from(fetch).unwrap_or(usize::MAX);
    while listed.len() < wanted {
        let mut users = Entity::find()
            .select_only()
            .column(Column::UserId)
            .distinct()
            .filter(Column::GroupId.is_in(order.iter().copied()));
        // A user shows role R only if one of their memberships on the path has role R.
        if let Some(role) = filter.role {
            users = users.filter(Column::Role.eq(convert::stored_group_role(role)));
        }
        if let Some(after) = after {
            users = users.filter(Column::UserId.gt(after));
        }
        let batch = fetch.saturating_sub(listed.len() as u64);
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
            // role filter: `?role=` names the shown role a listed user must have.
            if filter.role.is_some_and(|wanted| wanted != grant.role) {
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
        Some(role) if !domain::grants_system_admin(role) => vec![Lock::GroupTree],
        _ => vec![Lock::GroupTree, Lock::SystemAdmins],
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

/// 409 for a `/v1` removal of a membership only identity-provider bindings grant: the
/// provider owns it (spec §11).
pub(crate) fn granted_by_bindings_only() -> ApiError {
    ApiError::Conflict(
        "the membership is granted only by identity-provider group bindings: remove the user \
         from the IdP group, or delete the binding"
            .to_owned(),
    )
}

/// Gives `user_id` the role `manual` by hand in `group_id`, over their `current` membership if
/// any; the role in force is the strongest of it and what bindings grant (`bound`).
async fn set_manual(
    tx: &impl ConnectionTrait,
    group_id: Uuid,
    user_id: Uuid,
    current: Option<Model>,
    manual: domain::GroupRole,
    bound: super::sources::Bound<domain::GroupRole>,
) -> Result<Model, ApiError> {
    super::sources::store_group(tx, group_id, user_id, current, Some(manual), bound)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a manual membership was not stored")))
}

/// Refuses to remove or demote the system_admin `membership` if it is what keeps the last
/// system admin one.
pub(crate) async fn ensure_system_admin_remains(
    tx: &impl ConnectionTrait,
    membership: &Model,
) -> Result<(), ApiError> {
    // A user with a second system_admin membership stays a system admin without this one.
    let elsewhere = Entity::find()
        .filter(Column::UserId.eq(membership.user_id))
        .filter(Column::Role.eq(entity::roles::MemberRole::SystemAdmin))
        .filter(Column::Id.ne(membership.id))
        .count(tx)
        .await?;
    if elsewhere > 0 {
        return Ok(());
    }
    let others = auth::count_other_active_system_admins(tx, membership.user_id).await?;
    Ok(domain::check_admins_remain(
        domain::LastAdmin::System,
        others,
    )?)
}

fn record(subject: Subject, action: &'static str, membership: &Model) -> AuditRecord {
    AuditRecord::new(Some(subject.user_id), action, "group_member", membership.id)
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
