//! Fresh test databases on SQLite and PostgreSQL, and a way to run one test body on each.
//!
//! Every test gets its own database: a file in a fresh temporary directory on SQLite, a database
//! named `roster_test_<unix secs>_<uuid>` on PostgreSQL, created from the admin URL in
//! `ROSTER_TEST_POSTGRES_URL` and dropped afterwards — even when the test panics (see
//! [`with_db`]). The creation time in the name lets a later run drop what a killed run left
//! behind without touching the databases of tests running right now in other processes.
//!
//! Write a database test once, as `async fn name(db: &TestDb)`, and let [`both_backends!`]
//! turn it into a `name::sqlite` and a `name::postgres` test. Without
//! `ROSTER_TEST_POSTGRES_URL` the PostgreSQL variant prints
//! `skipped: ROSTER_TEST_POSTGRES_URL not set` and passes, so `cargo test --workspace` works on
//! a machine without PostgreSQL; CI sets the variable.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::FutureExt;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::sync::OnceCell;

/// The environment variable holding a PostgreSQL admin URL (one that may create databases).
pub const POSTGRES_URL_VAR: &str = "ROSTER_TEST_POSTGRES_URL";

/// Every test database on PostgreSQL is named with this prefix.
const NAME_PREFIX: &str = "roster_test_";

/// Leftover test databases older than this are dropped; younger ones may belong to a live run.
const SWEEP_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// A database backend Roster supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Both backends, SQLite first.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// `"sqlite"` or `"postgres"`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Whether tests can run on this backend here: SQLite always, PostgreSQL when
    /// `ROSTER_TEST_POSTGRES_URL` is set.
    pub fn available(self) -> bool {
        match self {
            Backend::Sqlite => true,
            Backend::Postgres => postgres_admin_url().is_some(),
        }
    }
}

/// The PostgreSQL admin URL from `ROSTER_TEST_POSTGRES_URL`, if set and not blank.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// What a test database holds when the body starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// Nothing: not even the migrations table.
    Empty,
    /// Every migration applied.
    Migrated,
}

/// One test's own database.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    /// The URL to connect to it (also what the server's settings take).
    pub url: String,
    place: Place,
}

