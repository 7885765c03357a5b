//! Revisions (spec §8): the counter each write advances, the revision a request committed, and
//! the newest committed revision this server knows of.
//!
//! The counter is one row, `revisions`, advanced in the statement that stores the audit event:
//! on PostgreSQL the update's row lock is held until commit, so the next writer is numbered only
//! after this one has committed; on SQLite the IMMEDIATE transaction already admits one writer
//! at a time. Either way revisions commit in the order they are numbered, and a reader that has
//! seen revision n has seen everything below it.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Statement, Value};
use tokio::sync::watch;

use crate::services::webhooks::outbox::{self, Presumed};
use crate::sql::{self, Dialect};

/// How often a server reads the counter to learn of commits made by other servers (its own are
/// known at once).
const POLL_EVERY: Duration = Duration::from_millis(50);

tokio::task_local! {
    /// What the current request committed, if it changed state.
    static COMMITTED: RefCell<Option<Committed>>;
    /// The revision the current request's decisions reflect, when they were answered from
    /// memory (the first such revision: every later fact is at least as fresh).
    static SERVED: Cell<Option<i64>>;
}

/// A change a request committed: its revision, whether it queued webhook deliveries, and what
/// it may have altered among the decision facts (so that this server's memory can apply it
/// without reading it back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub revision: i64,
    pub owes: bool,
    pub touches: Vec<crate::services::memory::invalidation::Touch>,
}

/// The revision counter as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// The newest committed revision.
    pub revision: i64,
    /// The newest revision whose event is no longer kept (0: the whole history is).
    pub retained_after: i64,
}

/// A change numbered and stored: its audit event, the webhook endpoints' version as of it, and
/// whether deliveries were queued with it — `None` when what was presumed did not hold (or
/// nothing was), so the outbox is still to be written.
#[derive(Debug)]
pub(crate) struct Recorded {
    pub event: entity::audit_events::Model,
    pub webhooks_version: i64,
    pub queued: Option<bool>,
}

/// Numbers `event` with the next revision and stores it, inside the write transaction `tx`, in
/// one statement ([`sql::revisions::RECORD`]); `webhooks_version` is the endpoints' new version
/// when the change altered an endpoint, set first. With `presumed` deliveries the same call
/// queues them, if the endpoints' version it reads is the presumed one
/// ([`sql::revisions::record_owing`]).
pub(crate) async fn record(
    tx: &impl ConnectionTrait,
    mut event: entity::audit_events::Model,
    webhooks_version: Option<i64>,
    presumed: Option<&Presumed>,
) -> Result<Recorded, DbErr> {
    let backend = tx.get_database_backend();
    if let Some(version) = webhooks_version {
        let statement = sql::revisions::NEW_WEBHOOKS_VERSION.statement(backend, [version.into()]);
        tx.execute_raw(statement).await?;
    }
    let mut values: Vec<Value> = vec![
        event.id.into(),
        event.occurred_at.into(),
        event.actor_id.into(),
        event.action.clone().into(),
        event.resource_type.clone().into(),
        event.resource_id.into(),
        event.group_id.into(),
        event.project_id.into(),
        event.details.clone().into(),
        event.access.clone().into(),
    ];
    let statement = match presumed.filter(|p| !p.endpoints.is_empty()) {
        Some(presumed) => {
            values.push(presumed.version.into());
            values.extend(outbox::new_deliveries(&presumed.endpoints));
            let sql = sql::revisions::record_owing(
                Dialect::of(backend),
                presumed.endpoints.len(),
                outbox::PENDING,
            );
            Statement::from_sql_and_values(backend, sql, values)
        }
        None => sql::revisions::RECORD.statement(backend, values),
    };
    let rows = tx.query_all_raw(statement).await?;
    let mut numbered = None;
    let mut queued = 0;
    for row in &rows {
        match row.try_get_by_index::<Option<i64>>(0)? {
            Some(revision) => numbered = Some((revision, row.try_get_by_index::<i64>(1)?)),
            None => queued += 1,
        }
    }
    let (revision, version) =
        numbered.ok_or_else(|| DbErr::RecordNotFound("the revisions counter row".into()))?;
    event.revision = revision;
    Ok(Recorded {
        event,
        webhooks_version: version,
        queued: presumed
            .filter(|p| p.version == version)
            .map(|_| queued > 0),
    })
}

