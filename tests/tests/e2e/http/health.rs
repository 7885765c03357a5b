//! `/healthz` and `/readyz`, including readiness when the database is gone.

use std::time::{Duration, Instant};

use reqwest::Method;
use tests::app::{expect_problem, expect_status, spawn_app_with, test_settings};
use tests::both_backends;
use tests::db::TestDb;

async fn health_and_readiness_answer(db: &TestDb) {
    let app = tests::app::spawn_app(db).await;
    let health = expect_status(
        app.request(Method::GET, "/healthz").send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(health["status"], "ok");
    let ready = expect_status(
        app.request(Method::GET, "/readyz").send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(ready["status"], "ok");
}

async fn readiness_fails_fast_without_a_database(db: &TestDb) {
    let mut settings = test_settings(db);
    settings.db_acquire_timeout = Duration::from_secs(1);
    let app = spawn_app_with(settings).await;
    // Closing the server's pool is what an unreachable database looks like from inside.
    app.db.clone().close().await.unwrap();
    let started = Instant::now();
    let response = app.request(Method::GET, "/readyz").send().await.unwrap();
    expect_problem(response, 503, "service_unavailable").await;
    // Not a performance bound: it proves the probe does not hang on a dead database.
    assert!(started.elapsed() < Duration::from_secs(10));
    // Liveness does not depend on the database.
    expect_status(
        app.request(Method::GET, "/healthz").send().await.unwrap(),
        200,
    )
    .await;
}

both_backends!(
    health_and_readiness_answer,
    readiness_fails_fast_without_a_database
);
