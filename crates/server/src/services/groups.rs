//! The group tree: create, read, list, rename, move a subtree, delete a subtree.
//!
//! Every change runs on the write path under `Lock::GroupTree`, with its authorization decided
//! inside the transaction, so a concurrent move cannot slip between the check and the change.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{self, MembershipIndex};
use super::audit::AuditRecord;
use super::changes::{Node, Watch};
use super::guard::Subject;
use super::window::Window;
use super::write::{Lock, Written, write_as};
use crate::convert;
use crate::error::ApiError;
use crate::sql::tree;
use domain::Capability;

/// A group with the caller's effective role there.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: entity::groups::Model,
    pub path: domain::GroupPath,
    pub my_role: Option<domain::GroupRole>,
}

/// A validated `POST /v1/groups`.
#[derive(Debug)]
pub struct NewGroup {
    pub name: domain::Name,
    pub slug: Option<domain::Slug>,
    pub parent_id: Option<Uuid>,
}

/// A validated `PATCH /v1/groups/{id}`: `None` leaves a field unchanged; `parent: Some(None)`
/// makes the group a root.
#[derive(Debug, Default)]
pub struct GroupChange {
    pub name: Option<domain::Name>,
    pub slug: Option<domain::Slug>,
    pub parent: Option<Option<Uuid>>,
}

/// What deleting a subtree removed, for the audit event.
#[derive(Debug)]
struct SubtreeContents {
    groups: u64,
    memberships: Vec<(Uuid, domain::GroupRole)>,
    projects: Vec<Uuid>,
}

pub async fn create(
    db: &DatabaseConnection,
    subject: Subject,
    input: NewGroup,
) -> Result<GroupView, ApiError> {
    write_as(db, subject, &[Lock::GroupTree], async |tx, subject| {
        let parent_path = match input.parent_id {
            None => {
                access::authorize_system(subject, Capability::SystemManage)
                    .map_err(|e| e.attempting("creating a root group"))?;
                None
            }
            Some(parent) => Some(
                access::authorize_group(tx, subject, parent, Capability::GroupManage)
                    .await
                    .map_err(unknown_parent)?
                    .path,
            ),
        };
        let id = Uuid::now_v7();
        let path = match &parent_path {
            None => domain::GroupPath::root(id),
            Some(parent) => parent.child(id).map_err(|_| domain::MoveError::TooDeep {
                depth: usize::from(parent.depth()) + 1,
            })?,
        };
        let slug = super::slug_or_derived(input.slug.as_ref(), &input.name)?;
        ensure_slug_free(tx, input.parent_id, &slug, None).await?;
        // Before it exists no one has a role there: every inherited role is a delta.
        let watch = Watch::created(Node::Group(id));
        let now = chrono::Utc::now();
        let group = entity::groups::ActiveModel {
            id: Set(id),
            parent_id: Set(input.parent_id),
            name: Set(input.name.as_str().to_owned()),
            slug: Set(slug.as_str().to_owned()),
            path: Set(path.as_str().to_owned()),
            depth: Set(i16::from(path.depth())),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let group = entity::groups::Entity::insert(group)
            .exec_with_returning(tx)
            .await?;
        let my_role = access::group_grant(tx, subject, &path)
            .await?
            .map(|g| g.role);
        let audit = AuditRecord::new(Some(subject.user_id), "group.create", "group", id)
            .in_group(id)
            .change(serde_json::Value::Null, group_json(&group))
            .with_access(watch.deltas(tx).await?);
        Ok(Written::changed(
            GroupView {
                group,
                path,
                my_role,
            },
            audit,
        ))
    })
    .await
}

/// A group the caller may view.
pub(crate) async fn get(
    facts: &impl access::FactSource,
    subject: Subject,
    id: Uuid,
) -> Result<GroupView, ApiError> {
    let access = access::authorize_group_in(facts, subject, id, Capability::GroupView).await?;
    Ok(GroupView {
        group: access.group,
        path: access.path,
        my_role: Some(access.grant.role),
    })
}

/// `GET /v1/groups`: the groups where the caller has a direct membership; for a system admin,
/// the roots of the forest.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    subject: Subject,
    window: &Window<Uuid>,
) -> Result<Vec<GroupView>, ApiError> {
    use entity::groups::Column;
    let mut query = entity::groups::Entity::find();
    query = if subject.system_admin_at.is_some() {
        query.filter(Column::ParentId.is_null())
    } else {
        let mine = entity::group_members::Entity::find()
            .select_only()
            .column(entity::group_members::Column::GroupId)
            .filter(entity::group_members::Column::UserId.eq(subject.user_id))
            .filter(crate::sql::facts::held_by_active_user("group_members"))
            .into_query();
        query.filter(Column::Id.in_subquery(mine))
    };
    let rows = window.read(db, query, Column::Id).await?;
    views(db, subject, rows).await
}

