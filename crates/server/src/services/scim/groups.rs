//! SCIM's Groups (spec §11): an identity provider's groups and who is in them. A change to a
//! group's members is carried to every place its bindings reach (`services::idp_sync`), in the
//! same transaction; a change that would take away the last system admin or a project's last
//! admin is refused with 409 and recorded as an audit event of its own
//! (`idp_group.refused`), since the refused change leaves nothing else behind.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::group_json::{self, GroupFields};
use super::listing::{ListQuery, Lookup, Page, narrowing};
use super::schemas::GROUP_RESOURCE;
use super::{Change, Provisioner, check_if_match, invalid};
use crate::error::ApiError;
use crate::services::idp_sync::{self, Place};
use crate::services::write::{Written, write};
use entity::{idp_group_members, idp_groups};

/// A group and its members.
#[derive(Debug, Clone)]
pub struct Group {
    pub group: idp_groups::Model,
    pub members: BTreeSet<Uuid>,
}

impl Group {
    pub fn to_json(&self, base: &str) -> Value {
        group_json::to_json(&self.group, &self.members, base)
    }
}

/// The members of each of `groups`, in one query.
pub(crate) async fn members_of(
    db: &impl ConnectionTrait,
    groups: &[Uuid],
) -> Result<BTreeMap<Uuid, BTreeSet<Uuid>>, ApiError> {
    let rows = idp_group_members::Entity::find()
        .filter(idp_group_members::Column::IdpGroupId.is_in(groups.iter().copied()))
        .all(db)
        .await?;
    let mut members: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
    for row in rows {
        members
            .entry(row.idp_group_id)
            .or_default()
            .insert(row.user_id);
    }
    Ok(members)
}

/// The groups `query` selects, as SCIM representations served under `base`.
pub async fn list(
    db: &DatabaseConnection,
    query: &ListQuery,
    base: &str,
) -> Result<Page, ApiError> {
    query.check(&GROUP_RESOURCE)?;
    let candidates = match query.filter.as_ref().and_then(|f| narrowing(f, LOOKUPS)) {
        Some(condition) => idp_groups::Entity::find().filter(condition),
        None => idp_groups::Entity::find(),
    };
    let groups = candidates
        .order_by_asc(idp_groups::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
    let mut members = members_of(db, &ids).await?;
    let resources = groups
        .into_iter()
        .map(|group| {
            let members = members.remove(&group.id).unwrap_or_default();
            group_json::to_json(&group, &members, base)
        })
        .collect();
    Ok(query.page(resources, &GROUP_RESOURCE))
}

/// The lookups identity providers make (Entra ID: `displayName eq "…"`), answered by the table.
const LOOKUPS: &[(&str, Option<&str>, Lookup<idp_groups::Column>)] = &[
    (
        "displayName",
        None,
        Lookup::IgnoringCase(idp_groups::Column::DisplayName),
    ),
    (
        "externalId",
        None,
        Lookup::Exact(idp_groups::Column::ExternalId),
    ),
    ("id", None, Lookup::Id(idp_groups::Column::Id)),
];

/// The group `id` with its members.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Group, ApiError> {
    let group = idp_groups::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let members = members_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(Group { group, members })
}

