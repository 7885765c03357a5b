//! Group hierarchy paths: the materialized path of a group, and planning moves within the tree.
//!
//! A path has one label per group from the root down to the group itself: the group id as 32
//! lower-case hex digits (uuid "simple" format), joined by `.`. The format is valid both as a
//! PostgreSQL `ltree` and as plain text on SQLite, and sorting paths as text lists a tree
//! depth-first.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The deepest a group may be (a root has depth 0). Deeper → HTTP 400 `group_too_deep`.
pub const MAX_GROUP_DEPTH: u8 = 20;

/// The materialized path of a group: always 1 to `MAX_GROUP_DEPTH + 1` distinct labels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupPath {
    // Both forms are kept so that `as_str` can borrow and `ids` needs no re-parsing; they are
    // always built together from the same ids. `text` comes first so that `Ord` is text order.
    text: String,
    ids: Vec<Uuid>,
}

/// Why a string or list of ids is not a valid group path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path has no labels.
    #[error("a group path must have at least one label")]
    Empty,
    /// A label is not 32 lower-case hex digits.
    #[error("group path label `{label}` is not a group id as 32 lower-case hex digits")]
    BadLabel {
        /// The offending label.
        label: String,
    },
    /// A group appears twice, which would make the hierarchy a cycle.
    #[error("group {id} appears twice in the path")]
    Repeated {
        /// The repeated group id.
        id: Uuid,
    },
    /// The path is deeper than [`MAX_GROUP_DEPTH`].
    #[error("a group may be at most {MAX_GROUP_DEPTH} levels deep, this one would be {depth}")]
    TooDeep {
        /// The depth the path would have.
        depth: usize,
    },
}

/// Why a group cannot move under a new parent.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// The new parent is the group itself or one of its descendants (HTTP 400 `group_cycle`).
    #[error("a group cannot move under itself or one of its descendants")]
    Cycle,
    /// Some group of the moved subtree would be deeper than allowed (HTTP 400 `group_too_deep`).
    #[error(
        "a group may be at most {MAX_GROUP_DEPTH} levels deep, the move would make one {depth}"
    )]
    TooDeep {
        /// The depth of the deepest group after the move.
        depth: usize,
    },
}

impl GroupPath {
    /// The path of a root group.
    pub fn root(id: Uuid) -> Self {
        Self {
            text: label(id),
            ids: vec![id],
        }
    }

    /// The path of a new child group `id` of this group.
    pub fn child(&self, id: Uuid) -> Result<Self, PathError> {
        let mut ids = self.ids.clone();
        ids.push(id);
        Self::from_ids(ids)
    }

