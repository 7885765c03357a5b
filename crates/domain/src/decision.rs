//! Capability decisions: one pure function per resource kind, for route guards and `/v1/check`.
//!
//! The caller resolves the effective role first (see [`crate::effective`]); a decision only asks
//! the role tables whether that role has the capability, and says why in words.

use crate::capability::{Capability, CapabilityKind};
use crate::effective::{GrantedBy, GroupGrant, ProjectGrant};
use crate::roles::{GroupRole, RoleName};
use uuid::Uuid;

/// Why a decision came out the way it did, for callers that must react differently (e.g. a
/// route answers 404 to a caller with no role, so as not to leak existence, and 403 otherwise).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The effective role has the capability.
    Granted,
    /// The user has an effective role here, but it lacks the capability.
    LacksCapability,
    /// The user has no role at this resource.
    NoRole,
    /// The capability is not checked against this kind of resource (e.g. `group.view` on a
    /// project); `/v1/check` rejects such pairs before deciding.
    NotApplicable,
}

/// The answer to "may this user use this capability here?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the capability is granted.
    pub allowed: bool,
    /// The user's effective role at the resource, if any (also when denied).
    pub role: Option<RoleName>,
    /// The membership that grants the capability; `None` when denied.
    pub granted_by: Option<GrantedBy>,
    /// Why, as a machine-readable value.
    pub outcome: Outcome,
    /// Why, as one human sentence.
    pub reason: String,
}

/// Decides a `group.*` capability at a group, given the user's effective role there.
pub fn decide_group(capability: Capability, grant: Option<GroupGrant>) -> Decision {
    let has = grant.is_some_and(|g| g.role.has(capability));
    decide(
        capability,
        CapabilityKind::Group,
        grant.map(|g| (g.role.into(), g.granted_by())),
        has,
    )
}

/// Decides a `project.*` capability at a project or squad, given the user's effective role
/// there (for a squad, the result of [`crate::effective_squad_role`]).
pub fn decide_project(capability: Capability, grant: Option<ProjectGrant>) -> Decision {
    let has = grant.is_some_and(|g| g.role.has(capability));
    decide(
        capability,
        CapabilityKind::Project,
        grant.map(|g| (g.role.into(), g.granted_by())),
        has,
    )
}

/// Decides a `system.*` capability, given where the user's system_admin membership is, if any.
pub fn decide_system(capability: Capability, system_admin_at: Option<Uuid>) -> Decision {
    let grant = system_admin_at.map(GroupGrant::system_admin);
    let has = grant.is_some() && GroupRole::SystemAdmin.has(capability);
    decide(
        capability,
        CapabilityKind::System,
        grant.map(|g| (g.role.into(), g.granted_by())),
        has,
    )
}

/// The shared logic: the outcome, then the answer built from it.
fn decide(
    capability: Capability,
    resource: CapabilityKind,
    grant: Option<(RoleName, GrantedBy)>,
    has: bool,
) -> Decision {
    let outcome = if capability.kind() != resource {
        Outcome::NotApplicable
    } else {
        match grant {
            None => Outcome::NoRole,
            Some(_) if has => Outcome::Granted,
            Some(_) => Outcome::LacksCapability,
        }
    };
    let allowed = outcome == Outcome::Granted;
    let role = grant.map(|(role, _)| role);
    let granted_by = grant.filter(|_| allowed).map(|(_, by)| by);
    Decision {
        allowed,
        role,
        granted_by,
        outcome,
        reason: reason(capability, resource, outcome, role, granted_by),
    }
}

