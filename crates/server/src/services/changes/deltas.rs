//! The effective-access deltas a change records (spec §8): a [`Watch`] loads the facts at the
//! touched group or project before the change, and again after it — or, for a change that is
//! one membership or project role, applies it to the facts in memory — and the domain's rules
//! (`domain::NodeFacts`, `domain::role_deltas`) say whose effective role there differs.
//!
//! A watch narrowed to the users a change can affect (a membership change affects only its
//! member) reads a handful of rows; only moves, creations and deletions read the whole node.
//!
//! A deactivated user's memberships are read with the rest (a change to one must find it) and
//! marked as theirs (`NodeFacts::deactivated`): they hold no role before a change nor after it,
//! so changes to what they hold record no delta.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::convert;
use crate::error::ApiError;
use crate::services::{access, plain_writes};
use crate::sql;

/// The group or project a change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Group(Uuid),
    Project(Uuid),
}

/// The facts at one node before a change, waiting for the change to finish.
#[derive(Debug)]
pub struct Watch {
    node: Node,
    /// The one user watched; `None`: everyone at the node.
    user: Option<Uuid>,
    before: domain::NodeFacts,
}

impl Watch {
    /// Watches `node` for every user with a role there.
    pub async fn all(db: &impl ConnectionTrait, node: Node) -> Result<Self, ApiError> {
        Self::start(db, node, None).await
    }

    /// Watches a node the change is about to create: before it exists no one has a role there,
    /// so there is nothing to read.
    pub fn created(node: Node) -> Self {
        Self {
            node,
            user: None,
            before: domain::NodeFacts::default(),
        }
    }

    /// Watches `node` for `user` only: the change cannot affect anyone else there.
    pub async fn user(db: &impl ConnectionTrait, node: Node, user: Uuid) -> Result<Self, ApiError> {
        Self::start(db, node, Some(user)).await
    }

    /// Watches group `group` for `user`, and hands back their direct membership there, which
    /// the same statement reads: a membership change needs it anyway.
    pub async fn group_member(
        db: &impl ConnectionTrait,
        group: Uuid,
        user: Uuid,
    ) -> Result<(Self, Option<entity::group_members::Model>), ApiError> {
        let node = Node::Group(group);
        let rows = read(db, node, Some(user)).await?;
        let mut direct = None;
        for row in &rows {
            let Some((member, at, role)) = membership_of(row)? else {
                continue;
            };
            if at == group && member == user {
                direct = Some(entity::group_members::Model {
                    id: row.try_get("", "member_id")?,
                    user_id: member,
                    group_id: at,
                    role: convert::stored_group_role(role),
                    created_at: row.try_get("", "member_created_at")?,
                    updated_at: row.try_get("", "member_updated_at")?,
                });
            }
        }
        let before = facts_of(&rows, Some(user))?;
        let watch = Self {
            node,
            user: Some(user),
            before,
        };
        Ok((watch, direct))
    }

    async fn start(
        db: &impl ConnectionTrait,
        node: Node,
        user: Option<Uuid>,
    ) -> Result<Self, ApiError> {
        let before = load(db, node, user).await?;
        Ok(Self { node, user, before })
    }

    /// The deltas since the watch began, read again from `db` after the change.
    pub async fn deltas(self, db: &impl ConnectionTrait) -> Result<Vec<Value>, ApiError> {
        let after = load(db, self.node, self.user).await?;
        Ok(self.deltas_to(&after))
    }

    /// The deltas of a change that set the watched user's direct membership in `group` to
    /// `role` (`None`: removed) and nothing else, worked out from the facts read before it: the
    /// change is known, so the facts after it need no second read.
    pub fn membership_deltas(self, group: Uuid, role: Option<domain::GroupRole>) -> Vec<Value> {
        self.applied(|before, user| before.with_group_membership(user, group, role))
    }

    /// The deltas of a change that set the watched user's own role at the watched project to
    /// `role` (`None`: removed) and nothing else; see [`Watch::membership_deltas`].
    pub fn project_role_deltas(self, role: Option<domain::ProjectRole>) -> Vec<Value> {
        self.applied(|before, user| before.with_project_role(user, role))
    }

    fn applied(
        self,
        change: impl FnOnce(domain::NodeFacts, Uuid) -> domain::NodeFacts,
    ) -> Vec<Value> {
        let Some(user) = self.user.filter(|_| !plain_writes::enabled()) else {
            debug_assert!(plain_writes::enabled(), "a known change is one user's");
            return Vec::new();
        };
        let after = change(self.before.clone(), user);
        self.deltas_to(&after)
    }

