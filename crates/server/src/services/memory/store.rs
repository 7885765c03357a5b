//! The facts decisions read, held in memory: one map of entries, the revision they reflect, and
//! a byte budget that evicts (never fails).
//!
//! The rule that keeps memory exact: an entry enters only if it was read after every change up
//! to [`Store::applied`] had committed (the loader notes `applied` before it reads, and the
//! entry is refused if memory has moved on meanwhile); every later change is applied here in
//! revision order and forgets what it may have altered. So every entry is true as of
//! `applied` — possibly of something newer, never of something older.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::invalidation::Touch;
use crate::auth::Principal;
use crate::services::guard::Subject;

/// A user as decisions see them: their row, their system admin membership, and every
/// membership they hold (kept even while they are deactivated; the views drop them then).
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub principal: Principal,
    groups: HashMap<Uuid, domain::GroupRole>,
    projects: HashMap<Uuid, domain::ProjectRole>,
    /// The squads the user belongs to, by project.
    squads: HashMap<Uuid, Vec<Uuid>>,
}

impl UserFacts {
    pub fn new(
        principal: Principal,
        groups: HashMap<Uuid, domain::GroupRole>,
        projects: HashMap<Uuid, domain::ProjectRole>,
        squads: HashMap<Uuid, Vec<Uuid>>,
    ) -> Self {
        Self {
            principal,
            groups,
            projects,
            squads,
        }
    }

    pub fn subject(&self) -> Subject {
        Subject::from(&self.principal)
    }

    fn active(&self) -> bool {
        self.principal.user.active
    }

    /// The user's role in group `id`, if they hold one that grants (they are active).
    pub fn group_role(&self, id: Uuid) -> Option<domain::GroupRole> {
        self.groups.get(&id).copied().filter(|_| self.active())
    }

    /// The groups of the memberships that grant (none while deactivated).
    pub fn group_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.groups.keys().copied().filter(|_| self.active())
    }

    /// The user's own role in project `id`, if it grants.
    pub fn project_role(&self, id: Uuid) -> Option<domain::ProjectRole> {
        self.projects.get(&id).copied().filter(|_| self.active())
    }

    /// The projects the user is a member of, whether or not the membership grants (being
    /// deactivated does not hide a user from their co-members).
    pub fn member_of_projects(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.projects.keys().copied()
    }

    /// Whether the user is a member of project `id`, whether or not the membership grants.
    pub fn in_project(&self, id: Uuid) -> bool {
        self.projects.contains_key(&id)
    }

    /// The groups the user is a member of, whether or not the membership grants.
    pub fn member_of_groups(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.groups.keys().copied()
    }

    /// The squads of project `project` the user belongs to.
    pub fn squads_in(&self, project: Uuid) -> &[Uuid] {
        self.squads.get(&project).map_or(&[], Vec::as_slice)
    }

    fn bytes(&self) -> usize {
        let user = &self.principal.user;
        let text = [
            &user.email,
            &user.external_id,
            &user.given_name,
            &user.family_name,
            &user.email_type,
        ]
        .iter()
        .map(|field| field.as_ref().map_or(0, String::len))
        .sum::<usize>()
            + user.display_name.len()
            + user.user_name.len();
        let squads: usize = self.squads.values().map(|s| 48 + 16 * s.len()).sum();
        256 + text + 40 * (self.groups.len() + self.projects.len()) + squads
    }
}

/// A group with its parsed path.
#[derive(Debug, Clone)]
pub struct GroupFacts {
    pub group: Arc<entity::groups::Model>,
    pub path: Arc<domain::GroupPath>,
}

/// What memory is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    User(Uuid),
    Group(Uuid),
    Project(Uuid),
    Squad(Uuid),
}

/// What an entry holds: the facts, or that the thing does not exist (also worth remembering:
/// checks about unknown ids must not reach the database each time).
#[derive(Debug, Clone)]
pub enum Fact {
    User(Option<Arc<UserFacts>>),
    Group(Option<Arc<GroupFacts>>),
    Project(Option<Arc<entity::projects::Model>>),
    Squad(Option<Arc<entity::squads::Model>>),
}

impl Fact {
    /// An estimate of what the entry costs, map slot included.
    fn bytes(&self) -> usize {
        const SLOT: usize = 96;
        SLOT + match self {
            Self::User(Some(user)) => user.bytes(),
            Self::Group(Some(group)) => 160 + group.group.name.len() + 2 * group.group.path.len(),
            Self::Project(Some(project)) => 128 + project.name.len() + project.slug.len(),
            Self::Squad(Some(squad)) => 128 + squad.name.len(),
            _ => 0,
        }
    }
}

struct Slot {
    fact: Fact,
    bytes: usize,
}

/// The entries and the revision they reflect.
pub struct Store {
    applied: i64,
    entries: HashMap<Key, Slot>,
    bytes: usize,
    budget: usize,
    evicted: u64,
}

impl Store {
    /// An empty store (true at any revision) reflecting `applied`, holding at most `budget`
    /// bytes.
    pub fn new(applied: i64, budget: usize) -> Self {
        Self {
            applied,
            entries: HashMap::new(),
            bytes: 0,
            budget,
            evicted: 0,
        }
    }