/// Where the database lives, to remove it afterwards.
#[derive(Debug)]
enum Place {
    /// The temporary directory holding the database file; removed when dropped.
    Sqlite(tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// Creates a fresh, empty (not migrated) database.
    ///
    /// SQLite: `roster.db` in a new temporary directory, with `?mode=rwc` so that the first
    /// connection creates the file. PostgreSQL: a new database from `ROSTER_TEST_POSTGRES_URL`
    /// (an error if the variable is unset); the first call in a process first sweeps away test
    /// databases older than two hours.
    pub async fn create(backend: Backend) -> anyhow::Result<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("roster-test-")
                    .tempdir()
                    .context("creating a temporary directory for SQLite")?;
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("roster.db").display()
                );
                Ok(TestDb {
                    backend,
                    url,
                    place: Place::Sqlite(dir),
                })
            }
            Backend::Postgres => {
                let Some(admin_url) = postgres_admin_url() else {
                    bail!("{POSTGRES_URL_VAR} is not set: it must be a PostgreSQL admin URL");
                };
                SWEPT
                    .get_or_init(|| sweep_leftovers(admin_url.clone()))
                    .await;
                let name = new_database_name(SystemTime::now());
                let admin = admin_connection(&admin_url).await?;
                let created = admin
                    .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
                    .await
                    .with_context(|| format!("creating database {name}"));
                admin.close().await.ok();
                created?;
                Ok(TestDb {
                    backend,
                    url: database_url(&admin_url, &name),
                    place: Place::Postgres { admin_url, name },
                })
            }
        }
    }

    /// Creates a fresh database and applies every migration.
    pub async fn migrated(backend: Backend) -> anyhow::Result<TestDb> {
        let db = TestDb::create(backend).await?;
        let conn = db.try_connect().await?;
        let migrated = Migrator::up(&conn, None)
            .await
            .context("applying migrations");
        conn.close().await.ok();
        if let Err(err) = migrated {
            db.drop_database().await;
            return Err(err);
        }
        Ok(db)
    }

    /// A new connection pool to this database. Panics if it cannot connect: a test cannot go on.
    pub async fn connect(&self) -> DatabaseConnection {
        self.try_connect().await.unwrap_or_else(|err| {
            panic!(
                "connecting to the {} test database: {err:#}",
                self.backend.name()
            )
        })
    }

    /// A new connection pool to this database.
    ///
    /// A few connections on both backends (SeaORM would give SQLite only one, and a query outside
    /// an open transaction would then wait for it); on SQLite, WAL, a busy timeout, and
    /// `PRAGMA foreign_keys` on for every connection (sqlx's default, asked for explicitly because
    /// every cascade and composite key of the schema depends on it).
    pub async fn try_connect(&self) -> anyhow::Result<DatabaseConnection> {
        self.try_connect_with(|_| {}).await
    }

    /// Like [`TestDb::connect`], with the options adjusted by `configure` first (e.g.
    /// `max_connections(1)` to behave like the migration CLI).
    pub async fn connect_with(
        &self,
        configure: impl FnOnce(&mut ConnectOptions),
    ) -> DatabaseConnection {
        self.try_connect_with(configure)
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "connecting to the {} test database: {err:#}",
                    self.backend.name()
                )
            })
    }

    async fn try_connect_with(
        &self,
        configure: impl FnOnce(&mut ConnectOptions),
    ) -> anyhow::Result<DatabaseConnection> {
        let mut options = ConnectOptions::new(self.url.clone());
        options
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if self.backend == Backend::Sqlite {
            options.map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            });
        }
        configure(&mut options);
        Database::connect(options)
            .await
            .with_context(|| format!("connecting to {}", self.url))
    }

    /// Removes the database: `DROP DATABASE … WITH (FORCE)` on PostgreSQL (closing what is still
    /// connected), the temporary directory on SQLite. Failures are reported, not raised: this
    /// runs during cleanup, and the sweep removes what is left.
    pub async fn drop_database(self) {
        match self.place {
            Place::Sqlite(dir) => {
                let path = dir.path().to_owned();
                if let Err(err) = dir.close() {
                    eprintln!("warning: removing test database {}: {err}", path.display());
                }
            }
            Place::Postgres { admin_url, name } => {
                if let Err(err) = drop_postgres_database(&admin_url, &name).await {
                    eprintln!("warning: dropping test database {name}: {err:#}");
                }
            }
        }
    }
}

