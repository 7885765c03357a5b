//! The delivery worker (spec §9): works off the outbox, endpoint by endpoint, in revision
//! order, one attempt in flight per endpoint, retrying failures with exponential backoff and
//! jitter and disabling an endpoint after [`MAX_FAILURES`] consecutive failures (or
//! [`MAX_FAILING`] of them).
//!
//! An endpoint is taken with a lease (`webhooks.held_until`), claimed in a short transaction
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several servers on one database never take the
//! same endpoint); the attempt itself runs outside any transaction, and its outcome is recorded
//! through the write path. A server killed mid-attempt leaves a lease that simply runs out: the
//! change is still pending and is delivered again (at least once; receivers deduplicate by
//! `webhook-id`).

pub mod send;

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::sea_query::{ExprTrait, LockBehavior, LockType, NullOrdering};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, IntoActiveModel, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use tokio::sync::watch;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::routes::changes::Change;
use crate::services::audit::{self, AuditRecord};
use crate::services::changes::revision::Clock;
use crate::services::guard::Subject;
use crate::services::webhooks::{self, Config, outbox, signing};
use crate::services::write::{self, Written};
use entity::webhook_deliveries::{self as deliveries, Entity as Deliveries};
use entity::webhooks::{Entity as Webhooks, Model as Webhook};

/// Consecutive failures after which an endpoint is disabled.
pub const MAX_FAILURES: i32 = 10;
/// How long an endpoint may keep failing before it is disabled, whatever the count.
pub const MAX_FAILING: chrono::TimeDelta = chrono::TimeDelta::days(3);
/// The longest wait between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often the worker looks for due retries when no change wakes it.
const IDLE_TICK: Duration = Duration::from_secs(1);
/// How long one endpoint's turn may last before the others get theirs.
const TURN: Duration = Duration::from_secs(1);
/// How many of an endpoint's pending deliveries a turn reads, and sends, at a time.
const BATCH: u64 = 32;

/// What the worker needs: the database, the webhook configuration, its timing, and the clock
/// whose every new revision may mean new deliveries.
#[derive(Debug, Clone)]
pub struct Worker {
    pub db: DatabaseConnection,
    pub config: Config,
    pub clock: Clock,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// The first retry's delay.
    pub retry_base: Duration,
}

impl Worker {
    /// Delivers for ever (the caller drops it when the server stops): whenever deliveries may
    /// have been queued, and each [`IDLE_TICK`] for retries that fall due (and the metrics).
    pub async fn run(self) {
        let mut owed = self.clock.subscribe_owed();
        let mut observed_at = tokio::time::Instant::now();
        loop {
            if observed_at.elapsed() >= IDLE_TICK {
                observed_at = tokio::time::Instant::now();
                if let Err(error) = self.observe().await {
                    tracing::warn!(%error, "cannot read the outbox's metrics");
                }
            }
            if let Err(error) = self.deliver_due(&mut owed).await {
                tracing::warn!(%error, "webhook delivery failed; retrying");
            }
            let _ = tokio::time::timeout(IDLE_TICK, owed.changed()).await;
        }
    }

    /// Delivers the head of every endpoint that has one due, until none has; `owed` tells
    /// when more may have been queued.
    async fn deliver_due(&self, owed: &mut watch::Receiver<()>) -> Result<(), ApiError> {
        while let Some(webhook) = self.claim().await? {
            self.work(webhook, owed).await?;
        }
        Ok(())
    }

