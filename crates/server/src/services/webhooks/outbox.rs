//! The outbox: in the transaction of every change, one pending delivery for each enabled
//! endpoint whose scope and action filters take it — so a change committed is a change owed,
//! and a crash loses neither.
//!
//! Whether the endpoint's creator may read the change is decided at delivery time, when it
//! matters (spec §9); here only the endpoint's own filters apply.
//!
//! Endpoints are few and change rarely, while every write asks which of them take its change.
//! So the enabled endpoints' action filters are kept in memory ([`Candidates`]), tagged with the
//! `webhooks_version` the revision counter carries: every change to an endpoint sets a new one
//! just before it is numbered, and every write reads the current one in the statement that
//! numbers it (holding the counter, so no endpoint can change meanwhile). A write whose
//! action no endpoint takes costs no statement here; otherwise one, which also checks each
//! candidate's scope, and that it still exists and is enabled — endpoints deleted with their
//! group, project or creator never bump the version, and need not. That one is normally sent
//! with the numbering statement itself ([`presume`], `sql::revisions::record_owing`), on the
//! condition that the version it reads is the one the candidates were known by; only when it
//! is not does [`enqueue`] read the endpoints and queue separately.

use std::sync::{Arc, Mutex};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Statement, Value};
use uuid::Uuid;

use super::actions;
use crate::sql::{self, Dialect};

pub const PENDING: &str = "pending";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";

/// The enabled endpoints as of one `webhooks_version`, each with its action patterns.
#[derive(Debug)]
struct Candidates {
    version: i64,
    endpoints: Vec<(Uuid, Vec<String>)>,
}

/// The endpoints last read. One slot: a server serves one database, and a version names one
/// database's endpoints (it is random), so a process serving several only reads more often.
static KNOWN: Mutex<Option<Arc<Candidates>>> = Mutex::new(None);

/// A new `webhooks_version`, for a change that alters an endpoint: random, never 0 or negative.
pub(super) fn new_version() -> i64 {
    (rand::random::<u64>() >> 1).max(1) as i64
}

/// Queues `event` for every enabled endpoint that takes it, and says whether any did. Called
/// only by the write path, with the endpoints' version read as the event was numbered.
pub(crate) async fn enqueue(
    tx: &impl ConnectionTrait,
    event: &entity::audit_events::Model,
    webhooks_version: i64,
) -> Result<bool, DbErr> {
    let candidates = candidates(tx, webhooks_version).await?;
    let taking = taking(&candidates, &event.action);
    if taking.is_empty() {
        return Ok(false);
    }
    let backend = tx.get_database_backend();
    let now = chrono::Utc::now();
    let mut values: Vec<Value> = vec![
        event.project_id.into(),
        event.group_id.into(),
        event.revision.into(),
        event.id.into(),
        now.into(),
    ];
    values.extend(new_deliveries(&taking));
    let sql = sql::webhooks::owed_deliveries(Dialect::of(backend), taking.len(), PENDING);
    let inserted = tx
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(inserted.rows_affected() > 0)
}

/// What the endpoints known in memory say a change owes, for the statement that numbers the
/// change to queue at once: right only if the endpoints' version is still `version` then.
#[derive(Debug)]
pub(crate) struct Presumed {
    pub version: i64,
    /// The endpoints whose action filters take the change.
    pub endpoints: Vec<Uuid>,
}

/// The endpoints that, as last read, take a change of `action`; none when none were read yet.
pub(crate) fn presume(action: &str) -> Option<Presumed> {
    let known = KNOWN.lock().ok()?.clone()?;
    Some(Presumed {
        version: known.version,
        endpoints: taking(&known, action),
    })
}

/// The candidates whose action filters take `action`.
fn taking(candidates: &Candidates, action: &str) -> Vec<Uuid> {
    candidates
        .endpoints
        .iter()
        .filter(|(_, patterns)| actions::matches(patterns, action))
        .map(|(id, _)| *id)
        .collect()
}

/// The parameters of a delivery owed to each of `endpoints`: a new delivery id, then the
/// endpoint's id (`sql::webhooks::owed_deliveries`, `sql::revisions::record_owing`).
pub(crate) fn new_deliveries(endpoints: &[Uuid]) -> impl Iterator<Item = Value> + '_ {
    endpoints
        .iter()
        .flat_map(|endpoint| [Uuid::now_v7().into(), (*endpoint).into()])
}

/// The candidates as of `version`: remembered, or read in this transaction (which holds the
/// counter, so what it reads is the endpoints as of `version`).
async fn candidates(tx: &impl ConnectionTrait, version: i64) -> Result<Arc<Candidates>, DbErr> {
    let known = KNOWN.lock().map(|slot| slot.clone()).unwrap_or(None);
    if let Some(known) = known.filter(|k| k.version == version) {
        return Ok(known);
    }
    let endpoints = entity::webhooks::Entity::find()
        .filter(entity::webhooks::Column::Enabled.eq(true))
        .all(tx)
        .await?
        .iter()
        .map(|w| (w.id, super::patterns(w)))
        .collect();
    let read = Arc::new(Candidates { version, endpoints });
    if let Ok(mut slot) = KNOWN.lock() {
        *slot = Some(read.clone());
    }
    Ok(read)
}
