//! Start-up: several instances starting at the same moment on one empty database all come up;
//! a running server checkpoints its SQLite log itself.

use std::time::Duration;

use reqwest::Method;
use roster_server::Application;
use roster_server::auth::count_system_admins;
use roster_server::services::bootstrap::{self, DEFAULT_ADMIN_EMAIL, DEFAULT_ROOT_GROUP};
use roster_server::startup::prepare_database;
use sea_orm::ConnectionTrait;
use tests::app::{expect_status, test_settings};
use tests::both_backends;
use tests::db::{Backend, TestDb};

/// What `roster serve` does before it serves: migrate, bootstrap the first admin, bind. Returns
/// the running server's address and the token of the admin if this instance created it.
async fn start_like_serve(
    settings: roster_server::Settings,
) -> anyhow::Result<(Application, Option<String>)> {
    let db = prepare_database(&settings).await?;
    let email = domain::Email::parse(DEFAULT_ADMIN_EMAIL)?;
    let group = domain::Name::parse(DEFAULT_ROOT_GROUP)?;
    let created = bootstrap::bootstrap(&db, &email, &group)
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap: {e}"))?;
    let app = Application::build_with_database(settings, db).await?;
    let token = match created {
        Some(created) => Some(
            app.state()
                .jwt
                .issue(created.user.id, Duration::from_secs(600))?,
        ),
        None => None,
    };
    Ok((app, token))
}

async fn instances_starting_together_on_an_empty_database_all_come_up(db: &TestDb) {
    // Two processes on one SQLite file is what a restart overlap looks like; three replicas of
    // a deployment is the PostgreSQL case.
    let instances = match db.backend {
        Backend::Sqlite => 2,
        Backend::Postgres => 3,
    };
    // All start before any has finished migrating: their database work interleaves as it would
    // in separate processes. (One task joining them, not spawned tasks: the bootstrap future is
    // not `Send` for every lifetime, which `tokio::spawn` would need.)
    let starts = (0..instances).map(|_| start_like_serve(test_settings(db)));
    let mut apps = Vec::new();
    let mut tokens = Vec::new();
    for (i, started) in futures_util::future::join_all(starts)
        .await
        .into_iter()
        .enumerate()
    {
        let (app, token) = started.unwrap_or_else(|e| panic!("instance {i} did not start: {e:#}"));
        tokens.extend(token);
        apps.push(app);
    }
    assert_eq!(tokens.len(), 1, "exactly one instance bootstraps the admin");
    assert_eq!(count_system_admins(&apps[0].state().db).await.unwrap(), 1);

    // Every instance serves, and each accepts the one admin's token.
    let client = reqwest::Client::new();
    let mut handles = Vec::new();
    let mut addresses = Vec::new();
    for app in apps {
        addresses.push(format!("http://127.0.0.1:{}", app.port()));
        handles.push(app.handle());
        tokio::spawn(app.run_until_stopped());
    }
    for address in &addresses {
        let response = client
            .request(Method::GET, format!("{address}/v1/me"))
            .bearer_auth(&tokens[0])
            .send()
            .await
            .unwrap();
        let me = expect_status(response, 200).await;
        assert_eq!(me["system_admin"], true, "{address}");
    }
    for handle in handles {
        handle.stop(false).await;
    }
}

both_backends!(empty: instances_starting_together_on_an_empty_database_all_come_up);

/// How far SQLite's log has been written and checkpointed, from the WAL index (`-shm`) as the
/// file format defines it: `mxFrame` at byte 16 of the header, `nBackfill` at byte 96, both
/// native-endian. Reading it takes no lock and checkpoints nothing, unlike the pragma.
fn wal_progress(database: &std::path::Path) -> (u32, u32) {
    let mut shm = database.as_os_str().to_owned();
    shm.push("-shm");
    let index = std::fs::read(&shm).expect("the WAL index exists while the server runs");
    let word = |at: usize| u32::from_ne_bytes(index[at..at + 4].try_into().expect("4 bytes"));
    (word(16), word(96))
}

/// A running server moves SQLite's log into the database file itself, between writes: no
/// writer's commit pays for a checkpoint (`db::keep_checkpointing`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_checkpoints_the_sqlite_log_between_writes() {
    tests::db::with_db(Backend::Sqlite, tests::db::Setup::Migrated, async |db| {
        let app = tests::app::spawn_app(db).await;
        let autocheckpoint = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA wal_autocheckpoint",
            ))
            .await
            .expect("pragma")
            .expect("a row");
        let pages: i64 = autocheckpoint.try_get_by_index(0).expect("a number");
        assert_eq!(pages, 0, "writers never checkpoint");
        for n in 0..20 {
            app.create_group(&app.admin, &format!("Group {n}"), None)
                .await;
        }
        let file = roster_server::settings::sqlite_file(&db.url).expect("a file");
        let mut progress = wal_progress(&file);
        for _ in 0..50 {
            if progress.0 > 0 && progress.0 == progress.1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            progress = wal_progress(&file);
        }
        let (written, checkpointed) = progress;
        assert!(written > 0, "the writes went to the log");
        assert_eq!(
            checkpointed, written,
            "every frame written was checkpointed"
        );
    })
    .await;
}
