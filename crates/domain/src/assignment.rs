//! Assigning a role: what setting a group role does, what a project member's reporting line
//! becomes, and whether the request changes anything at all (an unchanged upsert writes
//! nothing, not even an audit event).

use uuid::Uuid;

use crate::admins::removes_system_admin;
use crate::reporting::InvalidReportsTo;
use crate::roles::{GroupRole, ProjectRole};

/// Whether a membership's role changes from `before` to `after` (`None`: no membership), as
/// when a sync recomputes it from its sources: a role that stays is no change to record.
pub fn role_changes<R: PartialEq>(before: Option<R>, after: Option<R>) -> bool {
    before != after
}

/// What setting a group membership to a role does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GroupRoleChange {
    /// There is no membership yet: one is created.
    Create,
    /// The membership already has the role: nothing to write.
    Unchanged,
    /// The membership's role changes; `removes_system_admin` when it was `system_admin` (the
    /// last-admin rule must then be checked).
    Update {
        /// Whether the change takes a `system_admin` membership away.
        removes_system_admin: bool,
    },
}

/// Plans setting a group membership whose role is `current` (`None`: no membership) to
/// `requested`.
pub fn plan_group_role(current: Option<GroupRole>, requested: GroupRole) -> GroupRoleChange {
    match current {
        None => GroupRoleChange::Create,
        Some(now) if now == requested => GroupRoleChange::Unchanged,
        Some(now) => GroupRoleChange::Update {
            removes_system_admin: removes_system_admin(Some(now), Some(requested)),
        },
    }
}

/// A member's current assignment in a project.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CurrentAssignment {
    /// Their assigned role.
    pub role: ProjectRole,
    /// Whom they report to now.
    pub reports_to: Option<Uuid>,
    /// Whether that line was set explicitly.
    pub explicit: bool,
}

/// What the request says about the reporting line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LineRequest {
    /// `reports_to` absent: keep the current line (automatic for a new member).
    Keep,
    /// `reports_to: null`: the automatic line.
    Automatic,
    /// `reports_to: <user>`: an explicit line to that user (validated against the project's
    /// members by [`crate::validate_explicit_reports_to`]).
    Explicit(Uuid),
}

/// The assignment to store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PlannedAssignment {
    /// The line to store before repairs (`None` with `explicit: false`: computed by repairs).
    pub reports_to: Option<Uuid>,
    /// Whether the stored line is explicit.
    pub explicit: bool,
    /// Whether the request changes nothing: same role, and the same line or a request to keep
    /// it (an automatic line asked to stay automatic is unchanged too).
    pub unchanged: bool,
}

/// Plans assigning `role` to `user_id` with `line`, given their `current` assignment.
pub fn plan_assignment(
    user_id: Uuid,
    current: Option<CurrentAssignment>,
    role: ProjectRole,
    line: LineRequest,
) -> Result<PlannedAssignment, InvalidReportsTo> {
    let (reports_to, explicit) = match (line, current) {
        (LineRequest::Keep, Some(now)) => (now.reports_to, now.explicit),
        (LineRequest::Keep | LineRequest::Automatic, _) => (None, false),
        (LineRequest::Explicit(target), _) if target == user_id => {
            return Err(InvalidReportsTo::Themselves);
        }
        (LineRequest::Explicit(target), _) => (Some(target), true),
    };
    let unchanged = current.is_some_and(|now| {
        now.role == role
            && (line == LineRequest::Keep
                || (now.reports_to == reports_to && now.explicit == explicit)
                || (!explicit && !now.explicit))
    });
    Ok(PlannedAssignment {
        reports_to,
        explicit,
        unchanged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectRole::{Member, Pm};

    #[test]
    fn a_role_changes_when_it_differs_or_appears_or_goes() {
        assert!(!role_changes(Some(Pm), Some(Pm)));
        assert!(role_changes(Some(Pm), Some(Member)));
        assert!(role_changes(None, Some(Member)));
        assert!(role_changes(Some(Member), None));
        assert!(!role_changes::<ProjectRole>(None, None));
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn now(role: ProjectRole, reports_to: Option<u128>, explicit: bool) -> CurrentAssignment {
        CurrentAssignment {
            role,
            reports_to: reports_to.map(id),
            explicit,
        }
    }

    fn planned(reports_to: Option<u128>, explicit: bool, unchanged: bool) -> PlannedAssignment {
        PlannedAssignment {
            reports_to: reports_to.map(id),
            explicit,
            unchanged,
        }
    }

    #[test]
    fn plans_follow_the_request_and_the_current_line() {
        use LineRequest::{Automatic, Explicit, Keep};
        let me = 1;
        let cases = [
            // A new member: lines start automatic unless one is named.
            (None, Member, Keep, planned(None, false, false)),
            (None, Member, Automatic, planned(None, false, false)),
            (None, Member, Explicit(id(2)), planned(Some(2), true, false)),
            // Same role, line kept: nothing changes, whatever the line is.
            (
                Some(now(Member, Some(2), true)),
                Member,
                Keep,
                planned(Some(2), true, true),
            ),
            (
                Some(now(Member, Some(2), false)),
                Member,
                Keep,
                planned(Some(2), false, true),
            ),
            // Same role, the same explicit line again: unchanged.
            (
                Some(now(Member, Some(2), true)),
                Member,
                Explicit(id(2)),
                planned(Some(2), true, true),
            ),
            // Same role, another explicit line: a change.
            (
                Some(now(Member, Some(2), true)),
                Member,
                Explicit(id(3)),
                planned(Some(3), true, false),
            ),
            // Automatic asked of an automatic line: unchanged (repairs keep it current).
            (
                Some(now(Member, Some(2), false)),
                Member,
                Automatic,
                planned(None, false, true),
            ),
            // Automatic asked of an explicit line: a change back to automatic.
            (
                Some(now(Member, Some(2), true)),
                Member,
                Automatic,
                planned(None, false, false),
            ),
            // A new role is always a change, and keeps the line when asked to.
            (
                Some(now(Member, Some(2), true)),
                Pm,
                Keep,
                planned(Some(2), true, false),
            ),
            (
                Some(now(Member, None, false)),
                Pm,
                Automatic,
                planned(None, false, false),
            ),
        ];
        for (current, role, line, want) in cases {
            assert_eq!(
                plan_assignment(id(me), current, role, line),
                Ok(want),
                "{current:?} {role} {line:?}"
            );
        }
    }

    #[test]
    fn group_role_changes() {
        use GroupRole::{GroupAdmin, Student, SystemAdmin};
        let update = |removes_system_admin| GroupRoleChange::Update {
            removes_system_admin,
        };
        let cases = [
            (None, Student, GroupRoleChange::Create),
            (None, SystemAdmin, GroupRoleChange::Create),
            (Some(Student), Student, GroupRoleChange::Unchanged),
            (Some(SystemAdmin), SystemAdmin, GroupRoleChange::Unchanged),
            (Some(Student), GroupAdmin, update(false)),
            (Some(GroupAdmin), SystemAdmin, update(false)),
            (Some(SystemAdmin), GroupAdmin, update(true)),
            (Some(SystemAdmin), Student, update(true)),
        ];
        for (current, requested, want) in cases {
            assert_eq!(
                plan_group_role(current, requested),
                want,
                "{current:?} → {requested}"
            );
        }
    }

    #[test]
    fn nobody_reports_to_themselves() {
        for current in [None, Some(now(Member, None, false))] {
            assert_eq!(
                plan_assignment(id(1), current, Member, LineRequest::Explicit(id(1))),
                Err(InvalidReportsTo::Themselves)
            );
        }
    }
}