/// Reads the counter.
pub async fn read(db: &impl ConnectionTrait) -> Result<Counter, DbErr> {
    let row = entity::revisions::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the revisions counter row".into()))?;
    Ok(Counter {
        revision: row.revision,
        retained_after: row.retained_after,
    })
}

/// What a request did to revisions: the change it committed, and the revision its memory
/// decisions reflect.
#[derive(Debug, Clone, Default)]
pub struct Tracked {
    pub committed: Option<Committed>,
    pub served: Option<i64>,
}

/// Runs `request` noting the change it commits ([`committed`]) and the revision its decisions
/// were served at ([`served_at`]).
pub async fn tracking<F: Future>(request: F) -> (F::Output, Tracked) {
    let tracked = async {
        let output = request.await;
        let tracked = Tracked {
            committed: COMMITTED.with(RefCell::take),
            served: SERVED.with(Cell::get),
        };
        (output, tracked)
    };
    COMMITTED
        .scope(RefCell::new(None), SERVED.scope(Cell::new(None), tracked))
        .await
}

/// Records that the current request's decisions reflect `revision` (the first call counts).
pub(crate) fn served_at(revision: i64) {
    let _ = SERVED.try_with(|cell| {
        if cell.get().is_none() {
            cell.set(Some(revision));
        }
    });
}

/// Records that the current request committed `change` (nothing outside [`tracking`], e.g.
/// on the command line).
pub(crate) fn committed(change: Committed) {
    let _ = COMMITTED.try_with(|cell| cell.replace(Some(change)));
}

/// The newest committed revision this server knows of, shared by every worker thread: readers
/// stamp responses with it and long polls wait on it. Beside it, a signal that deliveries may be
/// owed, which wakes the delivery worker only when there can be work for it.
#[derive(Debug, Clone)]
pub struct Clock {
    latest: Arc<watch::Sender<i64>>,
    owed: Arc<watch::Sender<()>>,
}

impl Clock {
    /// A clock starting at the stored counter.
    pub async fn start(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let (latest, _) = watch::channel(read(db).await?.revision);
        let (owed, _) = watch::channel(());
        Ok(Self {
            latest: Arc::new(latest),
            owed: Arc::new(owed),
        })
    }

    /// Notes a change this server committed.
    pub fn commit(&self, change: &Committed) {
        self.observe(change.revision);
        if change.owes {
            self.owed.send_replace(());
        }
    }

    /// A receiver told whenever deliveries may have been queued: by a request here, or by a
    /// commit of another server (which this one cannot see into).
    pub fn subscribe_owed(&self) -> watch::Receiver<()> {
        self.owed.subscribe()
    }

    /// A receiver told of every newer revision the clock learns.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.latest.subscribe()
    }

    /// The newest revision known to have committed.
    pub fn known(&self) -> i64 {
        *self.latest.borrow()
    }

    /// Notes that `revision` has committed; the clock never goes back.
    pub fn observe(&self, revision: i64) {
        self.latest.send_if_modified(|latest| {
            let newer = revision > *latest;
            if newer {
                *latest = revision;
            }
            newer
        });
    }

    /// Waits until a revision after `after` is known, or `deadline` passes; returns whether
    /// one is. Holds no database connection.
    pub async fn wait_past(&self, after: i64, deadline: tokio::time::Instant) -> bool {
        let mut changes = self.latest.subscribe();
        let arrived = changes.wait_for(|latest| *latest > after);
        matches!(tokio::time::timeout_at(deadline, arrived).await, Ok(Ok(_)))
    }

    /// Follows commits made by other servers on the same database, for ever (the caller drops
    /// it when the server stops). A failed read is retried at the next tick.
    pub async fn follow(self, db: DatabaseConnection) {
        let mut ticks = tokio::time::interval(POLL_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_read = self.known();
        loop {
            ticks.tick().await;
            match read(&db).await {
                Ok(counter) => {
                    self.observe(counter.revision);
                    // Something committed since the last read: here, or on a server whose
                    // deliveries this one cannot see queued (the wake may be needless, never
                    // missed, even when a commit here already moved the clock past it).
                    if counter.revision > last_read {
                        last_read = counter.revision;
                        self.owed.send_replace(());
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read the revision counter"),
            }
        }
    }
}
