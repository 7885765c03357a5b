//! Squads and squad membership: create, read, list, rename, move, delete; add, list, remove.
//!
//! Every change runs on the write path under `Lock::Project` of the squad's project, with its
//! authorization decided inside the transaction, and ends by repairing the project's reporting
//! lines: squad membership and the squad tree feed the "shares a squad" preference of the
//! reporting rule (spec §3), so a change here can move a line. The repairs are recorded in the
//! change's audit event.
//!
//! A squad never changes project (nothing here writes `project_id`, and the database refuses
//! it for a squad with sub-squads), so a write may read the squad's project before taking that
//! project's lock; everything that decides is read again under the lock.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Upserted;
use super::access;
use super::audit::AuditRecord;
use super::guard::Subject;
use super::reporting;
use super::window::Window;
use super::write::{Lock, Written, write_as};
use crate::convert;
use crate::error::ApiError;
use domain::Capability;

use entity::squads::{Column, Entity, Model};

/// A validated `POST /v1/projects/{id}/squads`.
#[derive(Debug)]
pub struct NewSquad {
    pub name: domain::Name,
    pub parent_id: Option<Uuid>,
}

/// A validated `PATCH /v1/squads/{id}`: `None` leaves a field unchanged; `parent: Some(None)`
/// makes the squad top-level.
#[derive(Debug, Default)]
pub struct SquadChange {
    pub name: Option<domain::Name>,
    pub parent: Option<Option<Uuid>>,
}

/// A top-level squad with its sub-squads, as the project's squad listing shows it.
#[derive(Debug, Clone)]
pub struct SquadTree {
    pub squad: Model,
    pub sub_squads: Vec<Model>,
}

