//! Project membership: role assignment as an upsert with its reporting line, listing, leaving,
//! the reporting tree, and the reporting lines of one person (their chain of managers, their
//! reports).
//!
//! Every change holds `Lock::Project` (the project row `FOR UPDATE` on PostgreSQL; the IMMEDIATE
//! transaction on SQLite), so "a project keeps at least one admin" and the reporting lines hold
//! under any interleaving — including two admins demoting each other at the same moment.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, IntoActiveModel, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RelationTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Upserted;
use super::access;
use super::audit::AuditRecord;
use super::changes::{Node, Watch};
use super::guard::Subject;
use super::reporting;
use super::window::Window;
use super::write::{Lock, Written, write_as};
use crate::convert;
use crate::error::ApiError;
use domain::Capability;

/// A validated `PUT /v1/projects/{id}/members/{user_id}`.
#[derive(Debug)]
pub struct Assignment {
    pub role: domain::ProjectRole,
    pub line: domain::LineRequest,
}

/// Filters of `GET /v1/projects/{id}/members`.
#[derive(Debug, Default)]
pub struct ProjectMemberFilter {
    pub role: Option<domain::ProjectRole>,
    pub squad_id: Option<Uuid>,
}

/// A project member with their user's display name (what reporting lines show of a person).
#[derive(Debug, Clone)]
pub struct NamedMember {
    pub member: entity::project_members::Model,
    pub display_name: String,
}

/// One node of the reporting tree.
#[derive(Debug)]
pub struct ReportingNode {
    pub member: NamedMember,
    pub reports: Vec<ReportingNode>,
}

/// One page of a member's reports, and how many reports they have in all.
#[derive(Debug)]
pub struct Reports {
    /// Up to `window.fetch()` reports, in user id order.
    pub rows: Vec<NamedMember>,
    pub total: u64,
}

