//! The write path: every state-changing request runs here, once, as one transaction.
//!
//! [`write`] begins the transaction (on SQLite after this process's earlier writers, see
//! [`turns`], and IMMEDIATE, so concurrent writers queue instead of failing half-way), takes the
//! locks the request's invariants need (PostgreSQL advisory and row locks, always in one global
//! order so two requests cannot deadlock on them), runs the work, numbers the change with the
//! next revision, stores its audit event and the webhook deliveries it owes (the outbox),
//! commits, and runs the whole again when the database reports a serialisation failure, a
//! deadlock or a busy SQLite file. [`write_as`] does the same on behalf of a caller, re-reading
//! them inside the transaction.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

use super::audit::{self, AuditRecord};
use super::changes::revision;
use super::guard::Subject;
use super::turns::{self, Turn};
use super::webhooks;
use crate::error::ApiError;
use crate::sql::locks;

/// How many times a contended transaction is run before the client gets 409 `conflict`.
const MAX_ATTEMPTS: u32 = 6;

/// A lock a write needs so that its invariant holds under concurrent requests.
/// The derived order is the order in which locks are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lock {
    /// The group tree's shape: moves, subtree deletes, and group membership changes that
    /// could race with them.
    GroupTree,
    /// The set of system admins (the last one must remain; bootstrapping creates one).
    SystemAdmins,
    /// One project's members, roles and reporting lines (the project row, `FOR UPDATE`).
    Project(Uuid),
}

/// What a unit of work produced: its value and, when it changed something, its audit event.
#[derive(Debug)]
pub struct Written<T> {
    pub value: T,
    pub audit: Option<AuditRecord>,
}

impl<T> Written<T> {
    /// The work changed state and records it.
    pub fn changed(value: T, audit: AuditRecord) -> Self {
        Self {
            value,
            audit: Some(audit),
        }
    }

    /// The work found nothing to change (an idempotent upsert): no audit event.
    pub fn unchanged(value: T) -> Self {
        Self { value, audit: None }
    }
}

/// Runs `work` as one transaction holding `locks`, retrying contention; see the module docs.
pub async fn write<T>(
    db: &DatabaseConnection,
    locks: &[Lock],
    work: impl AsyncFn(&DatabaseTransaction) -> Result<Written<T>, ApiError>,
) -> Result<T, ApiError> {
    let mut locks = locks.to_vec();
    locks.sort();
    locks.dedup();
    retrying(|| run_once(db, &locks, &work)).await
}

/// Runs `transaction` again, after a short wait, while the database reports contention (a
/// serialisation failure, a deadlock, a busy SQLite file), up to [`MAX_ATTEMPTS`] runs in all.
/// (A closure returning a future rather than an async closure: the delivery worker's future must
/// be `Send`, which an async closure's borrowed captures do not yet prove.)
pub(crate) async fn retrying<T, F: Future<Output = Result<T, ApiError>>>(
    mut transaction: impl FnMut() -> F,
) -> Result<T, ApiError> {
    let mut attempt = 1;
    loop {
        match transaction().await {
            Err(ApiError::Contention) if attempt < MAX_ATTEMPTS => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// [`write`] on behalf of `subject`, who is read again inside the transaction (after the locks)
/// so that every decision the work makes sees the caller as they are now.
pub async fn write_as<T>(
    db: &DatabaseConnection,
    subject: Subject,
    locks: &[Lock],
    work: impl AsyncFn(&DatabaseTransaction, Subject) -> Result<Written<T>, ApiError>,
) -> Result<T, ApiError> {
    write(db, locks, async |tx| {
        let current = subject.reread(tx).await?;
        work(tx, current).await
    })
    .await
}

async fn run_once<T>(
    db: &DatabaseConnection,
    locks: &[Lock],
    work: &impl AsyncFn(&DatabaseTransaction) -> Result<Written<T>, ApiError>,
) -> Result<T, ApiError> {
    let (tx, _turn) = begin(db).await?;
    for lock in locks {
        take(&tx, *lock).await?;
    }
    // On error the transaction is dropped, which rolls it back.
    let Written { value, audit } = work(&tx).await?;
    match audit {
        Some(record) => {
            commit_change(tx, record).await?;
        }
        None => tx.commit().await?,
    }
    Ok(value)
}

/// Begins a write transaction: on SQLite after this process's earlier writers (a [`Turn`], to
/// be held until the transaction ends) and IMMEDIATE, so that other processes' writers queue.
pub(crate) async fn begin(
    db: &DatabaseConnection,
) -> Result<(DatabaseTransaction, Turn), ApiError> {
    let turn = turns::take(db).await;
    let tx = db
        .begin_with_options(TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        })
        .await?;
    Ok((tx, turn))
}

/// The end of every transaction that changed state: numbers the change with the next
/// revision, stores its audit event and the webhook deliveries it owes (the outbox), commits,
/// and returns the revision.
pub(crate) async fn commit_change(
    tx: DatabaseTransaction,
    record: AuditRecord,
) -> Result<i64, ApiError> {
    #[cfg(feature = "bench")]
    if super::plain_writes::enabled() {
        let revision = super::plain_writes::number(&tx).await?;
        super::plain_writes::insert(&tx, audit::event(record, revision)).await?;
        tx.commit().await?;
        return Ok(revision);
    }
    let new_webhooks_version = webhooks::new_version_after(&record);
    let event = audit::event(record, 0);
    // A change to an endpoint makes what is known of them stale: nothing to presume then.
    let presumed = match new_webhooks_version {
        Some(_) => None,
        None => webhooks::outbox::presume(&event.action),
    };
    // Numbered last, so the counter's row lock (PostgreSQL) is held only for the commit.
    let recorded = revision::record(&tx, event, new_webhooks_version, presumed.as_ref()).await?;
    let owes = match recorded.queued {
        Some(queued) => queued,
        None => webhooks::outbox::enqueue(&tx, &recorded.event, recorded.webhooks_version).await?,
    };
    tx.commit().await?;
    let revision = recorded.event.revision;
    revision::committed(revision::Committed {
        revision,
        owes,
        touches: crate::services::memory::invalidation::touched(&recorded.event),
    });
    Ok(revision)
}

/// Takes one lock. SQLite needs none: its IMMEDIATE transaction already excludes other writers.
async fn take(tx: &DatabaseTransaction, lock: Lock) -> Result<(), ApiError> {
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let statement = match lock {
        Lock::GroupTree => locks::advisory(locks::GROUP_TREE_KEY),
        Lock::SystemAdmins => locks::advisory(locks::SYSTEM_ADMINS_KEY),
        Lock::Project(id) => locks::project_row(id),
    };
    tx.query_all_raw(statement).await?;
    Ok(())
}

/// 10 ms, 20 ms, 40 ms … with a little jitter so retried writers do not collide again.
fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    Duration::from_millis(base + u64::from(rand::random::<u8>() % 10))
}
