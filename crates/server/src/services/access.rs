//! The decision path: load the few facts one decision needs, ask `domain`, answer through the
//! guard.
//!
//! Route guards (`authorize_*`) and `/v1/check` read the same facts (`*_grant`,
//! [`load_group_facts`]) and ask the same `domain::decide_*`, so they cannot disagree.
//! Cost of a group decision: one statement ([`load_group_facts`]) that reads the group row and
//! the subject's memberships on the group's path together — the ancestor ids come from the
//! path's own labels inside the database, so there is no tree walk and no second round trip.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter};
use uuid::Uuid;

use super::guard::{self, Subject};
use crate::convert;
use crate::error::ApiError;
use domain::Capability;

/// A group the subject may act on, with what was loaded to decide it.
#[derive(Debug, Clone)]
pub struct GroupAccess {
    pub group: entity::groups::Model,
    pub path: domain::GroupPath,
    pub grant: domain::GroupGrant,
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

/// A group, its path, and the subject's effective role there, read in one statement.
#[derive(Debug, Clone)]
pub struct GroupFacts {
    /// Shared with the decision memory when it answered (no copy per decision).
    pub group: Arc<entity::groups::Model>,
    pub path: Arc<domain::GroupPath>,
    pub grant: Option<domain::GroupGrant>,
    /// The names of the groups on the path where the subject holds a membership (for the
    /// human `reason` of a check, without another read).
    pub names: HashMap<Uuid, String>,
}

/// Loads the group `id` and the subject's effective role there, in one statement
/// ([`crate::sql::facts::GROUP_FACTS`]); `None` when the group does not exist.
pub async fn load_group_facts(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Option<GroupFacts>, ApiError> {
    let rows = facts_rows(db, &crate::sql::facts::GROUP_FACTS, subject, id).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let group = entity::groups::Model::from_query_result(first, "")?;
    let path = stored_path(&group)?;
    let mut roles = HashMap::new();
    let mut names = HashMap::new();
    for row in &rows {
        let Some((member_group, role)) = membership_in(row)? else {
            continue;
        };
        roles.insert(member_group, role);
        if let Some(name) = row.try_get::<Option<String>>("", "member_group_name")? {
            names.insert(member_group, name);
        }
    }
    let grant = MembershipIndex { subject, roles }.grant_at(&path);
    Ok(Some(GroupFacts {
        group: Arc::new(group),
        path: Arc::new(path),
        grant,
        names,
    }))
}

/// The rows of a facts statement about resource `id` (parameter 1) for `subject` (parameter 2).
async fn facts_rows(
    db: &impl ConnectionTrait,
    statement: &crate::sql::Prepared,
    subject: Subject,
    id: Uuid,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let statement = statement.statement(
        db.get_database_backend(),
        [id.into(), subject.user_id.into()],
    );
    db.query_all_raw(statement).await
}

/// The membership a facts row carries (`member_group_id`, `member_role`), if any.
pub(crate) fn membership_in(
    row: &sea_orm::QueryResult,
) -> Result<Option<(Uuid, domain::GroupRole)>, ApiError> {
    let Some(group) = row.try_get::<Option<Uuid>>("", "member_group_id")? else {
        return Ok(None);
    };
    let role: String = row.try_get("", "member_role")?;
    let role = domain::GroupRole::from_str(&role).map_err(|e| {
        ApiError::internal(anyhow::anyhow!("a stored group role is not valid: {e}"))
    })?;
    Ok(Some((group, role)))
}

/// A project, the squad asked about (for [`SQUAD_FACTS`](crate::sql::facts::SQUAD_FACTS)), and
/// the subject's role in the project (assigned, or bridged from the owning group).
struct ProjectFacts {
    squad: Option<entity::squads::Model>,
    project: entity::projects::Model,
    held: Option<domain::ProjectGrant>,
}

/// Reads a project (or, `squad`, a squad and its project) with everything that decides the
/// subject's role there, in one statement; `None` when it does not exist.
async fn load_project_facts(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    squad: bool,
) -> Result<Option<ProjectFacts>, ApiError> {
    let statement = if squad {
        &crate::sql::facts::SQUAD_FACTS
    } else {
        &crate::sql::facts::PROJECT_FACTS
    };
    let rows = facts_rows(db, statement, subject, id).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let project = entity::projects::Model::from_query_result(first, "p_")?;
    let squad = squad
        .then(|| entity::squads::Model::from_query_result(first, "s_"))
        .transpose()?;
    let path: String = first.try_get("", "group_path")?;
    let path = domain::GroupPath::parse(&path).map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "group {} has a malformed path: {e}",
            project.group_id
        ))
    })?;
    let own = first
        .try_get::<Option<String>>("", "own_role")?
        .map(|role| domain::ProjectRole::from_str(&role))
        .transpose()
        .map_err(|e| {
            ApiError::internal(anyhow::anyhow!("a stored project role is not valid: {e}"))
        })?;
    let mut roles = HashMap::new();
    for row in &rows {
        if let Some((group, role)) = membership_in(row)? {
            roles.insert(group, role);
        }
    }
    let owning_group = MembershipIndex { subject, roles }.grant_at(&path);
    let held =
        domain::effective_project_role(subject.system_admin_at, owning_group, project.id, own);
    Ok(Some(ProjectFacts {
        squad,
        project,
        held,
    }))
}

