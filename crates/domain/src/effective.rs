//! Effective roles: the role a user acts with at a group, project or squad, and its source.
//!
//! The caller loads the facts (the user's memberships on the path, their system admin row, their
//! own project role); these functions only combine them, so every decision sees the same rules.

use std::fmt;

use uuid::Uuid;

use crate::roles::{GroupRole, ProjectRole, RoleName};

/// Where the membership that produced an effective role lives (`granted_by` in `/v1/check`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum GrantSource {
    /// A `system_admin` membership, stored in the group `group_id`.
    System {
        /// The group that holds the system_admin membership row.
        group_id: Uuid,
    },
    /// A group membership in `group_id` (the group itself or one of its ancestors).
    Group {
        /// The group that holds the membership.
        group_id: Uuid,
    },
    /// The user's own membership in `project_id`.
    Project {
        /// The project that holds the membership.
        project_id: Uuid,
    },
}

impl GrantSource {
    /// The wire name of the source type: `system`, `group` or `project`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::System { .. } => "system",
            Self::Group { .. } => "group",
            Self::Project { .. } => "project",
        }
    }

    /// The id of the group or project that holds the membership.
    pub fn id(self) -> Uuid {
        match self {
            Self::System { group_id } | Self::Group { group_id } => group_id,
            Self::Project { project_id } => project_id,
        }
    }
}

impl fmt::Display for GrantSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System { group_id } => write!(f, "system (membership in group {group_id})"),
            Self::Group { group_id } => write!(f, "group {group_id}"),
            Self::Project { project_id } => write!(f, "project {project_id}"),
        }
    }
}

/// The membership behind an effective role: where it lives and the role it holds there.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct GrantedBy {
    /// Where the membership lives.
    pub source: GrantSource,
    /// The role held in that membership (e.g. `group_admin` for a bridged project admin).
    pub role: RoleName,
}

/// A user's effective role at a group, with the membership it comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupGrant {
    /// The effective role.
    pub role: GroupRole,
    /// Where the membership holding `role` lives.
    pub source: GrantSource,
}

impl GroupGrant {
    /// The grant of a system admin whose `system_admin` row is in `group_id`.
    pub fn system_admin(group_id: Uuid) -> Self {
        Self {
            role: GroupRole::SystemAdmin,
            source: GrantSource::System { group_id },
        }
    }

    /// The membership behind the grant (its role is the effective role itself).
    pub fn granted_by(self) -> GrantedBy {
        GrantedBy {
            source: self.source,
            role: self.role.into(),
        }
    }
}

/// A user's effective role at a project or squad, with the membership it comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProjectGrant {
    /// The effective role.
    pub role: ProjectRole,
    /// Where the membership behind `role` lives.
    pub source: GrantSource,
    /// The role held in that membership: `system_admin` or `group_admin` for a bridged admin,
    /// the assigned project role otherwise (a squad lead outside their squads acts as a member
    /// but still holds `squad_lead`).
    pub source_role: RoleName,
}

impl ProjectGrant {
    /// The grant of the user's own membership in `project_id`.
    pub fn own(project_id: Uuid, role: ProjectRole) -> Self {
        Self {
            role,
            source: GrantSource::Project { project_id },
            source_role: role.into(),
        }
    }

    /// The project admin grant bridged from a group grant, if that grant is strong enough
    /// (system_admin or group_admin).
    pub fn bridged(group: GroupGrant) -> Option<Self> {
        (group.role <= GroupRole::GroupAdmin).then_some(Self {
            role: ProjectRole::Admin,
            source: group.source,
            source_role: group.role.into(),
        })
    }

    /// The membership behind the grant.
    pub fn granted_by(self) -> GrantedBy {
        GrantedBy {
            source: self.source,
            role: self.source_role,
        }
    }
}

/// The effective role of a user at a group.
///
/// - `system_admin_at`: the group holding the user's `system_admin` membership, if they have one
///   anywhere; it makes them system admin everywhere.
/// - `path_memberships`: the user's memberships in the group and each of its ancestors, as
///   `(group id, role)`, root first.
///
/// The strongest (lowest-tier) role wins, because roles are inherited down the tree. On a tie the
/// earliest entry wins, which is the membership nearest the root when the caller passes the path
/// root first: that is where the role starts to apply, so it is the one `granted_by` reports (and
/// the one that keeps applying if a deeper duplicate is removed). A `system_admin` row on the path
/// counts even if `system_admin_at` is `None`.
pub fn effective_group_role(
    system_admin_at: Option<Uuid>,
    path_memberships: &[(Uuid, GroupRole)],
) -> Option<GroupGrant> {
    if let Some(group_id) = system_admin_at {
        return Some(GroupGrant::system_admin(group_id));
    }
    // `min_by_key` returns the first of equal minima, which gives the nearest-the-root tie rule.
    let (group_id, role) = path_memberships
        .iter()
        .copied()
        .min_by_key(|&(_, role)| role)?;
    Some(match role {
        GroupRole::SystemAdmin => GroupGrant::system_admin(group_id),
        _ => GroupGrant {
            role,
            source: GrantSource::Group { group_id },
        },
    })
}

