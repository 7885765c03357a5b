//! Project membership: role assignment as an upsert with its reporting line, listing, leaving,
//! and the reporting tree.
//!
//! Every change holds `Lock::Project` (the project row `FOR UPDATE` on PostgreSQL; the IMMEDIATE
//! transaction on SQLite), so "a project keeps at least one admin" and the reporting lines hold
//! under any interleaving — including two admins demoting each other at the same moment.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::access::{self, Subject};
use super::audit::AuditRecord;
use super::reporting;
use super::write::{Lock, Outcome, write};
use crate::auth::Principal;
use crate::convert;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use domain::Capability;

/// A validated `PUT /v1/projects/{id}/members/{user_id}`.
#[derive(Debug)]
pub struct Assignment {
    pub role: domain::ProjectRole,
    /// Absent: keep the current line; `Some(None)`: automatic; `Some(Some(id))`: explicit.
    pub reports_to: Option<Option<Uuid>>,
}

/// The result of an upsert: the member as stored after repairs, and whether it was created.
#[derive(Debug)]
pub struct Upserted {
    pub member: entity::project_members::Model,
    pub created: bool,
}

/// Filters of `GET /v1/projects/{id}/members`.
#[derive(Debug, Default)]
pub struct MemberFilter {
    pub role: Option<domain::ProjectRole>,
    pub squad_id: Option<Uuid>,
}

/// One node of the reporting tree.
#[derive(Debug)]
pub struct ReportingNode {
    pub member: entity::project_members::Model,
    pub reports: Vec<ReportingNode>,
}

pub async fn upsert(
    db: &DatabaseConnection,
    principal: &Principal,
    project_id: Uuid,
    user_id: Uuid,
    assignment: Assignment,
) -> Result<Upserted, ApiError> {
    write(db, &[Lock::Project(project_id)], async |tx| {
        let subject = Subject::current(tx, principal).await?;
        let access =
            access::authorize_project(tx, subject, project_id, Capability::ProjectAssignRoles)
                .await?;
        if entity::users::Entity::find_by_id(user_id)
            .one(tx)
            .await?
            .is_none()
        {
            return Err(ApiError::invalid(
                "user_id",
                "does not name an existing user",
            ));
        }
        let current = find(tx, project_id, user_id).await?;
        let current_role = current.as_ref().map(|m| convert::project_role(m.role));
        domain::check_project_grant(access.grant.role, current_role, Some(assignment.role))
            .map_err(|e| ApiError::RoleEscalation(e.to_string()))?;
        if current_role == Some(domain::ProjectRole::Admin)
            && assignment.role != domain::ProjectRole::Admin
        {
            ensure_another_admin(tx, project_id).await?;
        }
        let (reports_to, explicit) = match (&assignment.reports_to, &current) {
            (None, Some(m)) => (m.reports_to, m.reports_to_explicit),
            (None, None) | (Some(None), _) => (None, false),
            (Some(Some(target)), _) => {
                validate_target(tx, project_id, user_id, assignment.role, *target).await?;
                (Some(*target), true)
            }
        };
        if let Some(m) = &current
            && current_role == Some(assignment.role)
            && (assignment.reports_to.is_none()
                || (m.reports_to == reports_to && m.reports_to_explicit == explicit)
                || (!explicit && !m.reports_to_explicit))
        {
            return Ok(Outcome::unchanged(Upserted {
                member: m.clone(),
                created: false,
            }));
        }
        let now = chrono::Utc::now();
        let created = current.is_none();
        match current.clone() {
            Some(m) => {
                let mut row = m.into_active_model();
                row.role = Set(convert::stored_project_role(assignment.role));
                row.reports_to = Set(reports_to);
                row.reports_to_explicit = Set(explicit);
                row.updated_at = Set(now);
                row.update(tx).await?;
            }
            None => {
                let row = entity::project_members::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    project_id: Set(project_id),
                    user_id: Set(user_id),
                    role: Set(convert::stored_project_role(assignment.role)),
                    reports_to: Set(reports_to),
                    reports_to_explicit: Set(explicit),
                    created_at: Set(now),
                    updated_at: Set(now),
                };
                entity::project_members::Entity::insert(row)
                    .exec_without_returning(tx)
                    .await?;
            }
        }
        let repairs = reporting::repair(tx, project_id).await?;
        let member = find(tx, project_id, user_id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the upserted member vanished")))?;
        let action = if created {
            "project_member.create"
        } else {
            "project_member.update"
        };
        let mut audit =
            AuditRecord::new(Some(subject.user_id), action, "project_member", member.id)
                .in_group(access.project.group_id)
                .in_project(project_id)
                .change(
                    current.as_ref().map_or(Value::Null, member_json),
                    member_json(&member),
                );
        audit.details["reporting_line_repairs"] = reporting::changes_json(&repairs);
        Ok(Outcome::changed(Upserted { member, created }, audit))
    })
    .await
}

/// An explicit `reports_to` must name another current member of a strictly stronger role.
async fn validate_target(
    tx: &impl ConnectionTrait,
    project_id: Uuid,
    user_id: Uuid,
    role: domain::ProjectRole,
    target: Uuid,
) -> Result<(), ApiError> {
    if target == user_id {
        return Err(ApiError::InvalidReportsTo(
            "a member cannot report to themselves".into(),
        ));
    }
    let facts = reporting::load(tx, project_id).await?;
    domain::validate_explicit_reports_to(role, facts.member(target))
        .map_err(|e| ApiError::InvalidReportsTo(e.to_string()))
}