/// The direct children of a group the caller may view, in id order.
pub async fn children(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    window: &Window<Uuid>,
) -> Result<Vec<GroupView>, ApiError> {
    use entity::groups::Column;
    access::authorize_group(db, subject, id, Capability::GroupView).await?;
    let query = entity::groups::Entity::find().filter(Column::ParentId.eq(id));
    let rows = window.read(db, query, Column::Id).await?;
    views(db, subject, rows).await
}

/// Every group below one the caller may view, in tree order (by path), down to `max_depth`
/// levels below it when given.
pub async fn descendants(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    max_depth: Option<u8>,
    window: &Window<domain::GroupPath>,
) -> Result<Vec<GroupView>, ApiError> {
    use entity::groups::Column;
    let access = access::authorize_group(db, subject, id, Capability::GroupView).await?;
    let mut query = entity::groups::Entity::find().filter(tree::subtree(
        db.get_database_backend(),
        &access.path,
        false,
    ));
    if let Some(levels) = max_depth {
        query = query.filter(Column::Depth.lte(i16::from(access.path.depth()) + i16::from(levels)));
    }
    let window = window.map(|path| path.as_str().to_owned());
    let rows = window.read(db, query, Column::Path).await?;
    views(db, subject, rows).await
}

/// The groups the caller may view whose name contains `text` (in any case), in tree order:
/// the console's tree search. Candidates are read from the subtrees of the caller's own
/// groups (the whole forest for a system admin), then each is decided like any read.
pub async fn search(
    db: &impl ConnectionTrait,
    subject: Subject,
    text: &str,
    window: &Window<domain::GroupPath>,
) -> Result<Vec<GroupView>, ApiError> {
    use entity::groups::Column;
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let contains = Expr::expr(Func::lower(Expr::col((
        entity::groups::Entity,
        Column::Name,
    ))))
    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'));
    let mut query = entity::groups::Entity::find().filter(contains);
    if subject.system_admin_at.is_none() {
        let index = MembershipIndex::load(db, subject, None).await?;
        let mine = entity::groups::Entity::find()
            .filter(Column::Id.is_in(index.groups()))
            .all(db)
            .await?;
        let roots = mine
            .iter()
            .map(access::stored_path)
            .collect::<Result<Vec<_>, _>>()?;
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        query = query.filter(tree::in_any_subtree(db.get_database_backend(), &roots));
    }
    let window = window.map(|path| path.as_str().to_owned());
    let rows = window.read(db, query, Column::Path).await?;
    let found = views(db, subject, rows).await?;
    Ok(found.into_iter().filter(|v| v.my_role.is_some()).collect())
}

