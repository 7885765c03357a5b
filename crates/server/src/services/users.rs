//! Users: creation, who may read whom, listing, changes, deletion, and the caller's own
//! memberships.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Alias, BinOper, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::json;
use uuid::Uuid;

use super::access;
use super::audit::AuditRecord;
use super::changes::{Node, Watch};
use super::guard::{self, Subject};
use super::scim::Provisioner;
use super::window::Window;
use super::write::{Lock, Written, write, write_as};
use crate::auth::{count_other_active_system_admins, system_admin_group};
use crate::error::ApiError;

/// A validated request to create a user.
#[derive(Debug)]
pub struct NewUser {
    pub email: domain::Email,
    pub display_name: domain::Name,
}

/// The caller's direct memberships, for `/v1/me`.
#[derive(Debug)]
pub struct Memberships {
    pub groups: Vec<entity::group_members::Model>,
    pub projects: Vec<entity::project_members::Model>,
}

pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Memberships, DbErr> {
    let groups = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::UserId.eq(user_id))
        .order_by_asc(entity::group_members::Column::GroupId)
        .all(db)
        .await?;
    let projects = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::UserId.eq(user_id))
        .order_by_asc(entity::project_members::Column::ProjectId)
        .all(db)
        .await?;
    Ok(Memberships { groups, projects })
}

/// How a body naming a user who does not exist, or whom the caller may not read, is refused.
pub const NO_SUCH_USER: &str = "does not name an existing user";

/// The user `id`, who exists and whom `subject` may read ([`Visibility`]), or the request is
/// invalid: 400 naming `field`, worded as for a user that does not exist — so that naming a
/// user in a body or path (adding them to a project, checking their access) cannot probe for
/// users the caller may not see, nor draw them into the caller's scope.
pub async fn require_visible(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
    field: &str,
) -> Result<entity::users::Model, ApiError> {
    visible_user(db, subject, id)
        .await?
        .ok_or_else(|| ApiError::invalid(field, NO_SUCH_USER))
}

/// Creates a user (those who manage users: system admins and group admins); `409 email_taken`
/// when the address (compared lower-case) is in use.
pub async fn create(
    db: &DatabaseConnection,
    subject: Subject,
    input: NewUser,
) -> Result<entity::users::Model, ApiError> {
    write_as(db, subject, &[], async |tx, subject| {
        let strongest = access::strongest_grant(tx, subject).await?;
        guard::allow(domain::decide_user_management(strongest))?;
        let now = chrono::Utc::now();
        let user = entity::users::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(Some(input.email.as_str().to_owned())),
            display_name: Set(input.display_name.as_str().to_owned()),
            // Named by their email (spec §11); identity providers may name users otherwise.
            user_name: Set(input.email.as_str().to_owned()),
            external_id: Set(None),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let user = entity::users::Entity::insert(user)
            .exec_with_returning(tx)
            .await
            .map_err(email_taken)?;
        let audit = AuditRecord::new(Some(subject.user_id), "user.create", "user", user.id)
            .change(serde_json::Value::Null, user_json(&user));
        Ok(Written::changed(user, audit))
    })
    .await
}

/// A unique violation on `users` is the email address, or the user name a `/v1` user takes from
/// it (the only unique columns besides the id).
fn email_taken(error: DbErr) -> ApiError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::EmailTaken,
        _ => error.into(),
    }
}

/// Which users an actor may read (spec §4, `GET /v1/users/{id}`): self, everyone for system
/// admins and group admins (they manage users), and otherwise anyone sharing a project, or a group
/// in which both have an effective role — one's membership group is the other's or an ancestor
/// of it.
///
/// The rule is one SQL condition on `users` ([`Visibility::condition`]) that both reading one user
/// and listing users apply, so the two can never disagree. Loading it costs the actor's own group
/// memberships; the rest is subqueries.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// System admins and group admins read every user.
    Everyone,
    /// Anyone else reads themselves and the users they share a scope with.
    Scoped {
        user_id: Uuid,
        /// The paths of the groups the actor is a direct member of.
        paths: Vec<domain::GroupPath>,
    },
}

