//! The role tables: the single source of truth for role names, tiers, scopes and capabilities.
//!
//! Everything else about a role (its `as_str`, `tier`, `scope`, full capability list,
//! `has_group_capability`, `has_project_capability`, the `/v1/roles` listing) is derived from
//! [`GROUP_ROLES`] and [`PROJECT_ROLES`]. To change what a role may do, change a row here.

use crate::capability::Capability;
use crate::roles::{GroupRole, ProjectRole};

/// One row of a role table.
#[derive(Debug)]
pub struct RoleSpec<R: 'static> {
    /// The role this row describes.
    pub role: R,
    /// The wire name (snake_case), as stored in the database and sent over HTTP.
    pub name: &'static str,
    /// Lower tier = more power; 0 is the strongest.
    pub tier: u8,
    /// Where the role applies, in one word: `system`, `group` or `project`.
    pub scope: &'static str,
    /// The capabilities this role adds on top of the role it includes.
    pub own: &'static [Capability],
    /// The next weaker role whose capabilities this role also has ("+ all of teacher").
    pub includes: Option<R>,
}

/// The group roles of seed 000, strongest first.
pub const GROUP_ROLES: [RoleSpec<GroupRole>; 4] = {
    use Capability as C;
    [
        RoleSpec {
            role: GroupRole::SystemAdmin,
            name: "system_admin",
            tier: 0,
            scope: "system",
            // "Everything": every capability, including system.manage and all of project.*,
            // so the table needs no inclusion here.
            own: &Capability::ALL,
            includes: None,
        },
        RoleSpec {
            role: GroupRole::GroupAdmin,
            name: "group_admin",
            tier: 1,
            scope: "group",
            own: &[
                C::GroupManage,
                C::GroupManageMembers,
                C::GroupManageSettings,
            ],
            includes: Some(GroupRole::Teacher),
        },
        RoleSpec {
            role: GroupRole::Teacher,
            name: "teacher",
            tier: 2,
            scope: "group",
            own: &[
                C::GroupCreateTools,
                C::GroupCreateAssignments,
                C::GroupViewAnalytics,
                C::GroupCreateProjects,
                C::GroupViewMembers,
            ],
            includes: Some(GroupRole::Student),
        },
        RoleSpec {
            role: GroupRole::Student,
            name: "student",
            tier: 3,
            scope: "group",
            own: &[C::GroupUseAssignedTools, C::GroupView],
            includes: None,
        },
    ]
};

/// The project roles of seed 004 (admin=0, pm=1, squad_lead=2, member=3), strongest first.
pub const PROJECT_ROLES: [RoleSpec<ProjectRole>; 4] = {
    use Capability as C;
    [
        RoleSpec {
            role: ProjectRole::Admin,
            name: "admin",
            tier: 0,
            scope: "project",
            own: &[C::ProjectDelete],
            includes: Some(ProjectRole::Pm),
        },
        RoleSpec {
            role: ProjectRole::Pm,
            name: "pm",
            tier: 1,
            scope: "project",
            own: &[
                C::ProjectAssignRoles,
                C::ProjectManageSquads,
                C::ProjectManageSettings,
            ],
            includes: Some(ProjectRole::SquadLead),
        },
        RoleSpec {
            role: ProjectRole::SquadLead,
            name: "squad_lead",
            tier: 2,
            scope: "project",
            // Only in squads the lead belongs to (and their sub-squads): see
            // `effective_squad_role`, which demotes a lead to member elsewhere.
            own: &[C::ProjectManageSquadMembers],
            includes: Some(ProjectRole::Member),
        },
        RoleSpec {
            role: ProjectRole::Member,
            name: "member",
            tier: 3,
            scope: "project",
            own: &[
                C::ProjectView,
                C::ProjectViewMembers,
                C::ProjectManageWorkItems,
            ],
            includes: None,
        },
    ]
};

// Lookups index the tables by discriminant, and the derived `Ord` of the role enums is their
// tier order; these checks make any disagreement between the enums and the tables a build error.
// Inclusion must point at the very next row, which also rules out inclusion cycles.
const _: () = assert_tables_match_enums();

/// Panics unless each table row sits at its role's discriminant, with that tier, and includes
/// only the next row. Called only in the constant above, so it runs at compile time and never in
/// a test (which is why `.cargo/mutants.toml` skips its mutants).
const fn assert_tables_match_enums() {
    let mut i = 0;
    while i < 4 {
        assert!(GROUP_ROLES[i].role as usize == i && GROUP_ROLES[i].tier as usize == i);
        assert!(PROJECT_ROLES[i].role as usize == i && PROJECT_ROLES[i].tier as usize == i);
        if let Some(weaker) = GROUP_ROLES[i].includes {
            assert!(weaker as usize == i + 1);
        }
        if let Some(weaker) = PROJECT_ROLES[i].includes {
            assert!(weaker as usize == i + 1);
        }
        i += 1;
    }
}

/// A role enum backed by one of the tables above.
pub(crate) trait TableRole: Copy + 'static {
    /// The table that describes this kind of role.
    const TABLE: &'static [RoleSpec<Self>];
    /// The row of `self` in [`Self::TABLE`].
    fn index(self) -> usize;
}

impl TableRole for GroupRole {
    const TABLE: &'static [RoleSpec<Self>] = &GROUP_ROLES;
    fn index(self) -> usize {
        self as usize
    }
}

