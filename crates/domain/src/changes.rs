//! Effective-access deltas (spec §8): whose effective role at one group or project a change
//! altered, computed with the same rules as every decision ([`crate::effective`]).
//!
//! The caller loads the facts at the touched node before the change, and either loads them again
//! after it or, when the change is one membership or project role, applies that change to them
//! ([`NodeFacts::with_group_membership`], [`NodeFacts::with_project_role`]); these functions turn
//! each set of facts into the map user → effective role and diff the two maps. Roles below the
//! node follow by inheritance, so a delta at the node is all a consumer needs.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::admins::grants_system_admin;
use crate::effective::{effective_group_role, effective_project_role};
use crate::roles::{GroupRole, ProjectRole};

/// What decides roles at one node: system admins, and memberships in the groups of a path.
#[derive(Debug, Clone, Default)]
pub struct NodeFacts {
    /// Each system admin with the group holding their `system_admin` membership.
    pub system_admins: BTreeMap<Uuid, Uuid>,
    /// The group path that decides (the group's own, or the project's owning group's), root
    /// first; empty when the node does not exist.
    pub path: Vec<Uuid>,
    /// Memberships as `(user, group, role)`, in any order; those off `path` count for nothing.
    pub memberships: Vec<(Uuid, Uuid, GroupRole)>,
    /// For a project: the members' own roles.
    pub project_roles: BTreeMap<Uuid, ProjectRole>,
    /// Users whose account is deactivated (spec §11): their memberships stay in the facts, so
    /// that a change to one is applied as to anyone's, but they hold no role here.
    pub deactivated: BTreeSet<Uuid>,
}

/// One user's effective role at the node before and after a change (`None`: no role).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleDelta<R> {
    /// The user whose role changed.
    pub user_id: Uuid,
    /// Their effective role before the change.
    pub before: Option<R>,
    /// Their effective role after it.
    pub after: Option<R>,
}

impl NodeFacts {
    /// The users with any membership or system-admin row these facts hold, but for the
    /// deactivated: whatever they hold grants nothing.
    fn users(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.system_admins
            .keys()
            .copied()
            .chain(self.memberships.iter().map(|&(user, _, _)| user))
            .chain(self.project_roles.keys().copied())
            .filter(|user| !self.deactivated.contains(user))
    }

    /// One user's memberships on the path. Their order decides only which membership a grant
    /// reports as its source, never the role, so deltas need no order.
    fn on_path(&self, user: Uuid) -> Vec<(Uuid, GroupRole)> {
        self.memberships
            .iter()
            .filter(|&&(member, group, _)| member == user && self.path.contains(&group))
            .map(|&(_, group, role)| (group, role))
            .collect()
    }

    /// The facts once `user`'s direct membership in `group` is `role` (`None`: removed). The
    /// user's system-admin standing is worked out again from their memberships, which hold
    /// every `system_admin` membership of a user the facts were loaded for.
    #[must_use]
    pub fn with_group_membership(
        mut self,
        user: Uuid,
        group: Uuid,
        role: Option<GroupRole>,
    ) -> Self {
        self.memberships
            .retain(|&(member, at, _)| !(member == user && at == group));
        self.memberships
            .extend(role.map(|role| (user, group, role)));
        self.system_admins.remove(&user);
        if let Some(&(_, at, _)) = self
            .memberships
            .iter()
            .find(|&&(member, _, role)| member == user && grants_system_admin(role))
        {
            self.system_admins.insert(user, at);
        }
        self
    }

    /// The facts once `user`'s own role at the project is `role` (`None`: removed).
    #[must_use]
    pub fn with_project_role(mut self, user: Uuid, role: Option<ProjectRole>) -> Self {
        match role {
            Some(role) => self.project_roles.insert(user, role),
            None => self.project_roles.remove(&user),
        };
        self
    }

    /// Every user's effective role at the group at the end of `path`.
    pub fn group_roles(&self) -> BTreeMap<Uuid, GroupRole> {
        if self.path.is_empty() {
            return BTreeMap::new();
        }
        self.users()
            .filter_map(|user| {
                let grant = effective_group_role(
                    self.system_admins.get(&user).copied(),
                    &self.on_path(user),
                )?;
                Some((user, grant.role))
            })
            .collect()
    }

    /// Every user's effective role at `project_id`, owned by the group at the end of `path`:
    /// their own role, or admin bridged from system_admin or group_admin. The role is the one
    /// held at the project (a squad lead's squads are not part of it).
    pub fn project_roles(&self, project_id: Uuid) -> BTreeMap<Uuid, ProjectRole> {
        if self.path.is_empty() {
            return BTreeMap::new();
        }
        self.users()
            .filter_map(|user| {
                let system_admin_at = self.system_admins.get(&user).copied();
                let at_owner = effective_group_role(system_admin_at, &self.on_path(user));
                let own = self.project_roles.get(&user).copied();
                let grant = effective_project_role(system_admin_at, at_owner, project_id, own)?;
                Some((user, grant.role))
            })
            .collect()
    }
}

