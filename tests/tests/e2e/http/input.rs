//! Hostile text at the edges: control characters in bodies and queries, invisible and look-alike
//! Unicode in names and emails, `null` in a PATCH, and timestamps outside the stored range —
//! each answered the same on both databases (the review "Hardening").

use reqwest::Method;
use serde_json::{Value, json};

use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

/// The fields a `validation_failed` problem names, in order.
fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

/// Sends `method path` with `body` as `actor`; it must be a 400 naming exactly `field`.
async fn refused_naming(
    app: &TestApp,
    actor: &TestUser,
    method: Method,
    path: &str,
    body: Option<&Value>,
    field: &str,
) {
    let problem = app
        .refused(actor, method.clone(), path, body, 400, "validation_failed")
        .await;
    assert_eq!(
        fields(&problem),
        [field],
        "{method} {path} {body:?}: {problem}"
    );
}

async fn null_on_a_field_that_cannot_be_null_is_refused_in_every_patch(db: &TestDb) {
    let app = spawn_app(db).await;
    let root = app.create_group(&app.admin, "School", None).await;
    let child = app.create_group(&app.admin, "Class", Some(root)).await;
    let project = app.create_project(&app.admin, root, "Fair").await;
    let top = app
        .create_squad(&app.admin, project, "Robotics", None)
        .await;
    let sub = app
        .create_squad(&app.admin, project, "Sensors", Some(top))
        .await;
    let user = app.create_user("plain@example.org").await;
    for (path, field) in [
        (format!("/v1/groups/{child}"), "name"),
        (format!("/v1/groups/{child}"), "slug"),
        (format!("/v1/projects/{project}"), "name"),
        (format!("/v1/projects/{project}"), "slug"),
        (format!("/v1/squads/{sub}"), "name"),
        (format!("/v1/users/{}", user.id), "email"),
        (format!("/v1/users/{}", user.id), "display_name"),
    ] {
        let body = json!({ field: null });
        refused_naming(&app, &app.admin, Method::PATCH, &path, Some(&body), field).await;
    }
    assert_eq!(
        app.get_ok(&app.admin, &format!("/v1/groups/{child}")).await["name"],
        "Class"
    );
    assert_eq!(
        app.get_ok(&app.admin, &format!("/v1/squads/{sub}")).await["name"],
        "Sensors"
    );
    // `parent_id: null` still means something: a root group, a top-level squad.
    let moved = app
        .expect(
            &app.admin,
            Method::PATCH,
            &format!("/v1/groups/{child}"),
            Some(&json!({ "parent_id": null })),
            &[200],
        )
        .await;
    assert_eq!(moved["parent_id"], Value::Null);
    let lifted = app
        .expect(
            &app.admin,
            Method::PATCH,
            &format!("/v1/squads/{sub}"),
            Some(&json!({ "parent_id": null })),
            &[200],
        )
        .await;
    assert_eq!(lifted["parent_id"], Value::Null);
}

both_backends!(null_on_a_field_that_cannot_be_null_is_refused_in_every_patch,);