/// The effective role of a user at a project.
///
/// - a system admin acts as `admin` (source: their system_admin membership);
/// - an effective `group_admin` on the owning group acts as `admin` (source: the group holding
///   that group_admin membership);
/// - otherwise the user's own role (source: the project).
///
/// When both a bridged admin and an own role exist the stronger wins; on a tie (own role `admin`)
/// the user's own membership is reported, as it is the direct and more specific one.
pub fn effective_project_role(
    system_admin_at: Option<Uuid>,
    owning_group: Option<GroupGrant>,
    project_id: Uuid,
    own_role: Option<ProjectRole>,
) -> Option<ProjectGrant> {
    let bridge = system_admin_at
        .map(GroupGrant::system_admin)
        .or(owning_group)
        .and_then(ProjectGrant::bridged);
    let own = own_role.map(|role| ProjectGrant::own(project_id, role));
    match (bridge, own) {
        (Some(bridge), Some(own)) if bridge.role < own.role => Some(bridge),
        (bridge, own) => own.or(bridge),
    }
}

/// The effective role of a user at a project itself, given their role in it: a squad lead leads
/// only squads, so at the project — outside every squad — they act as a member (spec §3).
/// Other roles are unchanged. `my_role` fields still show the role held; decisions at the
/// project, and `/v1/check` on it, use this one.
pub fn effective_at_project(project: Option<ProjectGrant>) -> Option<ProjectGrant> {
    effective_squad_role(project, false)
}

/// Whether the user's role at a squad of the project depends on the squads they belong to:
/// only a squad lead's does (see [`effective_squad_role`]), so only then must they be read.
pub fn depends_on_squads(project: Option<ProjectGrant>) -> bool {
    project.is_some_and(|grant| grant.role == ProjectRole::SquadLead)
}