    /// The newest revision whose change memory has applied.
    pub fn applied(&self) -> i64 {
        self.applied
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many entries were evicted for room, ever.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn get(&self, key: &Key) -> Option<Fact> {
        self.entries.get(key).map(|slot| slot.fact.clone())
    }

    /// Keeps `fact`, read from the database after memory had applied `read_after`, unless
    /// memory has applied a newer change since (that change may have altered it). Returns
    /// whether it was kept.
    pub fn insert(&mut self, key: Key, fact: Fact, read_after: i64) -> bool {
        if read_after != self.applied {
            return false;
        }
        let bytes = fact.bytes();
        if bytes > self.budget {
            return false;
        }
        if let Some(old) = self.entries.insert(key, Slot { fact, bytes }) {
            self.bytes -= old.bytes;
        }
        self.bytes += bytes;
        if self.bytes > self.budget {
            self.evict_except(key);
        }
        true
    }

    /// Applies the change numbered `revision` (the next after [`Self::applied`]): forgets what
    /// it touched.
    pub fn apply(&mut self, revision: i64, touches: &[Touch]) {
        for touch in touches {
            match *touch {
                Touch::User(id) => self.forget(&Key::User(id)),
                Touch::Group(id) => self.forget(&Key::Group(id)),
                Touch::Project(id) => self.forget(&Key::Project(id)),
                Touch::Squad(id) => self.forget(&Key::Squad(id)),
                Touch::AllUsers => self.forget_where(|key| matches!(key, Key::User(_))),
                Touch::AllGroups => self.forget_where(|key| matches!(key, Key::Group(_))),
                Touch::Everything => self.forget_where(|_| true),
            }
        }
        self.applied = self.applied.max(revision);
    }

    /// Forgets everything and reflects `revision`: what memory does when it cannot know what
    /// changed (a gap in the history, a failed catch-up).
    pub fn reset(&mut self, revision: i64) {
        self.forget_where(|_| true);
        self.applied = self.applied.max(revision);
    }

    fn forget(&mut self, key: &Key) {
        if let Some(old) = self.entries.remove(key) {
            self.bytes -= old.bytes;
        }
    }

    fn forget_where(&mut self, doomed: impl Fn(&Key) -> bool) {
        let mut freed = 0;
        self.entries.retain(|key, slot| {
            let keep = !doomed(key);
            if !keep {
                freed += slot.bytes;
            }
            keep
        });
        self.bytes -= freed;
    }

    /// Frees a quarter of the budget, in the map's own (arbitrary) order, sparing `kept` — the
    /// entry just inserted, which its reader is about to use.
    fn evict_except(&mut self, kept: Key) {
        let target = self.budget / 4 * 3;
        let mut excess = self.bytes.saturating_sub(target);
        let mut evicted = 0;
        self.entries.retain(|key, slot| {
            if excess == 0 || *key == kept {
                return true;
            }
            excess = excess.saturating_sub(slot.bytes);
            evicted += 1;
            false
        });
        self.bytes = self.entries.values().map(|slot| slot.bytes).sum();
        self.evicted += evicted;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn project(n: u128) -> Fact {
        let now = chrono::Utc::now();
        Fact::Project(Some(Arc::new(entity::projects::Model {
            id: Uuid::from_u128(n),
            group_id: Uuid::nil(),
            name: "p".into(),
            slug: "p".into(),
            created_at: now,
            updated_at: now,
        })))
    }

    #[test]
    fn an_entry_read_before_a_newer_change_was_applied_is_refused() {
        let mut store = Store::new(5, 1 << 20);
        let key = Key::Project(Uuid::from_u128(1));
        store.apply(6, &[]);
        assert!(!store.insert(key, project(1), 5));
        assert!(store.get(&key).is_none());
        assert!(store.insert(key, project(1), 6));
        assert!(store.get(&key).is_some());
        store.apply(7, &[Touch::Project(Uuid::from_u128(1))]);
        assert!(store.get(&key).is_none());
        assert_eq!(store.applied(), 7);
        assert_eq!(store.bytes(), 0);
    }

    #[test]
    fn a_full_store_evicts_and_never_refuses_for_room() {
        let mut store = Store::new(0, 2_000);
        for n in 0..100 {
            let key = Key::Project(Uuid::from_u128(n));
            assert!(store.insert(key, project(n), 0));
            assert!(store.get(&key).is_some(), "the newest entry stays");
            assert!(store.bytes() <= 2_000);
        }
        assert!(store.evicted() > 0);
        let mut tiny = Store::new(0, 10);
        assert!(!tiny.insert(Key::Project(Uuid::nil()), project(0), 0));
        assert_eq!(tiny.bytes(), 0);
    }

    #[test]
    fn wide_touches_forget_their_kind() {
        let mut store = Store::new(0, 1 << 20);
        let key = Key::Project(Uuid::from_u128(1));
        store.insert(key, project(1), 0);
        store.apply(1, &[Touch::AllUsers, Touch::AllGroups]);
        assert!(store.get(&key).is_some());
        store.apply(2, &[Touch::Everything]);
        assert!(store.get(&key).is_none());
        store.insert(key, project(1), 2);
        store.reset(9);
        assert!(store.get(&key).is_none());
        assert_eq!(store.applied(), 9);
    }
}