/// The human sentence for a decision; kept apart from the logic so wording never changes an answer.
fn reason(
    capability: Capability,
    resource: CapabilityKind,
    outcome: Outcome,
    role: Option<RoleName>,
    granted_by: Option<GrantedBy>,
) -> String {
    match (outcome, role, granted_by) {
        (Outcome::NotApplicable, _, _) => format!(
            "{capability} applies to {}, not to {}",
            capability.kind().resources(),
            resource.resources()
        ),
        (Outcome::NoRole, _, _) => match resource {
            CapabilityKind::System => "not a system admin".to_owned(),
            CapabilityKind::Group => "no role in this group or its ancestors".to_owned(),
            CapabilityKind::Project => "no role in this project".to_owned(),
        },
        (Outcome::Granted, Some(role), Some(by)) => format!(
            "{role} has {capability} (granted by the {} membership in {})",
            by.role, by.source
        ),
        (_, Some(role), _) => format!("{role} does not have {capability}"),
        // Unreachable by construction (Granted and LacksCapability always carry a role), but a
        // sentence is still better than a panic.
        (_, None, _) => format!("{capability} is not granted"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::effective::{GrantSource, effective_squad_role};
    use crate::roles::ProjectRole;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Checks one decision: allowed, outcome, role, whether `granted_by` is set, and a fragment
    /// of the reason.
    fn check(d: &Decision, outcome: Outcome, role: Option<&str>, reason_has: &str) {
        assert_eq!(d.outcome, outcome, "{d:?}");
        assert_eq!(d.allowed, outcome == Outcome::Granted, "{d:?}");
        assert_eq!(d.granted_by.is_some(), d.allowed, "{d:?}");
        assert_eq!(d.role.map(RoleName::as_str), role, "{d:?}");
        assert!(
            d.reason.contains(reason_has),
            "{:?} lacks {reason_has:?}",
            d.reason
        );
    }

    #[test]
    fn group_decisions() {
        use Capability as C;
        let teacher_grant = GroupGrant {
            role: GroupRole::Teacher,
            source: GrantSource::Group { group_id: id(1) },
        };
        let teacher = Some(teacher_grant);
        let d = decide_group(C::GroupCreateProjects, teacher);
        check(
            &d,
            Outcome::Granted,
            Some("teacher"),
            "teacher has group.create_projects",
        );
        assert_eq!(d.granted_by, Some(teacher_grant.granted_by()));
        check(
            &decide_group(C::GroupManage, teacher),
            Outcome::LacksCapability,
            Some("teacher"),
            "teacher does not have group.manage",
        );
        check(
            &decide_group(C::GroupView, None),
            Outcome::NoRole,
            None,
            "no role",
        );
        check(
            &decide_group(C::ProjectView, teacher),
            Outcome::NotApplicable,
            Some("teacher"),
            "applies to projects and squads, not to groups",
        );
        let admin = Some(GroupGrant::system_admin(id(9)));
        check(
            &decide_group(C::GroupManage, admin),
            Outcome::Granted,
            Some("system_admin"),
            "system_admin",
        );
    }

    #[test]
    fn project_decisions() {
        use Capability as C;
        let bridged = ProjectGrant::bridged(GroupGrant {
            role: GroupRole::GroupAdmin,
            source: GrantSource::Group { group_id: id(1) },
        });
        let d = decide_project(C::ProjectDelete, bridged);
        check(
            &d,
            Outcome::Granted,
            Some("admin"),
            "group_admin membership in group",
        );
        assert_eq!(d.granted_by.unwrap().source.id(), id(1));

        let lead = Some(ProjectGrant::own(id(5), ProjectRole::SquadLead));
        check(
            &decide_project(
                C::ProjectManageSquadMembers,
                effective_squad_role(lead, true),
            ),
            Outcome::Granted,
            Some("squad_lead"),
            "squad_lead has",
        );
        check(
            &decide_project(
                C::ProjectManageSquadMembers,
                effective_squad_role(lead, false),
            ),
            Outcome::LacksCapability,
            Some("member"),
            "member does not have project.manage_squad_members",
        );
        check(
            &decide_project(C::ProjectView, None),
            Outcome::NoRole,
            None,
            "no role in this project",
        );
        check(
            &decide_project(C::SystemManage, lead),
            Outcome::NotApplicable,
            Some("squad_lead"),
            "applies to the system",
        );
    }

    #[test]
    fn system_decisions() {
        use Capability as C;
        let d = decide_system(C::SystemManage, Some(id(3)));
        check(
            &d,
            Outcome::Granted,
            Some("system_admin"),
            "system_admin has system.manage",
        );
        assert_eq!(
            d.granted_by.unwrap().source,
            GrantSource::System { group_id: id(3) }
        );
        check(
            &decide_system(C::SystemManage, None),
            Outcome::NoRole,
            None,
            "not a system admin",
        );
        check(
            &decide_system(C::GroupView, Some(id(3))),
            Outcome::NotApplicable,
            Some("system_admin"),
            "applies to groups",
        );
    }

    #[test]
    fn every_role_and_capability_agrees_with_the_tables() {
        for cap in Capability::ALL {
            for role in GroupRole::ALL {
                let grant = GroupGrant {
                    role,
                    source: GrantSource::Group { group_id: id(1) },
                };
                let want = cap.kind() == CapabilityKind::Group && role.has(cap);
                assert_eq!(decide_group(cap, Some(grant)).allowed, want, "{role} {cap}");
            }
            for role in ProjectRole::ALL {
                let want = cap.kind() == CapabilityKind::Project && role.has(cap);
                let grant = ProjectGrant::own(id(1), role);
                assert_eq!(
                    decide_project(cap, Some(grant)).allowed,
                    want,
                    "{role} {cap}"
                );
            }
        }
    }
}
