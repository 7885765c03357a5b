//! Capability decisions: one pure function per resource kind, for route guards and `/v1/check`.
//!
//! The caller resolves the effective role first (see [`crate::effective`]); a decision only asks
//! the role tables whether that role has the capability, and says why in words. A decision
//! carries the typed grant it was made on ([`Verdict`]), so a guard that lets a request through
//! hands the grant on without ever asking "granted, but by what?".

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

/// The outcome with the grant it was decided on: what a guard hands on when it allows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict<G> {
    /// The grant has the capability.
    Granted(G),
    /// The user holds this grant here, but it lacks the capability.
    LacksCapability(G),
    /// The user has no role here.
    NoRole,
    /// The capability does not apply to this kind of resource (the grant, if any, is kept for
    /// the answer's `role`).
    NotApplicable(Option<G>),
}

/// An effective role with its source: what a decision is made on.
pub trait Grant: Copy {
    /// The effective role's name.
    fn role_name(self) -> RoleName;
    /// The membership behind the grant.
    fn granted_by(self) -> GrantedBy;
}

impl Grant for GroupGrant {
    fn role_name(self) -> RoleName {
        self.role.into()
    }

    fn granted_by(self) -> GrantedBy {
        GroupGrant::granted_by(self)
    }
}

impl Grant for ProjectGrant {
    fn role_name(self) -> RoleName {
        self.role.into()
    }

    fn granted_by(self) -> GrantedBy {
        ProjectGrant::granted_by(self)
    }
}

/// The answer to "may this user use this capability here?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision<G> {
    /// The outcome, with the grant it was decided on.
    pub verdict: Verdict<G>,
    /// Why, as one human sentence.
    pub reason: String,
    /// Whether "no role" must read as "no such resource": true where the decision is about a
    /// group, project or squad the user may not even know exists; false for system-wide
    /// actions, and for a resource the caller is already known to see
    /// ([`Decision::on_visible_resource`]).
    pub conceals_existence: bool,
}

impl<G> Decision<G> {
    /// Whether the capability is granted.
    pub fn allowed(&self) -> bool {
        matches!(self.verdict, Verdict::Granted(_))
    }

    /// The outcome without its grant.
    pub fn outcome(&self) -> Outcome {
        match self.verdict {
            Verdict::Granted(_) => Outcome::Granted,
            Verdict::LacksCapability(_) => Outcome::LacksCapability,
            Verdict::NoRole => Outcome::NoRole,
            Verdict::NotApplicable(_) => Outcome::NotApplicable,
        }
    }

    /// The same decision about a resource the caller is known to see (e.g. the parent of a
    /// group they act on): having no role there is then a refusal, not a reason to hide it.
    #[must_use]
    pub fn on_visible_resource(self) -> Self {
        Self {
            conceals_existence: false,
            ..self
        }
    }
}

impl<G: Copy> Decision<G> {
    /// The grant that allows the capability; `None` when denied (lookups keep only these).
    pub fn granted(&self) -> Option<G> {
        match self.verdict {
            Verdict::Granted(g) => Some(g),
            _ => None,
        }
    }

    /// The grant the user holds here, allowed or not.
    pub fn grant(&self) -> Option<G> {
        match self.verdict {
            Verdict::Granted(g) | Verdict::LacksCapability(g) | Verdict::NotApplicable(Some(g)) => {
                Some(g)
            }
            Verdict::NoRole | Verdict::NotApplicable(None) => None,
        }
    }
}

impl<G: Grant> Decision<G> {
    /// The user's effective role at the resource, if any (also when denied).
    pub fn role(&self) -> Option<RoleName> {
        self.grant().map(Grant::role_name)
    }

    /// The membership that grants the capability; `None` when denied.
    pub fn granted_by(&self) -> Option<GrantedBy> {
        match self.verdict {
            Verdict::Granted(g) => Some(g.granted_by()),
            _ => None,
        }
    }
}

/// Decides a `group.*` capability at a group, given the user's effective role there.
pub fn decide_group(capability: Capability, grant: Option<GroupGrant>) -> Decision<GroupGrant> {
    decide(
        capability,
        CapabilityKind::Group,
        grant,
        grant.is_some_and(|g| g.role.has(capability)),
    )
}

/// Decides a `project.*` capability at a project or squad, given the user's effective role
/// there (for a squad, the result of [`crate::effective_squad_role`]).
pub fn decide_project(
    capability: Capability,
    grant: Option<ProjectGrant>,
) -> Decision<ProjectGrant> {
    decide(
        capability,
        CapabilityKind::Project,
        grant,
        grant.is_some_and(|g| g.role.has(capability)),
    )
}

/// Decides a `system.*` capability, given where the user's system_admin membership is, if any.
pub fn decide_system(
    capability: Capability,
    system_admin_at: Option<Uuid>,
) -> Decision<GroupGrant> {
    // The only grant here is a system admin's, so `has` asks that role alone: without a grant
    // `decide` answers NoRole before it reads `has`.
    decide(
        capability,
        CapabilityKind::System,
        system_admin_at.map(GroupGrant::system_admin),
        GroupRole::SystemAdmin.has(capability),
    )
}

/// The shared logic: the verdict, then the answer built from it.
fn decide<G: Grant>(
    capability: Capability,
    resource: CapabilityKind,
    grant: Option<G>,
    has: bool,
) -> Decision<G> {
    let verdict = if capability.kind() != resource {
        Verdict::NotApplicable(grant)
    } else {
        match grant {
            None => Verdict::NoRole,
            Some(g) if has => Verdict::Granted(g),
            Some(g) => Verdict::LacksCapability(g),
        }
    };
    let reason = reason(capability, resource, &verdict);
    Decision {
        verdict,
        reason,
        // There is no system resource to hide.
        conceals_existence: resource != CapabilityKind::System,
    }
}

