//! Where a membership comes from (spec §11): given by hand through `/v1` (`manual_role`, or
//! `manual` for a squad), or granted by identity-provider bindings (`idp_sources`). The role in
//! force (`role`) is the strongest of them, so every reader of memberships keeps reading one
//! column; this module reads what bindings grant ([`bound_at_group`], [`bound_at_project`],
//! [`bound_at_squad`]) and brings a membership in line with its sources after the provider
//! changed them ([`settle_group`], [`settle_project`], [`settle_squad`]) — refusing, like
//! every other path, to take away the last system admin or a project's last admin.

use std::collections::HashMap;
use std::str::FromStr;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::Value;
use uuid::Uuid;

use super::changes::{Node, Watch};
use crate::convert;
use crate::error::ApiError;
use crate::sql::{self, Prepared};

/// What bindings grant somewhere: the strongest role and the IdP groups granting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound<R> {
    pub role: Option<R>,
    /// The granting IdP groups' ids, comma-separated, as `idp_sources` stores them.
    pub sources: Option<String>,
}

/// The source names a membership shows: `manual`, then `idp_group:<id>` for each IdP group.
pub fn names(manual: bool, idp_sources: Option<&str>) -> Vec<String> {
    let manual = manual.then(|| "manual".to_owned());
    let bound = idp_sources
        .into_iter()
        .flat_map(|ids| ids.split(','))
        .filter(|id| !id.is_empty())
        .map(|id| format!("idp_group:{id}"));
    manual.into_iter().chain(bound).collect()
}

/// The bindings at a place that include `user`, as (IdP group, role name) pairs.
async fn bindings(
    db: &impl ConnectionTrait,
    statement: &Prepared,
    place: Uuid,
    user: Uuid,
) -> Result<Vec<(Uuid, String)>, ApiError> {
    let rows = db
        .query_all_raw(statement.statement(db.get_database_backend(), [place.into(), user.into()]))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "idp_group_id")?, row.try_get("", "role")?)))
        .collect()
}

/// The granting IdP groups of `found`, as `idp_sources` stores them (the statements order them
/// by id); `None` when there are none.
fn sources_of(found: &[(Uuid, String)]) -> Option<String> {
    let mut ids: Vec<String> = found.iter().map(|(id, _)| id.to_string()).collect();
    ids.dedup();
    (!ids.is_empty()).then(|| ids.join(","))
}

fn bound<R: FromStr>(
    found: Vec<(Uuid, String)>,
    strongest: impl Fn(Vec<R>) -> Option<R>,
) -> Bound<R> {
    let roles: Vec<R> = found
        .iter()
        .filter_map(|(_, role)| role.parse().ok())
        .collect();
    Bound {
        role: strongest(roles),
        sources: sources_of(&found),
    }
}

/// What bindings grant `user` in group `group`.
pub async fn bound_at_group(
    db: &impl ConnectionTrait,
    group: Uuid,
    user: Uuid,
) -> Result<Bound<domain::GroupRole>, ApiError> {
    let found = bindings(db, &sql::bindings::AT_GROUP, group, user).await?;
    Ok(bound(found, domain::GroupRole::strongest))
}

/// What bindings grant `user` in project `project` (its squads' bindings included).
pub async fn bound_at_project(
    db: &impl ConnectionTrait,
    project: Uuid,
    user: Uuid,
) -> Result<Bound<domain::ProjectRole>, ApiError> {
    let found = bindings(db, &sql::bindings::AT_PROJECT, project, user).await?;
    Ok(bound(found, domain::ProjectRole::strongest))
}

/// The IdP groups whose bindings put `user` in squad `squad`, if any.
pub async fn bound_at_squad(
    db: &impl ConnectionTrait,
    squad: Uuid,
    user: Uuid,
) -> Result<Option<String>, ApiError> {
    let found = bindings(db, &sql::bindings::AT_SQUAD, squad, user).await?;
    Ok(sources_of(&found))
}

/// A group membership's sources: the role given by hand (`None`: bindings only) and the IdP
/// groups whose bindings grant it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSources {
    pub manual: Option<domain::GroupRole>,
    pub idp: Option<String>,
}

