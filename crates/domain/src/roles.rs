//! The role enums: group roles (seed 000) and project roles (seed 004), ordered by tier.

use crate::capability::{Capability, wire_name};
use crate::table::{self, GROUP_ROLES, PROJECT_ROLES};

/// A role in a group (`member_role` in the database).
///
/// The variants are declared strongest first, so the derived order is the tier order:
/// `SystemAdmin < GroupAdmin < Teacher < Student`, and "lower = more power" holds for both
/// `Ord` and [`GroupRole::tier`]. `min()` over roles therefore picks the strongest one.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupRole {
    /// Tier 0: everything, everywhere, including `system.manage`.
    SystemAdmin,
    /// Tier 1: manages a group, its members and settings, and its subgroups.
    GroupAdmin,
    /// Tier 2: creates tools, assignments and projects; sees analytics and members.
    Teacher,
    /// Tier 3: uses the tools assigned in a group (a class) and sees it.
    Student,
}

/// A role in a project (`project_role` in the database).
///
/// Declared strongest first, so the derived order is the tier order:
/// `Admin < Pm < SquadLead < Member`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProjectRole {
    /// Tier 0: everything in the project, including deleting it.
    Admin,
    /// Tier 1: assigns roles, manages squads and settings.
    Pm,
    /// Tier 2: manages the members of the squads they belong to.
    SquadLead,
    /// Tier 3: sees the project and works on its items.
    Member,
}

/// Either kind of role, for answers that may name one or the other (e.g. `/v1/check`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoleName {
    /// A group role.
    Group(GroupRole),
    /// A project role.
    Project(ProjectRole),
}

/// A role name that is not one of the four names of its table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

/// Writes a role enum's table-derived API: `ALL`, `tier`, `from_tier`, `as_str`, `scope`,
/// `capabilities`, `own_capabilities`, `has`, `Display` and `FromStr`.
///
/// Every one of them reads the role's row of its table (through [`table::spec`]), so
/// [`GroupRole`] and [`ProjectRole`] share this single implementation and differ only in their
/// table, their capability check and the examples in their docs.
macro_rules! table_role {
    (
        $role:ident in $table:ident, checked by $has:ident;
        kind: $kind:literal,
        tiers: $tiers:literal,
        names: $names:literal,
        scope: $scope:literal $(,)?
    ) => {
        impl $role {
            #[doc = concat!("Every ", $kind, " role, strongest first.")]
            pub const ALL: [Self; 4] = {
                let mut all = [$table[0].role; 4];
                let mut i = 0;
                while i < 4 {
                    all[i] = $table[i].role;
                    i += 1;
                }
                all
            };

            #[doc = concat!("The tier: ", $tiers, ". Lower = more power.")]
            pub fn tier(self) -> u8 {
                table::spec(self).tier
            }

            /// The strongest of `roles` (the lowest tier), if any: what a member holds when a
            /// role is given by hand and others through identity-provider bindings.
            pub fn strongest(roles: impl IntoIterator<Item = Self>) -> Option<Self> {
                roles.into_iter().min_by_key(|role| role.tier())
            }

            /// The role of the given tier, if there is one.
            pub fn from_tier(tier: u8) -> Option<Self> {
                Self::ALL.into_iter().find(|role| role.tier() == tier)
            }

            #[doc = concat!("The wire name: ", $names, ".")]
            pub fn as_str(self) -> &'static str {
                table::spec(self).name
            }

            #[doc = concat!("Where the role applies: ", $scope, ".")]
            pub fn scope(self) -> &'static str {
                table::spec(self).scope
            }

            /// Every capability of the role, including those of the weaker roles it includes, in
            /// [`Capability::ALL`] order.
            pub fn capabilities(self) -> impl Iterator<Item = Capability> {
                Capability::ALL
                    .into_iter()
                    .filter(move |&capability| self.has(capability))
            }

            /// The capabilities the role's own table row adds (without the included roles).
            pub fn own_capabilities(self) -> &'static [Capability] {
                table::spec(self).own
            }

            // Two doc lines, so that each stays within the line width; they join into one sentence.
            #[doc = "Whether the role has `capability`; same as"]
            #[doc = concat!("[`crate::", stringify!($has), "`].")]
            pub fn has(self, capability: Capability) -> bool {
                table::$has(self, capability)
            }
        }

        wire_name!($role, UnknownRole);
    };
}

table_role! {
    GroupRole in GROUP_ROLES, checked by has_group_capability;
    kind: "group",
    tiers: "0 (system_admin) to 3 (student)",
    names: "`system_admin`, `group_admin`, `teacher` or `student`",
    scope: "`system` for system_admin, `group` (and its subgroups) otherwise",
}

table_role! {
    ProjectRole in PROJECT_ROLES, checked by has_project_capability;
    kind: "project",
    tiers: "0 (admin) to 3 (member)",
    names: "`admin`, `pm`, `squad_lead` or `member`",
    scope: "always `project`",
}

impl RoleName {
    /// The wire name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Group(role) => role.as_str(),
            Self::Project(role) => role.as_str(),
        }
    }

    /// The tier of the role within its own table.
    pub fn tier(self) -> u8 {
        match self {
            Self::Group(role) => role.tier(),
            Self::Project(role) => role.tier(),
        }
    }
}

