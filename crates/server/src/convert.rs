//! Conversions between the entity enums (storage) and the domain enums (rules).
//!
//! The two crates never know each other, so the server owns the mapping; the exhaustive
//! matches make adding a role a compile error here until both sides agree.

use entity::roles::{MemberRole, ProjectRole as StoredProjectRole};

pub fn group_role(stored: MemberRole) -> domain::GroupRole {
    match stored {
        MemberRole::SystemAdmin => domain::GroupRole::SystemAdmin,
        MemberRole::GroupAdmin => domain::GroupRole::GroupAdmin,
        MemberRole::Teacher => domain::GroupRole::Teacher,
        MemberRole::Student => domain::GroupRole::Student,
    }
}

pub fn stored_group_role(role: domain::GroupRole) -> MemberRole {
    match role {
        domain::GroupRole::SystemAdmin => MemberRole::SystemAdmin,
        domain::GroupRole::GroupAdmin => MemberRole::GroupAdmin,
        domain::GroupRole::Teacher => MemberRole::Teacher,
        domain::GroupRole::Student => MemberRole::Student,
    }
}

pub fn project_role(stored: StoredProjectRole) -> domain::ProjectRole {
    match stored {
        StoredProjectRole::Admin => domain::ProjectRole::Admin,
        StoredProjectRole::Pm => domain::ProjectRole::Pm,
        StoredProjectRole::SquadLead => domain::ProjectRole::SquadLead,
        StoredProjectRole::Member => domain::ProjectRole::Member,
    }
}

pub fn stored_project_role(role: domain::ProjectRole) -> StoredProjectRole {
    match role {
        domain::ProjectRole::Admin => StoredProjectRole::Admin,
        domain::ProjectRole::Pm => StoredProjectRole::Pm,
        domain::ProjectRole::SquadLead => StoredProjectRole::SquadLead,
        domain::ProjectRole::Member => StoredProjectRole::Member,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips() {
        for role in domain::GroupRole::ALL {
            assert_eq!(group_role(stored_group_role(role)), role);
        }
        for role in domain::ProjectRole::ALL {
            assert_eq!(project_role(stored_project_role(role)), role);
        }
    }
}