/// Project `id` and the subject's role there (held: assigned or bridged); `None` when there is
/// no such project.
pub async fn project_with_grant(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Option<(entity::projects::Model, Option<domain::ProjectGrant>)>, ApiError> {
    Ok(load_project_facts(db, subject, id, false)
        .await?
        .map(|facts| (facts.project, facts.held)))
}

/// Squad `id`, its project and the subject's role in that project; `None` when there is no
/// such squad.
pub async fn squad_with_grant(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Option<SquadFacts>, ApiError> {
    let Some(facts) = load_project_facts(db, subject, id, true).await? else {
        return Ok(None);
    };
    let squad = facts.squad.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("the squad facts came without the squad"))
    })?;
    Ok(Some((squad, facts.project, facts.held)))
}

/// The subject's effective role at the group with `path` (inherited down the tree): one read
/// of their memberships among the path's groups.
pub async fn group_grant(
    db: &impl ConnectionTrait,
    subject: Subject,
    path: &domain::GroupPath,
) -> Result<Option<domain::GroupGrant>, DbErr> {
    if let Some(at) = subject.system_admin_at {
        return Ok(Some(domain::GroupGrant::system_admin(at)));
    }
    let index = MembershipIndex::load(db, subject, Some(path.ids())).await?;
    Ok(index.grant_at(path))
}

/// The subject's strongest grant in any group: what user management is decided on.
pub async fn strongest_grant(
    db: &impl ConnectionTrait,
    subject: Subject,
) -> Result<Option<domain::GroupGrant>, DbErr> {
    if let Some(at) = subject.system_admin_at {
        return Ok(Some(domain::GroupGrant::system_admin(at)));
    }
    let index = MembershipIndex::load(db, subject, None).await?;
    let all: Vec<(Uuid, domain::GroupRole)> =
        index.roles.iter().map(|(id, role)| (*id, *role)).collect();
    Ok(domain::effective_group_role(None, &all))
}

/// A subject's group memberships held in memory, to decide many groups with one read (lists).
#[derive(Debug, Clone)]
pub struct MembershipIndex {
    subject: Subject,
    roles: HashMap<Uuid, domain::GroupRole>,
}

impl MembershipIndex {
    /// The subject's memberships, all of them or only those in `groups`; none when the
    /// subject is deactivated.
    pub async fn load(
        db: &impl ConnectionTrait,
        subject: Subject,
        groups: Option<Vec<Uuid>>,
    ) -> Result<Self, DbErr> {
        let mut query = entity::group_members::Entity::find()
            .filter(entity::group_members::Column::UserId.eq(subject.user_id))
            .filter(crate::sql::facts::held_by_active_user("group_members"));
        if let Some(groups) = groups {
            query = query.filter(entity::group_members::Column::GroupId.is_in(groups));
        }
        let roles = query
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.group_id, convert::group_role(m.role)))
            .collect();
        Ok(Self { subject, roles })
    }

    /// The memberships `roles` of `subject` (held in memory; none when they are deactivated).
    pub fn new(subject: Subject, roles: HashMap<Uuid, domain::GroupRole>) -> Self {
        Self { subject, roles }
    }

    /// Whose memberships these are.
    pub fn subject(&self) -> Subject {
        self.subject
    }

    /// The groups the subject holds a membership in.
    pub fn groups(&self) -> Vec<Uuid> {
        self.roles.keys().copied().collect()
    }

    /// The effective role at the group with `path`.
    pub fn grant_at(&self, path: &domain::GroupPath) -> Option<domain::GroupGrant> {
        grant_on_path(self.subject, path, |id| self.roles.get(&id).copied())
    }
}

