//! Decisions at memory speed (spec §13): the facts checks, lookups and read guards decide on,
//! held in memory by revision, and the consistency each request asks for.
//!
//! Memory follows the change feed: every committed change, learned from this server's own
//! writes, from PostgreSQL notifications or from polling the counter, is applied in revision
//! order and forgets the facts it may have altered ([`invalidation`]); facts are loaded again
//! when next asked for ([`load`]). How each mode stays exact is in `docs/ARCHITECTURE.md`
//! ("Decisions at memory speed").
//!
//! Writes never decide from memory: they decide inside their transaction, on the database.

#[cfg(feature = "bench")]
pub mod bench;
pub mod coalesce;
pub mod consistency;
pub mod facts;
pub mod follow;
pub mod invalidation;
pub mod load;
pub mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

pub use consistency::Consistency;
use store::{Fact, Key, Store};

use crate::error::ApiError;
use crate::services::access::FactSource;
use crate::services::changes::revision::{self, Clock};
use crate::services::guard::Subject;

/// How many changes one catch-up read brings.
const CATCH_UP_BATCH: u64 = 500;

/// The decision memory of one server, shared by its workers.
#[derive(Clone)]
pub struct Decisions {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    clock: Clock,
    /// `None` when memory is off (`ROSTER_DECISION_CACHE_MB=0`): decisions read the database.
    store: Option<RwLock<Store>>,
    /// One catch-up at a time; the others wait for it and find memory already there.
    catching_up: tokio::sync::Mutex<()>,
    current: coalesce::CurrentRevision,
    default: Consistency,
    /// Whether this server learns of other servers' changes as they commit (PostgreSQL: its
    /// notification connection is up and caught up). While false, `minimize_latency` answers as
    /// `fully_consistent`.
    following: AtomicBool,
    /// The `application_name` of this server's notification connection (one per server, so
    /// an operator — or a test — can tell whose it is).
    listener_name: String,
}

impl std::fmt::Debug for Decisions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decisions")
            .field("enabled", &self.inner.store.is_some())
            .field("default", &self.inner.default)
            .finish_non_exhaustive()
    }
}

impl Decisions {
    /// Memory of at most `budget_bytes` (0: off), starting empty at the clock's revision.
    pub fn new(
        db: DatabaseConnection,
        clock: Clock,
        budget_bytes: usize,
        default: Consistency,
    ) -> Self {
        let store =
            (budget_bytes > 0).then(|| RwLock::new(Store::new(clock.known(), budget_bytes)));
        let following = db.get_database_backend() != sea_orm::DbBackend::Postgres;
        Self {
            inner: Arc::new(Inner {
                current: coalesce::CurrentRevision::new(db.clone()),
                db,
                clock,
                store,
                catching_up: tokio::sync::Mutex::new(()),
                default,
                following: AtomicBool::new(following),
                listener_name: format!("roster-notify-{}", uuid::Uuid::now_v7().simple()),
            }),
        }
    }

    /// The consistency of a request that names none (`ROSTER_DEFAULT_CONSISTENCY`).
    pub fn default_consistency(&self) -> Consistency {
        self.inner.default
    }

    /// Whether decisions are answered from memory.
    pub fn enabled(&self) -> bool {
        self.inner.store.is_some()
    }

    /// Whether this server currently learns of other servers' changes as they commit.
    pub fn following(&self) -> bool {
        self.inner.following.load(Ordering::Acquire)
    }

    /// The `application_name` of this server's PostgreSQL notification connection.
    pub fn listener_name(&self) -> String {
        self.inner.listener_name.clone()
    }

    pub(crate) fn set_following(&self, following: bool) {
        self.inner.following.store(following, Ordering::Release);
        crate::metrics::record_following(following);
    }

    /// The newest revision memory has applied (the clock's when memory is off).
    pub fn applied(&self) -> i64 {
        match &self.inner.store {
            Some(store) => read(store).applied(),
            None => self.inner.clock.known(),
        }
    }

    /// Brings memory to the freshness `consistency` asks for and notes the revision the
    /// request's answer reflects (its `Roster-Revision`). A revision that has not committed is
    /// a 400 naming `field`.
    pub async fn settle(&self, consistency: Consistency, field: &str) -> Result<(), ApiError> {
        if !self.enabled() {
            // The database answers, and it is as fresh as anything; a token must still be one
            // that committed.
            if let Consistency::AtLeastAsFresh(wanted) = consistency {
                self.require_committed(wanted, field).await?;
            }
            return Ok(());
        }
        let reflects = match consistency {
            Consistency::FullyConsistent => self.fully_consistent().await?,
            Consistency::MinimizeLatency if self.following() => self.applied(),
            Consistency::MinimizeLatency => {
                crate::metrics::record_decision_fallback();
                self.fully_consistent().await?
            }
            Consistency::AtLeastAsFresh(wanted) => {
                if self.applied() < wanted {
                    self.require_committed(wanted, field).await?;
                    self.catch_up(wanted).await?;
                }
                self.applied()
            }
        };
        revision::served_at(reflects);
        Ok(())
    }

    /// A 400 naming `field` unless revision `wanted` has committed.
    async fn require_committed(&self, wanted: i64, field: &str) -> Result<(), ApiError> {
        if self.inner.clock.known() >= wanted {
            return Ok(());
        }
        let current = self.inner.current.read().await?;
        self.inner.clock.observe(current);
        if current < wanted {
            return Err(ApiError::invalid(
                field,
                format!("revision {wanted} has not been committed"),
            ));
        }
        Ok(())
    }

