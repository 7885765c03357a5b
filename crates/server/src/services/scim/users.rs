//! SCIM's Users (spec §11): listing with filters, sorting and pages, reading, creating,
//! replacing (PUT), patching and deleting — on behalf of a provisioning client, which may manage
//! every user.
//!
//! A list is filtered by matching each user's SCIM representation (`scim::matches`), so every
//! filter the language allows means exactly what the RFC says. The database is asked first for
//! what an equality on `userName`, `externalId`, `id` or an email (the lookups identity
//! providers make) narrows the list to; a page of an unfiltered, unsorted list is read as a
//! page. Other filters and `sortBy` read every user (docs/SCIM.md).
//!
//! A write reads the user, checks `If-Match`, and changes them in one transaction. PUT and
//! PATCH end the same way: the new representation is read back into [`UserFields`], so both
//! obey the same rules; deactivating the last active system admin, or a project's last active
//! admin, is refused (409) as removing them would be.

use std::collections::BTreeSet;

use chrono::{SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};
use serde_json::Value;
use uuid::Uuid;

use super::listing::{ListQuery, Lookup, Page, narrowing};
use super::schemas::USER_RESOURCE;
use super::user_json::{self, UserFields};
use super::{Change, Provisioner, check_if_match, invalid};
use crate::error::ApiError;
use crate::services::changes::{Node, Watch};
use crate::services::users::{Deleter, user_json as audit_json};
use crate::services::write::{Lock, Written, write};
use entity::users;

/// The users `query` selects, as SCIM representations served under `base`.
pub async fn list(
    db: &DatabaseConnection,
    query: &ListQuery,
    base: &str,
) -> Result<Page, ApiError> {
    query.check(&USER_RESOURCE)?;
    if query.filter.is_none() && query.sort.is_none() {
        return unfiltered_page(db, query.start_index.saturating_sub(1), query.count, base).await;
    }
    let candidates = match query.filter.as_ref().and_then(|f| narrowing(f, LOOKUPS)) {
        Some(condition) => users::Entity::find().filter(condition),
        None => users::Entity::find(),
    };
    let rows = candidates.order_by_asc(users::Column::Id).all(db).await?;
    let resources = rows.iter().map(|u| user_json::to_json(u, base)).collect();
    Ok(query.page(resources, &USER_RESOURCE))
}

/// A page of every user in creation order, read as a page.
async fn unfiltered_page(
    db: &DatabaseConnection,
    offset: u64,
    count: u64,
    base: &str,
) -> Result<Page, ApiError> {
    let total = users::Entity::find().count(db).await?;
    let rows = users::Entity::find()
        .order_by_asc(users::Column::Id)
        .offset(offset)
        .limit(count)
        .all(db)
        .await?;
    Ok(Page {
        total,
        resources: rows.iter().map(|u| user_json::to_json(u, base)).collect(),
    })
}

/// The lookups identity providers make (`userName eq "…"`), answered by the table.
const LOOKUPS: &[(&str, Option<&str>, Lookup<users::Column>)] = &[
    (
        "userName",
        None,
        Lookup::IgnoringCase(users::Column::UserName),
    ),
    ("externalId", None, Lookup::Exact(users::Column::ExternalId)),
    ("id", None, Lookup::Id(users::Column::Id)),
    (
        "emails",
        Some("value"),
        Lookup::Lowered(users::Column::Email),
    ),
];

/// The user `id`.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<users::Model, ApiError> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Creates a user; 409 `uniqueness` when the user name or email is taken.
pub async fn create(
    db: &DatabaseConnection,
    client: Provisioner,
    fields: UserFields,
) -> Result<users::Model, ApiError> {
    write(db, &[], async |tx| {
        let id = Uuid::now_v7();
        check_manager(tx, fields.manager_id, id).await?;
        let now = Utc::now().trunc_subsecs(6);
        let mut user = users::ActiveModel {
            id: Set(id),
            created_at: Set(now),
            ..Default::default()
        };
        assign(&mut user, &fields, now);
        let user = users::Entity::insert(user)
            .exec_with_returning(tx)
            .await
            .map_err(taken)?;
        let audit = client
            .audit("user.create", "user", user.id)
            .change(Value::Null, audit_json(&user));
        Ok(Written::changed(user, audit))
    })
    .await
}

/// How often a change starts over because a deactivated user joined a project it had not locked.
const CHANGE_ROUNDS: u32 = 4;

/// Changes the user `id` as `change` says, when `if_match` allows; the representation that a
/// PATCH works on is served under `base`. A change to nothing stores nothing.
pub async fn change(
    db: &DatabaseConnection,
    client: Provisioner,
    id: Uuid,
    change: Change<UserFields>,
    if_match: Option<&str>,
    base: &str,
) -> Result<users::Model, ApiError> {
    let mut projects = crate::services::users::project_ids_of(db, id).await?;
    for _ in 0..CHANGE_ROUNDS {
        let locks: Vec<Lock> = std::iter::once(Lock::SystemAdmins)
            .chain(projects.iter().copied().map(Lock::Project))
            .collect();
        let locked = &projects;
        let round = write(db, &locks, async |tx| {
            let before = users::Entity::find_by_id(id)
                .lock_exclusive()
                .one(tx)
                .await?
                .ok_or(ApiError::NotFound)?;
            check_if_match(if_match, &user_json::version(&before))?;
            let fields = match &change {
                Change::Replace(fields) => fields.clone(),
                Change::Patch(operations) => {
                    let mut resource = user_json::to_json(&before, base);
                    let operations = super::unstored::ignored(operations.clone());
                    scim::patch::apply(&mut resource, &operations, &USER_RESOURCE)
                        .map_err(|e| invalid(e.scim_type, e.detail))?;
                    UserFields::read(&resource)?
                }
            };
            apply(tx, client, before, fields, locked).await
        })
        .await?;
        match round {
            Round::Done(user) => return Ok(*user),
            Round::InMoreProjects(now) => projects = now,
        }
    }
    Err(ApiError::Contention)
}

