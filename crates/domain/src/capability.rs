//! Capabilities: the `scope.verb` permissions that roles grant, with their names and descriptions.

/// Writes `Display` as the type's wire name (its `as_str`) and, given an error type, `FromStr`
/// as the inverse over its `ALL` list.
///
/// Capabilities and roles print and parse by the same rule, so one definition keeps them from
/// drifting apart: `wire_name!(Type)` for `Display` alone, `wire_name!(Type, Error)` for both,
/// where `Error` is a tuple struct that carries the rejected name.
macro_rules! wire_name {
    ($ty:ident) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    ($ty:ident, $err:ident) => {
        $crate::capability::wire_name!($ty);

        impl ::std::str::FromStr for $ty {
            type Err = $err;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| $err(s.to_owned()))
            }
        }
    };
}
pub(crate) use wire_name;

/// One permission a role may grant, named `scope.verb` (see `PRODUCT.md` §3).
///
/// The variants are declared in the order of [`Capability::ALL`], which is also the order in
/// which role capability lists are reported.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// `system.manage`
    SystemManage,
    /// `group.manage`
    GroupManage,
    /// `group.manage_members`
    GroupManageMembers,
    /// `group.manage_settings`
    GroupManageSettings,
    /// `group.create_tools`
    GroupCreateTools,
    /// `group.create_assignments`
    GroupCreateAssignments,
    /// `group.view_analytics`
    GroupViewAnalytics,
    /// `group.create_projects`
    GroupCreateProjects,
    /// `group.view_members`
    GroupViewMembers,
    /// `group.use_assigned_tools`
    GroupUseAssignedTools,
    /// `group.view`
    GroupView,
    /// `project.delete`
    ProjectDelete,
    /// `project.assign_roles`
    ProjectAssignRoles,
    /// `project.manage_squads`
    ProjectManageSquads,
    /// `project.manage_settings`
    ProjectManageSettings,
    /// `project.manage_squad_members`
    ProjectManageSquadMembers,
    /// `project.view`
    ProjectView,
    /// `project.view_members`
    ProjectViewMembers,
    /// `project.manage_work_items`
    ProjectManageWorkItems,
}

/// The kind of resource a capability is checked against.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CapabilityKind {
    /// `system.*`: checked against the installation as a whole.
    System,
    /// `group.*`: checked against a group.
    Group,
    /// `project.*`: checked against a project or one of its squads.
    Project,
}

/// The resource types `/v1/check` can ask about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// The installation as a whole.
    System,
    /// A group.
    Group,
    /// A project.
    Project,
    /// A squad of a project.
    Squad,
}

/// A capability name that is not in [`Capability::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability `{0}`")]
pub struct UnknownCapability(pub String);

/// One row of the capability table.
struct CapabilitySpec {
    capability: Capability,
    name: &'static str,
    kind: CapabilityKind,
    description: &'static str,
}

const fn spec(
    capability: Capability,
    name: &'static str,
    kind: CapabilityKind,
    description: &'static str,
) -> CapabilitySpec {
    CapabilitySpec {
        capability,
        name,
        kind,
        description,
    }
}

