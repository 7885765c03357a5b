//! Projects inside groups: create (the creator becomes its admin), list a group's projects or
//! every project the caller may view, read, rename, delete.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::access;
use super::audit::AuditRecord;
use super::changes::{Node, Watch};
use super::guard::Subject;
use super::window::Window;
use super::write::{Lock, Written, write_as};
use crate::convert;
use crate::error::ApiError;
use domain::Capability;

/// A project with the caller's role there (assigned, or bridged from the owning group).
#[derive(Debug, Clone)]
pub struct ProjectView {
    pub project: entity::projects::Model,
    pub my_role: Option<domain::ProjectRole>,
}

/// A validated `POST /v1/groups/{id}/projects`.
#[derive(Debug)]
pub struct NewProject {
    pub name: domain::Name,
    pub slug: Option<domain::Slug>,
}

/// A validated `PATCH /v1/projects/{id}`; `None` leaves a field unchanged.
#[derive(Debug, Default)]
pub struct ProjectChange {
    pub name: Option<domain::Name>,
    pub slug: Option<domain::Slug>,
}

/// Creates a project in `group_id` (group.create_projects there); its creator becomes its
/// first admin in the same transaction.
pub async fn create(
    db: &DatabaseConnection,
    subject: Subject,
    group_id: Uuid,
    input: NewProject,
) -> Result<ProjectView, ApiError> {
    write_as(db, subject, &[], async |tx, subject| {
        access::authorize_group(tx, subject, group_id, Capability::GroupCreateProjects).await?;
        let slug = super::slug_or_derived(input.slug.as_ref(), &input.name)?;
        ensure_slug_free(tx, group_id, &slug, None).await?;
        let now = chrono::Utc::now();
        let id = Uuid::now_v7();
        let watch = Watch::created(Node::Project(id));
        let project = entity::projects::ActiveModel {
            id: Set(id),
            group_id: Set(group_id),
            name: Set(input.name.as_str().to_owned()),
            slug: Set(slug.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let project = entity::projects::Entity::insert(project)
            .exec_with_returning(tx)
            .await?;
        let admin = entity::project_members::ActiveModel {
            id: Set(Uuid::now_v7()),
            project_id: Set(id),
            user_id: Set(subject.user_id),
            role: Set(convert::stored_project_role(domain::ProjectRole::Admin)),
            reports_to: Set(None),
            reports_to_explicit: Set(false),
            manual_role: Set(Some(convert::stored_project_role(
                domain::ProjectRole::Admin,
            ))),
            idp_sources: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        entity::project_members::Entity::insert(admin)
            .exec_without_returning(tx)
            .await?;
        let audit = AuditRecord::new(Some(subject.user_id), "project.create", "project", id)
            .in_group(group_id)
            .in_project(id)
            .change(serde_json::Value::Null, project_json(&project))
            .with_access(watch.deltas(tx).await?);
        Ok(Written::changed(
            ProjectView {
                project,
                my_role: Some(domain::ProjectRole::Admin),
            },
            audit,
        ))
    })
    .await
}

/// A group's projects that the caller may view (group.view on the group): all of them for an
/// effective group_admin (who administers them), else those the caller is a member of.
pub async fn list_in_group(
    db: &impl ConnectionTrait,
    subject: Subject,
    group_id: Uuid,
    window: &Window<Uuid>,
) -> Result<Vec<ProjectView>, ApiError> {
    use entity::projects::Column;
    let access = access::authorize_group(db, subject, group_id, Capability::GroupView).await?;
    let bridged = domain::ProjectGrant::bridged(access.grant);
    let mut query = entity::projects::Entity::find().filter(Column::GroupId.eq(group_id));
    if bridged.is_none() {
        let mine = entity::project_members::Entity::find()
            .select_only()
            .column(entity::project_members::Column::ProjectId)
            .filter(entity::project_members::Column::UserId.eq(subject.user_id))
            .into_query();
        query = query.filter(Column::Id.in_subquery(mine));
    }
    let rows = window.read(db, query, Column::Id).await?;
    let own: std::collections::HashMap<Uuid, domain::ProjectRole> =
        entity::project_members::Entity::find()
            .filter(entity::project_members::Column::UserId.eq(subject.user_id))
            .filter(entity::project_members::Column::ProjectId.is_in(rows.iter().map(|p| p.id)))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.project_id, convert::project_role(m.role)))
            .collect();
    Ok(rows
        .into_iter()
        .map(|project| {
            let my_role = domain::effective_project_role(
                subject.system_admin_at,
                Some(access.grant),
                project.id,
                own.get(&project.id).copied(),
            )
            .map(|g| g.role);
            ProjectView { project, my_role }
        })
        .collect())
}

/// `GET /v1/projects`: the projects the caller may view (exactly those `GET /v1/projects/{id}`
/// answers), in id order, and with `within` only those in that group's subtree (the group
/// itself and its descendants) — a group the caller must see (group.view, else 404, as
/// `GET /v1/groups/{id}/projects`).
///
/// One statement reads the page ([`crate::sql::projects::visible`]); the caller's memberships
/// (one read) give each project's `my_role` through `domain::effective_project_role`, the same
/// rule the project's own route decides on.
pub async fn list_visible(
    db: &impl ConnectionTrait,
    subject: Subject,
    within: Option<Uuid>,
    window: &Window<Uuid>,
) -> Result<Vec<ProjectView>, ApiError> {
    let within = match within {
        Some(id) => {
            let access = access::authorize_group(db, subject, id, Capability::GroupView).await?;
            Some(access.path)
        }
        None => None,
    };
    let which = crate::sql::projects::Visible {
        system_admin: subject.system_admin_at.is_some(),
        within: within.is_some(),
    };
    // Ids are UUIDv7 and never nil, so "after nil" is "from the start".
    let mut values: Vec<sea_orm::Value> = vec![
        window.after.unwrap_or(Uuid::nil()).into(),
        i64::try_from(window.fetch()).unwrap_or(i64::MAX).into(),
    ];
    if let Some(path) = &within {
        values.push(path.as_str().to_owned().into());
    }
    if !which.system_admin {
        values.push(subject.user_id.into());
    }
    let statement =
        crate::sql::projects::visible(which).statement(db.get_database_backend(), values);
    let rows = db.query_all_raw(statement).await?;
    let memberships = access::MembershipIndex::load(db, subject, None).await?;
    let mut projects = Vec::with_capacity(rows.len());
    for row in &rows {
        let project = entity::projects::Model::from_query_result(row, "")?;
        let path: String = row.try_get("", "group_path")?;
        let path = domain::GroupPath::parse(&path).map_err(|e| {
            ApiError::internal(anyhow::anyhow!(
                "group {} has a malformed path: {e}",
                project.group_id
            ))
        })?;
        projects.push((project, memberships.grant_at(&path)));
    }
    let own: std::collections::HashMap<Uuid, domain::ProjectRole> =
        entity::project_members::Entity::find()
            .filter(entity::project_members::Column::UserId.eq(subject.user_id))
            .filter(
                entity::project_members::Column::ProjectId
                    .is_in(projects.iter().map(|(p, _)| p.id)),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.project_id, convert::project_role(m.role)))
            .collect();
    Ok(projects
        .into_iter()
        .filter_map(|(project, owning_group)| {
            let held = domain::effective_project_role(
                subject.system_admin_at,
                owning_group,
                project.id,
                own.get(&project.id).copied(),
            );
            // The statement and the domain agree (the e2e list walks prove it); were they ever
            // to differ, the domain wins: a list shows only what can be read one by one.
            let viewable =
                domain::decide_project(Capability::ProjectView, domain::effective_at_project(held))
                    .allowed();
            viewable.then(|| ProjectView {
                project,
                my_role: held.map(|g| g.role),
            })
        })
        .collect())
}

