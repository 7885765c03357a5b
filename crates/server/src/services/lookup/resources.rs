//! `POST /v1/lookup/resources`: where a user may use a capability — as subtree roots or every
//! group, or each project or squad.

use sea_orm::sea_query::{Condition, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Batch, batch_after, fill_page, groups_by_id};
use crate::error::ApiError;
use crate::services::access::{self, MembershipIndex};
use crate::services::guard::Subject;
use crate::services::window::Window;
use crate::sql::tree;

/// What is looked up: the capability, and the group whose subtree limits the answer.
#[derive(Debug, Clone, Copy)]
pub struct Lookup {
    pub capability: domain::Capability,
    pub within: Option<Uuid>,
}

/// A group where the capability holds; with `subtree`, it holds in every descendant too.
#[derive(Debug, Clone)]
pub struct GroupItem {
    pub group: entity::groups::Model,
    pub grant: domain::GroupGrant,
    pub subtree: bool,
}

/// A project (or squad) where the capability holds, with the grant that decides there.
#[derive(Debug, Clone)]
pub struct ProjectItem<R> {
    pub resource: R,
    pub grant: domain::ProjectGrant,
}

/// What a group lookup starts from: the subject's memberships, and the group limiting it.
struct GroupScope {
    index: MembershipIndex,
    within: Option<(entity::groups::Model, domain::GroupPath)>,
}

impl GroupScope {
    async fn load(
        db: &impl ConnectionTrait,
        caller: Subject,
        held: &MembershipIndex,
        within: Option<Uuid>,
    ) -> Result<Self, ApiError> {
        let within = match within {
            None => None,
            Some(id) => Some(visible_within(db, caller, id).await?),
        };
        Ok(Self {
            index: held.clone(),
            within,
        })
    }

    /// The smallest set of subtree roots covering every group where `capability` holds, in
    /// path order; `None` means every root group (a system admin's answer without `within`).
    async fn roots(
        &self,
        db: &impl ConnectionTrait,
        subject: Subject,
        capability: domain::Capability,
    ) -> Result<Option<Vec<(entity::groups::Model, domain::GroupPath)>>, ApiError> {
        if let Some(at) = subject.system_admin_at {
            let everywhere =
                domain::decide_group(capability, Some(domain::GroupGrant::system_admin(at)));
            return Ok(match (&self.within, everywhere.allowed()) {
                (_, false) => Some(Vec::new()),
                (Some(within), true) => Some(vec![within.clone()]),
                (None, true) => None,
            });
        }
        let held = groups_by_id(db, self.index.groups()).await?;
        let holds: Vec<domain::GroupPath> = held
            .iter()
            .filter(|(_, path)| {
                domain::decide_group(capability, self.index.grant_at(path)).allowed()
            })
            .map(|(_, path)| path.clone())
            .collect();
        let mut roots = domain::minimal_roots(&holds);
        if let Some((_, within)) = &self.within {
            roots = domain::roots_within(&roots, within);
        }
        let models = held.into_iter().chain(self.within.clone());
        let mut found: Vec<(entity::groups::Model, domain::GroupPath)> =
            models.filter(|(_, path)| roots.contains(path)).collect();
        found.sort_by(|a, b| a.1.cmp(&b.1));
        found.dedup_by(|a, b| a.1 == b.1);
        Ok(Some(found))
    }
}

/// `within` must name a group the caller may view; otherwise it is refused like a `parent_id`.
async fn visible_within(
    db: &impl ConnectionTrait,
    caller: Subject,
    id: Uuid,
) -> Result<(entity::groups::Model, domain::GroupPath), ApiError> {
    match access::authorize_group(db, caller, id, domain::Capability::GroupView).await {
        Ok(access) => Ok((access.group, access.path)),
        Err(ApiError::NotFound | ApiError::Forbidden(_)) => Err(ApiError::invalid(
            "within",
            "does not name a group you can see",
        )),
        Err(other) => Err(other),
    }
}

/// The subtree roots where `subject` may use a group capability, in path order.
pub async fn group_roots(
    db: &impl ConnectionTrait,
    caller: Subject,
    held: &MembershipIndex,
    lookup: Lookup,
    window: &Window<domain::GroupPath>,
) -> Result<Vec<GroupItem>, ApiError> {
    let subject = held.subject();
    let scope = GroupScope::load(db, caller, held, lookup.within).await?;
    let roots = match scope.roots(db, subject, lookup.capability).await? {
        Some(roots) => roots
            .into_iter()
            .filter(|(_, path)| window.after.as_ref().is_none_or(|after| path > after))
            .take(usize::try_from(window.fetch()).unwrap_or(usize::MAX))
            .map(|(group, _)| group)
            .collect(),
        None => {
            let query =
                entity::groups::Entity::find().filter(entity::groups::Column::ParentId.is_null());
            let window = window.map(|path| path.as_str().to_owned());
            window.read(db, query, entity::groups::Column::Path).await?
        }
    };
    decide_groups(&scope.index, lookup.capability, roots, true)
}