/// The ancestors of a group the caller may view, root first — a breadcrumb, shown even where
/// the caller has no role of their own.
pub async fn ancestors(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Vec<entity::groups::Model>, ApiError> {
    let access = access::authorize_group(db, subject, id, Capability::GroupView).await?;
    let mut rows = entity::groups::Entity::find()
        .filter(entity::groups::Column::Id.is_in(access.path.ancestor_ids()))
        .all(db)
        .await?;
    rows.sort_by_key(|g| g.depth);
    Ok(rows)
}

/// Renames and/or moves a group (see spec §4 for who may move what where).
pub async fn update(
    db: &DatabaseConnection,
    subject: Subject,
    id: Uuid,
    change: GroupChange,
) -> Result<GroupView, ApiError> {
    write_as(db, subject, &[Lock::GroupTree], async |tx, subject| {
        let access = access::authorize_group(tx, subject, id, Capability::GroupManage).await?;
        let before = access.group.clone();
        let old_path = access.path.clone();
        let new_parent = change.parent.filter(|p| *p != before.parent_id);
        let new_path = match new_parent {
            None => old_path.clone(),
            Some(target) => plan_move(tx, subject, &before, &old_path, target).await?,
        };
        let parent_id = new_parent.unwrap_or(before.parent_id);
        let name = change
            .name
            .as_ref()
            .map_or(before.name.clone(), |n| n.as_str().to_owned());
        let slug = change
            .slug
            .as_ref()
            .map_or(before.slug.clone(), |s| s.as_str().to_owned());
        let unchanged = new_parent.is_none() && name == before.name && slug == before.slug;
        if unchanged {
            return Ok(Written::unchanged(GroupView {
                group: before,
                path: old_path,
                my_role: Some(access.grant.role),
            }));
        }
        if slug != before.slug || new_parent.is_some() {
            let slug = domain::Slug::parse(&slug)
                .map_err(|e| ApiError::internal(anyhow::anyhow!("stored slug is invalid: {e}")))?;
            ensure_slug_free(tx, parent_id, &slug, Some(id)).await?;
        }
        // Only a move changes roles: those inherited from the old and the new ancestors.
        let watch = match new_parent {
            Some(_) => Some(Watch::all(tx, Node::Group(id)).await?),
            None => None,
        };
        if new_parent.is_some() {
            tree::rewrite_subtree_paths(tx, &old_path, &new_path).await?;
        }
        let mut row = entity::groups::Entity::find_by_id(id)
            .one(tx)
            .await?
            .ok_or(ApiError::NotFound)?
            .into_active_model();
        row.parent_id = Set(parent_id);
        row.name = Set(name);
        row.slug = Set(slug);
        row.updated_at = Set(chrono::Utc::now());
        let group = row.update(tx).await?;
        let my_role = access::group_grant(tx, subject, &new_path)
            .await?
            .map(|g| g.role);
        let action = if new_parent.is_some() {
            "group.move"
        } else {
            "group.update"
        };
        let deltas = match watch {
            Some(watch) => watch.deltas(tx).await?,
            None => Vec::new(),
        };
        let audit = AuditRecord::new(Some(subject.user_id), action, "group", id)
            .in_group(id)
            .change(group_json(&before), group_json(&group))
            .with_access(deltas);
        Ok(Written::changed(
            GroupView {
                group,
                path: new_path,
                my_role,
            },
            audit,
        ))
    })
    .await
}

/// Checks a move of the subtree at `old_path` under `target` (`None`: make it a root) and
/// returns the moved group's new path.
async fn plan_move(
    tx: &impl ConnectionTrait,
    subject: Subject,
    group: &entity::groups::Model,
    old_path: &domain::GroupPath,
    target: Option<Uuid>,
) -> Result<domain::GroupPath, ApiError> {
    // Moving needs group.manage where the subtree leaves from…
    require_manage_at_parent(tx, subject, old_path)
        .await
        .map_err(|e| e.attempting("moving a group"))?;
    // …and where it arrives.
    let target_path = match target {
        None => {
            access::authorize_system(subject, Capability::SystemManage)
                .map_err(|e| e.attempting("making a group a root"))?;
            None
        }
        Some(target) => Some(
            access::authorize_group(tx, subject, target, Capability::GroupManage)
                .await
                .map_err(unknown_parent)?
                .path,
        ),
    };
    let deepest: Option<i16> = entity::groups::Entity::find()
        .select_only()
        .column_as(entity::groups::Column::Depth.max(), "deepest")
        .filter(tree::subtree(tx.get_database_backend(), old_path, true))
        .into_tuple()
        .one(tx)
        .await?
        .flatten();
    let deepest = u8::try_from(deepest.unwrap_or(group.depth)).unwrap_or(u8::MAX);
    Ok(domain::plan_move(old_path, target_path.as_ref(), deepest)?)
}

/// Moving or deleting the group at `path` needs group.manage on its parent — a system admin
/// for a root. The caller may not even see that parent: the answer is still 403, since the
/// group acted on is visible to them.
async fn require_manage_at_parent(
    tx: &impl ConnectionTrait,
    subject: Subject,
    path: &domain::GroupPath,
) -> Result<(), ApiError> {
    match path.parent() {
        None => access::authorize_system(subject, Capability::SystemManage).map(drop),
        Some(parent) => {
            access::authorize_visible_group(tx, subject, &parent, Capability::GroupManage)
                .await
                .map(drop)
        }
    }
}

/// Deletes a group and everything below it (groups, memberships, projects).
pub async fn delete(db: &DatabaseConnection, subject: Subject, id: Uuid) -> Result<(), ApiError> {
    let locks = [Lock::GroupTree, Lock::SystemAdmins];
    write_as(db, subject, &locks, async |tx, subject| {
        // Invisible groups stay invisible: any role there sees it (group.view).
        let access::GroupAccess { group, path, grant } =
            access::authorize_group(tx, subject, id, Capability::GroupView).await?;
        require_manage_at_parent(tx, subject, &path)
            .await
            .map_err(|e| e.attempting("deleting a group"))?;
        let contents = subtree_contents(tx, &path).await?;
        domain::check_group_removals(grant.role, contents.memberships.iter().map(|(_, r)| *r))?;
        ensure_system_admin_survives(tx, &path, &contents).await?;
        let watch = Watch::all(tx, Node::Group(id)).await?;
        entity::groups::Entity::delete_by_id(id).exec(tx).await?;
        let mut audit = AuditRecord::new(Some(subject.user_id), "group.delete", "group", id)
            .in_group(id)
            .change(group_json(&group), serde_json::Value::Null)
            .with_access(watch.deltas(tx).await?);
        audit.details["deleted"] = json!({
            "groups": contents.groups,
            "memberships": contents.memberships.len(),
            "projects": contents.projects.len(),
            "project_ids": contents.projects,
        });
        Ok(Written::changed((), audit))
    })
    .await
}

async fn subtree_contents(
    tx: &impl ConnectionTrait,
    path: &domain::GroupPath,
) -> Result<SubtreeContents, ApiError> {
    let backend = tx.get_database_backend();
    let in_subtree = || {
        entity::groups::Entity::find()
            .select_only()
            .column(entity::groups::Column::Id)
            .filter(tree::subtree(backend, path, true))
            .into_query()
    };
    let groups = entity::groups::Entity::find()
        .filter(tree::subtree(backend, path, true))
        .count(tx)
        .await?;
    let memberships = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::GroupId.in_subquery(in_subtree()))
        .all(tx)
        .await?
        .into_iter()
        .map(|m| (m.user_id, convert::group_role(m.role)))
        .collect();
    let projects = entity::projects::Entity::find()
        .select_only()
        .column(entity::projects::Column::Id)
        .filter(entity::projects::Column::GroupId.in_subquery(in_subtree()))
        .into_tuple()
        .all(tx)
        .await?;
    Ok(SubtreeContents {
        groups,
        memberships,
        projects,
    })
}

