//! Every way a request can be wrong gets a specific problem+json answer, never a 500 — and the
//! one deliberate 500 (sabotage) carries nothing internal.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use tests::api::strs;
use tests::app::{expect_problem, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

async fn malformed_bodies_are_named(db: &TestDb) {
    let app = spawn_app(db).await;
    let post = |body: &'static str, content_type: &'static str| {
        app.as_user(&app.admin, Method::POST, "/v1/users")
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let body = expect_problem(
        post(r#"{"email": "#, "application/json").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    assert!(!body["detail"].as_str().unwrap().contains("line"), "{body}");

    let body = expect_problem(
        post(
            r#"{"email":"a@b.co","display_name":"A","system_admin":true}"#,
            "application/json",
        )
        .await
        .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "system_admin", "{body}");

    let body = expect_problem(
        post(r#"{"email":"a@b.co"}"#, "application/json")
            .await
            .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "display_name", "{body}");

    let body = expect_problem(
        post(
            r#"{"email":"a@b.co","display_name":42}"#,
            "application/json",
        )
        .await
        .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "display_name", "{body}");

    let body = expect_problem(
        post(
            r#"{"email":"not-an-email","display_name":"   "}"#,
            "application/json",
        )
        .await
        .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = strs(&body["errors"], "field");
    assert_eq!(fields, ["email", "display_name"], "{body}");

    expect_problem(
        post(r#"{"email":"a@b.co","display_name":"A"}"#, "text/plain")
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    let no_type = app
        .as_user(&app.admin, Method::POST, "/v1/users")
        .body(r#"{"email":"a@b.co","display_name":"A"}"#)
        .send()
        .await
        .unwrap();
    expect_problem(no_type, 415, "unsupported_media_type").await;
}

async fn oversized_bodies_are_refused(db: &TestDb) {
    let app = spawn_app(db).await;
    let huge = format!(
        r#"{{"email":"a@b.co","display_name":"{}"}}"#,
        "x".repeat(1024 * 1024 + 10)
    );
    let response = app
        .as_user(&app.admin, Method::POST, "/v1/users")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_problem(response, 413, "payload_too_large").await;
}

async fn unknown_routes_methods_and_ids(db: &TestDb) {
    let app = spawn_app(db).await;
    expect_problem(
        app.call(None, Method::GET, "/nowhere", None).await,
        404,
        "not_found",
    )
    .await;
    app.get_refused(&app.admin, "/v1/nowhere", 404, "not_found")
        .await;

    let response = app.call(None, Method::DELETE, "/healthz", None).await;
    // Every GET route serves HEAD too.
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    expect_problem(response, 405, "method_not_allowed").await;
    let response = app.delete(&app.admin, "/v1/me").await;
    expect_problem(response, 405, "method_not_allowed").await;

    let body = app
        .get_refused(&app.admin, "/v1/users/not-a-uuid", 400, "validation_failed")
        .await;
    assert_eq!(body["errors"][0]["field"], "id", "{body}");
}

/// Sabotage: break the schema under the running server, then make it write. The answer must be
/// a problem+json 500 that names no table, no SQL and no file.
async fn a_500_leaks_nothing(db: &TestDb) {
    let app = spawn_app(db).await;
    app.db
        .execute_unprepared("DROP TABLE audit_events")
        .await
        .unwrap();
    let response = app
        .post(
            &app.admin,
            "/v1/users",
            &serde_json::json!({ "email": "x@example.org", "display_name": "X" }),
        )
        .await;
    let body = expect_problem(response, 500, "internal").await;
    let text = body.to_string().to_lowercase();
    for leak in [
        "audit", "sql", "table", "insert", ".rs", "relation", "no such",
    ] {
        assert!(!text.contains(leak), "the 500 body leaks `{leak}`: {body}");
    }
    // The failed request wrote nothing: the user does not exist.
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM users WHERE email = 'x@example.org'",
        ))
        .await
        .unwrap();
    assert!(rows.is_empty());
}

both_backends!(
    malformed_bodies_are_named,
    oversized_bodies_are_refused,
    unknown_routes_methods_and_ids,
    a_500_leaks_nothing
);
