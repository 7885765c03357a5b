//! Reading one entry's facts from the database, when memory misses.
//!
//! A user's facts take four indexed reads (their row with their system admin membership, then
//! their group, project and squad memberships); a group, project or squad one primary-key read.
//! They need not share a snapshot: each read begins after the revision the loader noted, so
//! every part is at least that fresh (see [`super::store`]).

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::store::{Fact, GroupFacts, Key, UserFacts};
use crate::auth::Principal;
use crate::convert;
use crate::error::ApiError;

/// The facts behind `key` as stored now.
pub async fn fact(db: &impl ConnectionTrait, key: Key) -> Result<Fact, ApiError> {
    Ok(match key {
        Key::User(id) => Fact::User(user(db, id).await?.map(Arc::new)),
        Key::Group(id) => {
            let group = entity::groups::Entity::find_by_id(id).one(db).await?;
            let facts = group
                .map(|group| {
                    let path = crate::services::access::stored_path(&group)?;
                    Ok::<_, ApiError>(Arc::new(GroupFacts {
                        group: Arc::new(group),
                        path: Arc::new(path),
                    }))
                })
                .transpose()?;
            Fact::Group(facts)
        }
        Key::Project(id) => Fact::Project(
            entity::projects::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(Arc::new),
        ),
        Key::Squad(id) => Fact::Squad(
            entity::squads::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(Arc::new),
        ),
    })
}

async fn user(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<UserFacts>, DbErr> {
    let Some(principal) = Principal::load(db, id).await? else {
        return Ok(None);
    };
    let groups: Vec<(Uuid, entity::roles::MemberRole)> = {
        use entity::group_members::{Column, Entity};
        Entity::find()
            .select_only()
            .columns([Column::GroupId, Column::Role])
            .filter(Column::UserId.eq(id))
            .into_tuple()
            .all(db)
            .await?
    };
    let projects: Vec<(Uuid, entity::roles::ProjectRole)> = {
        use entity::project_members::{Column, Entity};
        Entity::find()
            .select_only()
            .columns([Column::ProjectId, Column::Role])
            .filter(Column::UserId.eq(id))
            .into_tuple()
            .all(db)
            .await?
    };
    let squads: Vec<(Uuid, Uuid)> = {
        use entity::squad_members::{Column, Entity};
        Entity::find()
            .select_only()
            .columns([Column::ProjectId, Column::SquadId])
            .filter(Column::UserId.eq(id))
            .into_tuple()
            .all(db)
            .await?
    };
    let mut by_project: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (project, squad) in squads {
        by_project.entry(project).or_default().push(squad);
    }
    Ok(Some(UserFacts::new(
        principal,
        groups
            .into_iter()
            .map(|(group, role)| (group, convert::group_role(role)))
            .collect(),
        projects
            .into_iter()
            .map(|(project, role)| (project, convert::project_role(role)))
            .collect(),
        by_project,
    )))
}