    /// A path from its group ids, root first.
    pub fn from_ids(ids: Vec<Uuid>) -> Result<Self, PathError> {
        if ids.is_empty() {
            return Err(PathError::Empty);
        }
        if ids.len() > usize::from(MAX_GROUP_DEPTH) + 1 {
            return Err(PathError::TooDeep {
                depth: ids.len() - 1,
            });
        }
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                return Err(PathError::Repeated { id: *id });
            }
        }
        let text = ids
            .iter()
            .map(|&id| label(id))
            .collect::<Vec<_>>()
            .join(".");
        Ok(Self { text, ids })
    }

    /// Parses a stored path such as `"0190…a1.0190…b2"`.
    pub fn parse(path: &str) -> Result<Self, PathError> {
        if path.is_empty() {
            return Err(PathError::Empty);
        }
        let ids = path
            .split('.')
            .map(parse_label)
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_ids(ids)
    }

    /// The path as stored.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The path as stored, by value.
    pub fn into_inner(self) -> String {
        self.text
    }

    /// The depth of the group: 0 for a root (number of labels − 1).
    pub fn depth(&self) -> u8 {
        // At most MAX_GROUP_DEPTH by construction, so the conversion cannot saturate.
        u8::try_from(self.ids.len() - 1).unwrap_or(u8::MAX)
    }

    /// The id of the group itself (the last label).
    pub fn id(&self) -> Uuid {
        // Never empty by construction; `Uuid::nil` only keeps this free of a panic path.
        self.ids.last().copied().unwrap_or_default()
    }

    /// The ids of the groups on the path, root first, ending with the group itself.
    pub fn ids(&self) -> Vec<Uuid> {
        self.ids.clone()
    }

    /// The ids of the group's ancestors, root first (empty for a root).
    pub fn ancestor_ids(&self) -> Vec<Uuid> {
        self.ids[..self.ids.len() - 1].to_vec()
    }

    /// The path of the parent group, or `None` for a root.
    pub fn parent(&self) -> Option<Self> {
        match self.ids.len() {
            1 => None,
            _ => Self::from_ids(self.ancestor_ids()).ok(),
        }
    }

    /// Whether this group is `other` or lies below it.
    pub fn is_descendant_or_self_of(&self, other: &GroupPath) -> bool {
        self.ids.starts_with(&other.ids)
    }

    /// This path with the prefix `old_prefix` replaced by `new_prefix`: the new path of a
    /// descendant after its ancestor moved from `old_prefix` to `new_prefix`.
    ///
    /// `None` if this path is not `old_prefix` or below it, or if the result would be invalid
    /// (too deep, or a group repeated), which [`plan_move`] rules out beforehand.
    pub fn rebase(&self, old_prefix: &GroupPath, new_prefix: &GroupPath) -> Option<Self> {
        let rest = self.ids.strip_prefix(old_prefix.ids.as_slice())?;
        let ids = new_prefix.ids.iter().chain(rest).copied().collect();
        Self::from_ids(ids).ok()
    }
}

/// Plans moving the group at `moving` under `new_parent` (`None` = make it a root), returning
/// its new path; descendants follow with [`GroupPath::rebase`].
///
/// `deepest_descendant_depth` is the current depth of the deepest group in the moving subtree
/// (the group's own depth when it has no descendants); every group keeps its depth relative to
/// the moving one, so the deepest must stay within [`MAX_GROUP_DEPTH`].
pub fn plan_move(
    moving: &GroupPath,
    new_parent: Option<&GroupPath>,
    deepest_descendant_depth: u8,
) -> Result<GroupPath, MoveError> {
    let Some(parent) = new_parent else {
        return Ok(GroupPath::root(moving.id()));
    };
    if parent.is_descendant_or_self_of(moving) {
        return Err(MoveError::Cycle);
    }
    let subtree_height = usize::from(deepest_descendant_depth.saturating_sub(moving.depth()));
    let deepest_after = usize::from(parent.depth()) + 1 + subtree_height;
    if deepest_after > usize::from(MAX_GROUP_DEPTH) {
        return Err(MoveError::TooDeep {
            depth: deepest_after,
        });
    }
    parent.child(moving.id()).map_err(|e| match e {
        // A repeated id means the moving group is already on the parent's path: a cycle that
        // only inconsistent input could hide from the check above.
        PathError::Repeated { .. } | PathError::Empty | PathError::BadLabel { .. } => {
            MoveError::Cycle
        }
        PathError::TooDeep { depth } => MoveError::TooDeep { depth },
    })
}

/// One label: the id in uuid "simple" format (32 lower-case hex digits).
fn label(id: Uuid) -> String {
    id.simple().to_string()
}

fn parse_label(label: &str) -> Result<Uuid, PathError> {
    let well_formed = label.len() == 32
        && label
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed
        .then(|| Uuid::try_parse(label).ok())
        .flatten()
        .ok_or_else(|| PathError::BadLabel {
            label: label.to_owned(),
        })
}

