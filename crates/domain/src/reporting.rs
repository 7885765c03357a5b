//! Reporting lines in a project: the automatic manager, explicit lines, and their repair.
//!
//! Seed 004 computes "the closest higher-tier member in the project". Spec §3 makes that exact:
//! for a member of tier *t*, the candidates hold the largest tier below *t* that any current
//! member holds; a candidate sharing a squad with the member is preferred (same squad, or the
//! member's squad's parent squad), then the earliest membership, then the smallest user id.
//! Admins, and members with no stronger role present, report to nobody.

use std::collections::HashMap;

use uuid::Uuid;

use crate::roles::ProjectRole;

/// What the reporting rules need to know about one project member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportingMember {
    /// The member's user id.
    pub user_id: Uuid,
    /// The member's assigned project role (never the bridged one).
    pub role: ProjectRole,
    /// When the project membership was created, as unix microseconds (the tie-breaker).
    pub joined_at: i64,
    /// The squads of the project the member belongs to.
    pub squads: Vec<Uuid>,
    /// The member's current manager.
    pub reports_to: Option<Uuid>,
    /// Whether `reports_to` was set explicitly (kept while valid) or computed.
    pub explicit: bool,
}

/// A reporting line that must be rewritten.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct LineChange {
    /// The member whose line changes.
    pub user_id: Uuid,
    /// Their new manager, if any.
    pub reports_to: Option<Uuid>,
    /// Whether the new line is explicit (only when an explicit line stays as it was).
    pub explicit: bool,
}

/// Why an explicit `reports_to` is refused (HTTP 400 `invalid_reports_to`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReportsTo {
    /// The named user is the member themselves.
    #[error("a member cannot report to themselves")]
    Themselves,
    /// The named user is not a current member of the project.
    #[error("reports_to must name a current member of the project")]
    NotAMember,
    /// The named member's role is not strictly stronger than the member's.
    #[error(
        "reports_to must name a member with a stronger role than {member}, and {target} is not"
    )]
    NotStronger {
        /// The role of the member whose line is set.
        member: ProjectRole,
        /// The role of the member they would report to.
        target: ProjectRole,
    },
}

/// Checks an explicit `reports_to` for a member with role `member_role`.
///
/// `target` is the named user's membership in the project, or `None` if they are not a member.
/// A member can never report to themselves, since their tier is not below their own.
pub fn validate_explicit_reports_to(
    member_role: ProjectRole,
    target: Option<&ReportingMember>,
) -> Result<(), InvalidReportsTo> {
    let target = target.ok_or(InvalidReportsTo::NotAMember)?;
    if target.role < member_role {
        Ok(())
    } else {
        Err(InvalidReportsTo::NotStronger {
            member: member_role,
            target: target.role,
        })
    }
}

/// Whether anyone may report to a member with `role`: only to a stronger role, so to every
/// role but the weakest (what a form offers as someone's manager).
pub fn may_be_reported_to(role: ProjectRole) -> bool {
    ProjectRole::ALL.into_iter().any(|other| role < other)
}

/// The automatic manager of `member` among the project's `members` (see the module docs).
///
/// `squad_parent` maps a squad id to its parent squad, if it is a sub-squad. `member` need not
/// be in `members` (e.g. while previewing an upsert); if it is, it is never its own candidate.
pub fn automatic_manager(
    member: &ReportingMember,
    members: &[ReportingMember],
    squad_parent: &impl Fn(Uuid) -> Option<Uuid>,
) -> Option<Uuid> {
    let stronger = || {
        members
            .iter()
            .filter(|m| m.user_id != member.user_id && m.role < member.role)
    };
    // "The largest tier below t that any current member holds": the weakest stronger role, so
    // absent tiers are skipped (a member with only an admin above reports to the admin).
    let manager_role = stronger().map(|m| m.role).max()?;
    let near: Vec<Uuid> = member
        .squads
        .iter()
        .flat_map(|&squad| [Some(squad), squad_parent(squad)])
        .flatten()
        .collect();
    stronger()
        .filter(|m| m.role == manager_role)
        .min_by_key(|m| {
            let shares_squad = m.squads.iter().any(|s| near.contains(s));
            (!shares_squad, m.joined_at, m.user_id)
        })
        .map(|m| m.user_id)
}

