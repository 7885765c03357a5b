//! `POST /v1/lookup/subjects`: who may use a capability on one resource, system admins
//! included, in user-id order.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{BATCH, Batch, fill_page, is_full};
use crate::convert;
use crate::error::ApiError;
use crate::services::access;
use crate::services::check::Resource;
use crate::services::guard::Subject;
use crate::services::window::Window;
use crate::sql;

/// A user who may use the capability there, with the role and membership that decide it.
#[derive(Debug, Clone)]
pub struct SubjectItem {
    pub user_id: Uuid,
    pub role: domain::RoleName,
    pub granted_by: domain::GrantedBy,
}

/// Where the decision is made: the groups whose memberships count (the group's own path, or
/// the owning group's), and the project and squad, if any.
struct Place {
    path: Vec<Uuid>,
    project: Option<Uuid>,
    squad: Option<entity::squads::Model>,
}

/// The users who may use `capability` on `resource`; the caller needs to see its members
/// (`group.view_members` / `project.view_members`, a system admin for the system).
pub async fn subjects(
    db: &impl ConnectionTrait,
    caller: Subject,
    capability: domain::Capability,
    resource: Resource,
    window: &Window<Uuid>,
) -> Result<Vec<SubjectItem>, ApiError> {
    use domain::Capability::{GroupViewMembers, ProjectViewMembers, SystemManage};
    let place = match resource {
        Resource::System => {
            access::authorize_system(caller, SystemManage)
                .map_err(|e| e.attempting("looking up who acts on the system"))?;
            Place {
                path: Vec::new(),
                project: None,
                squad: None,
            }
        }
        Resource::Group(id) => {
            let access = access::authorize_group(db, caller, id, GroupViewMembers).await?;
            Place {
                path: access.path.ids(),
                project: None,
                squad: None,
            }
        }
        Resource::Project(id) => {
            let access = access::authorize_project(db, caller, id, ProjectViewMembers).await?;
            Place {
                path: owner_path(db, access.project.group_id).await?,
                project: Some(id),
                squad: None,
            }
        }
        Resource::Squad(id) => {
            let access = access::authorize_squad(db, caller, id, ProjectViewMembers).await?;
            Place {
                path: owner_path(db, access.project.group_id).await?,
                project: Some(access.project.id),
                squad: Some(access.squad),
            }
        }
    };
    fill_page(window, async |after| {
        let (users, more) = candidates(db, &place, after).await?;
        let last = users.last().copied();
        let facts = Facts::load(db, &place, &users).await?;
        let kept = users
            .into_iter()
            .filter_map(|user_id| {
                let (role, granted_by) = facts.decide(&place, capability, resource, user_id)?;
                Some(SubjectItem {
                    user_id,
                    role,
                    granted_by,
                })
            })
            .collect();
        Ok(Batch { more, last, kept })
    })
    .await
}