/// The capability table: name, kind and description of every capability, in declaration order.
const CAPABILITIES: [CapabilitySpec; 19] = {
    use Capability as C;
    use CapabilityKind::{Group, Project, System};
    [
        spec(
            C::SystemManage,
            "system.manage",
            System,
            "Manage the whole installation: every group, every user and the system admins.",
        ),
        spec(
            C::GroupManage,
            "group.manage",
            Group,
            "Rename, move or delete the group and create subgroups in it.",
        ),
        spec(
            C::GroupManageMembers,
            "group.manage_members",
            Group,
            "Add members to the group, change their roles and remove them.",
        ),
        spec(
            C::GroupManageSettings,
            "group.manage_settings",
            Group,
            "Change the group's settings and read its audit log.",
        ),
        spec(
            C::GroupCreateTools,
            "group.create_tools",
            Group,
            "Create tools for the group.",
        ),
        spec(
            C::GroupCreateAssignments,
            "group.create_assignments",
            Group,
            "Create assignments for the group.",
        ),
        spec(
            C::GroupViewAnalytics,
            "group.view_analytics",
            Group,
            "View the group's analytics.",
        ),
        spec(
            C::GroupCreateProjects,
            "group.create_projects",
            Group,
            "Create projects owned by the group.",
        ),
        spec(
            C::GroupViewMembers,
            "group.view_members",
            Group,
            "List the group's members.",
        ),
        spec(
            C::GroupUseAssignedTools,
            "group.use_assigned_tools",
            Group,
            "Use the tools assigned in the group.",
        ),
        spec(
            C::GroupView,
            "group.view",
            Group,
            "See the group, its place in the hierarchy and its projects.",
        ),
        spec(
            C::ProjectDelete,
            "project.delete",
            Project,
            "Delete the project with its squads and memberships.",
        ),
        spec(
            C::ProjectAssignRoles,
            "project.assign_roles",
            Project,
            "Add members to the project, change their roles and reporting lines, and remove them.",
        ),
        spec(
            C::ProjectManageSquads,
            "project.manage_squads",
            Project,
            "Create, rename, move and delete the project's squads.",
        ),
        spec(
            C::ProjectManageSettings,
            "project.manage_settings",
            Project,
            "Change the project's settings and read its audit log.",
        ),
        spec(
            C::ProjectManageSquadMembers,
            "project.manage_squad_members",
            Project,
            "Add and remove squad members (a squad lead only in their own squads and sub-squads).",
        ),
        spec(
            C::ProjectView,
            "project.view",
            Project,
            "See the project and its squads.",
        ),
        spec(
            C::ProjectViewMembers,
            "project.view_members",
            Project,
            "List the project's members, squad members and reporting lines.",
        ),
        spec(
            C::ProjectManageWorkItems,
            "project.manage_work_items",
            Project,
            "Create and edit the project's work items.",
        ),
    ]
};

// The table is indexed by discriminant, so its rows must follow the declaration order; a
// mistake here fails the build rather than a lookup at run time.
const _: () = assert_declaration_order();

/// Panics unless every row of [`CAPABILITIES`] sits at its capability's discriminant. Called only
/// in the constant above, so it runs at compile time and never in a test (which is why
/// `.cargo/mutants.toml` skips its mutants).
const fn assert_declaration_order() {
    let mut i = 0;
    while i < CAPABILITIES.len() {
        assert!(
            CAPABILITIES[i].capability as usize == i,
            "CAPABILITIES must list capabilities in declaration order"
        );
        i += 1;
    }
}

impl Capability {
    /// Every capability, in declaration order (system, then group, then project).
    pub const ALL: [Self; CAPABILITIES.len()] = {
        let mut all = [Capability::SystemManage; CAPABILITIES.len()];
        let mut i = 0;
        while i < CAPABILITIES.len() {
            all[i] = CAPABILITIES[i].capability;
            i += 1;
        }
        all
    };

    fn spec(self) -> &'static CapabilitySpec {
        &CAPABILITIES[self as usize]
    }

    /// The wire name, e.g. `"group.manage"`.
    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// One human sentence saying what the capability allows.
    pub fn description(self) -> &'static str {
        self.spec().description
    }

    /// Which kind of resource the capability is checked against.
    pub fn kind(self) -> CapabilityKind {
        self.spec().kind
    }

    /// Whether asking about this capability on a resource of `resource` kind makes sense:
    /// `group.*` on groups, `project.*` on projects and squads, `system.manage` on the system.
    pub fn applies_to(self, resource: ResourceKind) -> bool {
        self.kind().applies_to(resource)
    }
}

wire_name!(Capability, UnknownCapability);

impl CapabilityKind {
    /// The name of the scope, as used before the dot in capability names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Group => "group",
            Self::Project => "project",
        }
    }

    /// Whether capabilities of this kind are checked against resources of `resource` kind.
    pub fn applies_to(self, resource: ResourceKind) -> bool {
        matches!(
            (self, resource),
            (Self::System, ResourceKind::System)
                | (Self::Group, ResourceKind::Group)
                | (Self::Project, ResourceKind::Project | ResourceKind::Squad)
        )
    }

    /// The resources this kind applies to, in words (for reasons and error messages).
    pub fn resources(self) -> &'static str {
        match self {
            Self::System => "the system",
            Self::Group => "groups",
            Self::Project => "projects and squads",
        }
    }
}