/// `POST /v1/projects/{id}/squads` (`project.manage_squads`).
///
/// The parent must be a top-level squad of the same project (400 `squad_nesting` otherwise);
/// a parent in a project the caller cannot see reads as an unknown squad (400
/// `validation_failed` naming `parent_id`), so the answer does not reveal that it exists.
pub async fn create(
    db: &DatabaseConnection,
    subject: Subject,
    project_id: Uuid,
    input: NewSquad,
) -> Result<Model, ApiError> {
    let locks = [Lock::Project(project_id)];
    write_as(db, subject, &locks, async |tx, subject| {
        access::authorize_project(tx, subject, project_id, Capability::ProjectManageSquads).await?;
        let parent = match input.parent_id {
            None => None,
            Some(parent) => Some(parent_facts(tx, subject, project_id, parent).await?),
        };
        let depth = domain::squad_depth_for_parent(project_id, None, parent, false)?;
        ensure_name_free(tx, project_id, input.parent_id, input.name.as_str(), None).await?;
        let now = chrono::Utc::now();
        let row = entity::squads::ActiveModel {
            id: Set(Uuid::now_v7()),
            project_id: Set(project_id),
            parent_id: Set(input.parent_id),
            parent_depth: Set(parent_depth(input.parent_id)),
            name: Set(input.name.as_str().to_owned()),
            depth: Set(i16::from(depth)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let squad = Entity::insert(row).exec_with_returning(tx).await?;
        let changes = reporting::repair(tx, project_id).await?;
        let audit =
            squad_record(subject, "squad.create", &squad).change(Value::Null, squad_json(&squad));
        Ok(Written::changed(squad, audit.with_line_repairs(&changes)))
    })
    .await
}

/// `GET /v1/projects/{id}/squads` (`project.view`): the top-level squads in id order, each with
/// its sub-squads (also in id order); pages count top-level squads.
pub async fn list(
    db: &impl ConnectionTrait,
    subject: Subject,
    project_id: Uuid,
    window: &Window<Uuid>,
) -> Result<Vec<SquadTree>, ApiError> {
    access::authorize_project(db, subject, project_id, Capability::ProjectView).await?;
    let query = Entity::find()
        .filter(Column::ProjectId.eq(project_id))
        .filter(Column::ParentId.is_null());
    let tops = window.read(db, query, Column::Id).await?;
    let mut subs: HashMap<Uuid, Vec<Model>> = HashMap::new();
    if !tops.is_empty() {
        for sub in Entity::find()
            .filter(Column::ParentId.is_in(tops.iter().map(|s| s.id)))
            .order_by_asc(Column::Id)
            .all(db)
            .await?
        {
            if let Some(parent) = sub.parent_id {
                subs.entry(parent).or_default().push(sub);
            }
        }
    }
    Ok(tops
        .into_iter()
        .map(|squad| SquadTree {
            sub_squads: subs.remove(&squad.id).unwrap_or_default(),
            squad,
        })
        .collect())
}

/// `GET /v1/squads/{id}` (`project.view` in the squad's project).
pub(crate) async fn get(
    facts: &impl access::FactSource,
    subject: Subject,
    id: Uuid,
) -> Result<Model, ApiError> {
    Ok(
        access::authorize_squad_in(facts, subject, id, Capability::ProjectView)
            .await?
            .squad,
    )
}

/// `PATCH /v1/squads/{id}` (`project.manage_squads`): rename and/or move within the project.
/// A squad with sub-squads cannot become a sub-squad, nor a squad its own parent (400
/// `squad_nesting`). A request that changes nothing writes nothing.
pub async fn update(
    db: &DatabaseConnection,
    subject: Subject,
    id: Uuid,
    change: SquadChange,
) -> Result<Model, ApiError> {
    let project_id = project_of(db, id).await?;
    let locks = [Lock::Project(project_id)];
    write_as(db, subject, &locks, async |tx, subject| {
        let before = access::authorize_squad(tx, subject, id, Capability::ProjectManageSquads)
            .await?
            .squad;
        let new_parent = change.parent.filter(|p| *p != before.parent_id);
        let depth = match new_parent {
            None => before.depth,
            Some(target) => {
                let parent = match target {
                    None => None,
                    Some(parent) => Some(parent_facts(tx, subject, project_id, parent).await?),
                };
                let has_children = Entity::find()
                    .filter(Column::ParentId.eq(id))
                    .count(tx)
                    .await?
                    > 0;
                i16::from(domain::squad_depth_for_parent(
                    project_id,
                    Some(id),
                    parent,
                    has_children,
                )?)
            }
        };
        let parent_id = new_parent.unwrap_or(before.parent_id);
        let name = change
            .name
            .as_ref()
            .map_or(before.name.clone(), |n| n.as_str().to_owned());
        if new_parent.is_none() && name == before.name {
            return Ok(Written::unchanged(before));
        }
        ensure_name_free(tx, project_id, parent_id, &name, Some(id)).await?;
        let mut row = before.clone().into_active_model();
        row.parent_id = Set(parent_id);
        row.parent_depth = Set(parent_depth(parent_id));
        row.depth = Set(depth);
        row.name = Set(name);
        row.updated_at = Set(chrono::Utc::now());
        let squad = row.update(tx).await?;
        let changes = reporting::repair(tx, project_id).await?;
        let audit = squad_record(subject, "squad.update", &squad)
            .change(squad_json(&before), squad_json(&squad));
        Ok(Written::changed(squad, audit.with_line_repairs(&changes)))
    })
    .await
}

/// `DELETE /v1/squads/{id}` (`project.manage_squads`): the squad, its sub-squads and every
/// membership in them (the database cascades). Removing those memberships must be within the
/// actor's power (403 `role_escalation` otherwise), as if each were removed on its own.
pub async fn delete(db: &DatabaseConnection, subject: Subject, id: Uuid) -> Result<(), ApiError> {
    let project_id = project_of(db, id).await?;
    let locks = [Lock::Project(project_id)];
    write_as(db, subject, &locks, async |tx, subject| {
        let access =
            access::authorize_squad(tx, subject, id, Capability::ProjectManageSquads).await?;
        let sub_squads: Vec<Uuid> = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::ParentId.eq(id))
            .order_by_asc(Column::Id)
            .into_tuple()
            .all(tx)
            .await?;
        let squads = std::iter::once(id).chain(sub_squads.iter().copied());
        let memberships = entity::squad_members::Entity::find()
            .filter(entity::squad_members::Column::SquadId.is_in(squads))
            .all(tx)
            .await?;
        let roles = project_roles(tx, project_id, memberships.iter().map(|m| m.user_id)).await?;
        let removed = memberships
            .iter()
            .map(|m| {
                roles.get(&m.user_id).copied().ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!(
                        "squad member {} has no membership in project {project_id}",
                        m.user_id
                    ))
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        domain::check_squad_removals(access.grant.role, removed)?;
        Entity::delete_by_id(id).exec(tx).await?;
        let changes = reporting::repair(tx, project_id).await?;
        let mut audit = squad_record(subject, "squad.delete", &access.squad)
            .change(squad_json(&access.squad), Value::Null);
        audit.details["deleted"] = json!({
            "sub_squads": sub_squads.len(),
            "sub_squad_ids": sub_squads,
            "memberships": memberships.len(),
        });
        Ok(Written::changed((), audit.with_line_repairs(&changes)))
    })
    .await
}

/// `PUT /v1/squads/{id}/members/{user_id}` (`project.manage_squad_members`; a squad_lead only
/// in their squads and those squads' sub-squads, and only for users of project tier ≥ 2).
/// The user must be a member of the squad's project (400 `not_project_member`).
pub async fn add_member(
    db: &DatabaseConnection,
    subject: Subject,
    squad_id: Uuid,
    user_id: Uuid,
) -> Result<Upserted<entity::squad_members::Model>, ApiError> {
    let project_id = project_of(db, squad_id).await?;
    let locks = [Lock::Project(project_id)];
    write_as(db, subject, &locks, async |tx, subject| {
        let access =
            access::authorize_squad(tx, subject, squad_id, Capability::ProjectManageSquadMembers)
                .await?;
        let target = project_roles(tx, project_id, [user_id])
            .await?
            .remove(&user_id)
            .ok_or(ApiError::NotProjectMember)?;
        domain::check_squad_member_management(access.grant.role, target)?;
        let existing = find_row(tx, squad_id, user_id).await?;
        if let Some(existing) = existing.as_ref().filter(|m| m.manual) {
            return Ok(Written::unchanged(Upserted::Unchanged(existing.clone())));
        }
        // A membership only bindings grant becomes one given by hand as well.
        let member = match existing {
            Some(bound) => {
                let mut row = bound.into_active_model();
                row.manual = Set(true);
                row.update(tx).await?
            }
            None => {
                let row = entity::squad_members::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    squad_id: Set(squad_id),
                    project_id: Set(project_id),
                    user_id: Set(user_id),
                    created_at: Set(chrono::Utc::now()),
                    manual: Set(true),
                    idp_sources: Set(None),
                };
                entity::squad_members::Entity::insert(row)
                    .exec_with_returning(tx)
                    .await?
            }
        };
        let changes = reporting::repair(tx, project_id).await?;
        let audit = member_record(subject, "squad_member.create", &member)
            .change(Value::Null, member_json(&member));
        Ok(Written::changed(
            Upserted::Created(member),
            audit.with_line_repairs(&changes),
        ))
    })
    .await
}

/// `GET /v1/squads/{id}/members` (`project.view_members`): ordered by user id.
pub async fn members(
    db: &impl ConnectionTrait,
    subject: Subject,
    squad_id: Uuid,
    window: &Window<Uuid>,
) -> Result<Vec<entity::squad_members::Model>, ApiError> {
    use entity::squad_members::Column as M;
    access::authorize_squad(db, subject, squad_id, Capability::ProjectViewMembers).await?;
    let query = entity::squad_members::Entity::find().filter(M::SquadId.eq(squad_id));
    Ok(window.read(db, query, M::UserId).await?)
}

/// `DELETE /v1/squads/{id}/members/{user_id}`: by a squad member manager (same scoping and
/// tier rule as adding), or by the member themselves — leaving a squad is always allowed.
/// 404 when the user is not in the squad.
pub async fn remove_member(
    db: &DatabaseConnection,
    subject: Subject,
    squad_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let project_id = project_of(db, squad_id).await?;
    let locks = [Lock::Project(project_id)];
    write_as(db, subject, &locks, async |tx, subject| {
        let leaving = user_id == subject.user_id;
        let capability =
            domain::membership_capability(leaving, Capability::ProjectManageSquadMembers);
        let access = access::authorize_squad(tx, subject, squad_id, capability).await?;
        let member = find_row(tx, squad_id, user_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if !member.manual {
            return Err(super::group_members::granted_by_bindings_only());
        }
        if !leaving {
            let target = project_roles(tx, project_id, [user_id])
                .await?
                .remove(&user_id)
                .ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!(
                        "squad member {user_id} has no membership in project {project_id}"
                    ))
                })?;
            domain::check_squad_member_management(access.grant.role, target)?;
        }
        // Bindings that put the user in the squad keep them there.
        let after = if member.idp_sources.is_some() {
            let mut row = member.clone().into_active_model();
            row.manual = Set(false);
            member_json(&row.update(tx).await?)
        } else {
            entity::squad_members::Entity::delete_by_id(member.id)
                .exec(tx)
                .await?;
            Value::Null
        };
        let changes = reporting::repair(tx, project_id).await?;
        let audit = member_record(subject, "squad_member.delete", &member)
            .change(member_json(&member), after);
        Ok(Written::changed((), audit.with_line_repairs(&changes)))
    })
    .await
}

