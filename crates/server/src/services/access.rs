//! The decision path: load the few facts one decision needs, ask `domain`, answer.
//!
//! Route guards and `/v1/check` call the same functions, so they cannot disagree.
//! Cost of a group decision: one statement ([`load_group_facts`]) that reads the group row and
//! the subject's memberships on the group's path together — the ancestor ids come from the
//! path's own labels inside the database, so there is no tree walk and no second round trip.

use std::collections::HashMap;
use std::str::FromStr;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};
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

impl Subject {
    /// The principal as they stand inside a write transaction: their system admin membership is
    /// read again there, so a caller demoted a moment ago cannot still act as a system admin.
    pub async fn current(db: &impl ConnectionTrait, principal: &Principal) -> Result<Self, DbErr> {
        Ok(Self {
            user_id: principal.id(),
            system_admin_at: crate::auth::system_admin_group(db, principal.id()).await?,
        })
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

/// A group, its path, and the subject's effective role there, read in one statement.
#[derive(Debug, Clone)]
pub struct GroupFacts {
    pub group: entity::groups::Model,
    pub path: domain::GroupPath,
    pub grant: Option<domain::GroupGrant>,
    /// The names of the groups on the path where the subject holds a membership (for the
    /// human `reason` of a check, without another read).
    pub names: HashMap<Uuid, String>,
}

/// The group `id` joined with `subject`'s memberships on its path, and those groups' names.
///
/// One row per membership on the path (or one row with nulls when there is none); no row when
/// the group does not exist. The path's labels are decoded into ids by the database itself —
/// PostgreSQL `string_to_array(…)::uuid[]`, SQLite `unhex(substr(path, 1 + 33·k, 32))` — so the
/// memberships are found through the `(user_id, group_id)` unique index in the same statement.
const GROUP_FACTS_POSTGRES: &str = r#"SELECT g.id, g.parent_id, g.name, g.slug,
       CAST(g.path AS text) AS path, g.depth, g.created_at, g.updated_at,
       m.group_id AS member_group_id, CAST(m.role AS text) AS member_role,
       mg.name AS member_group_name
FROM groups g
LEFT JOIN group_members m
  ON m.user_id = $2
 AND m.group_id = ANY (CAST(string_to_array(CAST(g.path AS text), '.') AS uuid[]))
LEFT JOIN groups mg ON mg.id = m.group_id
WHERE g.id = $1"#;

/// As [`GROUP_FACTS_POSTGRES`]; `k` enumerates the labels 0..=depth (depth ≤ 20), each 32 hex
/// digits followed by a dot, and ids are stored as 16-byte blobs.
const GROUP_FACTS_SQLITE: &str = r#"SELECT g.id, g.parent_id, g.name, g.slug, g.path, g.depth,
       g.created_at, g.updated_at,
       m.group_id AS member_group_id, m.role AS member_role, mg.name AS member_group_name
FROM groups g
LEFT JOIN group_members m
  ON m.user_id = ?2
 AND m.group_id IN (
     SELECT unhex(substr(g.path, 1 + 33 * k.column1, 32))
     FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13),
                  (14), (15), (16), (17), (18), (19), (20)) AS k
     WHERE k.column1 <= g.depth)
LEFT JOIN groups mg ON mg.id = m.group_id
WHERE g.id = ?1"#;

/// Loads the group `id` and decides the subject's effective role there, in one statement.
pub async fn load_group_facts(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Option<GroupFacts>, ApiError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => GROUP_FACTS_POSTGRES,
        _ => GROUP_FACTS_SQLITE,
    };
    let statement =
        Statement::from_sql_and_values(backend, sql, [id.into(), subject.user_id.into()]);
    let rows = db.query_all_raw(statement).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let group = entity::groups::Model::from_query_result(first, "")?;
    let path = stored_path(&group)?;
    let mut roles = HashMap::new();
    let mut names = HashMap::new();
    for row in &rows {
        let Some(member_group) = row.try_get::<Option<Uuid>>("", "member_group_id")? else {
            continue;
        };
        let role: String = row.try_get("", "member_role")?;
        let role = domain::GroupRole::from_str(&role).map_err(|e| {
            ApiError::internal(anyhow::anyhow!("a stored group role is not valid: {e}"))
        })?;
        roles.insert(member_group, role);
        if let Some(name) = row.try_get::<Option<String>>("", "member_group_name")? {
            names.insert(member_group, name);
        }
    }
    let grant = MembershipIndex { subject, roles }.grant_at(&path);
    Ok(Some(GroupFacts {
        group,
        path,
        grant,
        names,
    }))
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

