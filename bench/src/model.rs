//! The data every benchmark shares: a 10-ary group tree, users, memberships and probe checks.
//!
//! Generated deterministically from a seed, so the database seeds (G1, G3) and the in-process
//! models (G2) describe the same organisation. Paths come from `domain::GroupPath`, exactly as
//! Roster's services build them.

use std::collections::HashSet;

use domain::{Capability, GroupPath, GroupRole};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// Children per group.
pub const FANOUT: usize = 10;

/// The capabilities the probes ask about, in rotation: one of each role's tier, so that a
/// teacher's probes are allowed, allowed, denied.
pub const PROBE_CAPABILITIES: [Capability; 3] = [
    Capability::GroupView,
    Capability::GroupViewMembers,
    Capability::GroupManageMembers,
];

/// A group tree in breadth-first order: group 0 is the root, the parent of `i` is `(i-1)/10`.
#[derive(Debug)]
pub struct Tree {
    pub ids: Vec<Uuid>,
    pub paths: Vec<GroupPath>,
}

impl Tree {
    /// `n` groups under the root `root` (which counts as one of them).
    pub fn new(n: usize, root: Uuid) -> anyhow::Result<Self> {
        let mut ids = Vec::with_capacity(n);
        let mut paths: Vec<GroupPath> = Vec::with_capacity(n);
        ids.push(root);
        paths.push(GroupPath::root(root));
        for i in 1..n {
            let id = Uuid::now_v7();
            let path = paths[parent(i)].child(id)?;
            ids.push(id);
            paths.push(path);
        }
        Ok(Self { ids, paths })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn depth(&self, i: usize) -> usize {
        usize::from(self.paths[i].depth())
    }

    /// The depth of the deepest groups (the last one is always among them).
    pub fn max_depth(&self) -> usize {
        self.depth(self.len() - 1)
    }

    /// The children of `i` that exist.
    pub fn children(&self, i: usize) -> std::ops::Range<usize> {
        let first = (i * FANOUT + 1).min(self.len());
        let end = (i * FANOUT + 1 + FANOUT).min(self.len());
        first..end
    }

    /// A group whose subtree has exactly 1 + 10 + 100 = 111 groups (children and
    /// grandchildren all present), the nearest to the end of the tree; `None` if the tree is
    /// too small.
    pub fn full_subtree_of_111(&self) -> Option<usize> {
        (0..self.len()).rev().find(|&i| {
            let children = self.children(i);
            children.len() == FANOUT && children.clone().all(|c| self.children(c).len() == FANOUT)
        })
    }
}

/// The parent of group `i > 0`.
pub fn parent(i: usize) -> usize {
    (i - 1) / FANOUT
}

/// One check: may `user` use `capability` at the group `group` (a leaf)?
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub user: usize,
    pub group: usize,
    pub capability: Capability,
}

/// The organisation: a tree, users, their memberships, and the checks the benchmarks ask.
#[derive(Debug)]
pub struct Org {
    pub tree: Tree,
    pub users: Vec<Uuid>,
    /// `(user index, group index, role)`, unique per (user, group).
    pub memberships: Vec<(usize, usize, GroupRole)>,
    /// Users whose role at the probed leaves is inherited from two levels up.
    pub probe_users: Vec<usize>,
    pub probes: Vec<Probe>,
    /// What G3's lookup queries ask about, when the shape asks for it.
    pub lookups: Option<LookupFixtures>,
}

/// Groups in the lookup chain under the root: its leaf is at the deepest level a path allows
/// (`domain::MAX_GROUP_DEPTH`), so it has 20 ancestors — far deeper than the 10-ary tree
/// (depth 6 at 10⁶ groups), and the same chain at every scale, so growth compares like with
/// like.
pub const CHAIN_LEN: usize = domain::MAX_GROUP_DEPTH as usize;

/// Members at each level of the chain.
pub const CHAIN_MEMBERS_PER_LEVEL: usize = 5;

/// How many memberships the lookup user holds.
pub const LOOKUP_MEMBERSHIPS: usize = 10;

/// The fixtures of G3's lookups, added after everything else (no random draws), so the rest of
/// the organisation is the same with or without them.
#[derive(Debug)]
pub struct LookupFixtures {
    /// The user (index into `users`) with exactly [`LOOKUP_MEMBERSHIPS`] memberships, all in
    /// `memberships`.
    pub user: usize,
    /// The tree groups of those memberships: one depth-2 group under each depth-1 group, so
    /// the subtrees are disjoint (ten roots) and each holds about 1 % of the tree.
    pub groups: Vec<usize>,
    /// How many groups the expanded answer holds (the ten subtrees, roots included).
    pub expanded: usize,
    /// The chain under the root, top first: ids and paths (not part of `tree`, whose
    /// breadth-first numbering it would break).
    pub chain: Vec<(Uuid, GroupPath)>,
    /// `(user index, chain level, role)`: [`CHAIN_MEMBERS_PER_LEVEL`] users of their own per
    /// level.
    pub chain_members: Vec<(usize, usize, GroupRole)>,
}

impl LookupFixtures {
    /// The chain's leaf: the group of the subject lookup.
    pub fn leaf(&self) -> Uuid {
        self.chain[self.chain.len() - 1].0
    }
}

/// How to generate an organisation.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub groups: usize,
    /// Memberships per group (random users, random roles).
    pub members_per_group: usize,
    pub probe_users: usize,
    pub probes_per_user: usize,
    /// Add the lookup fixtures ([`LookupFixtures`], G3's lookup queries).
    pub lookups: bool,
}