impl Visibility {
    /// What `subject` may read: everyone when they manage users (the same decision that lets
    /// them create users), else their scope.
    ///
    /// One read of the subject's memberships with their groups gives both the strongest role
    /// (for the decision) and the paths (for the scope); a system admin needs none.
    pub async fn of(db: &impl ConnectionTrait, subject: Subject) -> Result<Self, ApiError> {
        let memberships = match subject.system_admin_at {
            Some(_) => Vec::new(),
            None => {
                entity::group_members::Entity::find()
                    .filter(entity::group_members::Column::UserId.eq(subject.user_id))
                    .filter(crate::sql::facts::held_by_active_user("group_members"))
                    .find_also_related(entity::groups::Entity)
                    .all(db)
                    .await?
            }
        };
        let roles: Vec<(Uuid, domain::GroupRole)> = memberships
            .iter()
            .map(|(m, _)| (m.group_id, crate::convert::group_role(m.role)))
            .collect();
        let strongest = domain::effective_group_role(subject.system_admin_at, &roles);
        if domain::decide_user_management(strongest).allowed() {
            return Ok(Self::Everyone);
        }
        let paths = memberships
            .iter()
            .filter_map(|(_, group)| group.as_ref())
            .map(access::stored_path)
            .collect::<Result<_, _>>()?;
        Ok(Self::Scoped {
            user_id: subject.user_id,
            paths,
        })
    }

    /// The condition on `users` rows that holds exactly for the users the actor may read.
    pub fn condition(&self, backend: DbBackend) -> Condition {
        match self {
            Self::Everyone => Condition::all(),
            Self::Scoped { user_id, paths } => {
                let mut visible = Condition::any()
                    .add(entity::users::Column::Id.eq(*user_id))
                    .add(entity::users::Column::Id.in_subquery(project_co_members(*user_id)));
                if !paths.is_empty() {
                    visible = visible.add(
                        entity::users::Column::Id.in_subquery(group_co_members(paths, backend)),
                    );
                }
                visible
            }
        }
    }
}

/// `SELECT user_id` of every member of a project `user` is a member of (`user` included; none
/// when `user` is deactivated).
fn project_co_members(user: Uuid) -> SelectStatement {
    use entity::project_members::{Column, Entity};
    // The inner scan is aliased so that it is plain which `project_members` each column reads.
    let mine = Alias::new("mine");
    Query::select()
        .column((Entity, Column::UserId))
        .from(Entity)
        .and_where(
            Expr::col((Entity, Column::ProjectId)).in_subquery(
                Query::select()
                    .column((mine.clone(), Column::ProjectId))
                    .from_as(Entity, mine.clone())
                    .and_where(Expr::col((mine, Column::UserId)).eq(user))
                    .and_where(crate::sql::facts::held_by_active_user("mine"))
                    .to_owned(),
            ),
        )
        .to_owned()
}

/// `SELECT user_id` of every member of a group that is on one of `paths` (one of the actor's
/// membership groups or an ancestor of it) or below one of them.
fn group_co_members(paths: &[domain::GroupPath], backend: DbBackend) -> SelectStatement {
    use entity::group_members::{Column, Entity};
    // The ancestors come from the paths' own labels: no tree walk, no query.
    let on_paths: BTreeSet<Uuid> = paths.iter().flat_map(domain::GroupPath::ids).collect();
    let below = paths.iter().fold(Condition::any(), |any, path| {
        any.add(crate::sql::tree::subtree(backend, path, true))
    });
    let groups_below = Query::select()
        .column((entity::groups::Entity, entity::groups::Column::Id))
        .from(entity::groups::Entity)
        .cond_where(below)
        .to_owned();
    Query::select()
        .column((Entity, Column::UserId))
        .from(Entity)
        .cond_where(
            Condition::any()
                .add(Expr::col((Entity, Column::GroupId)).is_in(on_paths))
                .add(Expr::col((Entity, Column::GroupId)).in_subquery(groups_below)),
        )
        .to_owned()
}