/// A subject's group memberships held in memory, to decide many groups with one read (lists).
#[derive(Debug, Clone)]
pub struct MembershipIndex {
    subject: Subject,
    roles: HashMap<Uuid, domain::GroupRole>,
}

impl MembershipIndex {
    /// The subject's memberships, all of them or only those in `groups`.
    pub async fn load(
        db: &impl ConnectionTrait,
        subject: Subject,
        groups: Option<Vec<Uuid>>,
    ) -> Result<Self, DbErr> {
        let mut query = entity::group_members::Entity::find()
            .filter(entity::group_members::Column::UserId.eq(subject.user_id));
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

    /// The effective role at the group with `path`.
    pub fn grant_at(&self, path: &domain::GroupPath) -> Option<domain::GroupGrant> {
        if let Some(at) = self.subject.system_admin_at {
            return Some(domain::GroupGrant::system_admin(at));
        }
        // Root first, as `effective_group_role` breaks ties towards the root.
        let on_path: Vec<(Uuid, domain::GroupRole)> = path
            .ids()
            .into_iter()
            .filter_map(|id| self.roles.get(&id).map(|role| (id, *role)))
            .collect();
        domain::effective_group_role(None, &on_path)
    }
}

/// Turns a decision into the route's answer: no role → 404 (the resource stays invisible),
/// a role without the capability → 403.
pub fn enforce(decision: &domain::Decision) -> Result<(), ApiError> {
    crate::metrics::record_decision(crate::metrics::DecisionSource::Route, decision.allowed);
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

/// Requires the subject to be a system admin (roots of the tree, system-wide actions).
pub fn require_system_admin(subject: Subject, what: &str) -> Result<(), ApiError> {
    let decision = domain::decide_system(domain::Capability::SystemManage, subject.system_admin_at);
    if decision.allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "only a system admin may {what}"
        )))
    }
}

/// Loads group `id` and requires `capability` there for `subject`.
pub async fn authorize_group(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    capability: domain::Capability,
) -> Result<GroupAccess, ApiError> {
    let facts = load_group_facts(db, subject, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let decision = domain::decide_group(capability, facts.grant);
    enforce(&decision)?;
    let grant = facts
        .grant
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("granted without a role")))?;
    Ok(GroupAccess {
        group: facts.group,
        path: facts.path,
        grant,
    })
}

/// A project the subject may act on, with their effective role there.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: entity::projects::Model,
    pub grant: domain::ProjectGrant,
}

/// The subject's effective role in `project`: bridged from the owning group (system admin,
/// group_admin) or their own membership, whichever is stronger.
pub async fn project_grant(
    db: &impl ConnectionTrait,
    subject: Subject,
    project: &entity::projects::Model,
) -> Result<Option<domain::ProjectGrant>, ApiError> {
    let owning_group = match subject.system_admin_at {
        // A system admin is project admin everywhere: no need to read the group.
        Some(_) => None,
        None => {
            load_group_facts(db, subject, project.group_id)
                .await?
                .ok_or(ApiError::NotFound)?
                .grant
        }
    };
    let own = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project.id))
        .filter(entity::project_members::Column::UserId.eq(subject.user_id))
        .one(db)
        .await?
        .map(|m| convert::project_role(m.role));
    Ok(domain::effective_project_role(
        subject.system_admin_at,
        owning_group,
        project.id,
        own,
    ))
}

/// The project `id`, or 404.
pub async fn load_project(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<entity::projects::Model, ApiError> {
    entity::projects::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Loads project `id` and requires `capability` there for `subject`.
pub async fn authorize_project(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    capability: domain::Capability,
) -> Result<ProjectAccess, ApiError> {
    let project = load_project(db, id).await?;
    let grant = project_grant(db, subject, &project).await?;
    enforce(&domain::decide_project(capability, grant))?;
    let grant =
        grant.ok_or_else(|| ApiError::internal(anyhow::anyhow!("granted without a role")))?;
    Ok(ProjectAccess { project, grant })
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
    let leads_somewhere = project.is_some_and(|g| g.role == domain::ProjectRole::SquadLead);
    if !leads_somewhere {
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
    capability: domain::Capability,
) -> Result<SquadAccess, ApiError> {
    let squad = entity::squads::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let project = load_project(db, squad.project_id).await?;
    let in_project = project_grant(db, subject, &project).await?;
    let grant = squad_grant(db, subject, &squad, in_project).await?;
    enforce(&domain::decide_project(capability, grant))?;
    let grant =
        grant.ok_or_else(|| ApiError::internal(anyhow::anyhow!("granted without a role")))?;
    Ok(SquadAccess {
        squad,
        project,
        grant,
    })
}