/// Every group where `subject` may use a group capability, in path order.
pub async fn groups(
    db: &impl ConnectionTrait,
    caller: Subject,
    held: &MembershipIndex,
    lookup: Lookup,
    window: &Window<domain::GroupPath>,
) -> Result<Vec<GroupItem>, ApiError> {
    let subject = held.subject();
    let scope = GroupScope::load(db, caller, held, lookup.within).await?;
    let column = entity::groups::Column::Path;
    let Some(roots) = scope.roots(db, subject, lookup.capability).await? else {
        // Everywhere: one range over the whole tree.
        let window = window.map(|path| path.as_str().to_owned());
        let rows = window
            .read(db, entity::groups::Entity::find(), column)
            .await?;
        return decide_groups(&scope.index, lookup.capability, rows, false);
    };
    // Root by root, in path order: each subtree is one contiguous range of paths, so a page is
    // a range read of the root the cursor is in, then of the roots after it until it is full.
    // (One query over every root at once makes PostgreSQL test each path in the gaps between
    // them against every root, which the lookup benchmark measured at 10⁵ groups.)
    let backend = db.get_database_backend();
    let mut rows = Vec::new();
    let wanted = window.fetch();
    for (_, root) in roots {
        let before_cursor = window
            .after
            .as_ref()
            .is_some_and(|after| root < *after && !after.is_descendant_or_self_of(&root));
        if before_cursor {
            continue;
        }
        let remaining = Window {
            after: window.after.as_ref().map(|p| p.as_str().to_owned()),
            limit: wanted - rows.len() as u64 - 1,
        };
        let query = entity::groups::Entity::find().filter(tree::subtree(backend, &root, true));
        rows.extend(remaining.read(db, query, column).await?);
        if rows.len() as u64 >= wanted {
            break;
        }
    }
    decide_groups(&scope.index, lookup.capability, rows, false)
}

/// Decides each group with the domain's rule: only groups where the capability holds are kept
/// (every group the roots cover, as the module's reasoning shows; the decision is still made).
fn decide_groups(
    index: &MembershipIndex,
    capability: domain::Capability,
    groups: Vec<entity::groups::Model>,
    subtree: bool,
) -> Result<Vec<GroupItem>, ApiError> {
    let mut items = Vec::with_capacity(groups.len());
    for group in groups {
        let path = access::stored_path(&group)?;
        if let Some(grant) = domain::decide_group(capability, index.grant_at(&path)).granted() {
            items.push(GroupItem {
                group,
                grant,
                subtree,
            });
        }
    }
    Ok(items)
}

/// The projects where `subject` may use a project capability, in id order.
pub async fn projects(
    db: &impl ConnectionTrait,
    caller: Subject,
    held: &MembershipIndex,
    lookup: Lookup,
    window: &Window<Uuid>,
) -> Result<Vec<ProjectItem<entity::projects::Model>>, ApiError> {
    let subject = held.subject();
    let scope = GroupScope::load(db, caller, held, lookup.within).await?;
    let candidates = project_candidates(db, subject, &scope).await?;
    fill_page(window, async |after| {
        let query = entity::projects::Entity::find().filter(candidates.clone());
        let rows = batch_after(after)
            .read(db, query, entity::projects::Column::Id)
            .await?;
        let (read, last) = (rows.len(), rows.last().map(|p| p.id));
        let held = ProjectFacts::load(db, subject, &scope.index, &rows).await?;
        let kept = rows
            .into_iter()
            .filter_map(|project| {
                let at_project = domain::effective_at_project(held.grant(subject, &project));
                let grant = domain::decide_project(lookup.capability, at_project).granted()?;
                Some(ProjectItem {
                    resource: project,
                    grant,
                })
            })
            .collect();
        Ok(Batch::of(read, last, kept))
    })
    .await
}