impl TableRole for ProjectRole {
    const TABLE: &'static [RoleSpec<Self>] = &PROJECT_ROLES;
    fn index(self) -> usize {
        self as usize
    }
}

/// The table row of `role`.
pub(crate) fn spec<R: TableRole>(role: R) -> &'static RoleSpec<R> {
    &R::TABLE[role.index()]
}

/// Whether `role` has `capability`, through its own row or the rows it includes.
pub(crate) fn grants<R: TableRole>(role: R, capability: Capability) -> bool {
    let row = spec(role);
    row.own.contains(&capability)
        || row
            .includes
            .is_some_and(|weaker| grants(weaker, capability))
}

/// Whether a group role has `capability` in the groups where it applies.
///
/// Only `system_admin` ("everything") has `system.manage` or any `project.*` capability; other
/// group roles reach projects only through the bridge in [`crate::effective_project_role`]
/// (an effective group_admin on a project's group acts as its project admin).
pub fn has_group_capability(role: GroupRole, capability: Capability) -> bool {
    grants(role, capability)
}

/// Whether a project role has `capability` in its project.
///
/// A project role never grants `group.*` or `system.manage`.
pub fn has_project_capability(role: ProjectRole, capability: Capability) -> bool {
    grants(role, capability)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::capability::CapabilityKind;

    const Y: bool = true;
    const N: bool = false;

    /// Spec §3, written out by hand: one row per capability, then one column per group role
    /// (system_admin, group_admin, teacher, student) and one per project role (admin, pm,
    /// squad_lead, member). One table keeps the two halves on the same capability names.
    const EXPECTED: [(&str, [bool; 4], [bool; 4]); 19] = [
        ("system.manage", [Y, N, N, N], [N, N, N, N]),
        ("group.manage", [Y, Y, N, N], [N, N, N, N]),
        ("group.manage_members", [Y, Y, N, N], [N, N, N, N]),
        ("group.manage_settings", [Y, Y, N, N], [N, N, N, N]),
        ("group.create_tools", [Y, Y, Y, N], [N, N, N, N]),
        ("group.create_assignments", [Y, Y, Y, N], [N, N, N, N]),
        ("group.view_analytics", [Y, Y, Y, N], [N, N, N, N]),
        ("group.create_projects", [Y, Y, Y, N], [N, N, N, N]),
        ("group.view_members", [Y, Y, Y, N], [N, N, N, N]),
        ("group.use_assigned_tools", [Y, Y, Y, Y], [N, N, N, N]),
        ("group.view", [Y, Y, Y, Y], [N, N, N, N]),
        ("project.delete", [Y, N, N, N], [Y, N, N, N]),
        ("project.assign_roles", [Y, N, N, N], [Y, Y, N, N]),
        ("project.manage_squads", [Y, N, N, N], [Y, Y, N, N]),
        ("project.manage_settings", [Y, N, N, N], [Y, Y, N, N]),
        ("project.manage_squad_members", [Y, N, N, N], [Y, Y, Y, N]),
        ("project.view", [Y, N, N, N], [Y, Y, Y, Y]),
        ("project.view_members", [Y, N, N, N], [Y, Y, Y, Y]),
        ("project.manage_work_items", [Y, N, N, N], [Y, Y, Y, Y]),
    ];

    /// Checks every role × capability pair against an expected table, and that each role's
    /// capability list is exactly the capabilities marked for it.
    fn check<R: Copy + std::fmt::Debug>(
        roles: [R; 4],
        expected: &[(&str, [bool; 4])],
        has: impl Fn(R, Capability) -> bool,
        list: impl Fn(R) -> Vec<Capability>,
    ) {
        assert_eq!(
            expected.len(),
            Capability::ALL.len(),
            "every capability listed"
        );
        for (name, row) in expected {
            let cap: Capability = name.parse().unwrap();
            for (role, want) in roles.iter().zip(row) {
                assert_eq!(has(*role, cap), *want, "{role:?} / {name}");
            }
        }
        for (column, role) in roles.iter().enumerate() {
            let want: Vec<Capability> = expected
                .iter()
                .filter(|(_, row)| row[column])
                .map(|(name, _)| name.parse().unwrap())
                .collect();
            assert_eq!(list(*role), want, "capability list of {role:?}");
        }
    }

    #[test]
    fn group_roles_grant_exactly_the_spec_capabilities() {
        let expected = EXPECTED.map(|(name, group, _)| (name, group));
        check(GroupRole::ALL, &expected, has_group_capability, |r| {
            r.capabilities().collect()
        });
    }

    #[test]
    fn project_roles_grant_exactly_the_spec_capabilities() {
        let expected = EXPECTED.map(|(name, _, project)| (name, project));
        check(ProjectRole::ALL, &expected, has_project_capability, |r| {
            r.capabilities().collect()
        });
    }

    #[test]
    fn system_admin_has_everything() {
        let all: Vec<Capability> = GroupRole::SystemAdmin.capabilities().collect();
        assert_eq!(all, Capability::ALL);
    }

    #[test]
    fn own_capabilities_stay_in_their_scope() {
        // Apart from system_admin's "everything", a row only lists capabilities of its own kind.
        for row in &GROUP_ROLES[1..] {
            assert!(
                row.own.iter().all(|c| c.kind() == CapabilityKind::Group),
                "{}",
                row.name
            );
        }
        for row in &PROJECT_ROLES {
            assert!(
                row.own.iter().all(|c| c.kind() == CapabilityKind::Project),
                "{}",
                row.name
            );
        }
    }
}
