//! Writers' turns on SQLite: the writers of this process queue here, in arrival order, before
//! they begin their transaction.
//!
//! SQLite admits one writer at a time. Without a queue, a writer that finds the file locked
//! waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15 … ms between tries: the lock is
//! often free while every waiter sleeps, and the longer each transaction, the longer they sleep.
//! Queued here, the next writer begins the moment the previous one ends. Writers of other
//! processes on the same file (the command line) still meet the busy handler, as before.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::OwnedMutexGuard;

/// A writer's turn: held until its transaction has ended (nothing on PostgreSQL, whose writers
/// wait on row and advisory locks instead).
#[derive(Debug)]
pub struct Turn {
    _held: Option<OwnedMutexGuard<()>>,
}

/// One queue per SQLite file this process writes to.
static QUEUES: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Default::default);

/// Waits for this writer's turn at `db`.
pub async fn take(db: &DatabaseConnection) -> Turn {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Turn { _held: None };
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let queue = QUEUES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(file)
        .or_default()
        .clone();
    Turn {
        _held: Some(queue.lock_owned().await),
    }
}