impl Org {
    pub fn generate(shape: Shape, root: Uuid, seed: u64) -> anyhow::Result<Self> {
        let mut rng = StdRng::seed_from_u64(seed);
        let tree = Tree::new(shape.groups, root)?;
        let n = tree.len();
        // Each ordinary user holds about ten memberships.
        let ordinary = (n * shape.members_per_group / 10).max(100);
        let total_users = ordinary + shape.probe_users;
        let mut users: Vec<Uuid> = (0..total_users).map(|_| Uuid::now_v7()).collect();
        let mut memberships =
            Vec::with_capacity(n * shape.members_per_group + shape.probe_users * 10);
        let mut taken: HashSet<(usize, usize)> = HashSet::new();
        for group in 0..n {
            for _ in 0..shape.members_per_group {
                let user = rng.random_range(0..ordinary);
                if taken.insert((user, group)) {
                    memberships.push((user, group, random_role(&mut rng)));
                }
            }
        }
        // Probe users: a teacher two levels above some deepest leaf, and nine student
        // memberships at random groups elsewhere, like anyone else.
        let deepest = tree.max_depth();
        let deepest_first = (0..n).find(|&i| tree.depth(i) == deepest).unwrap_or(n - 1);
        let mut probe_users = Vec::with_capacity(shape.probe_users);
        let mut probes = Vec::with_capacity(shape.probe_users * shape.probes_per_user);
        for k in 0..shape.probe_users {
            let user = ordinary + k;
            probe_users.push(user);
            let leaf = rng.random_range(deepest_first..n);
            let anchor = if deepest >= 2 {
                parent(parent(leaf))
            } else {
                0
            };
            taken.insert((user, anchor));
            memberships.push((user, anchor, GroupRole::Teacher));
            for _ in 0..9 {
                let group = rng.random_range(0..n);
                if taken.insert((user, group)) {
                    memberships.push((user, group, GroupRole::Student));
                }
            }
            let leaves: Vec<usize> = tree
                .children(anchor)
                .flat_map(|c| tree.children(c))
                .collect();
            let leaves = if leaves.is_empty() {
                vec![leaf]
            } else {
                leaves
            };
            for j in 0..shape.probes_per_user {
                let group = leaves[rng.random_range(0..leaves.len())];
                let capability = PROBE_CAPABILITIES[(k + j) % PROBE_CAPABILITIES.len()];
                probes.push(Probe {
                    user,
                    group,
                    capability,
                });
            }
        }
        let lookups = if shape.lookups {
            Some(lookup_fixtures(&tree, &mut users, &mut memberships)?)
        } else {
            None
        };
        Ok(Self {
            tree,
            users,
            memberships,
            probe_users,
            probes,
            lookups,
        })
    }
}

impl Tree {
    /// How many groups the subtree at `i` holds, `i` included.
    pub fn subtree_len(&self, i: usize) -> usize {
        let mut count = 0;
        let mut level = i..i + 1;
        while !level.is_empty() {
            count += level.len();
            // The children of a contiguous range are contiguous (breadth-first numbering).
            let first = self.children(level.start).start;
            let end = self.children(level.end - 1).end;
            level = first..end.max(first);
        }
        count
    }
}

/// The lookup user and the chain (see [`LookupFixtures`]); new users are appended.
fn lookup_fixtures(
    tree: &Tree,
    users: &mut Vec<Uuid>,
    memberships: &mut Vec<(usize, usize, GroupRole)>,
) -> anyhow::Result<LookupFixtures> {
    // Depth-2 groups are 11..=110; 11 + 11k is the (k+1)-th child of depth-1 group k+1.
    let groups: Vec<usize> = (0..LOOKUP_MEMBERSHIPS).map(|k| 11 + 11 * k).collect();
    if groups.iter().any(|&g| g >= tree.len()) {
        anyhow::bail!("the lookup fixtures need at least 111 groups");
    }
    let roles = [
        GroupRole::Student,
        GroupRole::Teacher,
        GroupRole::GroupAdmin,
    ];
    let user = users.len();
    users.push(Uuid::now_v7());
    for (k, &group) in groups.iter().enumerate() {
        memberships.push((user, group, roles[k % roles.len()]));
    }
    let expanded = groups.iter().map(|&g| tree.subtree_len(g)).sum();
    let mut chain: Vec<(Uuid, GroupPath)> = Vec::with_capacity(CHAIN_LEN);
    let mut chain_members = Vec::with_capacity(CHAIN_LEN * CHAIN_MEMBERS_PER_LEVEL);
    for level in 0..CHAIN_LEN {
        let id = Uuid::now_v7();
        let path = match chain.last() {
            Some((_, parent)) => parent.child(id)?,
            None => tree.paths[0].child(id)?,
        };
        chain.push((id, path));
        for m in 0..CHAIN_MEMBERS_PER_LEVEL {
            chain_members.push((users.len(), level, roles[m % roles.len()]));
            users.push(Uuid::now_v7());
        }
    }
    Ok(LookupFixtures {
        user,
        groups,
        expanded,
        chain,
        chain_members,
    })
}

fn random_role(rng: &mut StdRng) -> GroupRole {
    match rng.random_range(0..10) {
        0 => GroupRole::GroupAdmin,
        1 | 2 => GroupRole::Teacher,
        _ => GroupRole::Student,
    }
}
