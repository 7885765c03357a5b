//! How memory learns of changes other servers commit: the revision clock moves (from this
//! server's polling of the counter, and on PostgreSQL from notifications that carry revisions
//! as they commit), and memory catches up from the change feed.
//!
//! Notifications come from a trigger on the `revisions` counter (migration m0017), so a write
//! pays no extra round trip for them. A server whose notification connection is lost marks
//! itself not following — `minimize_latency` then answers as `fully_consistent` — and, once it
//! listens again, catches up from the feed before it follows again: a change committed while it
//! was deaf is read from the history, never missed.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::DbBackend;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::Decisions;
use crate::settings::Settings;

/// The channel the revisions trigger notifies (payload: the revision, in decimal).
pub const CHANNEL: &str = "roster_revisions";

/// Follows changes for as long as the server runs (the caller drops it when the server stops).
pub async fn follow(decisions: Decisions, settings: Settings) {
    if !decisions.enabled() {
        return std::future::pending().await;
    }
    let catch_up = catch_up_with_clock(decisions.clone());
    if decisions.db().get_database_backend() == DbBackend::Postgres {
        let listen = listen(decisions, settings.database_url(), settings.notify_retry);
        tokio::join!(catch_up, listen);
    } else {
        // SQLite has no notifications: the clock's polling of the counter is how this server
        // learns of other processes' commits.
        catch_up.await;
    }
}

/// Catches memory up whenever the clock learns of a newer revision.
async fn catch_up_with_clock(decisions: Decisions) {
    let mut newer = decisions.clock().subscribe();
    loop {
        let known = *newer.borrow_and_update();
        if known > decisions.applied()
            && let Err(error) = decisions.catch_up(known).await
        {
            tracing::warn!(%error, "cannot read the change feed; retrying at the next revision");
        }
        if newer.changed().await.is_err() {
            return;
        }
    }
}

/// Listens for revisions on PostgreSQL, reconnecting after `retry` when the connection is lost.
async fn listen(decisions: Decisions, url: String, retry: Duration) {
    loop {
        match listen_once(&decisions, &url).await {
            Ok(()) => tracing::warn!("the notification connection closed"),
            Err(error) => tracing::warn!(%error, "the notification connection failed"),
        }
        decisions.set_following(false);
        tokio::time::sleep(retry).await;
    }
}

/// One notification connection, for as long as it lasts.
async fn listen_once(decisions: &Decisions, url: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url)?.application_name(&decisions.listener_name());
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    // Listening from here on: whatever committed before is read from the feed, so nothing
    // falls between the two.
    let current = crate::services::changes::revision::read(decisions.db()).await?;
    decisions.catch_up(current.revision).await?;
    decisions.set_following(true);
    tracing::info!("following revisions by notification");
    // `try_recv` answers `None` when the connection is lost (`recv` would reconnect silently,
    // losing what was sent meanwhile).
    while let Some(notification) = listener.try_recv().await? {
        match notification.payload().parse::<i64>() {
            Ok(revision) => decisions.clock().observe(revision),
            Err(_) => tracing::warn!(
                payload = notification.payload(),
                "a notification without a revision"
            ),
        }
    }
    Ok(())
}