/// The effective role of a user at one squad of a project.
///
/// `project` is the user's effective role at the squad's project. A squad lead counts as squad
/// lead only in squads they belong to, or whose parent squad they belong to
/// (`belongs_to_squad_or_its_parent`); elsewhere they act as a member. Other roles are unchanged.
pub fn effective_squad_role(
    project: Option<ProjectGrant>,
    belongs_to_squad_or_its_parent: bool,
) -> Option<ProjectGrant> {
    project.map(|grant| match grant.role {
        ProjectRole::SquadLead if !belongs_to_squad_or_its_parent => ProjectGrant {
            role: ProjectRole::Member,
            ..grant
        },
        _ => grant,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use GroupRole::{GroupAdmin, Student, SystemAdmin, Teacher};
    use ProjectRole::{Admin, Member, Pm, SquadLead};

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn group(role: GroupRole, group_id: u128) -> Option<GroupGrant> {
        Some(GroupGrant {
            role,
            source: GrantSource::Group {
                group_id: id(group_id),
            },
        })
    }

    fn system(group_id: u128) -> Option<GroupGrant> {
        Some(GroupGrant::system_admin(id(group_id)))
    }

    /// (name, system_admin_at, path memberships root first, expected grant)
    type GroupCase = (
        &'static str,
        Option<u128>,
        &'static [(u128, GroupRole)],
        Option<GroupGrant>,
    );

    /// (name, system_admin_at, owning group grant, own role, expected grant)
    type ProjectCase = (
        &'static str,
        Option<u128>,
        Option<GroupGrant>,
        Option<ProjectRole>,
        Option<ProjectGrant>,
    );

    #[test]
    fn group_role_is_the_strongest_on_the_path() {
        // Path: root 1 → 2 → 3; `memberships` is root first.
        let cases: &[GroupCase] = &[
            ("no membership", None, &[], None),
            ("direct", None, &[(3, Teacher)], group(Teacher, 3)),
            (
                "inherited from root",
                None,
                &[(1, Student)],
                group(Student, 1),
            ),
            (
                "stronger ancestor wins",
                None,
                &[(1, GroupAdmin), (3, Student)],
                group(GroupAdmin, 1),
            ),
            (
                "stronger descendant wins",
                None,
                &[(1, Student), (2, Teacher)],
                group(Teacher, 2),
            ),
            (
                "tie goes to the nearest the root",
                None,
                &[(1, Teacher), (2, Teacher), (3, Student)],
                group(Teacher, 1),
            ),
            (
                "system_admin on the path",
                None,
                &[(1, SystemAdmin), (3, Student)],
                system(1),
            ),
            ("system admin elsewhere", Some(9), &[], system(9)),
            (
                "system admin elsewhere beats the path",
                Some(9),
                &[(1, GroupAdmin)],
                system(9),
            ),
        ];
        for (name, system_admin_at, path, want) in cases {
            let path: Vec<(Uuid, GroupRole)> = path.iter().map(|&(g, r)| (id(g), r)).collect();
            assert_eq!(
                effective_group_role(system_admin_at.map(id), &path),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn project_role_bridges_system_and_group_admins() {
        const P: u128 = 100;
        let own = |role| Some(ProjectGrant::own(id(P), role));
        let bridged = |grant: Option<GroupGrant>| grant.and_then(ProjectGrant::bridged);
        let cases: &[ProjectCase] = &[
            ("nothing", None, None, None, None),
            ("own role", None, None, Some(Pm), own(Pm)),
            ("system admin", Some(7), None, None, bridged(system(7))),
            (
                "system admin over own pm",
                Some(7),
                None,
                Some(Pm),
                bridged(system(7)),
            ),
            (
                "group_admin bridge",
                None,
                group(GroupAdmin, 2),
                None,
                bridged(group(GroupAdmin, 2)),
            ),
            (
                "bridge beats own member",
                None,
                group(GroupAdmin, 1),
                Some(Member),
                bridged(group(GroupAdmin, 1)),
            ),
            (
                "own admin wins the tie",
                None,
                group(GroupAdmin, 1),
                Some(Admin),
                own(Admin),
            ),
            (
                "teacher does not bridge",
                None,
                group(Teacher, 1),
                None,
                None,
            ),
            (
                "teacher keeps own role",
                None,
                group(Teacher, 1),
                Some(SquadLead),
                own(SquadLead),
            ),
            (
                "student keeps own role",
                None,
                group(Student, 1),
                Some(Member),
                own(Member),
            ),
            (
                "system grant via group",
                None,
                system(3),
                None,
                bridged(system(3)),
            ),
        ];
        for (name, system_admin_at, owning, own_role, want) in cases {
            let got = effective_project_role(system_admin_at.map(id), *owning, id(P), *own_role);
            assert_eq!(got, *want, "{name}");
        }
        let bridged_admin = bridged(group(GroupAdmin, 2)).unwrap();
        assert_eq!(bridged_admin.role, Admin);
        assert_eq!(
            bridged_admin.granted_by(),
            GrantedBy {
                source: GrantSource::Group { group_id: id(2) },
                role: GroupAdmin.into()
            }
        );
        assert_eq!(
            bridged(system(7)).unwrap().source,
            GrantSource::System { group_id: id(7) }
        );
    }

    #[test]
    fn at_the_project_itself_a_squad_lead_is_a_member() {
        for role in ProjectRole::ALL {
            let held = ProjectGrant::own(id(1), role);
            let at_project = effective_at_project(Some(held)).unwrap();
            let want = if role == SquadLead { Member } else { role };
            assert_eq!(at_project.role, want, "{role}");
            // The membership behind it is still the one held.
            assert_eq!(at_project.source_role, held.source_role, "{role}");
        }
        assert_eq!(effective_at_project(None), None);
    }

    #[test]
    fn only_a_squad_leads_role_depends_on_squads() {
        for role in ProjectRole::ALL {
            let grant = ProjectGrant::own(id(1), role);
            assert_eq!(depends_on_squads(Some(grant)), role == SquadLead, "{role}");
        }
        assert!(!depends_on_squads(None));
    }

    #[test]
    fn squad_leads_lead_only_their_own_squads() {
        const P: u128 = 100;
        for role in ProjectRole::ALL {
            for belongs in [true, false] {
                let got = effective_squad_role(Some(ProjectGrant::own(id(P), role)), belongs);
                let want = if role == SquadLead && !belongs {
                    Member
                } else {
                    role
                };
                let got = got.unwrap();
                assert_eq!(got.role, want, "{role} belongs={belongs}");
                // The membership behind it is still the squad_lead row.
                assert_eq!(got.granted_by().role, RoleName::Project(role));
            }
        }
        assert_eq!(effective_squad_role(None, true), None);
        let admin = ProjectGrant::bridged(GroupGrant::system_admin(id(1)));
        assert_eq!(effective_squad_role(admin, false), admin);
    }

    #[test]
    fn sources_name_their_type_and_id() {
        let cases = [
            (GrantSource::System { group_id: id(1) }, "system", id(1)),
            (GrantSource::Group { group_id: id(2) }, "group", id(2)),
            (GrantSource::Project { project_id: id(3) }, "project", id(3)),
        ];
        for (source, kind, want_id) in cases {
            assert_eq!((source.kind(), source.id()), (kind, want_id));
            assert!(source.to_string().contains(&want_id.to_string()));
        }
    }
}
