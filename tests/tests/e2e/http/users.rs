//! The users routes that the foundation ships: create (with its audit event) and read.

use serde_json::json;
use tests::app::{expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

async fn creating_a_user_writes_one_audit_event(db: &TestDb) {
    let app = spawn_app(db).await;
    let response = app
        .post(
            &app.admin,
            "/v1/users",
            &json!({ "email": "  Ada@Example.ORG ", "display_name": " Ada Lovelace " }),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let user = expect_status(response, 201).await;
    assert_eq!(user["email"], "ada@example.org");
    assert_eq!(user["display_name"], "Ada Lovelace");
    assert_eq!(
        location,
        format!("/v1/users/{}", user["id"].as_str().unwrap())
    );

    let events = app.audit_events("user.create").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(app.admin.id));
    assert_eq!(
        events[0].resource_id.map(|id| id.to_string()).as_deref(),
        user["id"].as_str()
    );
    assert_eq!(events[0].details["before"], serde_json::Value::Null);
    assert_eq!(events[0].details["after"]["email"], "ada@example.org");

    let read = app.get_ok(&app.admin, &location).await;
    assert_eq!(read, user);
}

async fn emails_are_unique_ignoring_case(db: &TestDb) {
    let app = spawn_app(db).await;
    app.create_user("grace@example.org").await;
    let response = app
        .post(
            &app.admin,
            "/v1/users",
            &json!({ "email": "GRACE@example.org", "display_name": "Grace" }),
        )
        .await;
    expect_problem(response, 409, "email_taken").await;
}

async fn only_admins_create_users_and_strangers_are_invisible(db: &TestDb) {
    let app = spawn_app(db).await;
    let alice = app.create_user("alice@example.org").await;
    let bob = app.create_user("bob@example.org").await;
    let response = app
        .post(
            &alice,
            "/v1/users",
            &json!({ "email": "eve@example.org", "display_name": "Eve" }),
        )
        .await;
    expect_problem(response, 403, "forbidden").await;
    // Alice and Bob share nothing: each sees only themselves.
    app.get_ok(&alice, &format!("/v1/users/{}", alice.id)).await;
    app.get_refused(&alice, &format!("/v1/users/{}", bob.id), 404, "not_found")
        .await;
    app.get_refused(
        &alice,
        &format!("/v1/users/{}", uuid::Uuid::now_v7()),
        404,
        "not_found",
    )
    .await;
}

/// The write path under load: many concurrent creations all land (SQLite's IMMEDIATE
/// transactions and PostgreSQL's retries), each with its own audit event.
async fn concurrent_writes_all_land(db: &TestDb) {
    let app = spawn_app(db).await;
    let create = async |i: usize| {
        let body =
            json!({ "email": format!("user{i}@example.org"), "display_name": format!("User {i}") });
        app.post(&app.admin, "/v1/users", &body).await
    };
    for response in futures_util::future::join_all((0..24).map(create)).await {
        expect_status(response, 201).await;
    }
    let events = app.audit_events("user.create").await;
    assert_eq!(events.len(), 24);
}

both_backends!(
    creating_a_user_writes_one_audit_event,
    emails_are_unique_ignoring_case,
    only_admins_create_users_and_strangers_are_invisible,
    concurrent_writes_all_land
);