/// The user `id` if `subject` may read it (see [`Visibility`]); otherwise 404, so that the
/// existence of users is not leaked.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<entity::users::Model, ApiError> {
    guard::allow(domain::decide_account_read(
        visible_user(db, subject, id).await?,
    ))
}

/// `GET /v1/users/{id}`: [`find_visible`], decided on the read route's facts — the decision
/// memory when it is on (the same rule; the middleware has brought memory to the request's
/// consistency), else the database.
pub(crate) async fn read_visible(
    facts: &crate::services::memory::facts::Source<'_>,
    subject: Subject,
    id: Uuid,
) -> Result<entity::users::Model, ApiError> {
    use crate::services::memory::facts::Source;
    match facts {
        Source::Remembered(memory) => guard::allow(domain::decide_account_read(
            memory.readable_user(subject, id).await?,
        )),
        Source::Stored(db) => find_visible(db.0, subject, id).await,
    }
}

/// The user `id` if it exists and `subject` may read it: the one query behind
/// [`find_visible`] and [`require_visible`].
async fn visible_user(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Option<entity::users::Model>, ApiError> {
    let visibility = Visibility::of(db, subject).await?;
    Ok(entity::users::Entity::find_by_id(id)
        .filter(visibility.condition(db.get_database_backend()))
        .one(db)
        .await?)
}

/// Filters of `GET /v1/users`, already validated.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Only the user with exactly this (lower-case) address.
    pub email: Option<domain::Email>,
    /// Only users whose email or display name contains this, ignoring case.
    pub q: Option<String>,
}

