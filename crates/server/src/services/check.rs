//! Permission checks for other backends: "may this user use this capability here?"
//!
//! Each answer is decided by the same functions the route guards use (`access::*_grant` and
//! `domain::decide_*`), on facts from a [`FactSource`]: the decision memory (spec §13), or the
//! database as it stands. On the database a group check costs one statement: the group's row,
//! the subject's memberships on its path and the names of their groups (for the human
//! `reason`) come back together ([`access::load_group_facts`]); from memory, none.

use std::collections::HashMap;

use uuid::Uuid;

use super::access::{self, FactSource};
use super::guard::Subject;
use crate::error::ApiError;

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    System,
    Group(Uuid),
    Project(Uuid),
    Squad(Uuid),
}

impl Resource {
    pub fn kind(self) -> domain::ResourceKind {
        match self {
            Self::System => domain::ResourceKind::System,
            Self::Group(_) => domain::ResourceKind::Group,
            Self::Project(_) => domain::ResourceKind::Project,
            Self::Squad(_) => domain::ResourceKind::Squad,
        }
    }
}

/// A validated check: the capability applies to the resource's kind.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Whose access; `None` means the caller's own.
    pub user_id: Option<Uuid>,
    pub capability: domain::Capability,
    pub resource: Resource,
}

/// The answer to one check.
#[derive(Debug, Clone)]
pub struct Answer {
    pub allowed: bool,
    /// The subject's effective role at the resource, if any.
    pub role: Option<domain::RoleName>,
    /// The membership that grants the capability (only when allowed).
    pub granted_by: Option<domain::GrantedBy>,
    pub reason: String,
}

/// Answers one check asked by `caller`. Callers check themselves; only a system admin checks
/// others (an unknown user is a 400 naming `user_id`).
pub(crate) async fn answer_for(
    facts: &impl FactSource,
    caller: Subject,
    check: &Check,
) -> Result<Answer, ApiError> {
    let asked = asked_about(facts, caller, check.user_id).await?;
    if !asked.active {
        return Ok(deactivated());
    }
    answer(facts, asked.subject, check).await
}

/// Whose access a question asked by `caller` is about: their own when `user_id` is absent or
/// theirs; another user's only for a system admin (an unknown user is a 400 naming `user_id`).
/// A deactivated user's subject holds nothing, so every decision about them denies.
pub(crate) async fn subject_for(
    facts: &impl FactSource,
    caller: Subject,
    user_id: Option<Uuid>,
) -> Result<Subject, ApiError> {
    Ok(asked_about(facts, caller, user_id).await?.subject)
}

/// The subject of a question, and whether their account is active (for the reason a check
/// gives): the caller's is, or their token would have been refused.
struct Asked {
    subject: Subject,
    active: bool,
}

async fn asked_about(
    facts: &impl FactSource,
    caller: Subject,
    user_id: Option<Uuid>,
) -> Result<Asked, ApiError> {
    match user_id.filter(|id| *id != caller.user_id) {
        None => Ok(Asked {
            subject: caller,
            active: true,
        }),
        Some(user_id) => {
            access::authorize_system(caller, domain::Capability::SystemManage)
                .map_err(|e| e.attempting("checking the access of other users"))?;
            // A system admin sees every user, so existence is all there is to require.
            let user = facts
                .principal(user_id)
                .await?
                .ok_or_else(|| ApiError::invalid("user_id", super::users::NO_SUCH_USER))?;
            Ok(Asked {
                subject: Subject::from(&user),
                active: user.user.active,
            })
        }
    }
}

