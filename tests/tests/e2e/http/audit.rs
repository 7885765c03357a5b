//! The audit routes: who may read which part of the trail, filters and pages.

use reqwest::Method;
use serde_json::Value;
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

async fn events(app: &TestApp, user: &TestUser, path: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut next = path.to_owned();
    loop {
        let page = expect_status(
            app.as_user(user, Method::GET, &next).send().await.unwrap(),
            200,
        )
        .await;
        found.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                let sep = if path.contains('?') { '&' } else { '?' };
                next = format!("{path}{sep}cursor={cursor}");
            }
            None => return found,
        }
    }
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

async fn the_trail_by_scope(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group("School", None).await;
    let class = app.create_group("Class", Some(school)).await;
    let other = app.create_group("Other", None).await;
    let head = app.create_user("head@example.org").await;
    let teacher = app.create_user("teacher@example.org").await;
    app.set_group_role(school, &head, "group_admin").await;
    app.set_group_role(class, &teacher, "teacher").await;
    app.set_group_role(other, &teacher, "student").await;
    let project = app.create_project(class, "P").await;
    let pm = app.create_user("pm@example.org").await;
    let member = app.create_user("member@example.org").await;
    app.set_project_role(project, &pm, "pm").await;
    app.set_project_role(project, &member, "member").await;

    // Everything: system admins only, oldest first, with the bootstrap event first.
    let all = events(&app, &app.admin, "/v1/audit?limit=3").await;
    assert_eq!(all[0]["action"], "system.bootstrap");
    assert_eq!(all[0]["actor_id"], Value::Null);
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    expect_problem(
        app.as_user(&head, Method::GET, "/v1/audit")
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;

    // Filters.
    let by_type = events(&app, &app.admin, "/v1/audit?resource_type=project_member").await;
    assert_eq!(
        actions(&by_type),
        ["project_member.create", "project_member.create"]
    );
    let about_pm = by_type[0]["resource_id"].as_str().unwrap().to_owned();
    let one = events(
        &app,
        &app.admin,
        &format!("/v1/audit?resource_id={about_pm}"),
    )
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["details"]["after"]["role"], "pm");
    let by_actor = events(&app, &app.admin, &format!("/v1/audit?actor_id={}", head.id)).await;
    assert!(by_actor.is_empty());
    let later = events(&app, &app.admin, "/v1/audit?since=2999-01-01T00:00:00Z").await;
    assert!(later.is_empty());
    for bad in [
        "since=yesterday",
        "actor_id=me",
        "limit=501",
        "resource_type=",
    ] {
        expect_problem(
            app.as_user(&app.admin, Method::GET, &format!("/v1/audit?{bad}"))
                .send()
                .await
                .unwrap(),
            400,
            "validation_failed",
        )
        .await;
    }

    // A group's subtree: group.manage. The school's trail holds the class and the project.
    let school_trail = events(&app, &head, &format!("/v1/groups/{school}/audit")).await;
    let acts = actions(&school_trail);
    assert!(acts.contains(&"group.create"));
    assert!(acts.contains(&"project.create"));
    assert!(acts.contains(&"project_member.create"));
    assert!(
        school_trail
            .iter()
            .all(|e| e["resource_id"] != other.to_string())
    );
    expect_problem(
        app.as_user(&teacher, Method::GET, &format!("/v1/groups/{class}/audit"))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        app.as_user(&pm, Method::GET, &format!("/v1/groups/{class}/audit"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;

    // A project's trail: project.manage_settings (pm yes, member no).
    let project_trail = events(&app, &pm, &format!("/v1/projects/{project}/audit")).await;
    assert_eq!(
        actions(&project_trail),
        [
            "project.create",
            "project_member.create",
            "project_member.create"
        ]
    );
    expect_problem(
        app.as_user(
            &member,
            Method::GET,
            &format!("/v1/projects/{project}/audit"),
        )
        .send()
        .await
        .unwrap(),
        403,
        "forbidden",
    )
    .await;
}

both_backends!(the_trail_by_scope);