/// The reporting lines that must change so that every line is valid and every automatic line
/// is current: explicit lines are kept while they name a current member of a stronger role,
/// and revert to automatic otherwise. Members whose line is already right are not listed.
///
/// Call it after every membership, role or squad change in the project, with the members as
/// they are after the change.
pub fn repair_reporting_lines(
    members: &[ReportingMember],
    squad_parent: &impl Fn(Uuid) -> Option<Uuid>,
) -> Vec<LineChange> {
    let by_id: HashMap<Uuid, &ReportingMember> = members.iter().map(|m| (m.user_id, m)).collect();
    members
        .iter()
        .filter_map(|member| {
            let keep_explicit = member.explicit
                && member.reports_to.is_some_and(|target| {
                    validate_explicit_reports_to(member.role, by_id.get(&target).copied()).is_ok()
                });
            let wanted = if keep_explicit {
                (member.reports_to, true)
            } else {
                (automatic_manager(member, members, squad_parent), false)
            };
            (wanted != (member.reports_to, member.explicit)).then_some(LineChange {
                user_id: member.user_id,
                reports_to: wanted.0,
                explicit: wanted.1,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use ProjectRole::{Admin, Member, Pm, SquadLead};

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn every_role_but_the_weakest_may_be_reported_to() {
        assert!(may_be_reported_to(Admin));
        assert!(may_be_reported_to(Pm));
        assert!(may_be_reported_to(SquadLead));
        assert!(!may_be_reported_to(Member));
    }

    /// Squads: 10 and 20 are top-level; 11 is a sub-squad of 10.
    fn parent(squad: Uuid) -> Option<Uuid> {
        (squad == id(11)).then(|| id(10))
    }

    /// A member with an automatic line that is still unset.
    fn m(user: u128, role: ProjectRole, joined_at: i64, squads: &[u128]) -> ReportingMember {
        ReportingMember {
            user_id: id(user),
            role,
            joined_at,
            squads: squads.iter().map(|&s| id(s)).collect(),
            reports_to: None,
            explicit: false,
        }
    }

    /// The same member with a given line.
    fn line(mut member: ReportingMember, to: Option<u128>, explicit: bool) -> ReportingMember {
        member.reports_to = to.map(id);
        member.explicit = explicit;
        member
    }

    /// Checks the automatic manager of user `who` in each case.
    fn check_manager(cases: &[(&str, Vec<ReportingMember>, u128, Option<u128>)]) {
        for (name, members, who, want) in cases {
            let member = members.iter().find(|m| m.user_id == id(*who)).unwrap();
            assert_eq!(
                automatic_manager(member, members, &parent),
                want.map(id),
                "{name}"
            );
        }
    }

    /// (name, members, expected changes as `(user, new manager, explicit)`)
    type RepairCase = (
        &'static str,
        Vec<ReportingMember>,
        &'static [(u128, Option<u128>, bool)],
    );

    /// Checks the changes `repair_reporting_lines` asks for in each case, as
    /// `(user, new manager, explicit)`.
    fn check_repair(cases: &[RepairCase]) {
        for (name, members, want) in cases {
            let want: Vec<LineChange> = want
                .iter()
                .map(|&(user, to, explicit)| LineChange {
                    user_id: id(user),
                    reports_to: to.map(id),
                    explicit,
                })
                .collect();
            let got = repair_reporting_lines(members, &parent);
            assert_eq!(got, want, "{name}");
            // Repairing is idempotent: applying the changes leaves nothing to repair.
            let applied: Vec<ReportingMember> = members
                .iter()
                .map(
                    |member| match got.iter().find(|c| c.user_id == member.user_id) {
                        Some(c) => ReportingMember {
                            reports_to: c.reports_to,
                            explicit: c.explicit,
                            ..member.clone()
                        },
                        None => member.clone(),
                    },
                )
                .collect();
            assert_eq!(
                repair_reporting_lines(&applied, &parent),
                [],
                "{name}: idempotent"
            );
        }
    }

    #[test]
    fn automatic_managers() {
        check_manager(&[
            (
                "admins report to nobody",
                vec![m(1, Admin, 1, &[]), m(2, Admin, 0, &[])],
                1,
                None,
            ),
            (
                "no stronger role present",
                vec![m(1, Member, 0, &[]), m(2, Member, 1, &[])],
                1,
                None,
            ),
            ("alone", vec![m(1, Pm, 0, &[])], 1, None),
            (
                "nearest stronger tier, not the strongest",
                vec![
                    m(1, Admin, 0, &[]),
                    m(2, Pm, 1, &[]),
                    m(3, SquadLead, 2, &[]),
                    m(4, Member, 3, &[]),
                ],
                4,
                Some(3),
            ),
            (
                "absent tiers are skipped: a member with only an admin above",
                vec![m(1, Admin, 5, &[]), m(4, Member, 0, &[])],
                4,
                Some(1),
            ),
            (
                "squad lead reports to a pm",
                vec![
                    m(1, Admin, 0, &[]),
                    m(2, Pm, 1, &[]),
                    m(3, SquadLead, 2, &[10]),
                ],
                3,
                Some(2),
            ),
            (
                "earliest membership wins a tie",
                vec![m(2, Pm, 20, &[]), m(3, Pm, 10, &[]), m(9, Member, 0, &[])],
                9,
                Some(3),
            ),
            (
                "then the smallest user id",
                vec![m(3, Pm, 10, &[]), m(2, Pm, 10, &[]), m(9, Member, 0, &[])],
                9,
                Some(2),
            ),
            (
                "a lead of the same squad beats an earlier one",
                vec![
                    m(2, SquadLead, 0, &[20]),
                    m(3, SquadLead, 9, &[10]),
                    m(9, Member, 10, &[10]),
                ],
                9,
                Some(3),
            ),
            (
                "a lead of the parent squad counts as sharing",
                vec![
                    m(2, SquadLead, 0, &[20]),
                    m(3, SquadLead, 9, &[10]),
                    m(9, Member, 10, &[11]),
                ],
                9,
                Some(3),
            ),
            (
                "a lead of a sub-squad does not count as sharing",
                vec![
                    m(2, SquadLead, 0, &[20]),
                    m(3, SquadLead, 9, &[11]),
                    m(9, Member, 10, &[10]),
                ],
                9,
                Some(2),
            ),
            (
                "several sharing candidates: earliest first",
                vec![
                    m(2, SquadLead, 5, &[10]),
                    m(3, SquadLead, 4, &[11]),
                    m(9, Member, 10, &[11]),
                ],
                9,
                Some(3),
            ),
            (
                "squad preference only among the nearest tier",
                vec![
                    m(1, Pm, 0, &[10]),
                    m(2, SquadLead, 1, &[20]),
                    m(9, Member, 2, &[10]),
                ],
                9,
                Some(2),
            ),
            (
                "a squadless member takes the earliest lead",
                vec![
                    m(2, SquadLead, 3, &[20]),
                    m(3, SquadLead, 1, &[10]),
                    m(9, Member, 0, &[]),
                ],
                9,
                Some(3),
            ),
        ]);
    }

    #[test]
    fn member_outside_the_list_is_previewed() {
        let members = [m(1, Admin, 0, &[]), m(2, Pm, 1, &[])];
        assert_eq!(
            automatic_manager(&m(9, Member, 5, &[]), &members, &parent),
            Some(id(2))
        );
        assert_eq!(
            automatic_manager(&m(2, Admin, 5, &[]), &members, &parent),
            None
        );
    }

    #[test]
    fn explicit_targets() {
        let target = |role| m(1, role, 0, &[]);
        let cases = [
            (Member, Some(target(SquadLead)), Ok(())),
            (Member, Some(target(Admin)), Ok(())),
            (Pm, Some(target(Admin)), Ok(())),
            (
                Member,
                Some(target(Member)),
                Err(InvalidReportsTo::NotStronger {
                    member: Member,
                    target: Member,
                }),
            ),
            (
                Pm,
                Some(target(SquadLead)),
                Err(InvalidReportsTo::NotStronger {
                    member: Pm,
                    target: SquadLead,
                }),
            ),
            (
                Admin,
                Some(target(Admin)),
                Err(InvalidReportsTo::NotStronger {
                    member: Admin,
                    target: Admin,
                }),
            ),
            (Member, None, Err(InvalidReportsTo::NotAMember)),
        ];
        for (role, target, want) in cases {
            assert_eq!(
                validate_explicit_reports_to(role, target.as_ref()),
                want,
                "{role} → {target:?}"
            );
        }
    }

    #[test]
    fn repairs() {
        check_repair(&[
            ("empty project", vec![], &[]),
            (
                "fresh lines are computed",
                vec![m(1, Admin, 0, &[]), m(2, Pm, 1, &[]), m(3, Member, 2, &[])],
                &[(2, Some(1), false), (3, Some(2), false)],
            ),
            (
                "current automatic lines are left alone",
                vec![m(1, Admin, 0, &[]), line(m(2, Pm, 1, &[]), Some(1), false)],
                &[],
            ),
            (
                "a valid explicit line is kept, even if not the automatic one",
                vec![
                    m(1, Admin, 0, &[]),
                    line(m(2, Pm, 1, &[]), Some(1), false),
                    line(m(3, Member, 2, &[]), Some(1), true),
                ],
                &[],
            ),
            (
                "an explicit line to a demoted member reverts to automatic",
                vec![
                    m(1, Admin, 0, &[]),
                    line(m(2, Member, 1, &[]), Some(1), false),
                    line(m(3, Member, 2, &[]), Some(2), true),
                ],
                &[(3, Some(1), false)],
            ),
            (
                "an explicit line to a removed member reverts to automatic",
                vec![
                    m(1, Admin, 0, &[]),
                    line(m(3, Member, 2, &[]), Some(7), true),
                ],
                &[(3, Some(1), false)],
            ),
            (
                "an explicit line without a target reverts to automatic",
                vec![m(1, Admin, 0, &[]), line(m(3, Member, 2, &[]), None, true)],
                &[(3, Some(1), false)],
            ),
            (
                "the manager was removed: the next candidate takes over",
                vec![
                    m(1, Admin, 0, &[]),
                    line(m(3, SquadLead, 3, &[]), Some(1), false),
                    line(m(4, Member, 4, &[]), Some(2), false), // 2 (a pm) left
                ],
                &[(4, Some(3), false)],
            ),
            (
                "the only stronger member was removed: nobody",
                vec![
                    line(m(4, Member, 4, &[]), Some(1), false),
                    line(m(5, Member, 5, &[]), Some(1), true),
                ],
                &[(4, None, false), (5, None, false)],
            ),
            (
                "a promotion above the manager",
                vec![
                    m(1, Admin, 0, &[]),
                    line(m(2, SquadLead, 1, &[10]), Some(1), false),
                    // 3 was a member under 2 and is now a pm.
                    line(m(3, Pm, 2, &[10]), Some(2), false),
                    line(m(4, Member, 3, &[10]), Some(2), false),
                ],
                &[(2, Some(3), false), (3, Some(1), false)],
            ),
            (
                "a new squad lead becomes the manager of squadless members",
                vec![
                    m(1, Admin, 0, &[]),
                    line(m(2, Pm, 1, &[]), Some(1), false),
                    line(m(4, Member, 3, &[]), Some(2), false),
                    line(m(5, Member, 4, &[20]), Some(2), false),
                    m(6, SquadLead, 5, &[10]),
                ],
                &[
                    (4, Some(6), false),
                    (5, Some(6), false),
                    (6, Some(2), false),
                ],
            ),
            (
                "joining a squad moves the line to that squad's lead",
                vec![
                    m(1, Admin, 0, &[]),
                    line(m(2, SquadLead, 1, &[20]), Some(1), false),
                    line(m(3, SquadLead, 2, &[10]), Some(1), false),
                    line(m(4, Member, 3, &[11]), Some(2), false),
                ],
                &[(4, Some(3), false)],
            ),
            (
                "an explicit line that matches the automatic one stays explicit",
                vec![m(1, Admin, 0, &[]), line(m(2, Pm, 1, &[]), Some(1), true)],
                &[],
            ),
        ]);
    }

    #[test]
    fn messages() {
        assert_eq!(
            InvalidReportsTo::NotStronger {
                member: Pm,
                target: SquadLead
            }
            .to_string(),
            "reports_to must name a member with a stronger role than pm, and squad_lead is not"
        );
    }
}
