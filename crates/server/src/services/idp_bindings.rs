//! `/v1/idp-groups` (spec §11): identity providers' groups as Roster sees them, and their
//! bindings — an IdP group bound to a Roster group, project or squad with a role its members
//! then hold there.
//!
//! Who may do what:
//! - reading IdP groups and their bindings is for those who manage users (system admins and
//!   group admins), as reading users is;
//! - binding, and unbinding, is for whoever may grant that role there (no escalation): group
//!   roles at a group need `group.manage_members` and a role no stronger than one's own; project
//!   roles at a project, or at a squad (held in its project), need `project.assign_roles` there.
//!
//! A binding's effect is immediate: in the same transaction every member of the IdP group is
//! settled at the bound place (`services::idp_sync`), under the locks that place's `/v1`
//! membership changes take; unbinding that would take away the last system admin or a
//! project's last admin is refused (409).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, SqlErr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::access;
use super::audit::AuditRecord;
use super::guard::{self, Subject};
use super::idp_sync::{self, Place};
use super::scim::groups::members_of;
use super::window::Window;
use super::write::{Written, write_as};
use crate::error::ApiError;
use domain::{Capability, RoleName};
use entity::{idp_bindings, idp_groups};

/// Where a new binding grants its role, as the request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Group(Uuid),
    Project(Uuid),
    Squad(Uuid),
}

/// A validated request to bind an IdP group.
#[derive(Debug, Clone, Copy)]
pub struct NewBinding {
    pub target: Target,
    pub role: RoleName,
}

/// An IdP group and how many members it has.
#[derive(Debug, Clone)]
pub struct IdpGroup {
    pub group: idp_groups::Model,
    pub members: u64,
}

/// Reading IdP groups and bindings: those who manage users.
async fn authorize_reading(db: &impl ConnectionTrait, subject: Subject) -> Result<(), ApiError> {
    let strongest = access::strongest_grant(db, subject).await?;
    guard::allow(domain::decide_user_management(strongest))?;
    Ok(())
}

/// `GET /v1/idp-groups`: in id order.
pub async fn list_groups(
    db: &DatabaseConnection,
    subject: Subject,
    window: &Window<Uuid>,
) -> Result<Vec<IdpGroup>, ApiError> {
    authorize_reading(db, subject).await?;
    let groups = window
        .read(db, idp_groups::Entity::find(), idp_groups::Column::Id)
        .await?;
    // The page's members in one query, not one per group.
    let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
    let members = members_of(db, &ids).await?;
    Ok(groups
        .into_iter()
        .map(|group| IdpGroup {
            members: members.get(&group.id).map_or(0, |m| m.len() as u64),
            group,
        })
        .collect())
}

/// One IdP group and its members' ids, in id order (the console's page of one group).
pub async fn get_group(
    db: &DatabaseConnection,
    subject: Subject,
    id: Uuid,
) -> Result<(idp_groups::Model, std::collections::BTreeSet<Uuid>), ApiError> {
    authorize_reading(db, subject).await?;
    let group = find_group(db, id).await?;
    let members = members_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    Ok((group, members))
}