/// Decides one check for `subject`.
pub(crate) async fn answer(
    facts: &impl FactSource,
    subject: Subject,
    check: &Check,
) -> Result<Answer, ApiError> {
    let capability = check.capability;
    match check.resource {
        Resource::System => {
            let decision = domain::decide_system(capability, subject.system_admin_at);
            let reason = match decision.granted_by() {
                Some(_) => "system_admin (everywhere)".to_owned(),
                None => "not a system admin".to_owned(),
            };
            Ok(from_decision(&decision, reason))
        }
        Resource::Group(id) => {
            let Some(group) = facts.group_facts(subject, id).await? else {
                return Ok(invisible("group"));
            };
            let Some(grant) = group.grant else {
                return Ok(invisible("group"));
            };
            let decision = domain::decide_group(capability, Some(grant));
            let here = format!("'{}'", group.group.name);
            let reason = explain(
                facts,
                &decision,
                capability,
                &here,
                Some(group.group.id),
                &group.names,
            )
            .await?;
            Ok(from_decision(&decision, reason))
        }
        Resource::Project(id) => {
            let Some((project, Some(grant))) = facts.project_with_grant(subject, id).await? else {
                return Ok(invisible("project"));
            };
            let at_project = domain::effective_at_project(Some(grant));
            let decision = domain::decide_project(capability, at_project);
            let here = format!("project '{}'", project.name);
            let reason =
                explain(facts, &decision, capability, &here, None, &HashMap::new()).await?;
            Ok(from_decision(&decision, reason))
        }
        Resource::Squad(id) => {
            let Some((squad, project, in_project)) = facts.squad_with_grant(subject, id).await?
            else {
                return Ok(invisible("squad"));
            };
            let Some(grant) = facts.squad_grant(subject, &squad, in_project).await? else {
                return Ok(invisible("squad"));
            };
            let decision = domain::decide_project(capability, Some(grant));
            let here = format!("squad '{}' of project '{}'", squad.name, project.name);
            let reason =
                explain(facts, &decision, capability, &here, None, &HashMap::new()).await?;
            Ok(from_decision(&decision, reason))
        }
    }
}

fn from_decision<G: domain::Grant>(decision: &domain::Decision<G>, reason: String) -> Answer {
    crate::metrics::record_decision(crate::metrics::DecisionSource::Check, decision.allowed());
    Answer {
        allowed: decision.allowed(),
        role: decision.role(),
        granted_by: decision.granted_by(),
        reason,
    }
}

/// The answer about a deactivated user, whatever was asked: their memberships grant nothing.
/// It reveals nothing about the resource, which the caller (a system admin) may see anyway.
fn deactivated() -> Answer {
    crate::metrics::record_decision(crate::metrics::DecisionSource::Check, false);
    Answer {
        allowed: false,
        role: None,
        granted_by: None,
        reason: "the user is deactivated: their memberships grant nothing".to_owned(),
    }
}

/// The same answer for a resource that does not exist and one the subject has no role at, so a
/// check never reveals what its subject may not see.
fn invisible(kind: &str) -> Answer {
    crate::metrics::record_decision(crate::metrics::DecisionSource::Check, false);
    Answer {
        allowed: false,
        role: None,
        granted_by: None,
        reason: format!("no such {kind}, or no role there"),
    }
}

/// One line for people: which membership grants the capability, or which role lacks it.
/// `here` names the resource; `here_group` is its id when it is a group; `names` holds group
/// names already read with the decision's facts (others are read here).
async fn explain<G: domain::Grant>(
    facts: &impl FactSource,
    decision: &domain::Decision<G>,
    capability: domain::Capability,
    here: &str,
    here_group: Option<Uuid>,
    names: &HashMap<Uuid, String>,
) -> Result<String, ApiError> {
    let Some(by) = decision.granted_by() else {
        return Ok(match decision.role() {
            Some(role) => format!("{role} at {here} does not have {capability}"),
            None => format!("no role at {here}"),
        });
    };
    Ok(match by.source {
        domain::GrantSource::System { .. } => format!("system_admin (everywhere), at {here}"),
        domain::GrantSource::Group { group_id } if Some(group_id) == here_group => {
            format!("{} of {here}", by.role)
        }
        domain::GrantSource::Group { group_id } => {
            let name = match names.get(&group_id) {
                Some(name) => name.clone(),
                None => facts.group_name(group_id).await?,
            };
            let relation = if here_group.is_some() {
                "ancestor of"
            } else {
                "owning group of"
            };
            format!("{} of '{name}' ({relation} {here})", by.role)
        }
        domain::GrantSource::Project { .. } => format!("{} of {here}", by.role),
    })
}