/// 409 `last_admin` unless the project has an admin besides the one about to go.
async fn ensure_another_admin(tx: &impl ConnectionTrait, project_id: Uuid) -> Result<(), ApiError> {
    let admins = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project_id))
        .filter(
            entity::project_members::Column::Role
                .eq(convert::stored_project_role(domain::ProjectRole::Admin)),
        )
        .count(tx)
        .await?;
    if admins <= 1 {
        Err(ApiError::LastAdmin)
    } else {
        Ok(())
    }
}

async fn find(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<Option<entity::project_members::Model>, sea_orm::DbErr> {
    entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project_id))
        .filter(entity::project_members::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// A project's members (project.view_members), ordered by user id.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    project_id: Uuid,
    filter: MemberFilter,
    page: &PageRequest,
) -> Result<Page<entity::project_members::Model>, ApiError> {
    use entity::project_members::Column;
    access::authorize_project(
        db,
        Subject::from(principal),
        project_id,
        Capability::ProjectViewMembers,
    )
    .await?;
    let mut query =
        entity::project_members::Entity::find().filter(Column::ProjectId.eq(project_id));
    if let Some(role) = filter.role {
        query = query.filter(Column::Role.eq(convert::stored_project_role(role)));
    }
    if let Some(squad_id) = filter.squad_id {
        let squad = entity::squads::Entity::find_by_id(squad_id).one(db).await?;
        if squad.is_none_or(|s| s.project_id != project_id) {
            return Err(ApiError::invalid(
                "squad_id",
                "does not name a squad of this project",
            ));
        }
        let in_squad = entity::squad_members::Entity::find()
            .select_only()
            .column(entity::squad_members::Column::UserId)
            .filter(entity::squad_members::Column::SquadId.eq(squad_id))
            .into_query();
        query = query.filter(Column::UserId.in_subquery(in_squad));
    }
    if let Some(after) = page.after_id()? {
        query = query.filter(Column::UserId.gt(after));
    }
    let rows = query
        .order_by_asc(Column::UserId)
        .limit(page.fetch())
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page, |m| m.user_id))
}

/// One member (project.view_members), or 404.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<entity::project_members::Model, ApiError> {
    access::authorize_project(
        db,
        Subject::from(principal),
        project_id,
        Capability::ProjectViewMembers,
    )
    .await?;
    find(db, project_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Removes a member (project.assign_roles, or the member themselves), repairing the lines of
/// everyone who reported to them.
pub async fn remove(
    db: &DatabaseConnection,
    principal: &Principal,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    write(db, &[Lock::Project(project_id)], async |tx| {
        let subject = Subject::current(tx, principal).await?;
        let project = access::load_project(tx, project_id).await?;
        let grant = access::project_grant(tx, subject, &project)
            .await?
            .ok_or(ApiError::NotFound)?;
        let leaving = user_id == subject.user_id;
        if !leaving {
            access::enforce(&domain::decide_project(
                Capability::ProjectAssignRoles,
                Some(grant),
            ))?;
        }
        let member = find(tx, project_id, user_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let role = convert::project_role(member.role);
        if !leaving {
            domain::check_project_grant(grant.role, Some(role), None)
                .map_err(|e| ApiError::RoleEscalation(e.to_string()))?;
        }
        if role == domain::ProjectRole::Admin {
            ensure_another_admin(tx, project_id).await?;
        }
        entity::project_members::Entity::delete_by_id(member.id)
            .exec(tx)
            .await?;
        let repairs = reporting::repair(tx, project_id).await?;
        let action = if leaving {
            "project_member.leave"
        } else {
            "project_member.delete"
        };
        let mut audit =
            AuditRecord::new(Some(subject.user_id), action, "project_member", member.id)
                .in_group(project.group_id)
                .in_project(project_id)
                .change(member_json(&member), Value::Null);
        audit.details["reporting_line_repairs"] = reporting::changes_json(&repairs);
        Ok(Outcome::changed((), audit))
    })
    .await
}

/// The reporting tree (project.view_members): members who report to nobody at the top, each
/// with the members who report to them, ordered by user id at every level.
pub async fn reporting_tree(
    db: &impl ConnectionTrait,
    principal: &Principal,
    project_id: Uuid,
) -> Result<Vec<ReportingNode>, ApiError> {
    access::authorize_project(
        db,
        Subject::from(principal),
        project_id,
        Capability::ProjectViewMembers,
    )
    .await?;
    let members = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project_id))
        .order_by_asc(entity::project_members::Column::UserId)
        .all(db)
        .await?;
    Ok(subtree_of(None, &members))
}

fn subtree_of(
    manager: Option<Uuid>,
    members: &[entity::project_members::Model],
) -> Vec<ReportingNode> {
    // Lines always point at a stronger member, so the recursion ends: the tree has at most
    // four levels. A dangling line (impossible after repairs) would leave a member out rather
    // than loop.
    members
        .iter()
        .filter(|m| m.reports_to == manager)
        .map(|m| ReportingNode {
            member: m.clone(),
            reports: subtree_of(Some(m.user_id), members),
        })
        .collect()
}

/// What an audit event records of a project membership.
fn member_json(member: &entity::project_members::Model) -> Value {
    json!({
        "user_id": member.user_id,
        "project_id": member.project_id,
        "role": convert::project_role(member.role).as_str(),
        "reports_to": member.reports_to,
        "reports_to_explicit": member.reports_to_explicit,
    })
}