/// Creates a group with its members (a new group has no bindings: nothing else changes).
pub async fn create(
    db: &DatabaseConnection,
    client: Provisioner,
    fields: GroupFields,
) -> Result<Group, ApiError> {
    write(db, &[], async |tx| {
        check_members_exist(tx, &fields.members).await?;
        let now = Utc::now().trunc_subsecs(6);
        let group = idp_groups::ActiveModel {
            id: Set(Uuid::now_v7()),
            display_name: Set(fields.display_name.clone()),
            external_id: Set(fields.external_id.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let group = idp_groups::Entity::insert(group)
            .exec_with_returning(tx)
            .await?;
        add_members(tx, group.id, &fields.members).await?;
        let created = Group {
            group,
            members: fields.members.clone(),
        };
        let audit = client
            .audit("idp_group.create", "idp_group", created.group.id)
            .change(Value::Null, audit_json(&created));
        Ok(Written::changed(created, audit))
    })
    .await
}

/// Changes group `id` as `change` says, when `if_match` allows, carrying its members' changes
/// to every place its bindings reach; the representation a PATCH works on is served under `base`.
pub async fn change(
    db: &DatabaseConnection,
    client: Provisioner,
    id: Uuid,
    change: Change<GroupFields>,
    if_match: Option<&str>,
    base: &str,
) -> Result<Group, ApiError> {
    let outcome = idp_sync::write_bound(db, id, async |tx, places| {
        let before = get(tx, id).await?;
        check_if_match(if_match, &group_json::version(&before.group))?;
        let fields = match &change {
            Change::Replace(fields) => fields.clone(),
            Change::Patch(operations) => {
                let mut resource = before.to_json(base);
                scim::patch::apply(&mut resource, operations, &GROUP_RESOURCE)
                    .map_err(|e| invalid(e.scim_type, e.detail))?;
                GroupFields::read(&resource)?
            }
        };
        let unchanged = fields.display_name == before.group.display_name
            && fields.external_id == before.group.external_id
            && fields.members == before.members;
        if unchanged {
            return Ok(Written::unchanged(before));
        }
        check_members_exist(tx, &fields.members).await?;
        let added: BTreeSet<Uuid> = fields
            .members
            .difference(&before.members)
            .copied()
            .collect();
        let removed: BTreeSet<Uuid> = before
            .members
            .difference(&fields.members)
            .copied()
            .collect();
        remove_members(tx, id, &removed).await?;
        add_members(tx, id, &added).await?;
        let mut row = before.group.clone().into_active_model();
        row.display_name = Set(fields.display_name.clone());
        row.external_id = Set(fields.external_id.clone());
        row.updated_at = Set(Utc::now().trunc_subsecs(6));
        let group = row.update(tx).await?;
        let changed: BTreeSet<Uuid> = added.union(&removed).copied().collect();
        let deltas = idp_sync::settle(tx, places, &changed).await?;
        let after = Group {
            group,
            members: fields.members.clone(),
        };
        let mut audit = client
            .audit("idp_group.update", "idp_group", id)
            .change(audit_json(&before), audit_json(&after))
            .with_access(deltas);
        audit.details["members_added"] = json!(added);
        audit.details["members_removed"] = json!(removed);
        Ok(Written::changed(after, audit))
    })
    .await;
    refused_recorded(db, client, id, "update", outcome).await
}

/// Deletes group `id`, when `if_match` allows: its members lose what its bindings granted.
pub async fn delete(
    db: &DatabaseConnection,
    client: Provisioner,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    let outcome = idp_sync::write_bound(db, id, async |tx, places: &[Place]| {
        let before = get(tx, id).await?;
        check_if_match(if_match, &group_json::version(&before.group))?;
        // Its members and bindings go with it; then every member's memberships are settled.
        idp_groups::Entity::delete_by_id(id).exec(tx).await?;
        let deltas = idp_sync::settle(tx, places, &before.members).await?;
        let audit = client
            .audit("idp_group.delete", "idp_group", id)
            .change(audit_json(&before), Value::Null)
            .with_access(deltas);
        Ok(Written::changed((), audit))
    })
    .await;
    refused_recorded(db, client, id, "delete", outcome).await
}

/// Passes `outcome` on; a last-admin refusal is first recorded as an audit event of its own.
async fn refused_recorded<T>(
    db: &DatabaseConnection,
    client: Provisioner,
    id: Uuid,
    operation: &str,
    outcome: Result<T, ApiError>,
) -> Result<T, ApiError> {
    let Err(ApiError::LastAdmin(which)) = &outcome else {
        return outcome;
    };
    let which = *which;
    write(db, &[], async |_tx| {
        let mut audit = client.audit("idp_group.refused", "idp_group", id);
        audit.details["operation"] = json!(operation);
        audit.details["reason"] = json!(which.to_string());
        Ok(Written::changed((), audit))
    })
    .await?;
    outcome
}

/// Members must be users Roster knows (400 `invalidValue` otherwise).
async fn check_members_exist(
    db: &impl ConnectionTrait,
    members: &BTreeSet<Uuid>,
) -> Result<(), ApiError> {
    if members.is_empty() {
        return Ok(());
    }
    let known = entity::users::Entity::find()
        .filter(entity::users::Column::Id.is_in(members.iter().copied()))
        .count(db)
        .await?;
    if known == members.len() as u64 {
        Ok(())
    } else {
        Err(invalid(
            "invalidValue",
            "members[].value does not name a user",
        ))
    }
}

async fn add_members(
    db: &impl ConnectionTrait,
    group: Uuid,
    members: &BTreeSet<Uuid>,
) -> Result<(), ApiError> {
    if members.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = members.iter().map(|user| idp_group_members::ActiveModel {
        idp_group_id: Set(group),
        user_id: Set(*user),
        created_at: Set(now),
    });
    idp_group_members::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn remove_members(
    db: &impl ConnectionTrait,
    group: Uuid,
    members: &BTreeSet<Uuid>,
) -> Result<(), ApiError> {
    if members.is_empty() {
        return Ok(());
    }
    idp_group_members::Entity::delete_many()
        .filter(idp_group_members::Column::IdpGroupId.eq(group))
        .filter(idp_group_members::Column::UserId.is_in(members.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// What an audit event records of a group.
fn audit_json(group: &Group) -> Value {
    json!({
        "id": group.group.id,
        "display_name": group.group.display_name,
        "external_id": group.group.external_id,
        "members": group.members.len(),
    })
}
