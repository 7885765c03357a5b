//! Keeping memberships in line with identity-provider groups (spec §11): after an IdP group's
//! members or bindings change, every affected member's membership at every affected binding's
//! place is brought in line with its sources ([`settle`], through `services::sources`).
//!
//! Such a change writes memberships in groups and projects, so it holds what `/v1` membership
//! changes hold: the group tree's lock, the system admins' lock (a binding may grant
//! `system_admin`), and the lock of every project its bindings reach. Which projects those are is
//! read before the transaction and read again inside it; when a binding made meanwhile reaches
//! another one, the round commits nothing and runs again holding it ([`write_bound`]).

use std::collections::BTreeSet;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde_json::Value;
use uuid::Uuid;

use super::sources;
use super::write::{Lock, Written, write};
use crate::error::ApiError;
use entity::idp_bindings;

/// How often a change starts over because a binding reached a project it had not locked.
const ROUNDS: u32 = 4;

/// Where a binding grants its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Group(Uuid),
    Project(Uuid),
    /// A squad, and its project (where the bound role is held).
    Squad {
        squad: Uuid,
        project: Uuid,
    },
}

impl Place {
    /// The project whose lock a change here needs, if any.
    pub fn project(self) -> Option<Uuid> {
        match self {
            Self::Group(_) => None,
            Self::Project(project) | Self::Squad { project, .. } => Some(project),
        }
    }
}

/// The bindings of IdP group `idp_group`, oldest first.
pub async fn bindings_of(
    db: &impl ConnectionTrait,
    idp_group: Uuid,
) -> Result<Vec<idp_bindings::Model>, ApiError> {
    Ok(idp_bindings::Entity::find()
        .filter(idp_bindings::Column::IdpGroupId.eq(idp_group))
        .order_by_asc(idp_bindings::Column::Id)
        .all(db)
        .await?)
}

/// Where `binding` grants its role (a squad's project read from the squad).
pub async fn place_of(
    db: &impl ConnectionTrait,
    binding: &idp_bindings::Model,
) -> Result<Place, ApiError> {
    place(db, binding.group_id, binding.project_id, binding.squad_id).await
}

/// Where a binding naming these (exactly one of them) grants its role; a squad's project is
/// read from the squad, 404 when there is no such squad.
pub async fn place(
    db: &impl ConnectionTrait,
    group: Option<Uuid>,
    project: Option<Uuid>,
    squad: Option<Uuid>,
) -> Result<Place, ApiError> {
    match (group, project, squad) {
        (Some(group), _, _) => Ok(Place::Group(group)),
        (_, Some(project), _) => Ok(Place::Project(project)),
        (_, _, Some(squad)) => {
            let found = entity::squads::Entity::find_by_id(squad)
                .one(db)
                .await?
                .ok_or(ApiError::NotFound)?;
            Ok(Place::Squad {
                squad,
                project: found.project_id,
            })
        }
        _ => Err(ApiError::internal(anyhow::anyhow!(
            "a binding names no place"
        ))),
    }
}

/// The places of `bindings`.
pub async fn places_of(
    db: &impl ConnectionTrait,
    bindings: &[idp_bindings::Model],
) -> Result<Vec<Place>, ApiError> {
    let mut places = Vec::with_capacity(bindings.len());
    for binding in bindings {
        places.push(place_of(db, binding).await?);
    }
    Ok(places)
}

/// The locks a change at `places` holds.
pub fn locks_for(places: &[Place]) -> Vec<Lock> {
    locks_reaching(places.iter().filter_map(|p| p.project()))
}

/// The group tree's and the system admins' locks, and those of `projects`.
fn locks_reaching(projects: impl IntoIterator<Item = Uuid>) -> Vec<Lock> {
    [Lock::GroupTree, Lock::SystemAdmins]
        .into_iter()
        .chain(projects.into_iter().map(Lock::Project))
        .collect()
}

/// Brings each of `users`' memberships at each of `places` in line with its sources; returns
/// the effective-access deltas. Refuses (and so rolls back) a change that would take away the
/// last system admin or a project's last admin.
pub async fn settle(
    tx: &DatabaseTransaction,
    places: &[Place],
    users: &BTreeSet<Uuid>,
) -> Result<Vec<Value>, ApiError> {
    let mut deltas = Vec::new();
    for place in places {
        for user in users {
            match *place {
                Place::Group(group) => {
                    deltas.extend(sources::settle_group(tx, group, *user).await?)
                }
                Place::Project(project) => {
                    deltas.extend(sources::settle_project(tx, project, *user).await?);
                }
                Place::Squad { squad, project } => {
                    deltas.extend(sources::settle_project(tx, project, *user).await?);
                    sources::settle_squad(tx, squad, project, *user).await?;
                }
            }
        }
    }
    Ok(deltas)
}

/// Runs `work` on IdP group `idp_group` as one transaction holding the locks of the places its
/// bindings reach, which `work` is given; see the module docs.
pub async fn write_bound<T>(
    db: &DatabaseConnection,
    idp_group: Uuid,
    work: impl AsyncFn(&DatabaseTransaction, &[Place]) -> Result<Written<T>, ApiError>,
) -> Result<T, ApiError> {
    let mut projects: BTreeSet<Uuid> = places_of(db, &bindings_of(db, idp_group).await?)
        .await?
        .iter()
        .filter_map(|p| p.project())
        .collect();
    for _ in 0..ROUNDS {
        let locks = locks_reaching(projects.iter().copied());
        let locked = &projects;
        let round = write(db, &locks, async |tx| {
            let places = places_of(tx, &bindings_of(tx, idp_group).await?).await?;
            let reached: BTreeSet<Uuid> = places.iter().filter_map(|p| p.project()).collect();
            if !reached.is_subset(locked) {
                return Ok(Written::unchanged(Err(reached)));
            }
            let Written { value, audit } = work(tx, &places).await?;
            Ok(Written {
                value: Ok(value),
                audit,
            })
        })
        .await?;
        match round {
            Ok(value) => return Ok(value),
            Err(reached) => projects.extend(reached),
        }
    }
    Err(ApiError::Contention)
}
