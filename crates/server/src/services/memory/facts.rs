//! Decisions' facts read from memory: the same questions [`access::Stored`] asks the
//! database, answered from the entries of [`super::store`] by the same `domain` rules.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::Decisions;
use super::store::{Fact, GroupFacts as GroupEntry, Key, UserFacts};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::services::access::{self, FactSource, GroupFacts, MembershipIndex, SquadFacts};
use crate::services::guard::Subject;

/// The decision memory as a fact source (only when memory is on).
pub(crate) struct Remembered<'a>(pub &'a Decisions);

impl Remembered<'_> {
    pub async fn user(&self, id: Uuid) -> Result<Option<Arc<UserFacts>>, ApiError> {
        match self.0.fact(Key::User(id)).await? {
            Fact::User(user) => Ok(user),
            _ => Err(mismatch()),
        }
    }

    pub async fn group(&self, id: Uuid) -> Result<Option<Arc<GroupEntry>>, ApiError> {
        match self.0.fact(Key::Group(id)).await? {
            Fact::Group(group) => Ok(group),
            _ => Err(mismatch()),
        }
    }

    async fn project(&self, id: Uuid) -> Result<Option<Arc<entity::projects::Model>>, ApiError> {
        match self.0.fact(Key::Project(id)).await? {
            Fact::Project(project) => Ok(project),
            _ => Err(mismatch()),
        }
    }

    async fn squad(&self, id: Uuid) -> Result<Option<Arc<entity::squads::Model>>, ApiError> {
        match self.0.fact(Key::Squad(id)).await? {
            Fact::Squad(squad) => Ok(squad),
            _ => Err(mismatch()),
        }
    }

    /// The subject's effective role at the group with `path`.
    async fn grant_at(
        &self,
        subject: Subject,
        path: &domain::GroupPath,
    ) -> Result<Option<domain::GroupGrant>, ApiError> {
        // A system admin's standing decides alone; their memberships need not be read.
        if subject.system_admin_at.is_some() {
            return Ok(access::grant_on_path(subject, path, |_| None));
        }
        let user = self.user(subject.user_id).await?;
        Ok(access::grant_on_path(subject, path, |id| {
            user.as_ref().and_then(|user| user.group_role(id))
        }))
    }
}

impl Remembered<'_> {
    /// The user `id` if `subject` may read them: the rule of `users::Visibility` (self; everyone
    /// for those who manage users; else whoever shares a project with them, or holds a
    /// membership on the path of one of theirs or below it), decided on memory's facts.
    pub async fn readable_user(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<entity::users::Model>, ApiError> {
        let Some(target) = self.user(id).await? else {
            return Ok(None);
        };
        let readable = Some(target.principal.user.clone());
        if id == subject.user_id {
            return Ok(readable);
        }
        let actor = self.user(subject.user_id).await?;
        let roles: Vec<(Uuid, domain::GroupRole)> = actor
            .iter()
            .flat_map(|actor| {
                actor
                    .group_ids()
                    .filter_map(|group| actor.group_role(group).map(|role| (group, role)))
            })
            .collect();
        let strongest = domain::effective_group_role(subject.system_admin_at, &roles);
        if domain::decide_user_management(strongest).allowed() {
            return Ok(readable);
        }
        let Some(actor) = actor else {
            return Ok(None);
        };
        let shares_project = actor
            .member_of_projects()
            .any(|project| actor.project_role(project).is_some() && target.in_project(project));
        if shares_project {
            return Ok(readable);
        }
        // The actor's membership groups and every group on their paths.
        let mut on_paths = std::collections::HashSet::new();
        for (group, _) in &roles {
            if let Some(group) = self.group(*group).await? {
                on_paths.extend(group.path.ids());
            }
        }
        for group in target.member_of_groups() {
            if on_paths.contains(&group) {
                return Ok(readable);
            }
            let below_one_of_theirs = match self.group(group).await? {
                Some(group) => group
                    .path
                    .ids()
                    .into_iter()
                    .any(|id| actor.group_role(id).is_some()),
                None => false,
            };
            if below_one_of_theirs {
                return Ok(readable);
            }
        }
        Ok(None)
    }
}

fn mismatch() -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "a decision memory entry holds the wrong kind of fact"
    ))
}

