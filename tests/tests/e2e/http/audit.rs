//! The audit routes: who may read which part of the trail, filters and pages.

use domain::{GroupRole, ProjectRole};
use serde_json::Value;
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

async fn events(app: &TestApp, user: &TestUser, path: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut next = path.to_owned();
    loop {
        let page = app.get_ok(user, &next).await;
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
    let school = app.create_group(&app.admin, "School", None).await;
    let class = app.create_group(&app.admin, "Class", Some(school)).await;
    let other = app.create_group(&app.admin, "Other", None).await;
    let head = app.create_user("head@example.org").await;
    let teacher = app.create_user("teacher@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    app.grant_group(class, &teacher, GroupRole::Teacher).await;
    app.grant_group(other, &teacher, GroupRole::Student).await;
    let project = app.create_project(&app.admin, class, "P").await;
    let pm = app.create_user("pm@example.org").await;
    let member = app.create_user("member@example.org").await;
    app.grant_project(project, &pm, ProjectRole::Pm).await;
    app.grant_project(project, &member, ProjectRole::Member)
        .await;

    // Everything: system admins only, oldest first, with the bootstrap event first.
    let all = events(&app, &app.admin, "/v1/audit?limit=3").await;
    assert_eq!(all[0]["action"], "system.bootstrap");
    assert_eq!(all[0]["actor_id"], Value::Null);
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    app.get_refused(&head, "/v1/audit", 403, "forbidden").await;

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
        app.get_refused(
            &app.admin,
            &format!("/v1/audit?{bad}"),
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
    app.get_refused(
        &teacher,
        &format!("/v1/groups/{class}/audit"),
        403,
        "forbidden",
    )
    .await;
    app.get_refused(&pm, &format!("/v1/groups/{class}/audit"), 404, "not_found")
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
    app.get_refused(
        &member,
        &format!("/v1/projects/{project}/audit"),
        403,
        "forbidden",
    )
    .await;
}

both_backends!(the_trail_by_scope);