    async fn fully_consistent(&self) -> Result<i64, ApiError> {
        let current = self.inner.current.read().await?;
        self.inner.clock.observe(current);
        Ok(self.catch_up(current).await?)
    }

    /// Applies every committed change memory has not, at least up to `target` (a revision known
    /// to have committed); returns the revision memory reflects. With memory off there is
    /// nothing to apply: the database is as fresh as anything.
    pub async fn catch_up(&self, target: i64) -> Result<i64, DbErr> {
        let Some(store) = &self.inner.store else {
            return Ok(self.inner.clock.known());
        };
        if read(store).applied() >= target {
            return Ok(read(store).applied());
        }
        let _turn = self.inner.catching_up.lock().await;
        loop {
            let applied = read(store).applied();
            let changes = entity::audit_events::Entity::find()
                .filter(entity::audit_events::Column::Revision.gt(applied))
                .order_by_asc(entity::audit_events::Column::Revision)
                .limit(CATCH_UP_BATCH)
                .all(&self.inner.db)
                .await?;
            let complete = (changes.len() as u64) < CATCH_UP_BATCH;
            {
                let mut store = write(store);
                for change in &changes {
                    if change.revision <= store.applied() {
                        // This server's own write, applied as it answered.
                        continue;
                    }
                    // Revisions are consecutive; a hole is history no longer kept, so nothing
                    // can be known about what it changed.
                    if change.revision != store.applied() + 1 {
                        crate::metrics::record_decision_reset();
                        store.reset(change.revision - 1);
                    }
                    store.apply(change.revision, &invalidation::touched(change));
                }
                crate::metrics::record_decision_memory(store.bytes(), store.evicted());
            }
            if complete {
                let mut store = write(store);
                if store.applied() < target {
                    // `target` committed, yet its history is gone: what changed is unknowable.
                    crate::metrics::record_decision_reset();
                    store.reset(target);
                }
                let applied = store.applied();
                drop(store);
                self.inner.clock.observe(applied);
                crate::metrics::record_revision_lag(self.inner.clock.known() - applied);
                return Ok(applied);
            }
        }
    }

    /// Reflects a change this server committed before its response leaves: a server's own
    /// writes are never missing from its memory. When memory has applied everything before it,
    /// the change's own touches are applied without reading it back; otherwise memory catches
    /// up from the feed. If the feed cannot be read, memory forgets everything instead (an
    /// empty memory is true at any revision).
    pub async fn reflect(&self, change: &revision::Committed) {
        let Some(store) = &self.inner.store else {
            return;
        };
        {
            let mut store = write(store);
            if store.applied() == change.revision - 1 {
                store.apply(change.revision, &change.touches);
                crate::metrics::record_decision_memory(store.bytes(), store.evicted());
                return;
            }
        }
        if let Err(error) = self.catch_up(change.revision).await {
            tracing::warn!(%error, "cannot read the change feed; forgetting every decision fact");
            crate::metrics::record_decision_reset();
            write(store).reset(change.revision);
        }
    }

    /// The user `id` as memory holds them (memory must be on); `None` when there is no such user.
    pub async fn principal(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<crate::auth::Principal>, ApiError> {
        FactSource::principal(&facts::Remembered(self), id).await
    }

    /// The fact behind `key`: from memory, or read from the database and kept. Only a
    /// `Remembered` source asks, and one exists only while memory is on.
    pub(crate) async fn fact(&self, key: Key) -> Result<Fact, ApiError> {
        let Some(store) = &self.inner.store else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "decision memory was asked while it is off"
            )));
        };
        let (hit, read_after) = {
            let store = read(store);
            (store.get(&key), store.applied())
        };
        if let Some(fact) = hit {
            crate::metrics::record_decision_lookup(true);
            return Ok(fact);
        }
        crate::metrics::record_decision_lookup(false);
        // Boxed: the load's state is large, and every decision's future would otherwise carry
        // it (and be moved with it) even when memory answers (G2 measured 17 % of a decision
        // in `memmove`).
        let fact = Box::pin(load::fact(&self.inner.db, key)).await?;
        let mut store = write(store);
        store.insert(key, fact.clone(), read_after);
        crate::metrics::record_decision_memory(store.bytes(), store.evicted());
        Ok(fact)
    }

    /// Settles `consistency` (the server's default when `None`; a bad token is a 400 naming
    /// `field`) and returns the facts to decide on with the caller `user_id` as they stand at
    /// that freshness: a caller deactivated or deleted by then is refused, as authentication
    /// would.
    pub(crate) async fn deciding(
        &self,
        consistency: Option<Consistency>,
        field: &str,
        caller: Subject,
    ) -> Result<(facts::Source<'_>, Subject), ApiError> {
        self.settle(consistency.unwrap_or(self.inner.default), field)
            .await?;
        let source = facts::Source::of(self);
        let facts::Source::Remembered(memory) = &source else {
            // Authentication read the caller from the database a moment ago.
            return Ok((source, caller));
        };
        // The caller's entry is shared, not copied: only their standing is needed here.
        let subject = memory
            .user(caller.user_id)
            .await?
            .filter(|user| user.principal.user.active)
            .map(|user| user.subject())
            .ok_or(ApiError::Unauthenticated(
                "the token's user no longer exists or is deactivated",
            ))?;
        Ok((source, subject))
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }
}

fn read(store: &RwLock<Store>) -> std::sync::RwLockReadGuard<'_, Store> {
    store.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(store: &RwLock<Store>) -> std::sync::RwLockWriteGuard<'_, Store> {
    store.write().unwrap_or_else(PoisonError::into_inner)
}