impl FactSource for Remembered<'_> {
    async fn group_facts(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<GroupFacts>, ApiError> {
        let Some(group) = self.group(id).await? else {
            return Ok(None);
        };
        let grant = self.grant_at(subject, &group.path).await?;
        Ok(Some(GroupFacts {
            group: group.group.clone(),
            path: group.path.clone(),
            grant,
            // Names are read from memory when a reason needs one.
            names: HashMap::new(),
        }))
    }

    async fn project_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<(entity::projects::Model, Option<domain::ProjectGrant>)>, ApiError> {
        let Some(project) = self.project(id).await? else {
            return Ok(None);
        };
        // A project always has its group; one deleted meanwhile took the project with it.
        let Some(group) = self.group(project.group_id).await? else {
            return Ok(None);
        };
        let owning_group = self.grant_at(subject, &group.path).await?;
        let own = match self.user(subject.user_id).await? {
            Some(user) => user.project_role(project.id),
            None => None,
        };
        let held =
            domain::effective_project_role(subject.system_admin_at, owning_group, project.id, own);
        Ok(Some((project.as_ref().clone(), held)))
    }

    async fn squad_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<SquadFacts>, ApiError> {
        let Some(squad) = self.squad(id).await? else {
            return Ok(None);
        };
        let Some((project, held)) = self.project_with_grant(subject, squad.project_id).await?
        else {
            return Ok(None);
        };
        Ok(Some((squad.as_ref().clone(), project, held)))
    }

    async fn squad_grant(
        &self,
        subject: Subject,
        squad: &entity::squads::Model,
        project: Option<domain::ProjectGrant>,
    ) -> Result<Option<domain::ProjectGrant>, ApiError> {
        if !domain::depends_on_squads(project) {
            return Ok(domain::effective_squad_role(project, false));
        }
        let belongs = match self.user(subject.user_id).await? {
            Some(user) => domain::belongs_to_squad_or_parent(
                user.squads_in(squad.project_id),
                squad.id,
                squad.parent_id,
            ),
            None => false,
        };
        Ok(domain::effective_squad_role(project, belongs))
    }

    async fn group_name(&self, id: Uuid) -> Result<String, ApiError> {
        Ok(self
            .group(id)
            .await?
            .map_or_else(|| id.to_string(), |group| group.group.name.clone()))
    }

    async fn principal(&self, id: Uuid) -> Result<Option<Principal>, ApiError> {
        Ok(self.user(id).await?.map(|user| user.principal.clone()))
    }

    async fn memberships(&self, subject: Subject) -> Result<MembershipIndex, ApiError> {
        let roles = match self.user(subject.user_id).await? {
            Some(user) => user
                .group_ids()
                .filter_map(|group| user.group_role(group).map(|role| (group, role)))
                .collect(),
            None => HashMap::new(),
        };
        Ok(MembershipIndex::new(subject, roles))
    }
}

/// The facts a read decision uses on this server: memory when it is on, else the database.
pub(crate) enum Source<'a> {
    Stored(access::Stored<'a, sea_orm::DatabaseConnection>),
    Remembered(Remembered<'a>),
}

impl<'a> Source<'a> {
    pub fn of(decisions: &'a Decisions) -> Self {
        if decisions.enabled() {
            Self::Remembered(Remembered(decisions))
        } else {
            Self::Stored(access::Stored(decisions.db()))
        }
    }
}

/// Asks the same question of whichever source `source` is.
macro_rules! either {
    ($source:expr, $facts:ident => $question:expr) => {
        match $source {
            Source::Stored($facts) => $question.await,
            Source::Remembered($facts) => $question.await,
        }
    };
}

impl FactSource for Source<'_> {
    async fn group_facts(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<GroupFacts>, ApiError> {
        either!(self, facts => facts.group_facts(subject, id))
    }

    async fn project_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<(entity::projects::Model, Option<domain::ProjectGrant>)>, ApiError> {
        either!(self, facts => facts.project_with_grant(subject, id))
    }

    async fn squad_with_grant(
        &self,
        subject: Subject,
        id: Uuid,
    ) -> Result<Option<SquadFacts>, ApiError> {
        either!(self, facts => facts.squad_with_grant(subject, id))
    }

    async fn squad_grant(
        &self,
        subject: Subject,
        squad: &entity::squads::Model,
        project: Option<domain::ProjectGrant>,
    ) -> Result<Option<domain::ProjectGrant>, ApiError> {
        either!(self, facts => facts.squad_grant(subject, squad, project))
    }

    async fn group_name(&self, id: Uuid) -> Result<String, ApiError> {
        either!(self, facts => facts.group_name(id))
    }

    async fn principal(&self, id: Uuid) -> Result<Option<Principal>, ApiError> {
        either!(self, facts => facts.principal(id))
    }

    async fn memberships(&self, subject: Subject) -> Result<MembershipIndex, ApiError> {
        either!(self, facts => facts.memberships(subject))
    }
}
