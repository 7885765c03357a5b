//! The decision path: load the few facts one decision needs, ask `domain`, answer.
//!
//! Route guards and (later) `/v1/check` call the same functions, so they cannot disagree.
//! Cost of a group decision: the group row (one primary-key read) and the subject's memberships
//! on the group's path (one indexed read: the ancestor ids come from the path's own labels, no
//! tree walk). A system admin costs no membership read at all.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::Principal;
use crate::convert;
use crate::error::ApiError;

/// Whose access is decided: a user and, if they have one, their system admin membership.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub user_id: Uuid,
    pub system_admin_at: Option<Uuid>,
}

impl From<&Principal> for Subject {
    fn from(principal: &Principal) -> Self {
        Self {
            user_id: principal.id(),
            system_admin_at: principal.system_admin_at,
        }
    }
}

/// A group the subject may act on, with what was loaded to decide it.
#[derive(Debug, Clone)]
pub struct GroupAccess {
    pub group: entity::groups::Model,
    pub path: domain::GroupPath,
    pub grant: domain::GroupGrant,
}

/// The group `id`, or 404.
pub async fn load_group(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<(entity::groups::Model, domain::GroupPath), ApiError> {
    let group = entity::groups::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let path = stored_path(&group)?;
    Ok((group, path))
}

/// The parsed path of a stored group; a malformed one is a corrupted database, not a client error.
pub fn stored_path(group: &entity::groups::Model) -> Result<domain::GroupPath, ApiError> {
    domain::GroupPath::parse(&group.path).map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "group {} has a malformed path: {e}",
            group.id
        ))
    })
}

/// The subject's effective role at the group with `path` (inherited down the tree).
pub async fn group_grant(
    db: &impl ConnectionTrait,
    subject: Subject,
    path: &domain::GroupPath,
) -> Result<Option<domain::GroupGrant>, DbErr> {
    if let Some(at) = subject.system_admin_at {
        return Ok(Some(domain::GroupGrant::system_admin(at)));
    }
    let ids = path.ids();
    let rows = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::UserId.eq(subject.user_id))
        .filter(entity::group_members::Column::GroupId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    // Root first, as `effective_group_role` breaks ties towards the root.
    let mut memberships: Vec<(usize, Uuid, domain::GroupRole)> = rows
        .into_iter()
        .filter_map(|m| {
            let depth = ids.iter().position(|id| *id == m.group_id)?;
            Some((depth, m.group_id, convert::group_role(m.role)))
        })
        .collect();
    memberships.sort_by_key(|(depth, _, _)| *depth);
    let pairs: Vec<(Uuid, domain::GroupRole)> =
        memberships.into_iter().map(|(_, g, r)| (g, r)).collect();
    Ok(domain::effective_group_role(None, &pairs))
}

/// Turns a decision into the route's answer: no role → 404 (the resource stays invisible),
/// a role without the capability → 403.
pub fn enforce(decision: &domain::Decision) -> Result<(), ApiError> {
    match decision.outcome {
        domain::Outcome::Granted => Ok(()),
        domain::Outcome::NoRole => Err(ApiError::NotFound),
        domain::Outcome::LacksCapability => Err(ApiError::Forbidden(decision.reason.clone())),
        domain::Outcome::NotApplicable => Err(ApiError::internal(anyhow::anyhow!(
            "a route asked for a capability that does not apply to it: {}",
            decision.reason
        ))),
    }
}

/// Loads group `id` and requires `capability` there for `subject`.
pub async fn authorize_group(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    capability: domain::Capability,
) -> Result<GroupAccess, ApiError> {
    let (group, path) = load_group(db, id).await?;
    let grant = group_grant(db, subject, &path).await?;
    let decision = domain::decide_group(capability, grant);
    enforce(&decision)?;
    let grant =
        grant.ok_or_else(|| ApiError::internal(anyhow::anyhow!("granted without a role")))?;
    Ok(GroupAccess { group, path, grant })
}