    /// The `access` entries between the facts before and `after`, by the domain's rules.
    fn deltas_to(&self, after: &domain::NodeFacts) -> Vec<Value> {
        let (kind, id, before, after) = match self.node {
            Node::Group(id) => (
                "group",
                id,
                named(self.before.group_roles()),
                named(after.group_roles()),
            ),
            Node::Project(id) => (
                "project",
                id,
                named(self.before.project_roles(id)),
                named(after.project_roles(id)),
            ),
        };
        domain::role_deltas(&before, &after)
            .into_iter()
            .map(|delta| {
                json!({
                    "user_id": delta.user_id,
                    "type": kind,
                    "id": id,
                    "before": delta.before.map(domain::RoleName::as_str),
                    "after": delta.after.map(domain::RoleName::as_str),
                })
            })
            .collect()
    }
}

fn named<R: Into<domain::RoleName>>(roles: BTreeMap<Uuid, R>) -> BTreeMap<Uuid, domain::RoleName> {
    roles
        .into_iter()
        .map(|(user, role)| (user, role.into()))
        .collect()
}

/// The facts at `node` (of `user`, when given): one statement for the path and the
/// memberships ([`sql::facts::GROUP_NODE_ONE`] and its kin), and for a project one more for its
/// members' own roles. None when the node does not exist, and none read in the benchmark's
/// plain-writes mode, where no change has deltas.
async fn load(
    db: &impl ConnectionTrait,
    node: Node,
    user: Option<Uuid>,
) -> Result<domain::NodeFacts, ApiError> {
    if plain_writes::enabled() {
        return Ok(domain::NodeFacts::default());
    }
    let rows = read(db, node, user).await?;
    let mut facts = facts_of(&rows, user)?;
    if let Node::Project(project) = node {
        use entity::project_members::Column as Pm;
        // A deactivated member's own role grants nothing: read it only from the active (a
        // watched user who is deactivated is in `facts.deactivated` already).
        let mut query = entity::project_members::Entity::find()
            .filter(Pm::ProjectId.eq(project))
            .filter(sql::facts::held_by_active_user("project_members"));
        if let Some(user) = user {
            query = query.filter(Pm::UserId.eq(user));
        }
        facts.project_roles = query
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.user_id, convert::project_role(m.role)))
            .collect();
    }
    Ok(facts)
}

/// The rows of [`sql::facts::GROUP_NODE_ONE`] or its kin for `node` (and `user`).
async fn read(
    db: &impl ConnectionTrait,
    node: Node,
    user: Option<Uuid>,
) -> Result<Vec<sea_orm::QueryResult>, ApiError> {
    let (statement, id) = match (node, user) {
        (Node::Group(id), Some(_)) => (&*sql::facts::GROUP_NODE_ONE, id),
        (Node::Group(id), None) => (&*sql::facts::GROUP_NODE_ALL, id),
        (Node::Project(id), Some(_)) => (&*sql::facts::PROJECT_NODE_ONE, id),
        (Node::Project(id), None) => (&*sql::facts::PROJECT_NODE_ALL, id),
    };
    let mut values = vec![id.into()];
    values.extend(user.map(Into::into));
    Ok(db
        .query_all_raw(statement.statement(db.get_database_backend(), values))
        .await?)
}

/// The path and memberships those rows hold (the project roles are read apart), and who among
/// their holders — or the `watched` user, whom every row of the `_ONE` forms is about — is
/// deactivated.
fn facts_of(
    rows: &[sea_orm::QueryResult],
    watched: Option<Uuid>,
) -> Result<domain::NodeFacts, ApiError> {
    let Some(first) = rows.first() else {
        return Ok(domain::NodeFacts::default());
    };
    let path: String = first.try_get("", "path")?;
    let path = domain::GroupPath::parse(&path)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("a stored path is malformed: {e}")))?
        .ids();
    let mut facts = domain::NodeFacts {
        path,
        ..domain::NodeFacts::default()
    };
    for row in rows {
        let membership = membership_of(row)?;
        let about = watched.or(membership.map(|(member, _, _)| member));
        if let Some(user) = about
            && is_deactivated(row)?
        {
            facts.deactivated.insert(user);
        }
        let Some((member, group, role)) = membership else {
            continue;
        };
        if domain::grants_system_admin(role) {
            facts.system_admins.insert(member, group);
        }
        facts.memberships.push((member, group, role));
    }
    Ok(facts)
}

/// Whether the user a row is about is deactivated (`holder_active` false; null when the row is
/// about no one, or about a user who is gone).
fn is_deactivated(row: &sea_orm::QueryResult) -> Result<bool, ApiError> {
    Ok(row.try_get::<Option<bool>>("", "holder_active")? == Some(false))
}

/// The membership a row of those statements holds, as `(user, group, role)`; none in the row
/// of nulls that a node without memberships gives.
fn membership_of(
    row: &sea_orm::QueryResult,
) -> Result<Option<(Uuid, Uuid, domain::GroupRole)>, ApiError> {
    let Some((group, role)) = access::membership_in(row)? else {
        return Ok(None);
    };
    Ok(Some((row.try_get("", "member_user_id")?, group, role)))
}