impl fmt::Display for GroupPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for GroupPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// The path of groups `ns`, root first.
    fn path(ns: &[u128]) -> GroupPath {
        GroupPath::from_ids(ns.iter().map(|&n| id(n)).collect()).unwrap()
    }

    /// A path of `depth + 1` groups numbered 1…
    fn chain(depth: u8) -> GroupPath {
        path(&(1..=u128::from(depth) + 1).collect::<Vec<_>>())
    }

    const A: &str = "0000000000000000000000000000000a";
    const B: &str = "0000000000000000000000000000000b";

    #[test]
    fn labels_are_simple_uuids() {
        let root = GroupPath::root(id(10));
        assert_eq!(root.as_str(), A);
        let child = root.child(id(11)).unwrap();
        assert_eq!(child.as_str(), format!("{A}.{B}"));
        assert_eq!(child.to_string(), child.as_str());
        assert_eq!(child.clone().into_inner(), child.as_str());
        assert_eq!((root.depth(), child.depth()), (0, 1));
        assert_eq!(child.ids(), [id(10), id(11)]);
        assert_eq!(child.ancestor_ids(), [id(10)]);
        assert!(root.ancestor_ids().is_empty());
        assert_eq!(child.id(), id(11));
        assert_eq!(child.parent(), Some(root.clone()));
        assert_eq!(root.parent(), None);
    }

    #[test]
    fn parsing() {
        let real = Uuid::parse_str("0190f0a4-7b7e-7c3a-9a51-0123456789ab").unwrap();
        let ok: &[(&str, &[Uuid])] = &[
            (A, &[id(10)]),
            ("0190f0a47b7e7c3a9a510123456789ab", &[real]),
            (&format!("{A}.{B}"), &[id(10), id(11)]),
        ];
        for (text, ids) in ok {
            let p = GroupPath::parse(text).unwrap();
            assert_eq!((p.as_str(), p.ids()), (*text, ids.to_vec()), "{text}");
            assert_eq!(text.parse::<GroupPath>(), Ok(p));
        }
        let bad_label = |label: &str| {
            Err(PathError::BadLabel {
                label: label.into(),
            })
        };
        let deep = (0..=21)
            .map(|n| label(id(n + 1)))
            .collect::<Vec<_>>()
            .join(".");
        let bad: &[(&str, Result<GroupPath, PathError>)] = &[
            ("", Err(PathError::Empty)),
            (".", bad_label("")),
            (&format!("{A}."), bad_label("")),
            (&format!(".{A}"), bad_label("")),
            (&format!("{A}..{B}"), bad_label("")),
            (
                "0000000000000000000000000000000A",
                bad_label("0000000000000000000000000000000A"),
            ),
            (
                "00000000-0000-0000-0000-00000000000a",
                bad_label("00000000-0000-0000-0000-00000000000a"),
            ),
            (
                "0000000000000000000000000000000",
                bad_label("0000000000000000000000000000000"),
            ),
            (
                "00000000000000000000000000000000a",
                bad_label("00000000000000000000000000000000a"),
            ),
            (
                "0000000000000000000000000000000g",
                bad_label("0000000000000000000000000000000g"),
            ),
            (&format!("{A}/{B}"), bad_label(&format!("{A}/{B}"))),
            (
                &format!("{A}.{B}.{A}"),
                Err(PathError::Repeated { id: id(10) }),
            ),
            (&deep, Err(PathError::TooDeep { depth: 21 })),
        ];
        for (text, want) in bad {
            assert_eq!(&GroupPath::parse(text), want, "{text:?}");
        }
        // The deepest allowed path parses.
        assert_eq!(
            GroupPath::parse(chain(MAX_GROUP_DEPTH).as_str())
                .unwrap()
                .depth(),
            20
        );
    }

    #[test]
    fn building_is_checked_too() {
        assert_eq!(GroupPath::from_ids(vec![]), Err(PathError::Empty));
        assert_eq!(
            chain(20).child(id(99)),
            Err(PathError::TooDeep { depth: 21 })
        );
        assert_eq!(chain(19).child(id(99)).unwrap().depth(), 20);
        assert_eq!(
            path(&[1, 2]).child(id(1)),
            Err(PathError::Repeated { id: id(1) })
        );
    }

    #[test]
    fn descendants() {
        let cases = [
            (&[1][..], &[1][..], true),
            (&[1, 2], &[1], true),
            (&[1, 2, 3], &[1], true),
            (&[1], &[1, 2], false),
            (&[1, 3], &[1, 2], false),
            (&[2], &[1], false),
            (&[1, 22], &[1, 2], false),
        ];
        for (a, b, want) in cases {
            assert_eq!(
                path(a).is_descendant_or_self_of(&path(b)),
                want,
                "{a:?} under {b:?}"
            );
        }
    }

    /// (name, moving path, new parent path, deepest descendant depth, expected new path)
    type MoveCase = (
        &'static str,
        &'static [u128],
        Option<&'static [u128]>,
        u8,
        Result<&'static [u128], MoveError>,
    );

    #[test]
    fn moves() {
        // Tree: 1 → 2 → 3, and 1 → 4; root 5.
        let cases: &[MoveCase] = &[
            ("to a sibling", &[1, 2], Some(&[1, 4]), 2, Ok(&[1, 4, 2])),
            ("to another root", &[1, 2], Some(&[5]), 2, Ok(&[5, 2])),
            ("to a root itself", &[1, 2], None, 2, Ok(&[2])),
            (
                "a root under another root",
                &[1],
                Some(&[5]),
                2,
                Ok(&[5, 1]),
            ),
            (
                "under itself",
                &[1, 2],
                Some(&[1, 2]),
                2,
                Err(MoveError::Cycle),
            ),
            (
                "under its child",
                &[1, 2],
                Some(&[1, 2, 3]),
                2,
                Err(MoveError::Cycle),
            ),
            (
                "a root under its grandchild",
                &[1],
                Some(&[1, 2, 3]),
                2,
                Err(MoveError::Cycle),
            ),
            (
                "under its own parent (no-op)",
                &[1, 2],
                Some(&[1]),
                2,
                Ok(&[1, 2]),
            ),
        ];
        for (name, moving, parent, deepest, want) in cases {
            let parent = parent.map(path);
            let got = plan_move(&path(moving), parent.as_ref(), *deepest);
            assert_eq!(got, want.map(path), "{name}");
        }
    }

    #[test]
    fn moves_respect_the_depth_limit() {
        // A group at depth 1 whose subtree reaches depth `deepest`, moved under a parent at
        // depth `parent_depth`: the deepest node lands at parent_depth + 1 + (deepest - 1).
        let cases = [
            (18, 1, Ok(())),
            (19, 1, Ok(())),
            (20, 1, Err(MoveError::TooDeep { depth: 21 })),
            (17, 3, Ok(())),
            (18, 3, Err(MoveError::TooDeep { depth: 21 })),
            (0, 20, Ok(())),
            (1, 20, Err(MoveError::TooDeep { depth: 21 })),
            (5, 20, Err(MoveError::TooDeep { depth: 25 })),
        ];
        let moving = path(&[100, 101]);
        for (parent_depth, deepest, want) in cases {
            let got = plan_move(&moving, Some(&chain(parent_depth)), deepest);
            assert_eq!(
                got.map(|_| ()),
                want,
                "parent depth {parent_depth}, deepest {deepest}"
            );
        }
        // Making a deep subtree a root makes it shallower, so it always fits.
        assert!(plan_move(&chain(20), None, 20).is_ok());
    }

    #[test]
    fn rebasing_descendants() {
        let old = path(&[1, 2]);
        let new = path(&[5, 2]);
        assert_eq!(path(&[1, 2, 3]).rebase(&old, &new), Some(path(&[5, 2, 3])));
        assert_eq!(path(&[1, 2]).rebase(&old, &new), Some(new.clone()));
        assert_eq!(path(&[1, 4]).rebase(&old, &new), None);
        assert_eq!(path(&[1]).rebase(&old, &new), None);
        assert_eq!(
            chain(20).rebase(&path(&[1]), &path(&[50, 1])),
            None,
            "too deep"
        );
    }

    #[test]
    fn paths_sort_depth_first() {
        let mut paths = vec![path(&[1, 4]), path(&[1]), path(&[1, 2, 3]), path(&[1, 2])];
        paths.sort();
        assert_eq!(
            paths,
            [path(&[1]), path(&[1, 2]), path(&[1, 2, 3]), path(&[1, 4])]
        );
    }
}
