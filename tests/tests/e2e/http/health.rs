//! `/healthz` and `/readyz`, including readiness when the database is gone.

use std::time::{Duration, Instant};

use reqwest::Method;
use tests::app::{expect_problem, expect_status, spawn_app_with, test_settings};
use tests::both_backends;
use tests::db::TestDb;

async fn health_and_readiness_answer(db: &TestDb) {
    let app = tests::app::spawn_app(db).await;
    let health = expect_status(app.call(None, Method::GET, "/healthz", None).await, 200).await;
    assert_eq!(health["status"], "ok");
    let ready = expect_status(app.call(None, Method::GET, "/readyz", None).await, 200).await;
    assert_eq!(ready["status"], "ok");
}

async fn readiness_fails_fast_without_a_database(db: &TestDb) {
    let mut settings = test_settings(db);
    settings.db_acquire_timeout = Duration::from_secs(1);
    let app = spawn_app_with(settings).await;
    // Closing the server's pool is what an unreachable database looks like from inside.
    app.db.clone().close().await.unwrap();
    let started = Instant::now();
    let response = app.call(None, Method::GET, "/readyz", None).await;
    expect_problem(response, 503, "service_unavailable").await;
    // Not a performance bound: it proves the probe does not hang on a dead database. The
    // margin is wide because a loaded 2-core machine (CI running mutants beside the suite) has
    // taken over 10 s to serve this request.
    assert!(started.elapsed() < Duration::from_secs(60));
    // Liveness does not depend on the database.
    expect_status(app.call(None, Method::GET, "/healthz", None).await, 200).await;
}

async fn metrics_count_routes_pool_and_decisions(db: &TestDb) {
    let app = tests::app::spawn_app(db).await;
    let group = app.create_group(&app.admin, "Metered", None).await;
    for _ in 0..3 {
        let path = format!("/v1/groups/{group}");
        app.get_ok(&app.admin, &path).await;
    }
    let response = app.call(None, Method::GET, "/metrics", None).await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    // Counted under the route template, not the raw path. (The registry is process-wide, so
    // other tests' requests are in it too.)
    let counted = text.lines().any(|l| {
        l.starts_with("roster_http_requests_total")
            && l.contains(r#"route="/v1/groups/{id}""#)
            && l.contains(r#"method="GET""#)
            && l.contains(r#"status="200""#)
    });
    assert!(counted, "no request counter for the template in:\n{text}");
    assert!(
        !text.contains(&group.to_string()),
        "ids must not become labels"
    );
    assert!(text.contains("roster_http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"roster_access_decisions_total{outcome="allowed",source="route"}"#));
    assert!(text.contains(r#"roster_db_pool_connections{state="idle"}"#));
    assert!(text.contains(r#"roster_db_pool_connections{state="in_use"}"#));
}

/// Labels come from bounded sets, whatever a client sends: invented methods are `other`, and
/// unknown paths never become labels (an unauthenticated client could otherwise grow the
/// registry, and the process, without bound).
async fn metrics_labels_stay_bounded(db: &TestDb) {
    let app = tests::app::spawn_app(db).await;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    for n in 0..20 {
        let invented = format!("M{n}X{tag}");
        let method = Method::from_bytes(invented.as_bytes()).expect("a token is a method");
        app.request(method.clone(), "/healthz")
            .send()
            .await
            .expect("sent");
        app.request(method, &format!("/v1/groups/{tag}{n}"))
            .send()
            .await
            .expect("sent");
        app.request(Method::GET, &format!("/nowhere/{tag}/{n}"))
            .send()
            .await
            .expect("sent");
    }
    let text = app
        .call(None, Method::GET, "/metrics", None)
        .await
        .text()
        .await
        .expect("the metrics are text");
    assert!(
        !text.contains(&tag),
        "a client-chosen method or path became a label:\n{}",
        text.lines()
            .filter(|l| l.contains(&tag))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        text.contains(r#"method="other""#),
        "invented methods count as other"
    );
}

both_backends!(
    health_and_readiness_answer,
    readiness_fails_fast_without_a_database,
    metrics_count_routes_pool_and_decisions,
    metrics_labels_stay_bounded
);