/// The users `subject` may read (the same rule as [`find_visible`]) that match `filter`, in id
/// order, in `window`.
pub async fn list_visible(
    db: &impl ConnectionTrait,
    subject: Subject,
    filter: &UserFilter,
    window: &Window<Uuid>,
) -> Result<Vec<entity::users::Model>, ApiError> {
    use entity::users::{Column, Entity};
    let visibility = Visibility::of(db, subject).await?;
    let mut query = Entity::find().filter(visibility.condition(db.get_database_backend()));
    if let Some(email) = &filter.email {
        query = query.filter(Column::Email.eq(email.as_str()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(
            Condition::any()
                .add(contains_ignoring_case(Column::Email, q))
                .add(contains_ignoring_case(Column::DisplayName, q)),
        );
    }
    Ok(window.read(db, query, Column::Id).await?)
}

/// `LOWER(column) LIKE LOWER('%needle%') ESCAPE '\'`, with `%`, `_` and `\` in the needle
/// escaped so that they match themselves.
///
/// Both sides are lowered by the database, so each backend agrees with itself: PostgreSQL folds
/// all of Unicode, SQLite's `lower` only ASCII (a needle typed in the stored case always matches).
fn contains_ignoring_case(column: entity::users::Column, needle: &str) -> Expr {
    let lowered_pattern = Expr::Binary(
        Box::new(Func::lower(Expr::val(contains_pattern(needle))).into()),
        BinOper::Escape,
        Box::new(Expr::Constant('\\'.into())),
    );
    Expr::expr(Func::lower(Expr::col((entity::users::Entity, column))))
        .binary(BinOper::Like, lowered_pattern)
}

/// The `LIKE` pattern (escape character `\`) matching any text that contains `needle`.
fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A validated `PATCH /v1/users/{id}`: `None` leaves a field unchanged.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub email: Option<domain::Email>,
    pub display_name: Option<domain::Name>,
}

/// Changes a user. The user themselves may change their display name; a system admin may change
/// both fields (`domain::decide_account_change`). Anyone else gets 404 for a user they cannot
/// see and 403 for one they can. A change to the same values is no change: 200 and no audit
/// event.
pub async fn update(
    db: &DatabaseConnection,
    subject: Subject,
    id: Uuid,
    changes: UserChanges,
) -> Result<entity::users::Model, ApiError> {
    write_as(db, subject, &[], async |tx, subject| {
        let before = find_visible(tx, subject, id).await?;
        let email = changes
            .email
            .as_ref()
            .map(domain::Email::as_str)
            .filter(|email| Some(*email) != before.email.as_deref());
        let display_name = changes
            .display_name
            .as_ref()
            .map(domain::Name::as_str)
            .filter(|name| *name != before.display_name);
        let change = domain::AccountChange {
            own: subject.user_id == id,
            email: email.is_some(),
        };
        guard::allow(domain::decide_account_change(
            subject.system_admin_at,
            change,
        ))?;
        if email.is_none() && display_name.is_none() {
            return Ok(Written::unchanged(before));
        }
        let mut user: entity::users::ActiveModel = before.clone().into();
        if let Some(email) = email {
            user.email = Set(Some(email.to_owned()));
            // A user still named by their old email is named by the new one: the old address
            // may go to someone else, whose name it would then be.
            if before
                .email
                .as_deref()
                .is_some_and(|old| before.user_name.eq_ignore_ascii_case(old))
            {
                user.user_name = Set(email.to_owned());
            }
        }
        if let Some(display_name) = display_name {
            user.display_name = Set(display_name.to_owned());
        }
        user.updated_at = Set(chrono::Utc::now());
        let after = user.update(tx).await.map_err(|e| match e {
            // Deleted by a concurrent request since it was read.
            DbErr::RecordNotUpdated => ApiError::NotFound,
            e => email_taken(e),
        })?;
        let audit = AuditRecord::new(Some(subject.user_id), "user.update", "user", id)
            .change(user_json(&before), user_json(&after));
        Ok(Written::changed(after, audit))
    })
    .await
}

/// How often a deletion starts over because the user joined a project it had not locked.
const DELETE_ROUNDS: u32 = 4;

/// What one round of a deletion did.
enum Deletion {
    Deleted,
    /// The user is now in projects whose locks the round did not hold: run again holding them.
    InMoreProjects(BTreeSet<Uuid>),
}

/// Deletes a user with their memberships (system admins only; others get 404 for a user they
/// cannot see and 403 for one they can). Refused with 409 when the user is the last system admin
/// (`last_system_admin`) or the last `admin` of a project (`last_admin`).
///
/// The decision and the checks run inside the transaction that deletes, on the caller as they
/// are then, holding the system-admin lock and the lock of every project the user belongs to,
/// so two concurrent deletions (or a deletion and a demotion) cannot both pass them. The project
/// set is read before the locks are taken; if it has grown by the time they are held, the round
/// commits nothing and runs again with the new set.
pub async fn delete(db: &DatabaseConnection, subject: Subject, id: Uuid) -> Result<(), ApiError> {
    delete_by(db, Deleter::User(subject), id).await
}

/// Who deletes a user: a caller of `/v1`, whom the guard decides for, or a provisioning client
/// (`/scim/v2`), which may delete anyone whose version `if_match` allows.
#[derive(Debug, Clone, Copy)]
pub enum Deleter<'a> {
    User(Subject),
    Provisioner {
        client: Provisioner,
        if_match: Option<&'a str>,
    },
}

/// [`delete`] by either kind of [`Deleter`]; the same rules hold for both.
pub(crate) async fn delete_by(
    db: &DatabaseConnection,
    deleter: Deleter<'_>,
    id: Uuid,
) -> Result<(), ApiError> {
    let mut projects = project_ids_of(db, id).await?;
    for _ in 0..DELETE_ROUNDS {
        let locks: Vec<Lock> = std::iter::once(Lock::SystemAdmins)
            .chain(projects.iter().copied().map(Lock::Project))
            .collect();
        let locked = &projects;
        let round = write(db, &locks, async |tx| {
            delete_locked(tx, deleter, id, locked).await
        })
        .await?;
        match round {
            Deletion::Deleted => return Ok(()),
            Deletion::InMoreProjects(now) => projects = now,
        }
    }
    Err(ApiError::Contention)
}

