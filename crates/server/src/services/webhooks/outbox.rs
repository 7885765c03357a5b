//! The outbox: in the transaction of every change, one pending delivery for each enabled
//! endpoint whose scope and action filters take it — so a change committed is a change owed,
//! and a crash loses neither.
//!
//! Whether the endpoint's creator may read the change is decided at delivery time, when it
//! matters (spec §9); here only the endpoint's own filters apply.

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, FromQueryResult};
use uuid::Uuid;

use super::actions;

pub const PENDING: &str = "pending";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";

/// Queues `event` for every enabled endpoint that takes it, and says whether any did. Called
/// only by the write path.
pub(crate) async fn enqueue(
    tx: &impl ConnectionTrait,
    event: &entity::audit_events::Model,
) -> Result<bool, DbErr> {
    let statement = crate::sql::webhooks::ENDPOINTS_IN_SCOPE.statement(
        tx.get_database_backend(),
        [event.project_id.into(), event.group_id.into()],
    );
    let endpoints = tx
        .query_all_raw(statement)
        .await?
        .iter()
        .map(|row| entity::webhooks::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let now = chrono::Utc::now();
    let owed: Vec<_> = endpoints
        .iter()
        .filter(|w| actions::matches(&super::patterns(w), &event.action))
        .map(|w| entity::webhook_deliveries::ActiveModel {
            id: Set(Uuid::now_v7()),
            webhook_id: Set(w.id),
            kind: Set("change".to_owned()),
            revision: Set(Some(event.revision)),
            event_id: Set(Some(event.id)),
            state: Set(PENDING.to_owned()),
            attempts: Set(0),
            status_code: Set(None),
            error: Set(None),
            latency_ms: Set(None),
            next_attempt_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    if owed.is_empty() {
        return Ok(false);
    }
    entity::webhook_deliveries::Entity::insert_many(owed)
        .exec_without_returning(tx)
        .await?;
    Ok(true)
}
