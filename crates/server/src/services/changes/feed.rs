//! `GET /v1/changes` (spec §8): the audit events after a revision, oldest first, with the
//! visibility of the audit routes, and a long poll that holds no database connection.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::time::Instant;

use super::revision::{self, Clock};
use crate::error::ApiError;
use crate::services::audit::{self, AuditScope};
use crate::services::guard::Subject;

/// Who reads the feed: a caller, with the audit routes' visibility, or the operator at the
/// command line (`roster changes`), who reads the database itself and so everything.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    Caller(Subject),
    CommandLine,
}

/// What a reader asks of the feed.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    pub scope: AuditScope,
    pub resource_type: Option<String>,
    /// The revision the reader has seen everything up to.
    pub after: i64,
    pub limit: u64,
}

/// A page of the feed.
#[derive(Debug)]
pub struct FeedPage {
    pub items: Vec<entity::audit_events::Model>,
    /// Where the next read starts: the last item's revision when the page is full, otherwise
    /// the revision the page was read at (nothing the reader may see lies between).
    pub next_after: i64,
    /// The newest committed revision when the page was read.
    pub revision: i64,
}

/// Reads a page; when it is empty, waits up to `wait` for a change and reads again.
pub async fn read(
    db: &impl ConnectionTrait,
    clock: &Clock,
    reader: Reader,
    query: &FeedQuery,
    wait: std::time::Duration,
) -> Result<FeedPage, ApiError> {
    let deadline = Instant::now() + wait;
    let mut after = query.after;
    loop {
        let page = read_once(db, reader, query, after).await?;
        if !page.items.is_empty() || Instant::now() >= deadline {
            return Ok(page);
        }
        // Everything up to `next_after` is known not to match: wait past it.
        after = page.next_after;
        if !clock.wait_past(after, deadline).await {
            return Ok(FeedPage {
                next_after: after,
                ..page
            });
        }
    }
}

async fn read_once(
    db: &impl ConnectionTrait,
    reader: Reader,
    query: &FeedQuery,
    after: i64,
) -> Result<FeedPage, ApiError> {
    use entity::audit_events::Column;
    let counter = revision::read(db).await?;
    if query.after < counter.retained_after {
        return Err(ApiError::Gone {
            after: query.after,
            retained_after: counter.retained_after,
        });
    }
    // No cursor this feed issued can be ahead of the counter (every server reads the same
    // one); waiting on such a cursor would hide every change up to it for good.
    if query.after > counter.revision {
        return Err(ApiError::invalid(
            "after",
            format!(
                "revision {} has not happened yet; the newest is {}",
                query.after, counter.revision
            ),
        ));
    }
    // Read up to the counter as it was: every revision up to it has committed, so the page
    // is complete up to there even when it holds nothing.
    let visible = match reader {
        Reader::Caller(subject) => audit::visible_events(db, subject, query.scope).await?,
        Reader::CommandLine => entity::audit_events::Entity::find(),
    };
    let mut select = visible
        .filter(Column::Revision.gt(after))
        .filter(Column::Revision.lte(counter.revision));
    if let Some(kind) = &query.resource_type {
        select = select.filter(Column::ResourceType.eq(kind.as_str()));
    }
    let items = select
        .order_by_asc(Column::Revision)
        .limit(query.limit)
        .all(db)
        .await?;
    let full = u64::try_from(items.len()).is_ok_and(|n| n >= query.limit);
    let next_after = match items.last() {
        Some(last) if full => last.revision,
        _ => counter.revision.max(after),
    };
    Ok(FeedPage {
        items,
        next_after,
        revision: counter.revision,
    })
}
