//! `GET /v1/projects/{id}/reporting-lines.svg`: the reporting tree drawn as an SVG — whom it
//! shows, that it decides exactly as the JSON tree does, and that names cannot inject markup.

use domain::ProjectRole;
use reqwest::Method;
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

/// A project in a fresh root group, created by the system admin (its first admin).
async fn project(app: &TestApp) -> Uuid {
    let group = app.create_group(&app.admin, "Org", None).await;
    app.create_project(&app.admin, group, "Apollo").await
}

async fn person(app: &TestApp, email: &str, name: &str) -> TestUser {
    app.create_user_as(&app.admin, email, name).await
}

/// The picture as `actor` gets it: status, content type and body.
async fn svg(app: &TestApp, actor: Option<&TestUser>, project: &str) -> (u16, String, String) {
    let path = format!("/v1/projects/{project}/reporting-lines.svg");
    let response = app.call(actor, Method::GET, &path, None).await;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

async fn members_see_everyone_in_the_picture(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let pm = person(&app, "grace@example.org", "Grace Hopper").await;
    let member = person(&app, "alan@example.org", "Alan Turing").await;
    app.put_project_member(&app.admin, project, pm.id, ProjectRole::Pm)
        .await;
    app.put_project_member(&app.admin, project, member.id, ProjectRole::Member)
        .await;
    let admin_name = app.get_ok(&app.admin, "/v1/me").await["user"]["display_name"]
        .as_str()
        .unwrap()
        .to_owned();
    for viewer in [&app.admin, &pm, &member] {
        let (status, content_type, body) = svg(&app, Some(viewer), &project.to_string()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(content_type, "image/svg+xml");
        assert!(body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
        for name in [admin_name.as_str(), "Grace Hopper", "Alan Turing"] {
            assert!(body.contains(name), "{name} is not in {body}");
        }
        // One box per member, one line per report (admin → pm → member).
        assert_eq!(body.matches("<rect ").count(), 3, "{body}");
        assert_eq!(body.matches("<path ").count(), 2, "{body}");
        assert!(body.contains("Alan Turing (member) reports to Grace Hopper."));
    }
    // The picture can run nothing on its own either.
    let path = format!("/v1/projects/{project}/reporting-lines.svg");
    let response = app.call(Some(&app.admin), Method::GET, &path, None).await;
    let headers = response.headers();
    assert_eq!(headers["content-security-policy"], "default-src 'none'");
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

/// Whoever asks, and whatever the id, the picture is refused exactly as the JSON tree is.
async fn refusals_are_the_json_trees(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let outsider = person(&app, "olive@example.org", "Olive Outside").await;
    let cases: [(Option<&TestUser>, String); 5] = [
        (Some(&outsider), project.to_string()),
        (Some(&app.admin), Uuid::now_v7().to_string()),
        (Some(&outsider), Uuid::now_v7().to_string()),
        (Some(&app.admin), "not-a-uuid".to_owned()),
        (None, project.to_string()),
    ];
    for (actor, id) in cases {
        let json = app
            .send(
                actor,
                Method::GET,
                &format!("/v1/projects/{id}/reporting-lines"),
                None,
            )
            .await;
        let (status, content_type, body) = svg(&app, actor, &id).await;
        assert!(json.0 >= 400, "{id}: the JSON tree answered {}", json.0);
        assert_eq!(status, json.0, "{id}: {body}");
        assert_eq!(content_type, "application/problem+json", "{id}");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["code"], json.1["code"], "{id}: {problem}");
        assert_eq!(problem["errors"], json.1["errors"], "{id}: {problem}");
    }
    // The outsider cannot tell the project exists.
    let (status, _, _) = svg(&app, Some(&outsider), &project.to_string()).await;
    assert_eq!(status, 404);
}

async fn names_cannot_inject_markup(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let evil = "<script>alert('x')</script> & \"Bobby\"";
    let user = person(&app, "bobby@example.org", evil).await;
    app.put_project_member(&app.admin, project, user.id, ProjectRole::Member)
        .await;
    let (status, _, body) = svg(&app, Some(&app.admin), &project.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("<script"), "{body}");
    assert!(
        body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Bobby&quot;"),
        "{body}"
    );
}

both_backends!(
    members_see_everyone_in_the_picture,
    refusals_are_the_json_trees,
    names_cannot_inject_markup,
);
