//! Opening the database: pool options for both backends, SQLite's file and journal, migrations.

use std::time::Duration;

use anyhow::Context;
use migration::MigratorTrait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

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
        });
    let db = Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact(&url)))?;
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migration::Migrator::up(db, None)
        .await
        .context("cannot apply the database migrations")
}

/// Answers whether the database responds, within the pool's acquire timeout.
pub async fn ping(db: &DatabaseConnection, timeout: Duration) -> bool {
    let probe = db.execute_unprepared("SELECT 1");
    matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok(_)))
}

pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
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
