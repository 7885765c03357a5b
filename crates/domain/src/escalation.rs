//! No escalation: one tier rule for every grant, change and removal of a membership.
//!
//! An actor whose effective tier is *t* may grant only roles of tier ≥ *t*, and may change or
//! remove only memberships whose current tier ≥ *t*: peers may manage peers, nobody touches a
//! stronger membership. These checks come *after* the capability check (e.g.
//! `group.manage_members`); they only compare tiers.

use crate::capability::{Capability, CapabilityKind};
use crate::roles::{GroupRole, ProjectRole, RoleName};

/// Why a grant, change or removal is refused (HTTP 403 `role_escalation`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Escalation {
    /// Granting, changing or removing `system_admin` needs a system admin.
    #[error("only a system admin can grant or revoke system_admin")]
    SystemAdminOnly,
    /// The role to grant is stronger than the actor's own.
    #[error("a {actor} cannot grant {granted}, a stronger role than their own")]
    GrantsStrongerRole {
        /// The actor's effective role.
        actor: RoleName,
        /// The role they tried to grant.
        granted: RoleName,
    },
    /// The membership to change or remove is stronger than the actor's own role.
    #[error("a {actor} cannot change or remove a {current} membership, which is stronger")]
    TouchesStrongerMembership {
        /// The actor's effective role.
        actor: RoleName,
        /// The current role of the membership.
        current: RoleName,
    },
    /// A squad member's project role is stronger than the actor's.
    #[error("a {actor} cannot manage the squad membership of a {target}, a stronger role")]
    ManagesStrongerSquadMember {
        /// The actor's effective project role.
        actor: ProjectRole,
        /// The project role of the squad member.
        target: ProjectRole,
    },
}

/// Checks setting a group membership from `current` to `granted`.
///
/// `current` is `None` when the user has no membership in the group yet; `granted` is `None`
/// for a removal. `actor` is the actor's effective role at the group.
pub fn check_group_grant(
    actor: GroupRole,
    current: Option<GroupRole>,
    granted: Option<GroupRole>,
) -> Result<(), Escalation> {
    // Implied by the tier rule too (system_admin is tier 0), but this names the real rule.
    let touches_system_admin = [current, granted].contains(&Some(GroupRole::SystemAdmin));
    if touches_system_admin && actor != GroupRole::SystemAdmin {
        return Err(Escalation::SystemAdminOnly);
    }
    check_tiers(
        actor.into(),
        current.map(RoleName::from),
        granted.map(RoleName::from),
    )
}

/// Checks setting a project membership from `current` to `granted` (`None` = no membership /
/// removal). `actor` is the actor's effective role at the project.
pub fn check_project_grant(
    actor: ProjectRole,
    current: Option<ProjectRole>,
    granted: Option<ProjectRole>,
) -> Result<(), Escalation> {
    check_tiers(
        actor.into(),
        current.map(RoleName::from),
        granted.map(RoleName::from),
    )
}

/// Checks adding a user with project role `target` to a squad, or removing them from one.
///
/// The same tier rule applied to squad membership: a squad_lead manages only squad leads and
/// members (tier ≥ 2), a pm everyone but admins, an admin everyone. `actor` is the actor's
/// effective role at the squad (see [`crate::effective_squad_role`]).
pub fn check_squad_member_management(
    actor: ProjectRole,
    target: ProjectRole,
) -> Result<(), Escalation> {
    if target < actor {
        return Err(Escalation::ManagesStrongerSquadMember { actor, target });
    }
    Ok(())
}

/// Checks removing a set of group memberships at once, as deleting a group subtree does.
pub fn check_group_removals(
    actor: GroupRole,
    removed: impl IntoIterator<Item = GroupRole>,
) -> Result<(), Escalation> {
    removed
        .into_iter()
        .try_for_each(|role| check_group_grant(actor, Some(role), None))
}

/// Checks removing a set of project memberships at once, as deleting members in bulk does.
pub fn check_project_removals(
    actor: ProjectRole,
    removed: impl IntoIterator<Item = ProjectRole>,
) -> Result<(), Escalation> {
    removed
        .into_iter()
        .try_for_each(|role| check_project_grant(actor, Some(role), None))
}