    /// Takes one enabled, unheld endpoint with pending deliveries, holding it for an attempt.
    /// The endpoint released longest ago goes first (releasing one sets its `held_until` to
    /// the time), so a long backlog on one endpoint does not starve the others.
    async fn claim(&self) -> Result<Option<Webhook>, ApiError> {
        let now = chrono::Utc::now();
        // A plain read first: most wake-ups find nothing due, and need no write transaction
        // (on SQLite it would take the database's one write lock).
        if due(now).one(&self.db).await?.is_none() {
            return Ok(None);
        }
        let (tx, _turn) = write::begin(&self.db).await?;
        let mut query = due(now);
        if tx.get_database_backend() == DbBackend::Postgres {
            // NO KEY UPDATE, the strength an update of `held_until` needs: FOR UPDATE would
            // also wait for (and SKIP LOCKED skip) every write whose outbox row is taking the
            // endpoint's key share, which under a steady load is nearly always one.
            query = query.lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked);
        }
        let Some(webhook) = query.one(&tx).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        // The lease outlasts the attempt; a server that dies mid-attempt loses it then.
        let lease = chrono::TimeDelta::from_std(self.timeout + Duration::from_secs(5))
            .unwrap_or(chrono::TimeDelta::seconds(15));
        let mut row = webhook.into_active_model();
        row.held_until = Set(Some(now + lease));
        let webhook = row.update(&tx).await?;
        tx.commit().await?;
        Ok(Some(webhook))
    }

    /// The endpoint's turn: attempts its pending deliveries oldest first, one at a time, and
    /// records each outcome. While they succeed (or are skipped) the turn goes on, each recorded
    /// by one UPDATE, for at most [`TURN`] and never into the last [`Worker::timeout`] of the
    /// lease; a failure, a change to the endpoint, or the turn's end settles the endpoint.
    ///
    /// The deliveries are taken [`BATCH`] at a time, with one statement for the batch, one for
    /// which of their changes the creator may read, and one connection to the receiver: a batch
    /// is sent at once, so that is still decided at delivery time. A change to the endpoint (a
    /// new secret, disabling it) is seen by the next batch.
    ///
    /// When nothing is pending, the turn waits once for the next wake (a change committed, here
    /// or on another server) and goes on if that brought the endpoint a delivery: changes
    /// arriving one by one would otherwise cost a claim and a settlement each. A wake that
    /// brought it nothing ends the turn, so that another endpoint's delivery is not held up.
    async fn work(&self, webhook: Webhook, owed: &mut watch::Receiver<()>) -> Result<(), ApiError> {
        let began = tokio::time::Instant::now();
        let mut waited = false;
        loop {
            let batch = self.pending_of(&webhook).await?;
            if batch.is_empty() {
                let left = TURN.saturating_sub(began.elapsed());
                if waited || left.is_zero() || !self.lease_outlasts_attempt(&webhook) {
                    return self.settle(webhook.id, None, Settled::Released).await;
                }
                waited = true;
                let _ = tokio::time::timeout(left, owed.changed()).await;
                if !self.lease_outlasts_attempt(&webhook) {
                    return self.settle(webhook.id, None, Settled::Released).await;
                }
                continue;
            }
            waited = false;
            let mut bodies = self.bodies_for(&webhook, &batch).await?;
            let keys = keys_of(&self.config, &webhook)?;
            let sender =
                send::Sender::connect(&webhook.url, self.config.allow_private, self.timeout).await;
            for delivery in batch {
                let outcome = match delivery.event_id.and_then(|id| bodies.remove(&id)) {
                    None => {
                        metrics_skipped();
                        Settled::Skipped
                    }
                    Some(body) => Settled::Attempted(match &sender {
                        Ok(sender) => {
                            let id = message_id(delivery.id);
                            let sent = sender.send(send::Message {
                                id: &id,
                                keys: &keys,
                                body,
                            });
                            record_attempt(sent.await)
                        }
                        Err(failed) => record_attempt(failed.clone()),
                    }),
                };
                let clean = match &outcome {
                    Settled::Skipped => true,
                    Settled::Attempted(sent) => {
                        sent.succeeded() && webhook.consecutive_failures == 0
                    }
                    Settled::Released => false,
                };
                if !(clean && self.lease_outlasts_attempt(&webhook) && began.elapsed() < TURN) {
                    return self.settle(webhook.id, Some(delivery.id), outcome).await;
                }
                let attempts = delivery.attempts;
                mark(delivery.into_active_model(), attempts, &outcome)
                    .update(&self.db)
                    .await?;
            }
        }
    }

    /// Whether the endpoint's lease outlasts one more attempt, which may take the whole timeout.
    fn lease_outlasts_attempt(&self, webhook: &Webhook) -> bool {
        webhook
            .held_until
            .and_then(|until| (until - chrono::Utc::now()).to_std().ok())
            .is_some_and(|left| left > self.timeout)
    }

    /// The endpoint's oldest pending deliveries, at most [`BATCH`] — none when there are none,
    /// or when the endpoint was disabled or changed (a new secret, say) since it was claimed:
    /// the turn then ends and the next one starts from the endpoint as it is.
    async fn pending_of(&self, webhook: &Webhook) -> Result<Vec<deliveries::Model>, ApiError> {
        use entity::webhooks::Column;
        let unchanged = Webhooks::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::Id.eq(webhook.id))
            .filter(Column::Enabled.eq(true))
            .filter(Column::UpdatedAt.eq(webhook.updated_at))
            .into_query();
        Ok(Deliveries::find()
            .filter(deliveries::Column::WebhookId.in_subquery(unchanged))
            .filter(deliveries::Column::State.eq(outbox::PENDING))
            .order_by_asc(deliveries::Column::Revision)
            .limit(BATCH)
            .all(&self.db)
            .await?)
    }

    /// The bodies of those of `batch`'s changes that the endpoint's creator may read now in the
    /// endpoint's scope, by event id; the others are skipped.
    async fn bodies_for(
        &self,
        webhook: &Webhook,
        batch: &[deliveries::Model],
    ) -> Result<HashMap<Uuid, Vec<u8>>, ApiError> {
        let creator = Subject::load(&self.db, webhook.created_by).await?;
        let visible =
            match audit::visible_events(&self.db, creator, webhooks::scope_of(webhook)).await {
                Ok(events) => events,
                Err(ApiError::Forbidden(_) | ApiError::NotFound) => return Ok(HashMap::new()),
                Err(other) => return Err(other),
            };
        let ids = batch.iter().filter_map(|delivery| delivery.event_id);
        visible
            .filter(entity::audit_events::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|event| {
                let id = event.id;
                let change = Change::try_from(event)?;
                let body = serde_json::to_vec(&change).map_err(ApiError::internal)?;
                Ok((id, body))
            })
            .collect()
    }

    /// Records what became of the endpoint's head and releases the endpoint, run again while
    /// the database reports contention (as every write is): a settlement lost to a deadlock
    /// would leave the endpoint held until its lease ran out.
    async fn settle(
        &self,
        webhook_id: Uuid,
        delivery_id: Option<Uuid>,
        settled: Settled,
    ) -> Result<(), ApiError> {
        write::retrying(|| self.settle_once(webhook_id, delivery_id, &settled)).await
    }

    /// One try of [`Worker::settle`]. A transaction of its own rather than `write`'s closure
    /// keeps the worker's future `Send`; it ends as every write does (`write::commit_change`),
    /// with an audit event when it disables.
    async fn settle_once(
        &self,
        webhook_id: Uuid,
        delivery_id: Option<Uuid>,
        settled: &Settled,
    ) -> Result<(), ApiError> {
        let (tx, _turn) = write::begin(&self.db).await?;
        let Some(webhook) = Webhooks::find_by_id(webhook_id).one(&tx).await? else {
            return Ok(());
        };
        let delivery = match delivery_id {
            Some(id) => Deliveries::find_by_id(id).one(&tx).await?,
            None => None,
        };
        let now = chrono::Utc::now();
        let mut endpoint = webhook.clone().into_active_model();
        // Released as of now: the time also puts the endpoint at the back of the queue.
        endpoint.held_until = Set(Some(now));
        let mut audit = None;
        if let Some(delivery) = delivery {
            let attempts = delivery.attempts;
            let mut row = mark(delivery.into_active_model(), attempts, settled);
            if let Settled::Attempted(outcome) = settled {
                if outcome.succeeded() {
                    endpoint.consecutive_failures = Set(0);
                    endpoint.failing_since = Set(None);
                } else {
                    let failures = webhook.consecutive_failures + 1;
                    let since = webhook.failing_since.unwrap_or(now);
                    let retry_at = now + backoff(self.retry_base, failures);
                    row.next_attempt_at = Set(Some(retry_at));
                    endpoint.consecutive_failures = Set(failures);
                    endpoint.failing_since = Set(Some(since));
                    endpoint.held_until = Set(Some(retry_at));
                    if failures >= MAX_FAILURES || now - since >= MAX_FAILING {
                        let reason = format!(
                            "disabled after {failures} consecutive failed deliveries \
                                 (failing since {since}); last: {}",
                            outcome.error.as_deref().unwrap_or("no answer")
                        );
                        endpoint.enabled = Set(false);
                        endpoint.held_until = Set(Some(now));
                        endpoint.disabled_reason = Set(Some(reason.clone()));
                        audit = Some(disabled(&webhook, reason));
                    }
                }
            }
            row.update(&tx).await?;
        }
        endpoint.update(&tx).await?;
        match audit {
            Some(audit) => {
                write::commit_change(tx, audit).await?;
            }
            None => tx.commit().await?,
        }
        Ok(())
    }

    /// Publishes the outbox lag and the disabled endpoints to the metrics.
    async fn observe(&self) -> Result<(), ApiError> {
        let oldest = Deliveries::find()
            .filter(deliveries::Column::State.eq(outbox::PENDING))
            .order_by_asc(deliveries::Column::CreatedAt)
            .one(&self.db)
            .await?;
        let lag = oldest.map_or(0.0, |d| {
            (chrono::Utc::now() - d.created_at)
                .as_seconds_f64()
                .max(0.0)
        });
        let disabled = Webhooks::find()
            .filter(entity::webhooks::Column::Enabled.eq(false))
            .count(&self.db)
            .await?;
        crate::metrics::record_outbox(lag, disabled);
        Ok(())
    }
}