async fn find_group(db: &impl ConnectionTrait, id: Uuid) -> Result<idp_groups::Model, ApiError> {
    idp_groups::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `GET /v1/idp-groups/{id}/bindings`: in id order.
pub async fn list_bindings(
    db: &DatabaseConnection,
    subject: Subject,
    idp_group: Uuid,
    window: &Window<Uuid>,
) -> Result<Vec<idp_bindings::Model>, ApiError> {
    authorize_reading(db, subject).await?;
    find_group(db, idp_group).await?;
    let query = idp_bindings::Entity::find().filter(idp_bindings::Column::IdpGroupId.eq(idp_group));
    Ok(window.read(db, query, idp_bindings::Column::Id).await?)
}

/// `GET /v1/idp-groups/{id}/bindings/{binding_id}`.
pub async fn get_binding(
    db: &impl ConnectionTrait,
    subject: Subject,
    idp_group: Uuid,
    id: Uuid,
) -> Result<idp_bindings::Model, ApiError> {
    authorize_reading(db, subject).await?;
    find_binding(db, idp_group, id).await
}

async fn find_binding(
    db: &impl ConnectionTrait,
    idp_group: Uuid,
    id: Uuid,
) -> Result<idp_bindings::Model, ApiError> {
    idp_bindings::Entity::find_by_id(id)
        .filter(idp_bindings::Column::IdpGroupId.eq(idp_group))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

impl Target {
    /// The binding's `group_id`, `project_id` and `squad_id`: one of them set.
    fn columns(self) -> (Option<Uuid>, Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Group(id) => (Some(id), None, None),
            Self::Project(id) => (None, Some(id), None),
            Self::Squad(id) => (None, None, Some(id)),
        }
    }
}

/// Requires that `subject` may grant `role` at `place` (and that the role is of the place's
/// kind: 400 naming `role` otherwise); returns the audit scope (group, project).
async fn authorize_granting(
    db: &impl ConnectionTrait,
    subject: Subject,
    place: Place,
    role: RoleName,
) -> Result<(Option<Uuid>, Option<Uuid>), ApiError> {
    match (place, role) {
        (Place::Group(id), RoleName::Group(role)) => {
            let access =
                access::authorize_group(db, subject, id, Capability::GroupManageMembers).await?;
            domain::check_group_grant(access.grant.role, None, Some(role))?;
            Ok((Some(id), None))
        }
        (Place::Project(project) | Place::Squad { project, .. }, RoleName::Project(role)) => {
            let access =
                access::authorize_project(db, subject, project, Capability::ProjectAssignRoles)
                    .await?;
            domain::check_project_grant(access.grant.role, None, Some(role))?;
            Ok((Some(access.project.group_id), Some(project)))
        }
        (Place::Group(_), RoleName::Project(_)) => Err(ApiError::invalid(
            "role",
            "a group binding takes a group role: system_admin, group_admin, teacher or student",
        )),
        (_, RoleName::Group(_)) => Err(ApiError::invalid(
            "role",
            "a project or squad binding takes a project role: admin, pm, squad_lead or member",
        )),
    }
}

/// `POST /v1/idp-groups/{id}/bindings`: binds, and settles every member at once.
pub async fn create_binding(
    db: &DatabaseConnection,
    subject: Subject,
    idp_group: Uuid,
    new: NewBinding,
) -> Result<idp_bindings::Model, ApiError> {
    let (group_id, project_id, squad_id) = new.target.columns();
    let place = idp_sync::place(db, group_id, project_id, squad_id).await?;
    let locks = idp_sync::locks_for(&[place]);
    write_as(db, subject, &locks, async |tx, subject| {
        // Authority first, so that an IdP group's existence is told only to who may bind.
        let (group_scope, project_scope) = authorize_granting(tx, subject, place, new.role).await?;
        find_group(tx, idp_group).await?;

        let binding = idp_bindings::ActiveModel {
            id: Set(Uuid::now_v7()),
            idp_group_id: Set(idp_group),
            group_id: Set(group_id),
            project_id: Set(project_id),
            squad_id: Set(squad_id),
            role: Set(new.role.as_str().to_owned()),
            created_by: Set(Some(subject.user_id)),
            created_at: Set(chrono::Utc::now()),
        };
        let binding = binding.insert(tx).await.map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict(
                "the IdP group is already bound there; delete that binding first".to_owned(),
            ),
            _ => e.into(),
        })?;
        let members = members_of(tx, &[idp_group])
            .await?
            .remove(&idp_group)
            .unwrap_or_default();
        let deltas = idp_sync::settle(tx, &[place], &members).await?;
        let audit = record(
            subject,
            "idp_binding.create",
            &binding,
            group_scope,
            project_scope,
        )
        .change(Value::Null, binding_json(&binding))
        .with_access(deltas);
        Ok(Written::changed(binding, audit))
    })
    .await
}

/// `DELETE /v1/idp-groups/{id}/bindings/{binding_id}`: by whoever may grant its role there;
/// the members lose what it granted at once.
pub async fn delete_binding(
    db: &DatabaseConnection,
    subject: Subject,
    idp_group: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let binding = find_binding(db, idp_group, id).await?;
    let place = idp_sync::place_of(db, &binding).await?;
    let locks = idp_sync::locks_for(&[place]);
    write_as(db, subject, &locks, async |tx, subject| {
        let binding = find_binding(tx, idp_group, id).await?;
        let role = role_of(&binding)?;
        let (group_scope, project_scope) = authorize_granting(tx, subject, place, role).await?;
        idp_bindings::Entity::delete_by_id(id).exec(tx).await?;
        let members = members_of(tx, &[idp_group])
            .await?
            .remove(&idp_group)
            .unwrap_or_default();
        let deltas = idp_sync::settle(tx, &[place], &members).await?;
        let audit = record(
            subject,
            "idp_binding.delete",
            &binding,
            group_scope,
            project_scope,
        )
        .change(binding_json(&binding), Value::Null)
        .with_access(deltas);
        Ok(Written::changed((), audit))
    })
    .await
}

/// A stored binding's role: a group role's name or a project role's (the database checks it).
pub fn role_of(binding: &idp_bindings::Model) -> Result<RoleName, ApiError> {
    let name = binding.role.as_str();
    name.parse::<domain::GroupRole>()
        .map(RoleName::Group)
        .or_else(|_| name.parse::<domain::ProjectRole>().map(RoleName::Project))
        .map_err(|_| {
            ApiError::internal(anyhow::anyhow!("binding {} has no known role", binding.id))
        })
}

fn record(
    subject: Subject,
    action: &'static str,
    binding: &idp_bindings::Model,
    group: Option<Uuid>,
    project: Option<Uuid>,
) -> AuditRecord {
    let mut record = AuditRecord::new(Some(subject.user_id), action, "idp_binding", binding.id);
    record.group_id = group;
    record.project_id = project;
    record
}

/// What an audit event records of a binding.
fn binding_json(binding: &idp_bindings::Model) -> Value {
    json!({
        "id": binding.id,
        "idp_group_id": binding.idp_group_id,
        "group_id": binding.group_id,
        "project_id": binding.project_id,
        "squad_id": binding.squad_id,
        "role": binding.role,
    })
}