/// A project the caller may view.
pub(crate) async fn get(
    facts: &impl access::FactSource,
    subject: Subject,
    id: Uuid,
) -> Result<ProjectView, ApiError> {
    let access = access::authorize_project_in(facts, subject, id, Capability::ProjectView).await?;
    Ok(ProjectView {
        project: access.project,
        my_role: Some(access.held),
    })
}

/// Renames a project (project.manage_settings).
pub async fn update(
    db: &DatabaseConnection,
    subject: Subject,
    id: Uuid,
    change: ProjectChange,
) -> Result<ProjectView, ApiError> {
    write_as(db, subject, &[Lock::Project(id)], async |tx, subject| {
        let access =
            access::authorize_project(tx, subject, id, Capability::ProjectManageSettings).await?;
        let before = access.project.clone();
        let name = change
            .name
            .as_ref()
            .map_or(before.name.clone(), |n| n.as_str().to_owned());
        let slug = change
            .slug
            .as_ref()
            .map_or(before.slug.clone(), |s| s.as_str().to_owned());
        let my_role = Some(access.held);
        if name == before.name && slug == before.slug {
            return Ok(Written::unchanged(ProjectView {
                project: before,
                my_role,
            }));
        }
        if let Some(slug) = change.slug.as_ref().filter(|s| s.as_str() != before.slug) {
            ensure_slug_free(tx, before.group_id, slug, Some(id)).await?;
        }
        let mut row = before.clone().into_active_model();
        row.name = Set(name);
        row.slug = Set(slug);
        row.updated_at = Set(chrono::Utc::now());
        let project = row.update(tx).await?;
        let audit = AuditRecord::new(Some(subject.user_id), "project.update", "project", id)
            .in_group(project.group_id)
            .in_project(id)
            .change(project_json(&before), project_json(&project));
        Ok(Written::changed(ProjectView { project, my_role }, audit))
    })
    .await
}