/// The endpoints with a delivery due at `now`: enabled, not held, with a pending delivery.
fn due(now: chrono::DateTime<chrono::Utc>) -> sea_orm::Select<Webhooks> {
    use entity::webhooks::Column;
    let pending = Deliveries::find()
        .select_only()
        .column(deliveries::Column::WebhookId)
        .filter(deliveries::Column::State.eq(outbox::PENDING))
        .into_query();
    Webhooks::find()
        .filter(Column::Enabled.eq(true))
        .filter(Column::HeldUntil.is_null().or(Column::HeldUntil.lt(now)))
        .filter(Column::Id.in_subquery(pending))
        // Never served (null) first, on both backends.
        .order_by_with_nulls(Column::HeldUntil, Order::Asc, NullOrdering::First)
        .limit(1)
}

/// What became of an endpoint's turn.
enum Settled {
    /// Nothing was pending after all.
    Released,
    /// The change may not be sent to this endpoint now.
    Skipped,
    Attempted(send::Outcome),
}

/// `row` (a delivery attempted `attempts` times before) as `settled` leaves it; a failure's
/// retry time is the caller's to set, with the endpoint's failure count.
fn mark(
    mut row: deliveries::ActiveModel,
    attempts: i32,
    settled: &Settled,
) -> deliveries::ActiveModel {
    row.updated_at = Set(chrono::Utc::now());
    match settled {
        Settled::Released => {}
        Settled::Skipped => {
            row.state = Set(outbox::SKIPPED.to_owned());
            row.next_attempt_at = Set(None);
            row.error = Set(Some(
                "the endpoint's creator may not read this change now".to_owned(),
            ));
        }
        Settled::Attempted(outcome) => {
            row.attempts = Set(attempts + 1);
            row.status_code = Set(outcome.status.map(i32::from));
            row.error = Set(outcome.error.clone());
            row.latency_ms = Set(Some(outcome.latency_ms));
            if outcome.succeeded() {
                row.state = Set(outbox::SUCCEEDED.to_owned());
                row.next_attempt_at = Set(None);
            }
        }
    }
    row
}

