//! The last-admin rules: a project keeps at least one `admin`, the system at least one
//! `system_admin`.
//!
//! The server counts the admins inside the transaction that changes them (holding the lock
//! that serialises such changes); these functions say which changes take an admin away and
//! whether enough remain, so no service compares roles itself.

use crate::roles::{GroupRole, ProjectRole};

/// Why a change is refused: it would leave no admin (HTTP 409 `last_admin` /
/// `last_system_admin`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LastAdmin {
    /// The project would lose its last `admin`.
    #[error("the project must keep at least one admin")]
    Project,
    /// The system would lose its last `system_admin`.
    #[error("at least one system admin must remain")]
    System,
}

/// Whether changing a project membership from `current` to `next` (`None`: no membership)
/// takes one of the project's admins away.
pub fn removes_project_admin(current: Option<ProjectRole>, next: Option<ProjectRole>) -> bool {
    current == Some(ProjectRole::Admin) && next != Some(ProjectRole::Admin)
}

/// Whether changing a group membership from `current` to `next` (`None`: no membership) takes a
/// `system_admin` membership away.
pub fn removes_system_admin(current: Option<GroupRole>, next: Option<GroupRole>) -> bool {
    current == Some(GroupRole::SystemAdmin) && next != Some(GroupRole::SystemAdmin)
}

/// Whether granting `role` creates a `system_admin` membership (such a grant is serialised with
/// every other change to the set of system admins).
pub fn grants_system_admin(role: GroupRole) -> bool {
    role == GroupRole::SystemAdmin
}

/// The rule itself: refuses a change after which `remaining` admins of `kind` would be left.
pub fn check_admins_remain(kind: LastAdmin, remaining: u64) -> Result<(), LastAdmin> {
    if remaining == 0 { Err(kind) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GroupRole::{GroupAdmin, Student, SystemAdmin, Teacher};
    use ProjectRole::{Admin, Member, Pm, SquadLead};

    #[test]
    fn which_project_changes_remove_an_admin() {
        let cases = [
            (Some(Admin), None, true),
            (Some(Admin), Some(Pm), true),
            (Some(Admin), Some(Member), true),
            (Some(Admin), Some(Admin), false),
            (Some(Pm), None, false),
            (Some(SquadLead), Some(Admin), false),
            (None, Some(Admin), false),
            (None, None, false),
        ];
        for (current, next, removes) in cases {
            assert_eq!(
                removes_project_admin(current, next),
                removes,
                "{current:?} → {next:?}"
            );
        }
    }

    #[test]
    fn which_group_changes_remove_a_system_admin() {
        let cases = [
            (Some(SystemAdmin), None, true),
            (Some(SystemAdmin), Some(GroupAdmin), true),
            (Some(SystemAdmin), Some(Student), true),
            (Some(SystemAdmin), Some(SystemAdmin), false),
            (Some(GroupAdmin), None, false),
            (Some(Teacher), Some(SystemAdmin), false),
            (None, Some(SystemAdmin), false),
        ];
        for (current, next, removes) in cases {
            assert_eq!(
                removes_system_admin(current, next),
                removes,
                "{current:?} → {next:?}"
            );
        }
        for role in GroupRole::ALL {
            assert_eq!(grants_system_admin(role), role == SystemAdmin, "{role}");
        }
    }

    #[test]
    fn at_least_one_admin_remains() {
        for kind in [LastAdmin::Project, LastAdmin::System] {
            assert_eq!(check_admins_remain(kind, 0), Err(kind));
            assert_eq!(check_admins_remain(kind, 1), Ok(()));
            assert_eq!(check_admins_remain(kind, 7), Ok(()));
        }
        assert_eq!(
            LastAdmin::Project.to_string(),
            "the project must keep at least one admin"
        );
        assert_eq!(
            LastAdmin::System.to_string(),
            "at least one system admin must remain"
        );
    }
}