/// The human sentence for a decision; kept apart from the logic so wording never changes an answer.
fn reason<G: Grant>(
    capability: Capability,
    resource: CapabilityKind,
    verdict: &Verdict<G>,
) -> String {
    match *verdict {
        Verdict::NotApplicable(_) => format!(
            "{capability} applies to {}, not to {}",
            capability.kind().resources(),
            resource.resources()
        ),
        Verdict::NoRole => match resource {
            CapabilityKind::System => "not a system admin".to_owned(),
            CapabilityKind::Group => "no role in this group or its ancestors".to_owned(),
            CapabilityKind::Project => "no role in this project".to_owned(),
        },
        Verdict::Granted(grant) => {
            let by = grant.granted_by();
            format!(
                "{} has {capability} (granted by the {} membership in {})",
                grant.role_name(),
                by.role,
                by.source
            )
        }
        Verdict::LacksCapability(grant) => {
            format!("{} does not have {capability}", grant.role_name())
        }
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
    fn check<G: Grant + std::fmt::Debug>(
        d: &Decision<G>,
        outcome: Outcome,
        role: Option<&str>,
        reason_has: &str,
    ) {
        assert_eq!(d.outcome(), outcome, "{d:?}");
        assert_eq!(d.allowed(), outcome == Outcome::Granted, "{d:?}");
        assert_eq!(d.granted_by().is_some(), d.allowed(), "{d:?}");
        assert_eq!(d.role().map(RoleName::as_str), role, "{d:?}");
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
        assert_eq!(d.granted_by(), Some(teacher_grant.granted_by()));
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
        assert_eq!(d.granted_by().unwrap().source.id(), id(1));

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
            d.granted_by().unwrap().source,
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
            // system.manage is granted to a system admin acting on the system, and to no one
            // else: without a system_admin membership the answer is NoRole, and no other
            // capability applies to the system at all.
            let want = cap.kind() == CapabilityKind::System && GroupRole::SystemAdmin.has(cap);
            assert_eq!(
                decide_system(cap, Some(id(1))).allowed(),
                want,
                "system admin {cap}"
            );
            let nobody = decide_system(cap, None);
            let want = if cap.kind() == CapabilityKind::System {
                Outcome::NoRole
            } else {
                Outcome::NotApplicable
            };
            assert_eq!(nobody.outcome(), want, "no system admin {cap}");
            for role in GroupRole::ALL {
                let grant = GroupGrant {
                    role,
                    source: GrantSource::Group { group_id: id(1) },
                };
                let want = cap.kind() == CapabilityKind::Group && role.has(cap);
                let decision = decide_group(cap, Some(grant));
                assert_eq!(decision.allowed(), want, "{role} {cap}");
                // The grant a lookup keeps is there exactly when the capability is granted.
                assert_eq!(decision.granted(), want.then_some(grant), "{role} {cap}");
            }
            for role in ProjectRole::ALL {
                let want = cap.kind() == CapabilityKind::Project && role.has(cap);
                let grant = ProjectGrant::own(id(1), role);
                let decision = decide_project(cap, Some(grant));
                assert_eq!(decision.allowed(), want, "{role} {cap}");
                assert_eq!(decision.granted(), want.then_some(grant), "{role} {cap}");
            }
        }
    }

    #[test]
    fn a_decision_carries_the_grant_it_was_made_on() {
        use Capability as C;
        let teacher = GroupGrant {
            role: GroupRole::Teacher,
            source: GrantSource::Group { group_id: id(1) },
        };
        let lead = ProjectGrant::own(id(5), ProjectRole::SquadLead);
        // (verdict, grant() expected, conceals_existence expected)
        let group_cases = [
            (
                decide_group(C::GroupView, Some(teacher)),
                Verdict::Granted(teacher),
                true,
            ),
            (
                decide_group(C::GroupManage, Some(teacher)),
                Verdict::LacksCapability(teacher),
                true,
            ),
            (decide_group(C::GroupView, None), Verdict::NoRole, true),
            (
                decide_group(C::ProjectView, Some(teacher)),
                Verdict::NotApplicable(Some(teacher)),
                true,
            ),
            (decide_system(C::SystemManage, None), Verdict::NoRole, false),
            (
                decide_system(C::SystemManage, Some(id(3))),
                Verdict::Granted(GroupGrant::system_admin(id(3))),
                false,
            ),
        ];
        for (decision, verdict, conceals) in group_cases {
            assert_eq!(decision.verdict, verdict, "{decision:?}");
            assert_eq!(decision.conceals_existence, conceals, "{decision:?}");
            let held = match verdict {
                Verdict::Granted(g) | Verdict::LacksCapability(g) => Some(g),
                Verdict::NotApplicable(g) => g,
                Verdict::NoRole => None,
            };
            assert_eq!(decision.grant(), held, "{decision:?}");
        }
        let project_cases = [
            (
                decide_project(C::ProjectView, Some(lead)),
                Verdict::Granted(lead),
            ),
            (
                decide_project(C::ProjectDelete, Some(lead)),
                Verdict::LacksCapability(lead),
            ),
            (decide_project(C::ProjectView, None), Verdict::NoRole),
        ];
        for (decision, verdict) in project_cases {
            assert_eq!(decision.verdict, verdict, "{decision:?}");
            assert!(decision.conceals_existence, "{decision:?}");
        }
    }

    #[test]
    fn a_visible_resource_is_not_concealed() {
        let decision = decide_group(Capability::GroupManage, None).on_visible_resource();
        assert_eq!(decision.verdict, Verdict::NoRole);
        assert!(!decision.conceals_existence);
    }
}