/// The sources of `membership`: those `group_member_sources` records, else by hand alone; no
/// membership has none.
pub async fn group_sources(
    db: &impl ConnectionTrait,
    membership: Option<&entity::group_members::Model>,
) -> Result<GroupSources, ApiError> {
    let Some(membership) = membership else {
        return Ok(GroupSources {
            manual: None,
            idp: None,
        });
    };
    let row = entity::group_member_sources::Entity::find_by_id(membership.id)
        .one(db)
        .await?;
    Ok(match row {
        Some(row) => GroupSources {
            manual: row.manual_role.map(convert::group_role),
            idp: Some(row.idp_sources),
        },
        None => GroupSources {
            manual: Some(convert::group_role(membership.role)),
            idp: None,
        },
    })
}

/// The source names of each of `memberships`, by membership id (one query for a listing).
pub async fn group_source_names(
    db: &impl ConnectionTrait,
    memberships: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Vec<String>>, ApiError> {
    use entity::group_member_sources::{Column, Entity};
    let ids: Vec<Uuid> = memberships.into_iter().collect();
    let rows = Entity::find()
        .filter(Column::GroupMemberId.is_in(ids.clone()))
        .all(db)
        .await?;
    let mut names: HashMap<Uuid, Vec<String>> = ids
        .into_iter()
        .map(|id| (id, vec!["manual".to_owned()]))
        .collect();
    for row in rows {
        names.insert(
            row.group_member_id,
            self::names(row.manual_role.is_some(), Some(&row.idp_sources)),
        );
    }
    Ok(names)
}

/// Stores `user`'s membership of `group` (now `current`) as its sources say: the role given by
/// hand, `manual`, and what `bound` grants; the role in force is the strongest. Returns the
/// membership, or `None` when nothing grants one any more (it is then deleted).
pub async fn store_group(
    tx: &impl ConnectionTrait,
    group: Uuid,
    user: Uuid,
    current: Option<entity::group_members::Model>,
    manual: Option<domain::GroupRole>,
    bound: Bound<domain::GroupRole>,
) -> Result<Option<entity::group_members::Model>, ApiError> {
    use entity::group_member_sources as sources;
    use entity::group_members::{ActiveModel, Entity};
    let Some(role) = domain::GroupRole::strongest(manual.into_iter().chain(bound.role)) else {
        if let Some(current) = current {
            Entity::delete_by_id(current.id).exec(tx).await?;
        }
        return Ok(None);
    };
    let now = chrono::Utc::now();
    let stored = convert::stored_group_role(role);
    // Only a membership that existed may have a sources row to replace.
    let existed = current.is_some();
    let membership = match current {
        Some(current)
            if !domain::role_changes(Some(convert::group_role(current.role)), Some(role)) =>
        {
            current
        }
        Some(current) => {
            let mut row = current.into_active_model();
            row.role = Set(stored);
            row.updated_at = Set(now);
            row.update(tx).await?
        }
        None => {
            let row = ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user),
                group_id: Set(group),
                role: Set(stored),
                created_at: Set(now),
                updated_at: Set(now),
            };
            Entity::insert(row)
                .exec_with_returning(tx)
                .await
                .map_err(|e| {
                    match e.sql_err() {
                        // The locks make this unreachable through the API; a membership written
                        // around them is still the client-facing conflict it means.
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                            ApiError::AlreadyMember
                        }
                        _ => e.into(),
                    }
                })?
        }
    };
    if existed {
        sources::Entity::delete_by_id(membership.id)
            .exec(tx)
            .await?;
    }
    if let Some(idp_sources) = bound.sources {
        let row = sources::ActiveModel {
            group_member_id: Set(membership.id),
            manual_role: Set(manual.map(convert::stored_group_role)),
            idp_sources: Set(idp_sources),
        };
        sources::Entity::insert(row)
            .exec_without_returning(tx)
            .await?;
    }
    Ok(Some(membership))
}

/// Brings `user`'s membership of group `group` in line with its sources: the manual role kept,
/// the bound ones read again. Returns the effective-access deltas.
pub async fn settle_group(
    tx: &DatabaseTransaction,
    group: Uuid,
    user: Uuid,
) -> Result<Vec<Value>, ApiError> {
    let (watch, current) = Watch::group_member(tx, group, user).await?;
    let sources = group_sources(tx, current.as_ref()).await?;
    let bound = bound_at_group(tx, group, user).await?;
    // The same IdP groups grant the same roles: one binding per IdP group and place.
    if sources.idp == bound.sources {
        return Ok(Vec::new());
    }
    let before = current.as_ref().map(|m| convert::group_role(m.role));
    let role = domain::GroupRole::strongest(sources.manual.into_iter().chain(bound.role));
    if domain::removes_system_admin(before, role)
        && let Some(current) = &current
    {
        super::group_members::ensure_system_admin_remains(tx, current).await?;
    }
    store_group(tx, group, user, current, sources.manual, bound).await?;
    if !domain::role_changes(before, role) {
        return Ok(Vec::new());
    }
    Ok(watch.membership_deltas(group, role))
}

