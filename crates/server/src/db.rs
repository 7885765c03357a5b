//! Opening the database: pool options for both backends, SQLite's file and journal, migrations.

use std::time::Duration;

use anyhow::Context;
use migration::MigratorTrait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionOptions, TransactionTrait,
};

use crate::settings::{Settings, sqlite_file};

/// How long an SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection idle for this long is pinged before use (it may have been dropped by
/// the server, a proxy or a firewall). Busier connections are used as they are: pinging on
/// every checkout (sqlx's default) doubled the round trips of a one-statement request.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

/// Opens the pool described by the settings, creating an SQLite file's folder first.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    if let Some(file) = sqlite_file(&url)
        && let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the database folder {}", folder.display()))?;
    }
    let mut options = ConnectOptions::new(url.clone());
    options
        // SeaORM opens a single SQLite connection unless told otherwise; readers must not queue
        // behind a writer's transaction.
        .max_connections(settings.db_pool_size.max(2))
        .min_connections(1)
        .acquire_timeout(settings.db_acquire_timeout)
        .connect_timeout(settings.db_acquire_timeout)
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                // Checkpoints are the server's checkpointer's (`keep_checkpointing`), not the
                // committing writer's: see there.
                .pragma("wal_autocheckpoint", "0")
        });
    // Opening an SQLite file runs `PRAGMA journal_mode = WAL`, which another process starting
    // on the same new file at the same moment can hold up with SQLITE_BUSY (no busy handler
    // applies to it): the overlap of a restart. Such a refusal is tried again for a while.
    let mut attempt = 1;
    let db = loop {
        match Database::connect(options.clone()).await {
            Err(error) if crate::error::is_retryable(&error) && attempt < CONNECT_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(50) * attempt).await;
                attempt += 1;
            }
            connected => {
                break connected.with_context(|| {
                    format!("cannot connect to the database at {}", redact(&url))
                })?;
            }
        }
    };
    Ok(db)
}

/// How often opening a database is tried while another process holds it up (about 5 s).
const CONNECT_ATTEMPTS: u32 = 14;

/// How often the server moves SQLite's write-ahead log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Checkpoints an SQLite database's write-ahead log for ever (the caller drops it when the
/// server stops); does nothing on PostgreSQL.
///
/// SQLite's automatic checkpoint runs inside the commit of whichever writer pushes the log past
/// 1 000 pages: it copies the log's pages into the file and syncs it to disk while that
/// writer's request — and, since writers take turns, every writer queued behind it — waits. Done
/// here instead, `PASSIVE` (it waits for no reader or writer), on a connection of its own
/// between writes, it costs the write path nothing. Connections of the command line check
/// no point either; SQLite checkpoints when the last connection to a file closes.
pub async fn keep_checkpointing(db: DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return std::future::pending().await;
    }
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            tracing::warn!(%error, "cannot checkpoint the SQLite write-ahead log");
        }
    }
}

/// How long an instance keeps retrying when SQLite stays busy past its busy timeout, which
/// happens only while another instance is migrating a large database.
const MIGRATION_BUSY_PATIENCE: Duration = Duration::from_secs(120);

/// Applies every pending migration, one instance at a time: several servers started at once on
/// an empty database must not all create the same tables.
///
/// The SeaORM migrator reads `seaql_migrations`, then applies each pending migration in a
/// transaction it begins on the executor it is given. Given the pool, each of those could run on
/// another connection, outside any lock this function held on its own. So the whole run goes
/// through ONE transaction, which is one connection; the migrator's own transactions become
/// savepoints in it, and the lock is held by that transaction:
///
/// - PostgreSQL: `pg_advisory_xact_lock` first. Another instance waits on it and, once the
///   first commits, finds every migration applied (READ COMMITTED reads each statement's
///   snapshot, after the lock). DDL is transactional there, and the lock goes with the
///   transaction, also if the process dies.
/// - SQLite: `BEGIN EXCLUSIVE`, which excludes every other writer of the file (in WAL mode,
///   readers go on). A second instance's `BEGIN` waits for it in the busy handler, and DDL is
///   transactional in SQLite too. A file lock beside the database would also serialise, but
///   would need cleaning up and is not seen by other tools; the database's own lock is.
///
/// A run is all or nothing: a failing migration rolls back every migration of that start.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut attempt: u32 = 0;
    loop {
        match migrate_once(db).await {
            // Only SQLite's busy errors reach here in practice: the PostgreSQL lock waits.
            Err(error)
                if crate::error::is_retryable(&error)
                    && started.elapsed() < MIGRATION_BUSY_PATIENCE =>
            {
                attempt = attempt.saturating_add(1);
                tracing::info!(
                    attempt,
                    "another instance is migrating the database; waiting"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            result => return result.context("cannot apply the database migrations"),
        }
    }
}

async fn migrate_once(db: &DatabaseConnection) -> Result<(), DbErr> {
    let tx = db
        .begin_with_options(TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Exclusive),
        })
        .await?;
    if tx.get_database_backend() == DbBackend::Postgres {
        let lock = crate::sql::locks::advisory(crate::sql::locks::MIGRATIONS_KEY);
        tx.query_all_raw(lock).await?;
    }
    // On error the transaction is dropped, which rolls it back and releases the lock.
    migration::Migrator::up(&tx, None).await?;
    tx.commit().await
}

/// Answers whether the database responds, within the pool's acquire timeout.
pub async fn ping(db: &DatabaseConnection, timeout: Duration) -> bool {
    let probe = db.execute_unprepared("SELECT 1");
    matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok(_)))
}

/// A URL fit for logs: the password, if any, replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://./x.db"), "sqlite://./x.db");
    }
}