/// Runs `body` against a fresh database on `backend`, then drops the database — also when the
/// body panics, whose panic is then resumed so that the test fails as it should.
///
/// On PostgreSQL without `ROSTER_TEST_POSTGRES_URL` it prints
/// `skipped: ROSTER_TEST_POSTGRES_URL not set` to stderr and returns without running `body`.
pub async fn with_db(backend: Backend, setup: Setup, body: impl AsyncFnOnce(&TestDb)) {
    if !backend.available() {
        eprintln!("skipped: {POSTGRES_URL_VAR} not set");
        return;
    }
    let created = match setup {
        Setup::Empty => TestDb::create(backend).await,
        Setup::Migrated => TestDb::migrated(backend).await,
    };
    let db = created
        .unwrap_or_else(|err| panic!("creating a {} test database: {err:#}", backend.name()));
    let outcome = AssertUnwindSafe(body(&db)).catch_unwind().await;
    db.drop_database().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Turns each `async fn name(db: &TestDb)` into a module `name` with two tests, `sqlite` and
/// `postgres`, each running it on a fresh, migrated database of that backend via [`with_db`].
/// Prefix the list with `empty:` for databases without the migrations applied.
///
/// ```ignore
/// async fn cascades_delete(db: &TestDb) { /* … */ }
/// async fn round_trip(db: &TestDb) { /* … */ }
/// tests::both_backends!(cascades_delete);
/// tests::both_backends!(empty: round_trip);
/// ```
#[macro_export]
macro_rules! both_backends {
    (@test $setup:ident, $name:ident) => {
        mod $name {
            $crate::both_backends!(@variant sqlite, Sqlite, $setup, $name);
            $crate::both_backends!(@variant postgres, Postgres, $setup, $name);
        }
    };
    (@variant $variant:ident, $backend:ident, $setup:ident, $name:ident) => {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $variant() {
            $crate::db::with_db(
                $crate::db::Backend::$backend,
                $crate::db::Setup::$setup,
                super::$name,
            )
            .await;
        }
    };
    (empty: $($name:ident),+ $(,)?) => {
        $( $crate::both_backends!(@test Empty, $name); )+
    };
    ($($name:ident),+ $(,)?) => {
        $( $crate::both_backends!(@test Migrated, $name); )+
    };
}

/// Set once the first PostgreSQL test database of this process has swept away old leftovers.
static SWEPT: OnceCell<()> = OnceCell::const_new();

/// `roster_test_<unix secs>_<uuid v7 in 32 hex digits>`: unique across threads and processes,
/// and readable by [`database_age`].
fn new_database_name(now: SystemTime) -> String {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default();
    format!("{NAME_PREFIX}{secs}_{}", uuid::Uuid::now_v7().simple())
}

/// How old a test database is by its name, or `None` if the name is not one of ours.
fn database_age(name: &str, now: SystemTime) -> Option<Duration> {
    let (secs, id) = name.strip_prefix(NAME_PREFIX)?.split_once('_')?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let created = UNIX_EPOCH.checked_add(Duration::from_secs(secs.parse().ok()?))?;
    Some(now.duration_since(created).unwrap_or_default())
}

/// Drops test databases left by runs that died before cleaning up (older than [`SWEEP_AGE`]).
/// Best effort: a failure is reported and the tests go on.
async fn sweep_leftovers(admin_url: String) {
    if let Err(err) = try_sweep(&admin_url).await {
        eprintln!("warning: sweeping old test databases: {err:#}");
    }
}

async fn try_sweep(admin_url: &str) -> anyhow::Result<()> {
    let admin = admin_connection(admin_url).await?;
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{NAME_PREFIX}%'"),
        ))
        .await?;
    admin.close().await.ok();
    let now = SystemTime::now();
    for row in rows {
        let name: String = row.try_get("", "datname")?;
        if database_age(&name, now).is_some_and(|age| age > SWEEP_AGE) {
            // Another process may be sweeping the same one: its failure is not ours to report.
            drop_postgres_database(admin_url, &name).await.ok();
        }
    }
    Ok(())
}

async fn drop_postgres_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = admin_connection(admin_url).await?;
    let dropped = admin
        .execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .await;
    admin.close().await.ok();
    dropped?;
    Ok(())
}

/// A single connection to the admin database, for CREATE/DROP DATABASE (which cannot run in a
/// transaction, so never through a pool that might wrap them).
async fn admin_connection(admin_url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(admin_url.to_owned());
    options
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {POSTGRES_URL_VAR}"))
}

/// The admin URL with its database replaced by `name` (user, host, port and parameters kept).
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn database_url_replaces_only_the_database() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            (
                "postgres://u:p@h/postgres?sslmode=disable",
                "postgres://u:p@h/x?sslmode=disable",
            ),
            ("postgres://u@h:5432", "postgres://u@h:5432/x"),
            ("postgres://u@h:5432/", "postgres://u@h:5432/x"),
        ];
        for (admin, expected) in cases {
            assert_eq!(database_url(admin, "x"), expected, "{admin}");
        }
    }

    #[test]
    fn only_our_old_databases_are_swept() {
        let now = SystemTime::now();
        let fresh = new_database_name(now);
        assert!(
            fresh.len() <= 63,
            "PostgreSQL truncates identifiers at 63 bytes: {fresh}"
        );
        // The name keeps whole seconds only.
        assert!(database_age(&fresh, now).is_some_and(|age| age < Duration::from_secs(1)));

        let three_hours_ago = now - Duration::from_secs(3 * 3600);
        let old = new_database_name(three_hours_ago);
        assert!(database_age(&old, now).is_some_and(|age| age > SWEEP_AGE));

        for foreign in [
            "roster",
            "roster_test_",
            "roster_test_abc_def",
            "roster_test_1_xyz",
        ] {
            assert_eq!(database_age(foreign, now), None, "{foreign}");
        }
    }
}