/// Brings `user`'s membership of project `project` in line with its sources, repairing the
/// project's reporting lines when the role in force changed. Returns the effective-access deltas.
pub async fn settle_project(
    tx: &DatabaseTransaction,
    project: Uuid,
    user: Uuid,
) -> Result<Vec<Value>, ApiError> {
    use entity::project_members::{ActiveModel, Column, Entity};
    let current = Entity::find()
        .filter(Column::ProjectId.eq(project))
        .filter(Column::UserId.eq(user))
        .one(tx)
        .await?;
    let bound = bound_at_project(tx, project, user).await?;
    let manual = current
        .as_ref()
        .and_then(|m| m.manual_role)
        .map(convert::project_role);
    let role = domain::ProjectRole::strongest(manual.into_iter().chain(bound.role));
    let before = current.as_ref().map(|m| convert::project_role(m.role));
    let same_sources = current.as_ref().map(|m| &m.idp_sources) == Some(&bound.sources);
    if !domain::role_changes(before, role) && same_sources {
        return Ok(Vec::new());
    }
    if domain::removes_project_admin(before, role) {
        super::project_members::ensure_admin_remains(tx, project, user).await?;
    }
    let watch = Watch::user(tx, Node::Project(project), user).await?;
    let now = chrono::Utc::now();
    match (current, role) {
        (None, None) => return Ok(Vec::new()),
        (Some(current), None) => {
            Entity::delete_by_id(current.id).exec(tx).await?;
        }
        (Some(current), Some(role)) => {
            let mut row = current.into_active_model();
            row.role = Set(convert::stored_project_role(role));
            row.idp_sources = Set(bound.sources);
            row.updated_at = Set(now);
            row.update(tx).await?;
        }
        (None, Some(role)) => {
            let row = ActiveModel {
                id: Set(Uuid::now_v7()),
                project_id: Set(project),
                user_id: Set(user),
                role: Set(convert::stored_project_role(role)),
                reports_to: Set(None),
                reports_to_explicit: Set(false),
                manual_role: Set(None),
                idp_sources: Set(bound.sources),
                created_at: Set(now),
                updated_at: Set(now),
            };
            Entity::insert(row).exec_without_returning(tx).await?;
        }
    }
    if !domain::role_changes(before, role) {
        return Ok(Vec::new());
    }
    super::reporting::repair(tx, project).await?;
    Ok(watch.project_role_deltas(role))
}

/// Brings `user`'s membership of squad `squad` (in `project`) in line with its sources; the
/// project membership must be settled first, since a squad member is always a project member.
pub async fn settle_squad(
    tx: &DatabaseTransaction,
    squad: Uuid,
    project: Uuid,
    user: Uuid,
) -> Result<(), ApiError> {
    use entity::squad_members::{ActiveModel, Column, Entity};
    let current = Entity::find()
        .filter(Column::SquadId.eq(squad))
        .filter(Column::UserId.eq(user))
        .one(tx)
        .await?;
    let sources = bound_at_squad(tx, squad, user).await?;
    let manual = current.as_ref().is_some_and(|m| m.manual);
    match (current, manual || sources.is_some()) {
        (None, false) => {}
        (Some(current), false) => {
            Entity::delete_by_id(current.id).exec(tx).await?;
        }
        (Some(current), true) => {
            if current.idp_sources != sources {
                let mut row = current.into_active_model();
                row.idp_sources = Set(sources);
                row.update(tx).await?;
            }
        }
        (None, true) => {
            let row = ActiveModel {
                id: Set(Uuid::now_v7()),
                squad_id: Set(squad),
                project_id: Set(project),
                user_id: Set(user),
                created_at: Set(chrono::Utc::now()),
                manual: Set(false),
                idp_sources: Set(sources),
            };
            Entity::insert(row).exec_without_returning(tx).await?;
        }
    }
    Ok(())
}