/// One round of [`delete`], inside its transaction, holding the locks of `locked` projects.
async fn delete_locked(
    tx: &DatabaseTransaction,
    deleter: Deleter<'_>,
    id: Uuid,
    locked: &BTreeSet<Uuid>,
) -> Result<Written<Deletion>, ApiError> {
    if let Deleter::User(subject) = deleter {
        // The caller as they are now, inside the transaction (as `write_as` does).
        let subject = subject.reread(tx).await?;
        find_visible(tx, subject, id).await?;
        guard::allow(domain::decide_account_deletion(subject.system_admin_at))?;
    }
    // The row lock makes concurrent inserts that reference the user (a new membership) wait for
    // this transaction, so the memberships read below are all there will be. (SQLite ignores it:
    // its IMMEDIATE transaction already excludes every other writer.)
    let user = entity::users::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Deleter::Provisioner { if_match, .. } = deleter {
        super::scim::check_if_match(if_match, &super::scim::user_json::version(&user))?;
    }
    let memberships = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::UserId.eq(id))
        .all(tx)
        .await?;
    let projects: BTreeSet<Uuid> = memberships.iter().map(|m| m.project_id).collect();
    if !projects.is_subset(locked) {
        return Ok(Written::unchanged(Deletion::InMoreProjects(projects)));
    }
    if system_admin_group(tx, id).await?.is_some() {
        let others = count_other_active_system_admins(tx, id).await?;
        domain::check_admins_remain(domain::LastAdmin::System, others)?;
    }
    for membership in &memberships {
        let role = crate::convert::project_role(membership.role);
        if domain::removes_project_admin(Some(role), None) {
            super::project_members::ensure_admin_remains(tx, membership.project_id, id).await?;
        }
    }
    let group_memberships = entity::group_members::Entity::find()
        .filter(entity::group_members::Column::UserId.eq(id))
        .all(tx)
        .await?;
    // The user loses their role wherever they held a membership (roles inherited below follow).
    let nodes = group_memberships
        .iter()
        .map(|m| Node::Group(m.group_id))
        .chain(projects.iter().map(|p| Node::Project(*p)));
    let mut watches = Vec::new();
    for node in nodes {
        watches.push(Watch::user(tx, node, id).await?);
    }
    let squad_memberships = entity::squad_members::Entity::find()
        .filter(entity::squad_members::Column::UserId.eq(id))
        .count(tx)
        .await?;
    entity::users::Entity::delete_by_id(id).exec(tx).await?;
    // The deletion nulled `reports_to` wherever a member reported to this user (ON DELETE SET
    // NULL); recompute those projects' lines now, in this transaction (spec §3).
    let mut repairs = serde_json::Map::new();
    for project_id in &projects {
        let changes = super::reporting::repair(tx, *project_id).await?;
        if !changes.is_empty() {
            repairs.insert(
                project_id.to_string(),
                super::reporting::changes_json(&changes),
            );
        }
    }
    let audit = match deleter {
        Deleter::User(subject) => {
            AuditRecord::new(Some(subject.user_id), "user.delete", "user", id)
        }
        Deleter::Provisioner { client, .. } => client.audit("user.delete", "user", id),
    };
    let mut audit = audit.change(user_json(&user), serde_json::Value::Null);
    for watch in watches {
        audit = audit.with_access(watch.deltas(tx).await?);
    }
    audit.details["removed"] = json!({
        "group_memberships": group_memberships.len(),
        "project_memberships": memberships.len(),
        "squad_memberships": squad_memberships,
        "project_ids": projects,
    });
    audit.details["reporting_line_repairs"] = serde_json::Value::Object(repairs);
    Ok(Written::changed(Deletion::Deleted, audit))
}

/// The projects `user` is a member of.
pub(crate) async fn project_ids_of(
    db: &impl ConnectionTrait,
    user: Uuid,
) -> Result<BTreeSet<Uuid>, DbErr> {
    let rows = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::UserId.eq(user))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| m.project_id).collect())
}

/// What an audit event records of a user.
pub fn user_json(user: &entity::users::Model) -> serde_json::Value {
    json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "user_name": user.user_name,
        "active": user.active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(contains_pattern("ada"), "%ada%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
