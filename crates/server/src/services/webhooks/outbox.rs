//! The outbox: in the transaction of every change, one pending delivery for each enabled
//! endpoint whose scope and action filters take it — so a change committed is a change owed,
//! and a crash loses neither.
//!
//! Whether the endpoint's creator may read the change is decided at delivery time, when it
//! matters (spec §9); here only the endpoint's own filters apply.

use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::actions;

pub const PENDING: &str = "pending";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";

/// Queues `event` for every enabled endpoint that takes it. Called only by the write path.
pub(crate) async fn enqueue(
    tx: &impl ConnectionTrait,
    event: &entity::audit_events::Model,
) -> Result<(), DbErr> {
    use entity::webhooks::Column;
    let mut in_scope = Column::GroupId.is_null().and(Column::ProjectId.is_null());
    if let Some(project) = event.project_id {
        in_scope = in_scope.or(Column::ProjectId.eq(project));
    }
    if let Some(group) = event.group_id {
        // The group and its ancestors: an endpoint on any of them covers the change.
        if let Some(row) = entity::groups::Entity::find_by_id(group).one(tx).await? {
            let path = domain::GroupPath::parse(&row.path)
                .map_err(|e| DbErr::Custom(format!("group {group} has a malformed path: {e}")))?;
            in_scope = in_scope.or(Column::GroupId.is_in(path.ids()));
        }
    }
    let endpoints = entity::webhooks::Entity::find()
        .filter(Column::Enabled.eq(true))
        .filter(in_scope)
        .all(tx)
        .await?;
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
    if !owed.is_empty() {
        entity::webhook_deliveries::Entity::insert_many(owed)
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}