/// The squads where `subject` may use a project capability, in id order.
pub async fn squads(
    db: &impl ConnectionTrait,
    caller: Subject,
    held: &MembershipIndex,
    lookup: Lookup,
    window: &Window<Uuid>,
) -> Result<Vec<ProjectItem<entity::squads::Model>>, ApiError> {
    let subject = held.subject();
    let scope = GroupScope::load(db, caller, held, lookup.within).await?;
    let candidates = project_candidates(db, subject, &scope).await?;
    let in_candidates = Query::select()
        .column(entity::projects::Column::Id)
        .from(entity::projects::Entity)
        .cond_where(candidates)
        .to_owned();
    fill_page(window, async |after| {
        let query = entity::squads::Entity::find()
            .filter(entity::squads::Column::ProjectId.in_subquery(in_candidates.clone()));
        let rows = batch_after(after)
            .read(db, query, entity::squads::Column::Id)
            .await?;
        let (read, last) = (rows.len(), rows.last().map(|s| s.id));
        let project_ids: Vec<Uuid> = rows.iter().map(|s| s.project_id).collect();
        let projects = entity::projects::Entity::find()
            .filter(entity::projects::Column::Id.is_in(project_ids.clone()))
            .all(db)
            .await?;
        let held = ProjectFacts::load(db, subject, &scope.index, &projects).await?;
        let mine: Vec<Uuid> = entity::squad_members::Entity::find()
            .filter(entity::squad_members::Column::UserId.eq(subject.user_id))
            .filter(entity::squad_members::Column::ProjectId.is_in(project_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.squad_id)
            .collect();
        let kept = rows
            .into_iter()
            .filter_map(|squad| {
                let project = projects.iter().find(|p| p.id == squad.project_id)?;
                let belongs = domain::belongs_to_squad_or_parent(&mine, squad.id, squad.parent_id);
                let at_squad = domain::effective_squad_role(held.grant(subject, project), belongs);
                let grant = domain::decide_project(lookup.capability, at_squad).granted()?;
                Some(ProjectItem {
                    resource: squad,
                    grant,
                })
            })
            .collect();
        Ok(Batch::of(read, last, kept))
    })
    .await
}

/// The projects that may decide for `subject`: all of them for a system admin; otherwise those
/// they are a member of and those owned in a subtree where a membership bridges them to admin
/// (`domain::ProjectGrant::bridged`) — each limited to `within`. A superset is harmless: every
/// candidate is decided.
async fn project_candidates(
    db: &impl ConnectionTrait,
    subject: Subject,
    scope: &GroupScope,
) -> Result<Condition, ApiError> {
    use entity::projects::Column;
    let backend = db.get_database_backend();
    let in_groups = |condition: Condition| {
        Column::GroupId.in_subquery(
            Query::select()
                .column(entity::groups::Column::Id)
                .from(entity::groups::Entity)
                .cond_where(condition)
                .to_owned(),
        )
    };
    let mut candidates = Condition::all();
    if let Some((_, within)) = &scope.within {
        candidates = candidates.add(in_groups(
            Condition::all().add(tree::subtree(backend, within, true)),
        ));
    }
    if subject.system_admin_at.is_some() {
        return Ok(candidates);
    }
    let held = groups_by_id(db, scope.index.groups()).await?;
    let bridging: Vec<domain::GroupPath> = held
        .into_iter()
        .filter(|(_, path)| {
            scope
                .index
                .grant_at(path)
                .and_then(domain::ProjectGrant::bridged)
                .is_some()
        })
        .map(|(_, path)| path)
        .collect();
    let bridged = Condition::all().add(tree::in_any_subtree(
        backend,
        &domain::minimal_roots(&bridging),
    ));
    let member_of = Column::Id.in_subquery(
        Query::select()
            .column(entity::project_members::Column::ProjectId)
            .from(entity::project_members::Entity)
            .and_where(entity::project_members::Column::UserId.eq(subject.user_id))
            .to_owned(),
    );
    let mut reach = Condition::any().add(member_of);
    if !bridging.is_empty() {
        reach = reach.add(in_groups(bridged));
    }
    Ok(candidates.add(reach))
}

/// What decides at each of a batch of projects: the owning groups' paths and the subject's own
/// roles there (none when they are deactivated, as their group memberships in the index).
struct ProjectFacts<'a> {
    owners: Vec<(entity::groups::Model, domain::GroupPath)>,
    own: Vec<entity::project_members::Model>,
    index: &'a MembershipIndex,
}

impl<'a> ProjectFacts<'a> {
    async fn load(
        db: &impl ConnectionTrait,
        subject: Subject,
        index: &'a MembershipIndex,
        projects: &[entity::projects::Model],
    ) -> Result<Self, ApiError> {
        let owners = groups_by_id(db, projects.iter().map(|p| p.group_id).collect()).await?;
        let own = entity::project_members::Entity::find()
            .filter(entity::project_members::Column::UserId.eq(subject.user_id))
            .filter(crate::sql::facts::held_by_active_user("project_members"))
            .filter(
                entity::project_members::Column::ProjectId
                    .is_in(projects.iter().map(|p| p.id).collect::<Vec<_>>()),
            )
            .all(db)
            .await?;
        Ok(Self { owners, own, index })
    }

    /// The subject's role held at `project`: assigned, or bridged from the owning group.
    fn grant(
        &self,
        subject: Subject,
        project: &entity::projects::Model,
    ) -> Option<domain::ProjectGrant> {
        let owning_group = self
            .owners
            .iter()
            .find(|(g, _)| g.id == project.group_id)
            .and_then(|(_, path)| self.index.grant_at(path));
        let own = self
            .own
            .iter()
            .find(|m| m.project_id == project.id)
            .map(|m| crate::convert::project_role(m.role));
        domain::effective_project_role(subject.system_admin_at, owning_group, project.id, own)
    }
}
