//! Lookups (spec §10): which resources a user may use a capability on, and who may use it on a
//! resource — complete, paginated, and decided by the same domain rules as `/v1/check`
//! (`domain::decide_*` on grants computed by `domain::effective_*`), so the two cannot disagree.
//!
//! Each lookup reads its candidates a batch at a time in key order, loads the facts a decision
//! needs for the whole batch at once, decides each candidate in memory, and keeps reading until
//! the page is full or the candidates run out: a page is never cut short by a refusal.

pub mod resources;
pub mod subjects;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::ApiError;
use crate::services::access;
use crate::services::window::Window;

/// How many candidates a lookup reads per round trip.
const BATCH: u64 = 500;

/// The window of the next batch of candidates after `after`. [`Window::read`] fetches one row
/// past its limit, so a limit of `BATCH - 1` reads exactly `BATCH` rows in key order.
fn batch_after(after: Option<Uuid>) -> Window<Uuid> {
    Window {
        after,
        limit: BATCH - 1,
    }
}

/// Whether `read` candidates fill a batch, so that more may lie behind the last of them.
fn is_full(read: usize) -> bool {
    read >= usize::try_from(BATCH).unwrap_or(usize::MAX)
}

/// One batch of candidates, read and decided: whether more may follow, the key the next batch
/// starts after, and the candidates the decision kept.
struct Batch<T> {
    more: bool,
    last: Option<Uuid>,
    kept: Vec<T>,
}

impl<T> Batch<T> {
    /// A batch of `read` candidates in key order, the last with key `last`: a full batch may
    /// have more behind it.
    fn of(read: usize, last: Option<Uuid>, kept: Vec<T>) -> Self {
        Self {
            more: is_full(read),
            last,
            kept,
        }
    }
}

/// Fills a page of `window` (plus the one item that tells another page follows) from batches
/// of candidates in key order, read by `next(after)`, until it is full or the candidates run
/// out: refusals never cut a page short.
async fn fill_page<T>(
    window: &Window<Uuid>,
    mut next: impl AsyncFnMut(Option<Uuid>) -> Result<Batch<T>, ApiError>,
) -> Result<Vec<T>, ApiError> {
    let wanted = usize::try_from(window.fetch()).unwrap_or(usize::MAX);
    let mut after = window.after;
    let mut items = Vec::new();
    loop {
        let batch = next(after).await?;
        items.extend(batch.kept);
        if !batch.more || items.len() >= wanted {
            break;
        }
        after = batch.last;
    }
    items.truncate(wanted);
    Ok(items)
}

/// The groups with `ids`, each with its path.
async fn groups_by_id(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<Vec<(entity::groups::Model, domain::GroupPath)>, ApiError> {
    let rows = entity::groups::Entity::find()
        .filter(entity::groups::Column::Id.is_in(ids))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|group| {
            let path = access::stored_path(&group)?;
            Ok((group, path))
        })
        .collect()
}
