//! The effective-access deltas a change records (spec §8): a [`Watch`] loads the facts at the
//! touched group or project before the change, and again after it, and the domain's rules
//! (`domain::NodeFacts`, `domain::role_deltas`) say whose effective role there differs.
//!
//! A watch narrowed to the users a change can affect (a membership change affects only its
//! member) reads a handful of rows; only moves, creations and deletions read the whole node.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::convert;
use crate::error::ApiError;
use crate::services::access;
use crate::sql;

/// The group or project a change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Group(Uuid),
    Project(Uuid),
}

/// The effective roles at one node before a change, waiting for the change to finish.
#[derive(Debug)]
pub struct Watch {
    node: Node,
    users: Option<Vec<Uuid>>,
    before: BTreeMap<Uuid, domain::RoleName>,
}

impl Watch {
    /// Watches `node` for every user with a role there.
    pub async fn all(db: &impl ConnectionTrait, node: Node) -> Result<Self, ApiError> {
        Self::start(db, node, None).await
    }

    /// Watches `node` for `user` only: the change cannot affect anyone else there.
    pub async fn user(db: &impl ConnectionTrait, node: Node, user: Uuid) -> Result<Self, ApiError> {
        Self::start(db, node, Some(vec![user])).await
    }

    async fn start(
        db: &impl ConnectionTrait,
        node: Node,
        users: Option<Vec<Uuid>>,
    ) -> Result<Self, ApiError> {
        let before = roles_at(db, node, users.as_deref()).await?;
        Ok(Self {
            node,
            users,
            before,
        })
    }

    /// The deltas since the watch began, as the `access` entries of the change.
    pub async fn deltas(self, db: &impl ConnectionTrait) -> Result<Vec<Value>, ApiError> {
        let after = roles_at(db, self.node, self.users.as_deref()).await?;
        let (kind, id) = match self.node {
            Node::Group(id) => ("group", id),
            Node::Project(id) => ("project", id),
        };
        Ok(domain::role_deltas(&self.before, &after)
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
            .collect())
    }
}

/// Every effective role at `node` (of `users`, when given), by the domain's rules.
async fn roles_at(
    db: &impl ConnectionTrait,
    node: Node,
    users: Option<&[Uuid]>,
) -> Result<BTreeMap<Uuid, domain::RoleName>, ApiError> {
    Ok(match node {
        Node::Group(id) => {
            let group = entity::groups::Entity::find_by_id(id).one(db).await?;
            let facts = load(db, group.as_ref(), None, users).await?;
            named(facts.group_roles())
        }
        Node::Project(id) => {
            let project = entity::projects::Entity::find_by_id(id).one(db).await?;
            let owner = match &project {
                Some(p) => {
                    entity::groups::Entity::find_by_id(p.group_id)
                        .one(db)
                        .await?
                }
                None => None,
            };
            let facts = load(db, owner.as_ref(), project.map(|p| p.id), users).await?;
            named(facts.project_roles(id))
        }
    })
}

fn named<R: Into<domain::RoleName>>(roles: BTreeMap<Uuid, R>) -> BTreeMap<Uuid, domain::RoleName> {
    roles
        .into_iter()
        .map(|(user, role)| (user, role.into()))
        .collect()
}

/// The facts at `group` (and `project`, owned by it): none when the node does not exist.
async fn load(
    db: &impl ConnectionTrait,
    group: Option<&entity::groups::Model>,
    project: Option<Uuid>,
    users: Option<&[Uuid]>,
) -> Result<domain::NodeFacts, ApiError> {
    use entity::group_members::{Column as Gm, Entity as GroupMembers};
    let Some(group) = group else {
        return Ok(domain::NodeFacts::default());
    };
    let path = access::stored_path(group)?.ids();
    let only = |query: sea_orm::Select<GroupMembers>| match users {
        Some(users) => query.filter(Gm::UserId.is_in(users.to_vec())),
        None => query,
    };
    let system_admins = only(GroupMembers::find().filter(sql::facts::system_admin_membership()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m.group_id))
        .collect();
    let memberships = only(GroupMembers::find().filter(Gm::GroupId.is_in(path.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m.group_id, convert::group_role(m.role)))
        .collect();
    let project_roles = match project {
        Some(project) => {
            use entity::project_members::Column as Pm;
            let mut query =
                entity::project_members::Entity::find().filter(Pm::ProjectId.eq(project));
            if let Some(users) = users {
                query = query.filter(Pm::UserId.is_in(users.to_vec()));
            }
            query
                .all(db)
                .await?
                .into_iter()
                .map(|m| (m.user_id, convert::project_role(m.role)))
                .collect()
        }
        None => BTreeMap::new(),
    };
    Ok(domain::NodeFacts {
        system_admins,
        path,
        memberships,
        project_roles,
    })
}