/// The subject's effective role at the group with `path`, given their role in each group
/// (`role_in`): what every fact source decides a group with.
pub fn grant_on_path(
    subject: Subject,
    path: &domain::GroupPath,
    role_in: impl Fn(Uuid) -> Option<domain::GroupRole>,
) -> Option<domain::GroupGrant> {
    // Root first, as `effective_group_role` breaks ties towards the root.
    let on_path: Vec<(Uuid, domain::GroupRole)> = path
        .ids()
        .into_iter()
        .filter_map(|id| role_in(id).map(|role| (id, role)))
        .collect();
    domain::effective_group_role(subject.system_admin_at, &on_path)
}

/// Where a read decision's facts come from: the database as it stands ([`Stored`]), or the
/// decision memory (`memory::facts::Remembered`). Both decide with the same `domain` rules, so
/// they cannot disagree; writes always decide on the database, inside their transaction.
pub(crate) trait FactSource {
    /// A group, its path and the subject's effective role there; `None` when it does not exist.
    async fn group_facts(&self, subject: Subject, id: Uuid)
    -> Result<Option<GroupFacts>, ApiError>;

    /// A project and the subject's role there (held: assigned or bridged).
    async fn project_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<(entity::projects::Model, Option<domain::ProjectGrant>)>, ApiError>;

    /// A squad, its project and the subject's role in that project.
    async fn squad_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<SquadFacts>, ApiError>;

    /// The subject's effective role at `squad`, given their role in its project.
    async fn squad_grant(
        &self,
        subject: Subject,
        squad: &entity::squads::Model,
        project: Option<domain::ProjectGrant>,
    ) -> Result<Option<domain::ProjectGrant>, ApiError>;

    /// A group's name, for a human reason (its id when it is gone).
    async fn group_name(&self, id: Uuid) -> Result<String, ApiError>;

    /// The user `id` as a caller would be authenticated; `None` when there is no such user.
    async fn principal(&self, id: Uuid) -> Result<Option<crate::auth::Principal>, ApiError>;

    /// Every group membership of `subject` that grants (none when they are deactivated).
    async fn memberships(&self, subject: Subject) -> Result<MembershipIndex, ApiError>;
}

/// A squad, its project and the subject's role in that project.
pub type SquadFacts = (
    entity::squads::Model,
    entity::projects::Model,
    Option<domain::ProjectGrant>,
);

/// The database as it stands: the facts statements of [`crate::sql::facts`].
pub(crate) struct Stored<'a, C>(pub &'a C);

impl<C: ConnectionTrait> FactSource for Stored<'_, C> {
    async fn group_facts(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<GroupFacts>, ApiError> {
        load_group_facts(self.0, subject, id).await
    }

    async fn project_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<(entity::projects::Model, Option<domain::ProjectGrant>)>, ApiError> {
        project_with_grant(self.0, subject, id).await
    }

    async fn squad_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<SquadFacts>, ApiError> {
        squad_with_grant(self.0, subject, id).await
    }

    async fn squad_grant(
        &self,
        subject: Subject,
        squad: &entity::squads::Model,
        project: Option<domain::ProjectGrant>,
    ) -> Result<Option<domain::ProjectGrant>, ApiError> {
        Ok(squad_grant(self.0, subject, squad, project).await?)
    }

    async fn group_name(&self, id: Uuid) -> Result<String, ApiError> {
        Ok(entity::groups::Entity::find_by_id(id)
            .one(self.0)
            .await?
            .map_or_else(|| id.to_string(), |g| g.name))
    }

    async fn principal(&self, id: Uuid) -> Result<Option<crate::auth::Principal>, ApiError> {
        Ok(crate::auth::Principal::load(self.0, id).await?)
    }

    async fn memberships(&self, subject: Subject) -> Result<MembershipIndex, ApiError> {
        Ok(MembershipIndex::load(self.0, subject, None).await?)
    }
}

/// Requires the system-wide `capability` (roots of the tree, checking other users' access).
pub fn authorize_system(
    subject: Subject,
    capability: Capability,
) -> Result<domain::GroupGrant, ApiError> {
    guard::allow(domain::decide_system(capability, subject.system_admin_at))
}