/// Sets a member's role and reporting line, creating the membership if needed; an unchanged
/// assignment writes nothing, not even an audit event.
pub async fn upsert(
    db: &DatabaseConnection,
    subject: Subject,
    project_id: Uuid,
    user_id: Uuid,
    assignment: Assignment,
) -> Result<Upserted<entity::project_members::Model>, ApiError> {
    let locks = [Lock::Project(project_id)];
    write_as(db, subject, &locks, async |tx, subject| {
        let access =
            access::authorize_project(tx, subject, project_id, Capability::ProjectAssignRoles)
                .await?;
        super::users::require_visible(tx, subject, user_id, "user_id").await?;
        let current = find_row(tx, project_id, user_id).await?;
        let current_role = current.as_ref().map(|m| convert::project_role(m.role));
        domain::check_project_grant(access.grant.role, current_role, Some(assignment.role))?;
        // The request sets the role given by hand; the member holds the strongest of it and
        // what IdP bindings grant (spec §11), and their reporting line follows that role.
        let bound = super::sources::bound_at_project(tx, project_id, user_id).await?;
        let in_force =
            domain::ProjectRole::strongest([assignment.role].into_iter().chain(bound.role))
                .unwrap_or(assignment.role);
        if domain::removes_project_admin(current_role, Some(in_force)) {
            ensure_admin_remains(tx, project_id, user_id).await?;
        }
        let plan = domain::plan_assignment(
            user_id,
            current.as_ref().map(|m| domain::CurrentAssignment {
                role: convert::project_role(m.role),
                reports_to: m.reports_to,
                explicit: m.reports_to_explicit,
            }),
            in_force,
            assignment.line,
        )?;
        if let domain::LineRequest::Explicit(target) = assignment.line {
            let facts = reporting::load(tx, project_id).await?;
            domain::validate_explicit_reports_to(in_force, facts.member(target))?;
        }
        let manual = Some(convert::stored_project_role(assignment.role));
        // Unchanged: the line and role in force, the role given by hand, and the bindings.
        let unchanged = |m: &&entity::project_members::Model| {
            let given = m.manual_role.map(convert::project_role);
            plan.unchanged
                && !domain::role_changes(given, Some(assignment.role))
                && m.idp_sources == bound.sources
        };
        if let Some(m) = current.as_ref().filter(unchanged) {
            return Ok(Written::unchanged(Upserted::Unchanged(m.clone())));
        }
        let watch = Watch::user(tx, Node::Project(project_id), user_id).await?;
        let now = chrono::Utc::now();
        match current.clone() {
            Some(m) => {
                let mut row = m.into_active_model();
                row.role = Set(convert::stored_project_role(in_force));
                row.manual_role = Set(manual);
                row.idp_sources = Set(bound.sources.clone());
                row.reports_to = Set(plan.reports_to);
                row.reports_to_explicit = Set(plan.explicit);
                row.updated_at = Set(now);
                row.update(tx).await?;
            }
            None => {
                let row = entity::project_members::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    project_id: Set(project_id),
                    user_id: Set(user_id),
                    role: Set(convert::stored_project_role(in_force)),
                    reports_to: Set(plan.reports_to),
                    reports_to_explicit: Set(plan.explicit),
                    manual_role: Set(manual),
                    idp_sources: Set(bound.sources.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                };
                entity::project_members::Entity::insert(row)
                    .exec_without_returning(tx)
                    .await?;
            }
        }
        let repairs = reporting::repair(tx, project_id).await?;
        let member = find_row(tx, project_id, user_id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the upserted member vanished")))?;
        let (action, upserted) = match current {
            None => ("project_member.create", Upserted::Created(member.clone())),
            Some(_) => ("project_member.update", Upserted::Updated(member.clone())),
        };
        let audit = AuditRecord::new(Some(subject.user_id), action, "project_member", member.id)
            .in_group(access.project.group_id)
            .in_project(project_id)
            .change(
                current.as_ref().map_or(Value::Null, member_json),
                member_json(&member),
            )
            .with_access(watch.project_role_deltas(Some(in_force)));
        Ok(Written::changed(
            upserted,
            audit.with_line_repairs(&repairs),
        ))
    })
    .await
}

/// 409 `last_admin` unless project `project_id` keeps an active admin besides `leaving`, who
/// is about to stop being one (a deactivated admin administers nothing, so does not count).
pub(crate) async fn ensure_admin_remains(
    tx: &impl ConnectionTrait,
    project_id: Uuid,
    leaving: Uuid,
) -> Result<(), ApiError> {
    use entity::project_members::{Column, Entity, Relation};
    let others = Entity::find()
        .join(JoinType::InnerJoin, Relation::User.def())
        .filter(Column::ProjectId.eq(project_id))
        .filter(Column::Role.eq(convert::stored_project_role(domain::ProjectRole::Admin)))
        .filter(Column::UserId.ne(leaving))
        .filter(entity::users::Column::Active.eq(true))
        .count(tx)
        .await?;
    Ok(domain::check_admins_remain(
        domain::LastAdmin::Project,
        others,
    )?)
}

async fn find_row(
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

/// A project's members (project.view_members), ordered by user id, in `window`.
pub async fn list(
    db: &impl ConnectionTrait,
    subject: Subject,
    project_id: Uuid,
    filter: ProjectMemberFilter,
    window: &Window<Uuid>,
) -> Result<Vec<entity::project_members::Model>, ApiError> {
    use entity::project_members::Column;
    access::authorize_project(db, subject, project_id, Capability::ProjectViewMembers).await?;
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
    Ok(window.read(db, query, Column::UserId).await?)
}

/// One member (project.view_members), or 404.
pub async fn get(
    db: &impl ConnectionTrait,
    subject: Subject,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<entity::project_members::Model, ApiError> {
    access::authorize_project(db, subject, project_id, Capability::ProjectViewMembers).await?;
    find_row(db, project_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Removes a member (project.assign_roles, or the member themselves: leaving takes only a role
/// in the project), repairing the lines of everyone who reported to them.
pub async fn remove(
    db: &DatabaseConnection,
    subject: Subject,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let locks = [Lock::Project(project_id)];
    write_as(db, subject, &locks, async |tx, subject| {
        let leaving = user_id == subject.user_id;
        let needed = domain::membership_capability(leaving, Capability::ProjectAssignRoles);
        let access = access::authorize_project(tx, subject, project_id, needed).await?;
        let member = find_row(tx, project_id, user_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if member.manual_role.is_none() {
            return Err(super::group_members::granted_by_bindings_only());
        }
        let role = convert::project_role(member.role);
        if !leaving {
            domain::check_project_grant(access.grant.role, Some(role), None)?;
        }
        // What bindings grant stays: the membership goes only if nothing else grants it.
        let bound = super::sources::bound_at_project(tx, project_id, user_id).await?;
        if domain::removes_project_admin(Some(role), bound.role) {
            ensure_admin_remains(tx, project_id, user_id).await?;
        }
        let watch = Watch::user(tx, Node::Project(project_id), user_id).await?;
        let after = match bound.role {
            None => {
                entity::project_members::Entity::delete_by_id(member.id)
                    .exec(tx)
                    .await?;
                Value::Null
            }
            Some(bound_role) => {
                let mut row = member.clone().into_active_model();
                row.role = Set(convert::stored_project_role(bound_role));
                row.manual_role = Set(None);
                row.idp_sources = Set(bound.sources);
                row.updated_at = Set(chrono::Utc::now());
                member_json(&row.update(tx).await?)
            }
        };
        let repairs = reporting::repair(tx, project_id).await?;
        let action = if leaving {
            "project_member.leave"
        } else {
            "project_member.delete"
        };
        let audit = AuditRecord::new(Some(subject.user_id), action, "project_member", member.id)
            .in_group(access.project.group_id)
            .in_project(project_id)
            .change(member_json(&member), after)
            .with_access(watch.project_role_deltas(bound.role));
        Ok(Written::changed((), audit.with_line_repairs(&repairs)))
    })
    .await
}

/// The reporting tree (project.view_members): members who report to nobody at the top, each
/// with the members who report to them, ordered by user id at every level.
pub async fn reporting_tree(
    db: &impl ConnectionTrait,
    subject: Subject,
    project_id: Uuid,
) -> Result<Vec<ReportingNode>, ApiError> {
    access::authorize_project(db, subject, project_id, Capability::ProjectViewMembers).await?;
    let members = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project_id))
        .find_also_related(entity::users::Entity)
        .order_by_asc(entity::project_members::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|(member, user)| named(member, user))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(subtree_of(None, &members))
}

/// A member and their user (always there: the membership's foreign key cascades).
fn named(
    member: entity::project_members::Model,
    user: Option<entity::users::Model>,
) -> Result<NamedMember, ApiError> {
    let user = user.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "project member {} has no user row",
            member.user_id
        ))
    })?;
    Ok(NamedMember {
        member,
        display_name: user.display_name,
    })
}

fn subtree_of(manager: Option<Uuid>, members: &[NamedMember]) -> Vec<ReportingNode> {
    // Lines always point at a stronger member, so the recursion ends: the tree has at most
    // four levels. A dangling line (impossible after repairs) would leave a member out rather
    // than loop.
    members
        .iter()
        .filter(|m| m.member.reports_to == manager)
        .map(|m| ReportingNode {
            member: m.clone(),
            reports: subtree_of(Some(m.member.user_id), members),
        })
        .collect()
}

/// A row of [`crate::sql::reporting`]: the member's columns and `display_name`.
fn named_row(row: &sea_orm::QueryResult) -> Result<NamedMember, ApiError> {
    Ok(NamedMember {
        member: entity::project_members::Model::from_query_result(row, "")?,
        display_name: row.try_get("", "display_name")?,
    })
}

/// The managers of member `user_id` (project.view_members), nearest first, up to one who
/// reports to nobody; 404 when the user is not a member. One statement
/// ([`crate::sql::reporting::CHAIN`]), whatever the chain's length.
pub async fn chain(
    db: &impl ConnectionTrait,
    subject: Subject,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<NamedMember>, ApiError> {
    access::authorize_project(db, subject, project_id, Capability::ProjectViewMembers).await?;
    let statement = crate::sql::reporting::CHAIN.statement(
        db.get_database_backend(),
        [project_id.into(), user_id.into()],
    );
    let rows = db.query_all_raw(statement).await?;
    // Depth 0 is the member themselves: without it, the user is not a member.
    let (_member, managers) = rows.split_first().ok_or(ApiError::NotFound)?;
    managers.iter().map(named_row).collect()
}

/// One page of the reports of member `user_id` (project.view_members): those who report to
/// them directly, or (`transitive`) everyone below them, in user id order, with how many there
/// are in all; 404 when the user is not a member.
pub async fn reports(
    db: &impl ConnectionTrait,
    subject: Subject,
    project_id: Uuid,
    user_id: Uuid,
    transitive: bool,
    window: &Window<Uuid>,
) -> Result<Reports, ApiError> {
    access::authorize_project(db, subject, project_id, Capability::ProjectViewMembers).await?;
    if find_row(db, project_id, user_id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    // Ids are UUIDv7 and never nil, so "after nil" is "from the start".
    let after = window.after.unwrap_or(Uuid::nil());
    let limit = i64::try_from(window.fetch()).unwrap_or(i64::MAX);
    let statement = crate::sql::reporting::reports(transitive).statement(
        db.get_database_backend(),
        [
            project_id.into(),
            user_id.into(),
            after.into(),
            limit.into(),
        ],
    );
    let rows = db.query_all_raw(statement).await?;
    let total: i64 = match rows.first() {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    let mut page = Vec::new();
    for row in &rows {
        // The one row of an empty page carries only the count.
        if row.try_get::<Option<Uuid>>("", "user_id")?.is_some() {
            page.push(named_row(row)?);
        }
    }
    Ok(Reports {
        rows: page,
        total: u64::try_from(total).unwrap_or(0),
    })
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