/// Refuses a delete that would remove every system admin.
async fn ensure_system_admin_survives(
    tx: &impl ConnectionTrait,
    path: &domain::GroupPath,
    contents: &SubtreeContents,
) -> Result<(), ApiError> {
    let removes_a_system_admin = contents
        .memberships
        .iter()
        .any(|(_, role)| domain::removes_system_admin(Some(*role), None));
    if !removes_a_system_admin {
        return Ok(());
    }
    let in_subtree = entity::groups::Entity::find()
        .select_only()
        .column(entity::groups::Column::Id)
        .filter(tree::subtree(tx.get_database_backend(), path, true))
        .into_query();
    // Active system admins outside the subtree: a deactivated one administers nothing.
    let remaining = entity::group_members::Entity::find()
        .join(
            sea_orm::JoinType::InnerJoin,
            sea_orm::RelationTrait::def(&entity::group_members::Relation::User),
        )
        .filter(
            entity::group_members::Column::Role
                .eq(convert::stored_group_role(domain::GroupRole::SystemAdmin)),
        )
        .filter(entity::group_members::Column::GroupId.not_in_subquery(in_subtree))
        .filter(entity::users::Column::Active.eq(true))
        .count(tx)
        .await?;
    Ok(domain::check_admins_remain(
        domain::LastAdmin::System,
        remaining,
    )?)
}

/// 409 `conflict` when a sibling (or, for roots, another root) already has `slug`.
async fn ensure_slug_free(
    tx: &impl ConnectionTrait,
    parent_id: Option<Uuid>,
    slug: &domain::Slug,
    except: Option<Uuid>,
) -> Result<(), ApiError> {
    use entity::groups::Column;
    let mut query = entity::groups::Entity::find().filter(Column::Slug.eq(slug.as_str()));
    query = match parent_id {
        Some(parent) => query.filter(Column::ParentId.eq(parent)),
        None => query.filter(Column::ParentId.is_null()),
    };
    super::ensure_unclaimed(tx, query, Column::Id, except, || {
        format!("a sibling group already has the slug '{}'", slug.as_str())
    })
    .await
}

/// Attaches the caller's effective role to each row.
async fn views(
    db: &impl ConnectionTrait,
    subject: Subject,
    rows: Vec<entity::groups::Model>,
) -> Result<Vec<GroupView>, ApiError> {
    let index = MembershipIndex::load(db, subject, None).await?;
    rows.into_iter()
        .map(|group| {
            let path = access::stored_path(&group)?;
            let my_role = index.grant_at(&path).map(|g| g.role);
            Ok(GroupView {
                group,
                path,
                my_role,
            })
        })
        .collect()
}

/// A parent named in a body that the caller cannot see reads as one that does not exist.
fn unknown_parent(error: ApiError) -> ApiError {
    match error {
        ApiError::NotFound => ApiError::invalid("parent_id", "does not name a group you can see"),
        other => other,
    }
}

/// What an audit event records of a group.
fn group_json(group: &entity::groups::Model) -> serde_json::Value {
    json!({
        "id": group.id,
        "parent_id": group.parent_id,
        "name": group.name,
        "slug": group.slug,
        "depth": group.depth,
    })
}