fn metrics_skipped() {
    crate::metrics::record_delivery("skipped");
}

/// Counts an attempt's outcome in the metrics and hands it on.
fn record_attempt(outcome: send::Outcome) -> send::Outcome {
    crate::metrics::record_delivery(if outcome.succeeded() {
        "succeeded"
    } else {
        "failed"
    });
    outcome
}

/// The audit event of an endpoint disabled by its failures (no actor: the server did it).
fn disabled(webhook: &Webhook, reason: String) -> AuditRecord {
    webhooks::record(None, "webhook.disable", webhook).change(
        serde_json::json!({ "enabled": true }),
        serde_json::json!({ "enabled": false, "disabled_reason": reason }),
    )
}

/// The `webhook-id` of a delivery: the same for every attempt of one change to one endpoint.
pub fn message_id(delivery_id: Uuid) -> String {
    format!("msg_{}", delivery_id.simple())
}

/// The keys that sign now: the current secret, and the previous one while it overlaps.
pub fn keys_of(config: &Config, webhook: &Webhook) -> Result<Vec<Vec<u8>>, ApiError> {
    let mut sealed = vec![webhook.secret.as_str()];
    if let (Some(previous), Some(until)) = (&webhook.previous_secret, webhook.previous_secret_until)
        && until > chrono::Utc::now()
    {
        sealed.push(previous);
    }
    sealed
        .into_iter()
        .map(|s| {
            let secret = config.secrets.open(s).map_err(ApiError::internal)?;
            signing::secret_key(&secret).map_err(ApiError::internal)
        })
        .collect()
}