/// Deletes a project with its members and squads (project.delete).
pub async fn delete(db: &DatabaseConnection, subject: Subject, id: Uuid) -> Result<(), ApiError> {
    write_as(db, subject, &[Lock::Project(id)], async |tx, subject| {
        let access = access::authorize_project(tx, subject, id, Capability::ProjectDelete).await?;
        let members = entity::project_members::Entity::find()
            .filter(entity::project_members::Column::ProjectId.eq(id))
            .count(tx)
            .await?;
        let squads = entity::squads::Entity::find()
            .filter(entity::squads::Column::ProjectId.eq(id))
            .count(tx)
            .await?;
        let watch = Watch::all(tx, Node::Project(id)).await?;
        entity::projects::Entity::delete_by_id(id).exec(tx).await?;
        let mut audit = AuditRecord::new(Some(subject.user_id), "project.delete", "project", id)
            .in_group(access.project.group_id)
            .in_project(id)
            .change(project_json(&access.project), serde_json::Value::Null)
            .with_access(watch.deltas(tx).await?);
        audit.details["deleted"] = json!({ "members": members, "squads": squads });
        Ok(Written::changed((), audit))
    })
    .await
}

/// 409 `conflict` when another project of the group has `slug`.
async fn ensure_slug_free(
    tx: &impl ConnectionTrait,
    group_id: Uuid,
    slug: &domain::Slug,
    except: Option<Uuid>,
) -> Result<(), ApiError> {
    use entity::projects::Column;
    let query = entity::projects::Entity::find()
        .filter(Column::GroupId.eq(group_id))
        .filter(Column::Slug.eq(slug.as_str()));
    super::ensure_unclaimed(tx, query, Column::Id, except, || {
        format!(
            "another project of the group already has the slug '{}'",
            slug.as_str()
        )
    })
    .await
}

/// What an audit event records of a project.
fn project_json(project: &entity::projects::Model) -> serde_json::Value {
    json!({
        "id": project.id,
        "group_id": project.group_id,
        "name": project.name,
        "slug": project.slug,
    })
}