/// What one round of [`change`] did.
enum Round {
    Done(Box<users::Model>),
    /// The user is in projects whose locks the round did not hold: run again holding them.
    InMoreProjects(BTreeSet<Uuid>),
}

/// Stores `fields` over `before`, holding the locks of `locked` projects.
async fn apply(
    tx: &DatabaseTransaction,
    client: Provisioner,
    before: users::Model,
    fields: UserFields,
    locked: &BTreeSet<Uuid>,
) -> Result<Written<Round>, ApiError> {
    let id = before.id;
    if fields == current_fields(&before) {
        return Ok(Written::unchanged(Round::Done(Box::new(before))));
    }
    check_manager(tx, fields.manager_id, id).await?;
    let activity_changes = fields.active != before.active;
    let mut watches = Vec::new();
    if activity_changes {
        let projects = crate::services::users::project_ids_of(tx, id).await?;
        if !projects.is_subset(locked) {
            return Ok(Written::unchanged(Round::InMoreProjects(projects)));
        }
        if !fields.active {
            ensure_active_admins_remain(tx, id, &projects).await?;
        }
        for node in membership_nodes(tx, id, &projects).await? {
            watches.push(Watch::user(tx, node, id).await?);
        }
    }
    let now = Utc::now().trunc_subsecs(6);
    let mut user: users::ActiveModel = before.clone().into();
    assign(&mut user, &fields, now);
    let after = user.update(tx).await.map_err(taken)?;
    let mut audit = client
        .audit("user.update", "user", id)
        .change(audit_json(&before), audit_json(&after));
    for watch in watches {
        audit = audit.with_access(watch.deltas(tx).await?);
    }
    Ok(Written::changed(Round::Done(Box::new(after)), audit))
}

/// The fields `user` has now, to tell a change from a repetition.
fn current_fields(user: &users::Model) -> UserFields {
    UserFields {
        user_name: user.user_name.clone(),
        display_name: user.display_name.clone(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        email: user.email.clone(),
        email_type: user.email_type.clone(),
        active: user.active,
        external_id: user.external_id.clone(),
        manager_id: user.manager_id,
    }
}

fn assign(user: &mut users::ActiveModel, fields: &UserFields, now: chrono::DateTime<Utc>) {
    let fields = fields.clone();
    user.user_name = Set(fields.user_name);
    user.display_name = Set(fields.display_name);
    user.given_name = Set(fields.given_name);
    user.family_name = Set(fields.family_name);
    user.email = Set(fields.email);
    user.email_type = Set(fields.email_type);
    user.active = Set(fields.active);
    user.external_id = Set(fields.external_id);
    user.manager_id = Set(fields.manager_id);
    user.updated_at = Set(now);
}

/// A manager must be another user who exists.
async fn check_manager(
    tx: &DatabaseTransaction,
    manager: Option<Uuid>,
    user: Uuid,
) -> Result<(), ApiError> {
    let Some(manager) = manager else {
        return Ok(());
    };
    if manager == user {
        return Err(invalid(
            "invalidValue",
            "a user cannot be their own manager",
        ));
    }
    match users::Entity::find_by_id(manager).one(tx).await? {
        Some(_) => Ok(()),
        None => Err(invalid(
            "invalidValue",
            "manager.value does not name a user",
        )),
    }
}

/// The nodes where `user` holds a membership: their groups and `projects`.
async fn membership_nodes(
    tx: &DatabaseTransaction,
    user: Uuid,
    projects: &BTreeSet<Uuid>,
) -> Result<Vec<Node>, ApiError> {
    let groups = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::UserId.eq(user))
        .all(tx)
        .await?;
    Ok(groups
        .iter()
        .map(|m| Node::Group(m.group_id))
        .chain(projects.iter().map(|p| Node::Project(*p)))
        .collect())
}

/// Deactivating `user` must leave an active system admin, and an active admin in each of their
/// `projects` where they are one (spec §4's last-admin rules, which count active admins only).
async fn ensure_active_admins_remain(
    tx: &DatabaseTransaction,
    user: Uuid,
    projects: &BTreeSet<Uuid>,
) -> Result<(), ApiError> {
    if crate::auth::system_admin_group(tx, user).await?.is_some() {
        let others = crate::auth::count_other_active_system_admins(tx, user).await?;
        domain::check_admins_remain(domain::LastAdmin::System, others)?;
    }
    let admin = crate::convert::stored_project_role(domain::ProjectRole::Admin);
    let administered = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::UserId.eq(user))
        .filter(entity::project_members::Column::Role.eq(admin))
        .filter(entity::project_members::Column::ProjectId.is_in(projects.iter().copied()))
        .all(tx)
        .await?;
    for membership in administered {
        crate::services::project_members::ensure_admin_remains(tx, membership.project_id, user)
            .await?;
    }
    Ok(())
}

/// Deletes the user `id` (Part I's rules: the last admin is refused), when `if_match` allows.
pub async fn delete(
    db: &DatabaseConnection,
    client: Provisioner,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    crate::services::users::delete_by(db, Deleter::Provisioner { client, if_match }, id).await
}

/// A unique violation on `users`: the user name or the email address is another user's.
fn taken(error: DbErr) -> ApiError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            let what = if detail.contains("uq_users_email") || detail.contains("users.email") {
                "the email address"
            } else {
                "userName"
            };
            ApiError::Conflict(format!("{what} already belongs to another user"))
        }
        _ => error.into(),
    }
}