/// The wait before retry number `failures`: `base`, doubled each time up to an hour, with up
/// to a fifth of it added at random so that endpoints failing together do not retry together.
fn backoff(base: Duration, failures: i32) -> chrono::TimeDelta {
    let doublings = Ord::min(u32::try_from(failures.saturating_sub(1)).unwrap_or(0), 20);
    let wait = base.saturating_mul(1 << doublings).min(MAX_BACKOFF);
    let jitter = wait.mul_f64(rand::random::<f64>() / 5.0);
    chrono::TimeDelta::from_std(wait + jitter).unwrap_or(chrono::TimeDelta::hours(1))
}

/// `POST /v1/webhooks/{id}/ping`: a signed `ping` sent at once, outside the queue, and recorded
/// in the delivery log with its outcome.
pub async fn ping(
    db: &DatabaseConnection,
    config: &Config,
    timeout: Duration,
    subject: Subject,
    id: Uuid,
) -> Result<deliveries::Model, ApiError> {
    let webhook = webhooks::visible(db, subject, id).await?;
    let delivery_id = Uuid::now_v7();
    let body = serde_json::json!({
        "type": "ping",
        "webhook_id": webhook.id,
        "occurred_at": chrono::Utc::now(),
    });
    let keys = keys_of(config, &webhook)?;
    let message_id = message_id(delivery_id);
    let message = send::Message {
        id: &message_id,
        keys: &keys,
        body: serde_json::to_vec(&body).map_err(ApiError::internal)?,
    };
    let outcome = send::send_once(&webhook.url, message, config.allow_private, timeout).await;
    crate::services::write::write_as(db, subject, &[], async |tx, subject| {
        let webhook = webhooks::visible(tx, subject, id).await?;
        let now = chrono::Utc::now();
        let state = if outcome.succeeded() {
            outbox::SUCCEEDED
        } else {
            outbox::FAILED
        };
        let delivery = deliveries::ActiveModel {
            id: Set(delivery_id),
            webhook_id: Set(webhook.id),
            kind: Set("ping".to_owned()),
            revision: Set(None),
            event_id: Set(None),
            state: Set(state.to_owned()),
            attempts: Set(1),
            status_code: Set(outcome.status.map(i32::from)),
            error: Set(outcome.error.clone()),
            latency_ms: Set(Some(outcome.latency_ms)),
            next_attempt_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(tx)
        .await?;
        let mut audit = webhooks::record(Some(subject.user_id), "webhook.ping", &webhook);
        audit.details["delivery"] = serde_json::json!({ "id": delivery.id, "state": state });
        Ok(Written::changed(delivery, audit))
    })
    .await
}
