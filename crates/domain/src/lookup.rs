//! Lookups over the group tree: where a capability holds for a user, as the smallest set of
//! subtree roots.
//!
//! Roles are inherited down the tree and a stronger role has every capability of a weaker one,
//! so a capability that holds at a group through a membership there holds in the group's whole
//! subtree. The groups where it holds are therefore the union of the subtrees of the
//! memberships whose group it holds at, and the smallest cover is those groups with no other
//! such group above them.

use crate::GroupPath;

/// Of `paths`, those with no other path of the set at or above them (a path given twice counts
/// once), in path order: the smallest set of subtree roots covering every path's subtree.
pub fn minimal_roots(paths: &[GroupPath]) -> Vec<GroupPath> {
    let mut sorted: Vec<&GroupPath> = paths.iter().collect();
    // In path order an ancestor comes right before its subtree, so each path need only be
    // compared with the last root kept.
    sorted.sort();
    let mut roots: Vec<GroupPath> = Vec::new();
    for path in sorted {
        if roots
            .last()
            .is_some_and(|root| path.is_descendant_or_self_of(root))
        {
            continue;
        }
        roots.push(path.clone());
    }
    roots
}

/// The subtree roots `roots` limited to the subtree of `within`: a root inside it stays, a root
/// above it leaves `within` itself as the one root, any other root goes.
pub fn roots_within(roots: &[GroupPath], within: &GroupPath) -> Vec<GroupPath> {
    if roots
        .iter()
        .any(|root| within.is_descendant_or_self_of(root))
    {
        return vec![within.clone()];
    }
    roots
        .iter()
        .filter(|root| root.is_descendant_or_self_of(within))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use uuid::Uuid;

    /// A path from labels: `p(&[1, 2])` is the group 2 under the root 1.
    fn p(ids: &[u128]) -> GroupPath {
        GroupPath::from_ids(ids.iter().map(|&n| Uuid::from_u128(n)).collect()).unwrap()
    }

    #[test]
    fn roots_are_the_paths_with_nothing_of_the_set_above_them() {
        let cases: &[(&str, Vec<GroupPath>, Vec<GroupPath>)] = &[
            ("nothing", vec![], vec![]),
            ("one", vec![p(&[1, 2])], vec![p(&[1, 2])]),
            (
                "a child under its parent",
                vec![p(&[1, 2]), p(&[1])],
                vec![p(&[1])],
            ),
            (
                "deep under shallow",
                vec![p(&[1, 2, 3, 4]), p(&[1, 2])],
                vec![p(&[1, 2])],
            ),
            (
                "siblings stay",
                vec![p(&[1, 3]), p(&[1, 2])],
                vec![p(&[1, 2]), p(&[1, 3])],
            ),
            (
                "the same twice",
                vec![p(&[1, 2]), p(&[1, 2])],
                vec![p(&[1, 2])],
            ),
            (
                "two trees",
                vec![p(&[5, 6]), p(&[1]), p(&[1, 9]), p(&[5, 6, 7]), p(&[5, 8])],
                vec![p(&[1]), p(&[5, 6]), p(&[5, 8])],
            ),
            // A label that begins like another is not its child (`1` and `12` in hex).
            (
                "no prefix confusion",
                vec![p(&[1]), p(&[0x12])],
                vec![p(&[1]), p(&[0x12])],
            ),
        ];
        for (name, paths, roots) in cases {
            assert_eq!(&minimal_roots(paths), roots, "{name}");
            // No root lies inside another, and every path is under one of them.
            let found = minimal_roots(paths);
            for (i, a) in found.iter().enumerate() {
                for b in &found[i + 1..] {
                    assert!(!a.is_descendant_or_self_of(b) && !b.is_descendant_or_self_of(a));
                }
            }
            for path in paths {
                assert!(
                    found.iter().any(|r| path.is_descendant_or_self_of(r)),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn within_keeps_roots_inside_and_clips_a_root_above() {
        let roots = [p(&[1, 2]), p(&[1, 3, 4]), p(&[7])];
        let cases: &[(&str, GroupPath, Vec<GroupPath>)] = &[
            (
                "a root above: within itself",
                p(&[1, 2, 5]),
                vec![p(&[1, 2, 5])],
            ),
            ("within is a root", p(&[1, 2]), vec![p(&[1, 2])]),
            ("roots below", p(&[1]), vec![p(&[1, 2]), p(&[1, 3, 4])]),
            ("a root below, deeper", p(&[1, 3]), vec![p(&[1, 3, 4])]),
            ("nothing there", p(&[9]), vec![]),
        ];
        for (name, within, expected) in cases {
            assert_eq!(&roots_within(&roots, within), expected, "{name}");
        }
    }
}