async fn owner_path(db: &impl ConnectionTrait, group_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    let group = entity::groups::Entity::find_by_id(group_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a project without its group")))?;
    Ok(access::stored_path(&group)?.ids())
}

/// The next users after `after`, in id order, who hold a membership that can decide at
/// `place`: in a group on its path, `system_admin` anywhere, or in its project — and whether
/// more may follow. Each source is read through its own index (`ix_group_members_group_id`,
/// the partial `ix_group_members_system_admins`, the project's member key), a batch at a time;
/// the merged batch ends where the first full source ends, so no user is skipped.
async fn candidates(
    db: &impl ConnectionTrait,
    place: &Place,
    after: Option<Uuid>,
) -> Result<(Vec<Uuid>, bool), ApiError> {
    use entity::group_members::Column as Gm;
    use entity::project_members::Column as Pm;
    let mut sources = vec![
        user_ids(
            db,
            entity::group_members::Entity::find().filter(Gm::GroupId.is_in(place.path.clone())),
            Gm::UserId,
            after,
        )
        .await?,
        user_ids(
            db,
            entity::group_members::Entity::find().filter(sql::facts::system_admin_membership()),
            Gm::UserId,
            after,
        )
        .await?,
    ];
    if let Some(project) = place.project {
        let members = entity::project_members::Entity::find().filter(Pm::ProjectId.eq(project));
        sources.push(user_ids(db, members, Pm::UserId, after).await?);
    }
    // Past the end of a full source lie users it has not returned yet.
    let bound = sources
        .iter()
        .filter(|ids| is_full(ids.len()))
        .filter_map(|ids| ids.last().copied())
        .min();
    let mut users: Vec<Uuid> = sources
        .into_iter()
        .flatten()
        .filter(|id| bound.is_none_or(|bound| *id <= bound))
        .collect();
    users.sort_unstable();
    users.dedup();
    Ok((users, bound.is_some()))
}

/// Up to a batch of the `column` user ids of `query`'s rows after `after`, in order.
async fn user_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    column: E::Column,
    after: Option<Uuid>,
) -> Result<Vec<Uuid>, ApiError> {
    let query = match after {
        Some(after) => query.filter(column.gt(after)),
        None => query,
    };
    Ok(query
        .select_only()
        .column(column)
        .order_by_asc(column)
        .limit(BATCH)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// What decides for a batch of users at a place: their memberships on the path (and their
/// `system_admin` memberships), their roles in the project, their squads there. A deactivated
/// user's memberships and roles are not read, so they are decided to hold nothing (their squads
/// only narrow a project role they no longer hold).
struct Facts {
    groups: HashMap<Uuid, Vec<(Uuid, domain::GroupRole)>>,
    system_admin_at: HashMap<Uuid, Uuid>,
    project_roles: HashMap<Uuid, domain::ProjectRole>,
    squads: HashMap<Uuid, Vec<Uuid>>,
}

impl Facts {
    async fn load(
        db: &impl ConnectionTrait,
        place: &Place,
        users: &[Uuid],
    ) -> Result<Self, ApiError> {
        use entity::group_members::Column;
        let mut facts = Self {
            groups: HashMap::new(),
            system_admin_at: HashMap::new(),
            project_roles: HashMap::new(),
            squads: HashMap::new(),
        };
        for row in entity::group_members::Entity::find()
            .filter(Column::UserId.is_in(users.to_vec()))
            .filter(sql::facts::system_admin_membership())
            .filter(sql::facts::held_by_active_user("group_members"))
            .all(db)
            .await?
        {
            facts
                .system_admin_at
                .entry(row.user_id)
                .or_insert(row.group_id);
        }
        for row in entity::group_members::Entity::find()
            .filter(Column::UserId.is_in(users.to_vec()))
            .filter(Column::GroupId.is_in(place.path.clone()))
            .filter(sql::facts::held_by_active_user("group_members"))
            .all(db)
            .await?
        {
            facts
                .groups
                .entry(row.user_id)
                .or_default()
                .push((row.group_id, convert::group_role(row.role)));
        }
        // Root first, as `effective_group_role` breaks ties towards the root.
        for memberships in facts.groups.values_mut() {
            memberships.sort_by_key(|(group, _)| place.path.iter().position(|g| g == group));
        }
        if let Some(project) = place.project {
            for row in entity::project_members::Entity::find()
                .filter(entity::project_members::Column::ProjectId.eq(project))
                .filter(entity::project_members::Column::UserId.is_in(users.to_vec()))
                .filter(sql::facts::held_by_active_user("project_members"))
                .all(db)
                .await?
            {
                facts
                    .project_roles
                    .insert(row.user_id, convert::project_role(row.role));
            }
        }
        if let Some(squad) = &place.squad {
            for row in entity::squad_members::Entity::find()
                .filter(entity::squad_members::Column::ProjectId.eq(squad.project_id))
                .filter(entity::squad_members::Column::UserId.is_in(users.to_vec()))
                .all(db)
                .await?
            {
                facts
                    .squads
                    .entry(row.user_id)
                    .or_default()
                    .push(row.squad_id);
            }
        }
        Ok(facts)
    }

    /// The domain's decision for `user_id` at `place`, as `/v1/check` makes it: the role and
    /// membership behind it when the capability holds.
    fn decide(
        &self,
        place: &Place,
        capability: domain::Capability,
        resource: Resource,
        user_id: Uuid,
    ) -> Option<(domain::RoleName, domain::GrantedBy)> {
        let system_admin_at = self.system_admin_at.get(&user_id).copied();
        let on_path = self.groups.get(&user_id).map_or(&[][..], Vec::as_slice);
        let at_group = domain::effective_group_role(system_admin_at, on_path);
        let held = place.project.and_then(|project| {
            let own = self.project_roles.get(&user_id).copied();
            domain::effective_project_role(system_admin_at, at_group, project, own)
        });
        match (resource, &place.squad) {
            (Resource::System, _) => granted(&domain::decide_system(capability, system_admin_at)),
            (Resource::Group(_), _) => granted(&domain::decide_group(capability, at_group)),
            (Resource::Squad(_), Some(squad)) => {
                let mine = self.squads.get(&user_id).map_or(&[][..], Vec::as_slice);
                let belongs = domain::belongs_to_squad_or_parent(mine, squad.id, squad.parent_id);
                let at_squad = domain::effective_squad_role(held, belongs);
                granted(&domain::decide_project(capability, at_squad))
            }
            _ => granted(&domain::decide_project(
                capability,
                domain::effective_at_project(held),
            )),
        }
    }
}

fn granted<G: domain::Grant>(
    decision: &domain::Decision<G>,
) -> Option<(domain::RoleName, domain::GrantedBy)> {
    if !decision.allowed() {
        return None;
    }
    Some((decision.role()?, decision.granted_by()?))
}
