//! The current revision for `fully_consistent` decisions, read once for every decision waiting
//! at that moment.
//!
//! A decision must reflect every change committed before it began, so it needs a revision read
//! that was *sent* after it began. Decisions join the open round; the round's first member
//! waits for the read in flight (if any) to finish, closes the round — later arrivals open the
//! next one — and only then sends its read. Every member joined before that read was sent, so
//! its answer serves them all. Reads are sent one at a time, so under any load the database
//! sees at most one tiny read per round trip from each server.

use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::OnceCell;

use crate::services::changes::revision;

#[derive(Default)]
struct Round {
    revision: OnceCell<i64>,
}

/// Coalesced reads of the revision counter.
pub struct CurrentRevision {
    db: DatabaseConnection,
    open: Mutex<Arc<Round>>,
    sending: tokio::sync::Mutex<()>,
}

impl CurrentRevision {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            open: Mutex::new(Arc::new(Round::default())),
            sending: tokio::sync::Mutex::new(()),
        }
    }

    /// A revision read that began after this call did: every change committed before the call
    /// has a revision at or below it.
    pub async fn read(&self) -> Result<i64, DbErr> {
        let round = self.open().clone();
        let revision = round
            .revision
            .get_or_try_init(|| async {
                let _turn = self.sending.lock().await;
                *self.open() = Arc::new(Round::default());
                crate::metrics::record_revision_read();
                revision::read(&self.db)
                    .await
                    .map(|counter| counter.revision)
            })
            .await?;
        Ok(*revision)
    }

    fn open(&self) -> std::sync::MutexGuard<'_, Arc<Round>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