wire_name!(CapabilityKind);

impl ResourceKind {
    /// Every resource kind.
    pub const ALL: [Self; 4] = [Self::System, Self::Group, Self::Project, Self::Squad];

    /// The wire name: `system`, `group`, `project` or `squad`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Group => "group",
            Self::Project => "project",
            Self::Squad => "squad",
        }
    }
}

wire_name!(ResourceKind);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::collections::HashSet;

    /// The contract's names (spec §3), written out independently of the table.
    const EXPECTED_NAMES: [&str; 19] = [
        "system.manage",
        "group.manage",
        "group.manage_members",
        "group.manage_settings",
        "group.create_tools",
        "group.create_assignments",
        "group.view_analytics",
        "group.create_projects",
        "group.view_members",
        "group.use_assigned_tools",
        "group.view",
        "project.delete",
        "project.assign_roles",
        "project.manage_squads",
        "project.manage_settings",
        "project.manage_squad_members",
        "project.view",
        "project.view_members",
        "project.manage_work_items",
    ];

    #[test]
    fn names_match_the_contract_and_round_trip() {
        let names: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, EXPECTED_NAMES);
        for cap in Capability::ALL {
            assert_eq!(cap.as_str().parse::<Capability>(), Ok(cap));
            assert_eq!(cap.to_string(), cap.as_str());
        }
    }

    #[test]
    fn unknown_names_are_rejected_with_the_name() {
        for bad in [
            "",
            "group",
            "GROUP.MANAGE",
            "group.manage ",
            "project.admin",
            "system",
        ] {
            assert_eq!(
                bad.parse::<Capability>(),
                Err(UnknownCapability(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            UnknownCapability("x.y".into()).to_string(),
            "unknown capability `x.y`"
        );
    }

    #[test]
    fn kind_is_the_prefix_of_the_name() {
        for cap in Capability::ALL {
            let prefix = cap.as_str().split('.').next().unwrap();
            assert_eq!(cap.kind().as_str(), prefix, "{cap}");
        }
    }

    #[test]
    fn descriptions_are_distinct_sentences() {
        let mut seen = HashSet::new();
        for cap in Capability::ALL {
            let d = cap.description();
            assert!(d.ends_with('.'), "{cap}: {d}");
            assert!(d.chars().next().unwrap().is_uppercase(), "{cap}: {d}");
            assert!(seen.insert(d), "duplicate description for {cap}");
        }
    }

    #[test]
    fn kinds_print_their_wire_names() {
        use ResourceKind as R;
        // `/v1/check` names resources and capability scopes by these words.
        let resources = [
            (R::System, "system"),
            (R::Group, "group"),
            (R::Project, "project"),
            (R::Squad, "squad"),
        ];
        assert_eq!(ResourceKind::ALL, resources.map(|(kind, _)| kind));
        for (kind, name) in resources {
            assert_eq!((kind.as_str(), kind.to_string()), (name, name.to_owned()));
        }
        let scopes = [
            (CapabilityKind::System, "system", "the system"),
            (CapabilityKind::Group, "group", "groups"),
            (CapabilityKind::Project, "project", "projects and squads"),
        ];
        for (kind, name, resources) in scopes {
            assert_eq!(
                (kind.as_str(), kind.to_string(), kind.resources()),
                (name, name.to_owned(), resources)
            );
        }
    }

    #[test]
    fn capabilities_apply_to_their_resource_kinds_only() {
        use ResourceKind as R;
        fn check(kind: CapabilityKind, applies: &[ResourceKind]) {
            for resource in ResourceKind::ALL {
                assert_eq!(
                    kind.applies_to(resource),
                    applies.contains(&resource),
                    "{kind} on {resource}"
                );
            }
        }
        check(CapabilityKind::System, &[R::System]);
        check(CapabilityKind::Group, &[R::Group]);
        check(CapabilityKind::Project, &[R::Project, R::Squad]);
        assert!(Capability::ProjectView.applies_to(R::Squad));
        assert!(!Capability::GroupView.applies_to(R::Project));
    }
}
