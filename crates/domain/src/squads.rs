//! Squad nesting: a squad is top-level (depth 0) or a sub-squad of a top-level squad (depth 1).

use uuid::Uuid;

/// The deepest a squad may be: sub-squads exist, sub-sub-squads do not.
pub const MAX_SQUAD_DEPTH: u8 = 1;

/// What the nesting rule needs to know about a prospective parent squad.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SquadFacts {
    /// The parent squad's id.
    pub id: Uuid,
    /// The project the parent squad belongs to.
    pub project_id: Uuid,
    /// The parent squad's depth (0 or 1).
    pub depth: u8,
}

/// Why a squad cannot be placed under a parent (HTTP 400 `squad_nesting`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SquadNesting {
    /// The parent is the squad itself.
    #[error("a squad cannot be its own parent")]
    OwnParent,
    /// The parent belongs to another project.
    #[error("the parent squad belongs to another project")]
    ParentInOtherProject,
    /// The parent is already a sub-squad, and squads nest one level only.
    #[error("the parent is itself a sub-squad; squads nest one level only")]
    ParentIsSubSquad,
    /// The squad has sub-squads, which would end up two levels deep.
    #[error("a squad with sub-squads cannot become a sub-squad")]
    HasSubSquads,
}

/// The depth a squad of `project_id` gets under `parent`, or why it cannot go there.
///
/// - `squad_id`: the squad being moved, or `None` when creating one;
/// - `parent`: the prospective parent, or `None` for a top-level squad;
/// - `moving_squad_has_children`: whether the squad being moved has sub-squads (`false` when
///   creating).
pub fn squad_depth_for_parent(
    project_id: Uuid,
    squad_id: Option<Uuid>,
    parent: Option<SquadFacts>,
    moving_squad_has_children: bool,
) -> Result<u8, SquadNesting> {
    let Some(parent) = parent else {
        return Ok(0);
    };
    if squad_id == Some(parent.id) {
        return Err(SquadNesting::OwnParent);
    }
    if parent.project_id != project_id {
        return Err(SquadNesting::ParentInOtherProject);
    }
    if parent.depth >= MAX_SQUAD_DEPTH {
        return Err(SquadNesting::ParentIsSubSquad);
    }
    if moving_squad_has_children {
        return Err(SquadNesting::HasSubSquads);
    }
    Ok(parent.depth + 1)
}

/// Whether a user in `member_squads` belongs to `squad` or to its parent squad `parent`; the
/// input to [`crate::effective_squad_role`], since a squad lead leads their squads and the
/// sub-squads of those.
pub fn belongs_to_squad_or_parent(
    member_squads: &[Uuid],
    squad: Uuid,
    parent: Option<Uuid>,
) -> bool {
    member_squads
        .iter()
        .any(|&s| s == squad || Some(s) == parent)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// (name, squad being moved, parent, squad has sub-squads, expected depth)
    type NestingCase = (
        &'static str,
        Option<u128>,
        Option<SquadFacts>,
        bool,
        Result<u8, SquadNesting>,
    );

    #[test]
    fn nesting_rules() {
        const P: u128 = 1;
        const Q: u128 = 2;
        let parent = |squad: u128, project: u128, depth: u8| {
            Some(SquadFacts {
                id: id(squad),
                project_id: id(project),
                depth,
            })
        };
        use SquadNesting::*;
        let cases: &[NestingCase] = &[
            ("new top-level", None, None, false, Ok(0)),
            ("new sub-squad", None, parent(10, P, 0), false, Ok(1)),
            (
                "new sub-sub-squad",
                None,
                parent(11, P, 1),
                false,
                Err(ParentIsSubSquad),
            ),
            (
                "parent in another project",
                None,
                parent(20, Q, 0),
                false,
                Err(ParentInOtherProject),
            ),
            ("move to top-level", Some(12), None, true, Ok(0)),
            (
                "move childless under top-level",
                Some(12),
                parent(10, P, 0),
                false,
                Ok(1),
            ),
            (
                "move with children under top-level",
                Some(12),
                parent(10, P, 0),
                true,
                Err(HasSubSquads),
            ),
            (
                "move under a sub-squad",
                Some(12),
                parent(11, P, 1),
                false,
                Err(ParentIsSubSquad),
            ),
            (
                "own parent",
                Some(10),
                parent(10, P, 0),
                false,
                Err(OwnParent),
            ),
            (
                "own parent with children",
                Some(10),
                parent(10, P, 0),
                true,
                Err(OwnParent),
            ),
            (
                "move to another project",
                Some(12),
                parent(20, Q, 0),
                false,
                Err(ParentInOtherProject),
            ),
        ];
        for (name, squad, parent, has_children, want) in cases {
            assert_eq!(
                squad_depth_for_parent(id(P), squad.map(id), *parent, *has_children),
                *want,
                "{name}"
            );
        }
    }

    #[test]
    fn belonging() {
        let mine = [id(10), id(20)];
        assert!(belongs_to_squad_or_parent(&mine, id(10), None));
        assert!(belongs_to_squad_or_parent(&mine, id(11), Some(id(10))));
        assert!(!belongs_to_squad_or_parent(&mine, id(30), None));
        assert!(!belongs_to_squad_or_parent(&mine, id(31), Some(id(30))));
        assert!(!belongs_to_squad_or_parent(&[], id(10), None));
    }

    #[test]
    fn messages_name_the_rule() {
        assert_eq!(
            SquadNesting::HasSubSquads.to_string(),
            "a squad with sub-squads cannot become a sub-squad"
        );
    }
}