/// Checks removing every member of a squad, as deleting the squad does; `members` are their
/// project roles.
pub fn check_squad_removals(
    actor: ProjectRole,
    members: impl IntoIterator<Item = ProjectRole>,
) -> Result<(), Escalation> {
    members
        .into_iter()
        .try_for_each(|target| check_squad_member_management(actor, target))
}

/// The capability acting on a membership needs: on one's `own` membership (reading it, leaving)
/// only a role at the group or project, which every role's `view` capability stands for; on
/// someone else's, `others` (e.g. `group.manage_members`). The tier rule applies on top only
/// for others' memberships.
pub fn membership_capability(own: bool, others: Capability) -> Capability {
    match (own, others.kind()) {
        (false, _) => others,
        (true, CapabilityKind::Group) => Capability::GroupView,
        (true, CapabilityKind::Project | CapabilityKind::System) => Capability::ProjectView,
    }
}

/// The tier rule shared by both role tables. Roles compare within one table only.
fn check_tiers(
    actor: RoleName,
    current: Option<RoleName>,
    granted: Option<RoleName>,
) -> Result<(), Escalation> {
    if let Some(current) = current.filter(|c| c.tier() < actor.tier()) {
        return Err(Escalation::TouchesStrongerMembership { actor, current });
    }
    if let Some(granted) = granted.filter(|g| g.tier() < actor.tier()) {
        return Err(Escalation::GrantsStrongerRole { actor, granted });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// One cell of an expected grid.
    fn cell(result: Result<(), Escalation>) -> char {
        match result {
            Ok(()) => '.',
            Err(Escalation::SystemAdminOnly) => 'S',
            Err(Escalation::GrantsStrongerRole { .. }) => 'G',
            Err(Escalation::TouchesStrongerMembership { .. }) => 'T',
            Err(Escalation::ManagesStrongerSquadMember { .. }) => 'M',
        }
    }

    /// Checks a full grid for one actor: rows are the current role (none, then strongest to
    /// weakest), columns the granted role (removal, then strongest to weakest).
    /// `.` allowed, `S` system admin only, `G` grants a stronger role, `T` touches a stronger
    /// membership.
    fn check<R: Copy + std::fmt::Debug>(
        actor: R,
        roles: [R; 4],
        grid: [&str; 5],
        f: impl Fn(R, Option<R>, Option<R>) -> Result<(), Escalation>,
    ) {
        let options: Vec<Option<R>> = std::iter::once(None).chain(roles.map(Some)).collect();
        for (row, current) in grid.iter().zip(&options) {
            let got: String = options
                .iter()
                .map(|&granted| cell(f(actor, *current, granted)))
                .collect();
            let want: String = row.split_whitespace().collect();
            assert_eq!(got, want, "actor {actor:?}, current {current:?}");
        }
    }

    #[test]
    fn group_grants() {
        use GroupRole::*;
        let all = GroupRole::ALL;
        //                                   rm sa ga te st
        let system_admin = [
            ". . . . .",
            ". . . . .",
            ". . . . .",
            ". . . . .",
            ". . . . .",
        ];
        check(SystemAdmin, all, system_admin, check_group_grant);
        let group_admin = [
            ". S . . .", // no membership yet
            "S S S S S", // system_admin
            ". S . . .", // group_admin (a peer)
            ". S . . .", // teacher
            ". S . . .", // student
        ];
        check(GroupAdmin, all, group_admin, check_group_grant);
        let teacher = [
            ". S G . .",
            "S S S S S",
            "T S T T T",
            ". S G . .",
            ". S G . .",
        ];
        check(Teacher, all, teacher, check_group_grant);
        let student = [
            ". S G G .",
            "S S S S S",
            "T S T T T",
            "T S T T T",
            ". S G G .",
        ];
        check(Student, all, student, check_group_grant);
    }

    #[test]
    fn project_grants() {
        use ProjectRole::*;
        let all = ProjectRole::ALL;
        //                            rm ad pm sl me
        let admin = [
            ". . . . .",
            ". . . . .",
            ". . . . .",
            ". . . . .",
            ". . . . .",
        ];
        check(Admin, all, admin, check_project_grant);
        let pm = [
            ". G . . .", // no membership yet
            "T T T T T", // admin
            ". G . . .", // pm (a peer)
            ". G . . .", // squad_lead
            ". G . . .", // member
        ];
        check(Pm, all, pm, check_project_grant);
        let squad_lead = [
            ". G G . .",
            "T T T T T",
            "T T T T T",
            ". G G . .",
            ". G G . .",
        ];
        check(SquadLead, all, squad_lead, check_project_grant);
        let member = [
            ". G G G .",
            "T T T T T",
            "T T T T T",
            "T T T T T",
            ". G G G .",
        ];
        check(Member, all, member, check_project_grant);
    }

    #[test]
    fn squad_member_management() {
        use ProjectRole::*;
        // Rows: actor; columns: target admin, pm, squad_lead, member.
        let grid = [
            (Admin, ". . . ."),
            (Pm, "M . . ."),
            (SquadLead, "M M . ."),
            (Member, "M M M ."),
        ];
        for (actor, row) in grid {
            let got: String = ProjectRole::ALL
                .iter()
                .map(|&target| cell(check_squad_member_management(actor, target)))
                .collect();
            assert_eq!(got, row.replace(' ', ""), "actor {actor}");
        }
    }

    #[test]
    fn removing_sets_needs_every_removal_allowed() {
        use GroupRole::*;
        use ProjectRole::*;
        assert_eq!(check_group_removals(Teacher, []), Ok(()));
        assert_eq!(
            check_group_removals(Teacher, [Student, Teacher, Student]),
            Ok(())
        );
        assert_eq!(
            check_group_removals(Teacher, [Student, GroupAdmin]),
            Err(Escalation::TouchesStrongerMembership {
                actor: Teacher.into(),
                current: GroupAdmin.into()
            })
        );
        assert_eq!(
            check_group_removals(GroupAdmin, [Student, SystemAdmin]),
            Err(Escalation::SystemAdminOnly)
        );
        assert_eq!(check_group_removals(SystemAdmin, GroupRole::ALL), Ok(()));
        assert_eq!(check_project_removals(Pm, [Pm, Member]), Ok(()));
        assert!(check_project_removals(Pm, [Member, Admin]).is_err());
        assert_eq!(check_squad_removals(SquadLead, [Member, SquadLead]), Ok(()));
        assert_eq!(
            check_squad_removals(SquadLead, [Member, Pm]),
            Err(Escalation::ManagesStrongerSquadMember {
                actor: SquadLead,
                target: Pm
            })
        );
    }

    #[test]
    fn messages_name_the_roles() {
        let e = check_project_grant(ProjectRole::Pm, None, Some(ProjectRole::Admin)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a pm cannot grant admin, a stronger role than their own"
        );
        let e =
            check_group_grant(GroupRole::Teacher, Some(GroupRole::GroupAdmin), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a teacher cannot change or remove a group_admin membership, which is stronger"
        );
    }

    #[test]
    fn own_memberships_need_only_a_role() {
        use Capability as C;
        let cases = [
            (true, C::GroupManageMembers, C::GroupView),
            (true, C::GroupViewMembers, C::GroupView),
            (false, C::GroupManageMembers, C::GroupManageMembers),
            (true, C::ProjectAssignRoles, C::ProjectView),
            (true, C::ProjectManageSquadMembers, C::ProjectView),
            (
                false,
                C::ProjectManageSquadMembers,
                C::ProjectManageSquadMembers,
            ),
        ];
        for (own, others, needed) in cases {
            assert_eq!(membership_capability(own, others), needed, "{own} {others}");
        }
        // Every role holds the capability an own membership needs.
        for role in GroupRole::ALL {
            assert!(
                role.has(membership_capability(true, C::GroupManageMembers)),
                "{role}"
            );
        }
        for role in ProjectRole::ALL {
            assert!(
                role.has(membership_capability(true, C::ProjectAssignRoles)),
                "{role}"
            );
        }
    }
}
