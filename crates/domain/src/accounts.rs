//! User accounts: who may create users and read every one of them, and who may change or
//! delete an account.
//!
//! These are decisions like [`crate::decide_group`], so route guards treat them alike. Reading
//! an account conceals the ones the caller cannot see; the others never conceal existence:
//! creating a user has no resource to hide, and changing or deleting one is decided only after
//! the caller has been shown to see that user.

use uuid::Uuid;

use crate::capability::Capability;
use crate::decision::{Decision, Verdict};
use crate::effective::GroupGrant;

/// Decides managing users in general — creating them and reading every one — given the
/// caller's strongest group grant anywhere (see [`crate::effective_group_role`] over all their
/// memberships): it takes `group.manage_members` in some group, so system admins and group
/// admins manage users.
pub fn decide_user_management(strongest: Option<GroupGrant>) -> Decision<GroupGrant> {
    let verdict = match strongest {
        None => Verdict::NoRole,
        Some(g) if g.role.has(Capability::GroupManageMembers) => Verdict::Granted(g),
        Some(g) => Verdict::LacksCapability(g),
    };
    let reason = match verdict {
        Verdict::Granted(g) => format!("{} manages users", g.role),
        _ => "only system admins and group admins manage users".to_owned(),
    };
    visible(verdict, reason)
}

/// Decides reading one account, given the account if it is `visible` to the caller: themselves,
/// every account for those who manage users, else the users who share a project or a group
/// scope with them. The server evaluates that rule as one SQL condition (so that reading one
/// user and listing users cannot disagree) and passes what it found; the decision hands the
/// account on, and conceals one the caller cannot see, like a group they have no role in.
pub fn decide_account_read<A>(visible: Option<A>) -> Decision<A> {
    let (verdict, reason) = match visible {
        Some(account) => (
            Verdict::Granted(account),
            "the account is visible to the caller",
        ),
        None => (
            Verdict::NoRole,
            "the account shares no scope with the caller",
        ),
    };
    Decision {
        verdict,
        reason: reason.to_owned(),
        conceals_existence: true,
    }
}

/// What a change to a user account touches.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AccountChange {
    /// Whether the caller changes their own account.
    pub own: bool,
    /// Whether the email address changes (the display name may change either way).
    pub email: bool,
}

/// On what authority an account change or deletion is allowed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AccountGrant {
    /// The user changes their own display name.
    Own,
    /// A system admin, with their system_admin membership.
    SystemAdmin(GroupGrant),
}

/// Decides a change to an account: a user may change their own display name; a system admin
/// may change any account's email and display name. `system_admin_at` is where the caller's
/// system_admin membership is, if any.
pub fn decide_account_change(
    system_admin_at: Option<Uuid>,
    change: AccountChange,
) -> Decision<AccountGrant> {
    if let Some(at) = system_admin_at {
        return visible(
            Verdict::Granted(AccountGrant::SystemAdmin(GroupGrant::system_admin(at))),
            "a system admin changes any account".to_owned(),
        );
    }
    match change {
        AccountChange { own: false, .. } => visible(
            Verdict::NoRole,
            "only system admins change other users".to_owned(),
        ),
        AccountChange {
            own: true,
            email: true,
        } => visible(
            Verdict::LacksCapability(AccountGrant::Own),
            "only system admins change email addresses".to_owned(),
        ),
        AccountChange {
            own: true,
            email: false,
        } => visible(
            Verdict::Granted(AccountGrant::Own),
            "users change their own display name".to_owned(),
        ),
    }
}

/// Decides deleting an account: system admins only.
pub fn decide_account_deletion(system_admin_at: Option<Uuid>) -> Decision<AccountGrant> {
    match system_admin_at {
        Some(at) => visible(
            Verdict::Granted(AccountGrant::SystemAdmin(GroupGrant::system_admin(at))),
            "a system admin deletes accounts".to_owned(),
        ),
        None => visible(
            Verdict::NoRole,
            "only system admins delete users".to_owned(),
        ),
    }
}

fn visible<G>(verdict: Verdict<G>, reason: String) -> Decision<G> {
    Decision {
        verdict,
        reason,
        conceals_existence: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effective::GrantSource;
    use crate::roles::GroupRole;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn group_admins_and_system_admins_manage_users() {
        use GroupRole::{GroupAdmin, Student, SystemAdmin, Teacher};
        const REFUSED: &str = "only system admins and group admins manage users";
        // (strongest role anywhere, manages users, reason): the reason of an allowed decision
        // names the role it was allowed on.
        let cases = [
            (SystemAdmin, true, "system_admin manages users"),
            (GroupAdmin, true, "group_admin manages users"),
            (Teacher, false, REFUSED),
            (Student, false, REFUSED),
        ];
        for (role, manages, reason) in cases {
            let grant = GroupGrant {
                role,
                source: GrantSource::Group { group_id: id(1) },
            };
            let decision = decide_user_management(Some(grant));
            assert_eq!(decision.allowed(), manages, "{role}");
            assert_eq!(decision.grant(), Some(grant), "{role}");
            assert_eq!(decision.reason, reason, "{role}");
            assert!(!decision.conceals_existence);
        }
        let nobody = decide_user_management(None);
        assert_eq!(nobody.verdict, Verdict::NoRole);
        assert!(
            nobody
                .reason
                .contains("only system admins and group admins")
        );
        assert!(!nobody.conceals_existence);
    }

    #[test]
    fn account_changes() {
        let admin = Some(id(7));
        let sa = Verdict::Granted(AccountGrant::SystemAdmin(GroupGrant::system_admin(id(7))));
        // (system_admin_at, own, email, verdict, reason fragment)
        let cases = [
            (admin, false, true, sa, "system admin"),
            (admin, true, true, sa, "system admin"),
            (admin, false, false, sa, "system admin"),
            (
                None,
                true,
                false,
                Verdict::Granted(AccountGrant::Own),
                "own display name",
            ),
            (
                None,
                true,
                true,
                Verdict::LacksCapability(AccountGrant::Own),
                "change email addresses",
            ),
            (None, false, false, Verdict::NoRole, "change other users"),
            (None, false, true, Verdict::NoRole, "change other users"),
        ];
        for (at, own, email, verdict, reason) in cases {
            let decision = decide_account_change(at, AccountChange { own, email });
            assert_eq!(decision.verdict, verdict, "{at:?} own={own} email={email}");
            assert!(decision.reason.contains(reason), "{}", decision.reason);
            assert!(!decision.conceals_existence);
        }
    }

    #[test]
    fn unseen_accounts_are_concealed() {
        let seen = decide_account_read(Some("ada"));
        assert_eq!(seen.verdict, Verdict::Granted("ada"));
        let unseen = decide_account_read::<&str>(None);
        assert_eq!(unseen.verdict, Verdict::NoRole);
        assert!(seen.conceals_existence && unseen.conceals_existence);
    }

    #[test]
    fn only_system_admins_delete_accounts() {
        assert!(decide_account_deletion(Some(id(1))).allowed());
        let refused = decide_account_deletion(None);
        assert_eq!(refused.verdict, Verdict::NoRole);
        assert_eq!(refused.reason, "only system admins delete users");
        assert!(!refused.conceals_existence);
    }
}