/// The project of squad `id` (404 if there is no such squad), read before the write takes that
/// project's lock; see the module docs for why this is safe.
async fn project_of(db: &DatabaseConnection, id: Uuid) -> Result<Uuid, ApiError> {
    Entity::find_by_id(id)
        .select_only()
        .column(Column::ProjectId)
        .into_tuple()
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// What the nesting rule needs to know about the squad named as `parent_id` in a body.
///
/// An unknown squad → 400 `validation_failed` naming `parent_id`. A squad of another project
/// is a nesting error (400 `squad_nesting`) — unless the caller has no role in that project:
/// then it reads as unknown, so that squads of other projects cannot be probed.
async fn parent_facts(
    tx: &impl ConnectionTrait,
    subject: Subject,
    project_id: Uuid,
    parent_id: Uuid,
) -> Result<domain::SquadFacts, ApiError> {
    let unknown = || ApiError::invalid("parent_id", "does not name a squad you can see");
    // The squad with the caller's role in its project, in one read.
    let (parent, _, role_there) = access::squad_with_grant(tx, subject, parent_id)
        .await?
        .ok_or_else(unknown)?;
    if parent.project_id != project_id && role_there.is_none() {
        return Err(unknown());
    }
    let depth = u8::try_from(parent.depth).map_err(|_| {
        ApiError::internal(anyhow::anyhow!(
            "squad {} has the impossible depth {}",
            parent.id,
            parent.depth
        ))
    })?;
    Ok(domain::SquadFacts {
        id: parent.id,
        project_id: parent.project_id,
        depth,
    })
}

/// The `parent_depth` column: the parent's depth, which the nesting rule makes 0 (the database
/// checks the claim through its composite foreign key).
fn parent_depth(parent_id: Option<Uuid>) -> Option<i16> {
    parent_id.map(|_| 0)
}

/// 409 `conflict` when a sibling (or, for top-level squads, another top-level squad of the
/// project) already has `name`. The unique indexes hold the same rule; this names it.
async fn ensure_name_free(
    tx: &impl ConnectionTrait,
    project_id: Uuid,
    parent_id: Option<Uuid>,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), ApiError> {
    let mut query = Entity::find().filter(Column::Name.eq(name));
    query = match parent_id {
        Some(parent) => query.filter(Column::ParentId.eq(parent)),
        None => query
            .filter(Column::ProjectId.eq(project_id))
            .filter(Column::ParentId.is_null()),
    };
    super::ensure_unclaimed(tx, query, Column::Id, except, || {
        format!("a sibling squad is already named '{name}'")
    })
    .await
}

/// The assigned project roles of `users` in `project_id`; users who are not members are absent.
async fn project_roles(
    tx: &impl ConnectionTrait,
    project_id: Uuid,
    users: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, domain::ProjectRole>, DbErr> {
    use entity::project_members::Column as P;
    let users: Vec<Uuid> = users.into_iter().collect();
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(entity::project_members::Entity::find()
        .filter(P::ProjectId.eq(project_id))
        .filter(P::UserId.is_in(users))
        .all(tx)
        .await?
        .into_iter()
        .map(|m| (m.user_id, convert::project_role(m.role)))
        .collect())
}

async fn find_row(
    db: &impl ConnectionTrait,
    squad_id: Uuid,
    user_id: Uuid,
) -> Result<Option<entity::squad_members::Model>, DbErr> {
    use entity::squad_members::Column as M;
    entity::squad_members::Entity::find()
        .filter(M::SquadId.eq(squad_id))
        .filter(M::UserId.eq(user_id))
        .one(db)
        .await
}

fn squad_record(subject: Subject, action: &'static str, squad: &Model) -> AuditRecord {
    AuditRecord::new(Some(subject.user_id), action, "squad", squad.id).in_project(squad.project_id)
}

fn member_record(
    subject: Subject,
    action: &'static str,
    member: &entity::squad_members::Model,
) -> AuditRecord {
    AuditRecord::new(Some(subject.user_id), action, "squad_member", member.id)
        .in_project(member.project_id)
}

/// What an audit event records of a squad.
fn squad_json(squad: &Model) -> Value {
    json!({
        "id": squad.id,
        "project_id": squad.project_id,
        "parent_id": squad.parent_id,
        "name": squad.name,
        "depth": squad.depth,
    })
}

/// What an audit event records of a squad membership.
fn member_json(member: &entity::squad_members::Model) -> Value {
    json!({
        "squad_id": member.squad_id,
        "project_id": member.project_id,
        "user_id": member.user_id,
    })
}