/// Loads group `id` and requires `capability` there for `subject`.
pub async fn authorize_group(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    capability: Capability,
) -> Result<GroupAccess, ApiError> {
    authorize_group_in(&Stored(db), subject, id, capability).await
}

/// [`authorize_group`] on the facts of `source` (a read route's: memory when it is on).
pub(crate) async fn authorize_group_in(
    source: &impl FactSource,
    subject: Subject,
    id: Uuid,
    capability: Capability,
) -> Result<GroupAccess, ApiError> {
    let facts = source
        .group_facts(subject, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let grant = guard::allow(domain::decide_group(capability, facts.grant))?;
    Ok(GroupAccess {
        group: Arc::unwrap_or_clone(facts.group),
        path: Arc::unwrap_or_clone(facts.path),
        grant,
    })
}

/// Requires `capability` at the group with `path`, a group the caller is known to see (the
/// parent of one they act on): having no role there is a 403, not a 404.
pub async fn authorize_visible_group(
    db: &impl ConnectionTrait,
    subject: Subject,
    path: &domain::GroupPath,
    capability: Capability,
) -> Result<domain::GroupGrant, ApiError> {
    let grant = group_grant(db, subject, path).await?;
    guard::allow(domain::decide_group(capability, grant).on_visible_resource())
}

/// A project the subject may act on, with their effective role at the project itself (the
/// decision's grant) and the role they hold there (assigned or bridged; what `my_role` shows).
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: entity::projects::Model,
    pub grant: domain::ProjectGrant,
    pub held: domain::ProjectRole,
}

/// Loads project `id` and requires `capability` there for `subject`.
pub async fn authorize_project(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    capability: Capability,
) -> Result<ProjectAccess, ApiError> {
    authorize_project_in(&Stored(db), subject, id, capability).await
}

/// [`authorize_project`] on the facts of `source` (a read route's: memory when it is on).
pub(crate) async fn authorize_project_in(
    source: &impl FactSource,
    subject: Subject,
    id: Uuid,
    capability: Capability,
) -> Result<ProjectAccess, ApiError> {
    let (project, held) = source
        .project_with_grant(subject, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let at_project = domain::effective_at_project(held);
    let grant = guard::allow(domain::decide_project(capability, at_project))?;
    Ok(ProjectAccess {
        project,
        grant,
        held: held.map_or(grant.role, |held| held.role),
    })
}

/// A squad the subject may act on, with their effective role there (a squad_lead leads only
/// the squads they belong to and those squads' sub-squads).
#[derive(Debug, Clone)]
pub struct SquadAccess {
    pub squad: entity::squads::Model,
    pub project: entity::projects::Model,
    pub grant: domain::ProjectGrant,
}

/// The subject's effective role at `squad`, given their role in its project.
pub async fn squad_grant(
    db: &impl ConnectionTrait,
    subject: Subject,
    squad: &entity::squads::Model,
    project: Option<domain::ProjectGrant>,
) -> Result<Option<domain::ProjectGrant>, DbErr> {
    if !domain::depends_on_squads(project) {
        return Ok(domain::effective_squad_role(project, false));
    }
    let mine: Vec<Uuid> = entity::squad_members::Entity::find()
        .filter(entity::squad_members::Column::UserId.eq(subject.user_id))
        .filter(entity::squad_members::Column::ProjectId.eq(squad.project_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.squad_id)
        .collect();
    let belongs = domain::belongs_to_squad_or_parent(&mine, squad.id, squad.parent_id);
    Ok(domain::effective_squad_role(project, belongs))
}

/// Loads squad `id` and requires `capability` there for `subject`.
pub async fn authorize_squad(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    capability: Capability,
) -> Result<SquadAccess, ApiError> {
    authorize_squad_in(&Stored(db), subject, id, capability).await
}

/// [`authorize_squad`] on the facts of `source` (a read route's: memory when it is on).
pub(crate) async fn authorize_squad_in(
    source: &impl FactSource,
    subject: Subject,
    id: Uuid,
    capability: Capability,
) -> Result<SquadAccess, ApiError> {
    let (squad, project, in_project) = source
        .squad_with_grant(subject, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let grant = source.squad_grant(subject, &squad, in_project).await?;
    let grant = guard::allow(domain::decide_project(capability, grant))?;
    Ok(SquadAccess {
        squad,
        project,
        grant,
    })
}