impl From<GroupRole> for RoleName {
    fn from(role: GroupRole) -> Self {
        Self::Group(role)
    }
}

impl From<ProjectRole> for RoleName {
    fn from(role: ProjectRole) -> Self {
        Self::Project(role)
    }
}

wire_name!(RoleName);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::str::FromStr;

    use super::*;

    /// Checks names, tiers, scopes, order and parsing of one role enum against the spec.
    fn check<R>(
        expected: [(R, &str, u8, &str); 4],
        info: impl Fn(R) -> (&'static str, u8, &'static str),
    ) where
        R: Copy + Ord + std::fmt::Debug + std::fmt::Display + FromStr<Err = UnknownRole>,
    {
        for (role, name, tier, scope) in expected {
            assert_eq!(info(role), (name, tier, scope), "{role:?}");
            assert_eq!(role.to_string(), name);
            assert_eq!(name.parse::<R>(), Ok(role));
        }
        // The derived order is the tier order: strongest first.
        for pair in expected.windows(2) {
            assert!(pair[0].0 < pair[1].0 && pair[0].2 < pair[1].2);
        }
        for bad in ["", "Admin", "ADMIN", "owner", "group-admin", " member", "4"] {
            assert_eq!(
                bad.parse::<R>(),
                Err(UnknownRole(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn group_roles_match_the_spec() {
        use GroupRole::*;
        check(
            [
                (SystemAdmin, "system_admin", 0, "system"),
                (GroupAdmin, "group_admin", 1, "group"),
                (Teacher, "teacher", 2, "group"),
                (Student, "student", 3, "group"),
            ],
            |r| (r.as_str(), r.tier(), r.scope()),
        );
        assert_eq!(GroupRole::ALL, [SystemAdmin, GroupAdmin, Teacher, Student]);
    }

    #[test]
    fn project_roles_match_the_spec() {
        use ProjectRole::*;
        check(
            [
                (Admin, "admin", 0, "project"),
                (Pm, "pm", 1, "project"),
                (SquadLead, "squad_lead", 2, "project"),
                (Member, "member", 3, "project"),
            ],
            |r| (r.as_str(), r.tier(), r.scope()),
        );
        assert_eq!(ProjectRole::ALL, [Admin, Pm, SquadLead, Member]);
    }

    #[test]
    fn from_tier_inverts_tier() {
        for tier in 0..=255u8 {
            assert_eq!(
                GroupRole::from_tier(tier).map(GroupRole::tier),
                (tier < 4).then_some(tier)
            );
            assert_eq!(
                ProjectRole::from_tier(tier).map(ProjectRole::tier),
                (tier < 4).then_some(tier)
            );
        }
    }

    #[test]
    fn role_name_delegates() {
        assert_eq!(RoleName::from(GroupRole::Teacher).as_str(), "teacher");
        assert_eq!(
            RoleName::from(ProjectRole::SquadLead).to_string(),
            "squad_lead"
        );
        assert_eq!(RoleName::from(ProjectRole::Pm).tier(), 1);
        assert_eq!(UnknownRole("x".into()).to_string(), "unknown role `x`");
    }

    #[test]
    fn strongest_is_the_lowest_tier() {
        use GroupRole::{GroupAdmin, Student, Teacher};
        assert_eq!(
            GroupRole::strongest([Student, GroupAdmin, Teacher]),
            Some(GroupAdmin)
        );
        assert_eq!(GroupRole::strongest([Student]), Some(Student));
        assert_eq!(GroupRole::strongest([]), None);
        assert_eq!(
            ProjectRole::strongest([ProjectRole::Member, ProjectRole::Pm]),
            Some(ProjectRole::Pm)
        );
    }

    /// Checks that each role's own capabilities are exactly what it adds to the role it
    /// includes (`None`: it includes none), in any order.
    fn check_own<R: Copy + std::fmt::Debug>(
        includes: [(R, Option<R>); 4],
        own: impl Fn(R) -> &'static [Capability],
        all: impl Fn(R) -> Vec<Capability>,
    ) {
        for (role, included) in includes {
            let inherited = included.map(&all).unwrap_or_default();
            let added: Vec<Capability> = all(role)
                .into_iter()
                .filter(|c| !inherited.contains(c))
                .collect();
            // `added` is in `Capability::ALL` order, which is the derived `Ord`.
            let mut own = own(role).to_vec();
            own.sort();
            assert_eq!(own, added, "{role:?}");
        }
    }

    #[test]
    fn own_capabilities_are_what_a_role_adds_to_the_one_it_includes() {
        use GroupRole::*;
        use ProjectRole::*;
        // Spec §3's "+ all of teacher" etc.; system_admin is "everything", which includes none.
        check_own(
            [
                (SystemAdmin, None),
                (GroupAdmin, Some(Teacher)),
                (Teacher, Some(Student)),
                (Student, None),
            ],
            GroupRole::own_capabilities,
            |r| r.capabilities().collect(),
        );
        check_own(
            [
                (Admin, Some(Pm)),
                (Pm, Some(SquadLead)),
                (SquadLead, Some(Member)),
                (Member, None),
            ],
            ProjectRole::own_capabilities,
            |r| r.capabilities().collect(),
        );
    }
}