/// The users whose role differs between `before` and `after`, in user-id order.
pub fn role_deltas<R: Copy + Eq>(
    before: &BTreeMap<Uuid, R>,
    after: &BTreeMap<Uuid, R>,
) -> Vec<RoleDelta<R>> {
    let mut users: Vec<Uuid> = before.keys().chain(after.keys()).copied().collect();
    users.sort_unstable();
    users.dedup();
    users
        .into_iter()
        .filter_map(|user_id| {
            let (before, after) = (before.get(&user_id).copied(), after.get(&user_id).copied());
            (before != after).then_some(RoleDelta {
                user_id,
                before,
                after,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn inherited_roles_follow_the_path_and_system_admins_hold_everywhere() {
        let (root, child) = (id(1), id(2));
        let (teacher, admin, outsider) = (id(10), id(11), id(12));
        let facts = NodeFacts {
            system_admins: BTreeMap::from([(admin, root)]),
            path: vec![root, child],
            memberships: vec![
                (teacher, root, GroupRole::Teacher),
                (teacher, child, GroupRole::Student),
                (outsider, id(99), GroupRole::GroupAdmin),
            ],
            ..NodeFacts::default()
        };
        let roles = facts.group_roles();
        assert_eq!(roles.get(&teacher), Some(&GroupRole::Teacher));
        assert_eq!(roles.get(&admin), Some(&GroupRole::SystemAdmin));
        assert_eq!(
            roles.get(&outsider),
            None,
            "a membership off the path grants nothing"
        );
    }

    #[test]
    fn a_group_admin_of_the_owner_is_a_project_admin() {
        let (owner, project) = (id(1), id(50));
        let (head, member) = (id(10), id(11));
        let facts = NodeFacts {
            path: vec![owner],
            memberships: vec![(head, owner, GroupRole::GroupAdmin)],
            project_roles: BTreeMap::from([(member, ProjectRole::Member)]),
            ..NodeFacts::default()
        };
        let roles = facts.project_roles(project);
        assert_eq!(roles.get(&head), Some(&ProjectRole::Admin));
        assert_eq!(roles.get(&member), Some(&ProjectRole::Member));
    }

    #[test]
    fn a_missing_node_holds_no_roles() {
        let facts = NodeFacts {
            system_admins: BTreeMap::from([(id(10), id(1))]),
            ..NodeFacts::default()
        };
        assert!(facts.group_roles().is_empty());
        assert!(facts.project_roles(id(50)).is_empty());
    }

    #[test]
    fn a_membership_change_applied_to_the_facts_moves_roles_and_admin_standing() {
        let (root, child) = (id(1), id(2));
        let user = id(10);
        let facts = NodeFacts {
            path: vec![root, child],
            memberships: vec![(user, child, GroupRole::Student)],
            ..NodeFacts::default()
        };
        let promoted = facts.with_group_membership(user, root, Some(GroupRole::SystemAdmin));
        assert_eq!(promoted.system_admins.get(&user), Some(&root));
        assert_eq!(
            promoted.group_roles().get(&user),
            Some(&GroupRole::SystemAdmin)
        );
        let left = promoted.with_group_membership(user, root, None);
        assert!(
            left.system_admins.is_empty(),
            "the only system_admin membership is gone"
        );
        assert_eq!(left.group_roles().get(&user), Some(&GroupRole::Student));
        let gone = left.with_group_membership(user, child, None);
        assert!(gone.group_roles().is_empty());
        let project = id(50);
        let member = gone.with_project_role(user, Some(ProjectRole::Member));
        assert_eq!(
            member.project_roles(project).get(&user),
            Some(&ProjectRole::Member)
        );
        assert!(
            member
                .with_project_role(user, None)
                .project_roles(project)
                .is_empty()
        );
    }

    #[test]
    fn a_deactivated_user_holds_no_role_whatever_changes() {
        let (owner, project) = (id(1), id(50));
        let (admin, head, member) = (id(10), id(11), id(12));
        let facts = NodeFacts {
            system_admins: BTreeMap::from([(admin, owner)]),
            path: vec![owner],
            memberships: vec![
                (admin, owner, GroupRole::SystemAdmin),
                (head, owner, GroupRole::GroupAdmin),
            ],
            project_roles: BTreeMap::from([(member, ProjectRole::Member)]),
            deactivated: BTreeSet::from([admin, head, member]),
        };
        assert!(facts.group_roles().is_empty());
        assert!(facts.project_roles(project).is_empty());
        let changed = facts
            .with_group_membership(head, owner, Some(GroupRole::Teacher))
            .with_project_role(member, Some(ProjectRole::Admin));
        assert!(changed.group_roles().is_empty());
        assert!(changed.project_roles(project).is_empty());
    }

    #[test]
    fn deltas_list_only_changed_users_in_id_order() {
        let before = BTreeMap::from([(id(3), 1u8), (id(1), 2), (id(2), 2)]);
        let after = BTreeMap::from([(id(1), 1u8), (id(2), 2), (id(4), 3)]);
        let deltas = role_deltas(&before, &after);
        let summary: Vec<_> = deltas
            .iter()
            .map(|d| (d.user_id, d.before, d.after))
            .collect();
        assert_eq!(
            summary,
            [
                (id(1), Some(2), Some(1)),
                (id(3), Some(1), None),
                (id(4), None, Some(3)),
            ]
        );
    }
}
