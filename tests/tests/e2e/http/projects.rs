//! Projects over HTTP: who may create, read, rename and delete them, the group_admin bridge,
//! and which of a group's projects each caller sees.

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use serde_json::{Value, json};
use tests::api::id_of;
use tests::app::{TestUser, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

async fn creating_and_reading_projects(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let class = app.create_group(&app.admin, "Class 7B", Some(school)).await;
    let teacher = app.create_user("teacher@example.org").await;
    let student = app.create_user("student@example.org").await;
    let stranger = app.create_user("stranger@example.org").await;
    app.grant_group(school, &teacher, GroupRole::Teacher).await;
    app.grant_group(class, &student, GroupRole::Student).await;

    // A teacher (inherited from the school) creates a project in the class and becomes admin.
    let response = app
        .post(
            &teacher,
            &format!("/v1/groups/{class}/projects"),
            &json!({ "name": "Science Fair" }),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let project = expect_status(response, 201).await;
    assert_eq!(project["slug"], "science-fair");
    assert_eq!(project["group_id"], class.to_string());
    assert_eq!(project["my_role"], "admin");
    assert_eq!(
        location,
        format!("/v1/projects/{}", project["id"].as_str().unwrap())
    );
    let project_id = id_of(&project);
    let member = app
        .get_ok(
            &teacher,
            &format!("/v1/projects/{project_id}/members/{}", teacher.id),
        )
        .await;
    assert_eq!(member["role"], "admin");
    assert_eq!(member["tier"], 0);
    assert_eq!(member["reports_to"], Value::Null);
    let events = app.audit_events("project.create").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(teacher.id));
    assert_eq!(events[0].project_id, Some(project_id));

    // A student may not create projects; a stranger cannot see the group.
    app.refused(
        &student,
        Method::POST,
        &format!("/v1/groups/{class}/projects"),
        Some(&json!({ "name": "Mine" })),
        403,
        "forbidden",
    )
    .await;
    app.refused(
        &stranger,
        Method::POST,
        &format!("/v1/groups/{class}/projects"),
        Some(&json!({ "name": "Mine" })),
        404,
        "not_found",
    )
    .await;
    // Bad input and slug clashes.
    let problem = app
        .refused(
            &teacher,
            Method::POST,
            &format!("/v1/groups/{class}/projects"),
            Some(&json!({ "name": "" })),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "name");
    let problem = app
        .refused(
            &teacher,
            Method::POST,
            &format!("/v1/groups/{class}/projects"),
            Some(&json!({ "name": "X", "group_id": school })),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "group_id");
    app.refused(
        &teacher,
        Method::POST,
        &format!("/v1/groups/{class}/projects"),
        Some(&json!({ "name": "Science fair" })),
        409,
        "conflict",
    )
    .await;
    app.refused(
        &teacher,
        Method::POST,
        &format!("/v1/groups/{}/projects", Uuid::now_v7()),
        Some(&json!({ "name": "X" })),
        404,
        "not_found",
    )
    .await;

    // The student is no project member: the project is invisible to them.
    app.get_refused(
        &student,
        &format!("/v1/projects/{project_id}"),
        404,
        "not_found",
    )
    .await;
    app.grant_project(project_id, &student, ProjectRole::Member)
        .await;
    let seen = app
        .get_ok(&student, &format!("/v1/projects/{project_id}"))
        .await;
    assert_eq!(seen["my_role"], "member");

    // Rename: project.manage_settings (admin, pm), not a member. No-op writes nothing.
    app.refused(
        &student,
        Method::PATCH,
        &format!("/v1/projects/{project_id}"),
        Some(&json!({ "name": "Ours" })),
        403,
        "forbidden",
    )
    .await;
    let renamed = app
        .expect(
            &teacher,
            Method::PATCH,
            &format!("/v1/projects/{project_id}"),
            Some(&json!({ "name": "Science Fair 2026" })),
            &[200],
        )
        .await;
    assert_eq!(renamed["name"], "Science Fair 2026");
    assert_eq!(renamed["slug"], "science-fair");
    app.expect(
        &teacher,
        Method::PATCH,
        &format!("/v1/projects/{project_id}"),
        Some(&json!({ "name": "Science Fair 2026" })),
        &[200],
    )
    .await;
    let updates = app.audit_events("project.update").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].details["before"]["name"], "Science Fair");
    assert_eq!(updates[0].details["after"]["name"], "Science Fair 2026");

    // Delete: project.delete (admin only).
    let pm = app.create_user("pm@example.org").await;
    app.grant_project(project_id, &pm, ProjectRole::Pm).await;
    app.refused(
        &pm,
        Method::DELETE,
        &format!("/v1/projects/{project_id}"),
        None,
        403,
        "forbidden",
    )
    .await;
    app.expect(
        &teacher,
        Method::DELETE,
        &format!("/v1/projects/{project_id}"),
        None,
        &[204],
    )
    .await;
    app.get_refused(
        &teacher,
        &format!("/v1/projects/{project_id}"),
        404,
        "not_found",
    )
    .await;
}

async fn group_admins_act_as_project_admins(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let dept = app.create_group(&app.admin, "Science", Some(school)).await;
    let class = app.create_group(&app.admin, "Class 7B", Some(dept)).await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(dept, &head, GroupRole::GroupAdmin).await;
    let project = app.create_project(&app.admin, class, "Robots").await;

    // Inherited group_admin of the owning group: admin of the project without a membership.
    let seen = app.get_ok(&head, &format!("/v1/projects/{project}")).await;
    assert_eq!(seen["my_role"], "admin");
    let worker = app.create_user("worker@example.org").await;
    let assigned = app
        .expect(
            &head,
            Method::PUT,
            &format!("/v1/projects/{project}/members/{}", worker.id),
            Some(&json!({ "role": "admin" })),
            &[201],
        )
        .await;
    assert_eq!(assigned["role"], "admin");
    app.expect(
        &head,
        Method::PATCH,
        &format!("/v1/projects/{project}"),
        Some(&json!({ "slug": "robots-2" })),
        &[200],
    )
    .await;
    // A group_admin of an unrelated branch is nobody here.
    let other = app.create_group(&app.admin, "Arts", Some(school)).await;
    let arts_head = app.create_user("arts@example.org").await;
    app.grant_group(other, &arts_head, GroupRole::GroupAdmin)
        .await;
    app.get_refused(
        &arts_head,
        &format!("/v1/projects/{project}"),
        404,
        "not_found",
    )
    .await;
    app.expect(
        &head,
        Method::DELETE,
        &format!("/v1/projects/{project}"),
        None,
        &[204],
    )
    .await;
}

async fn a_groups_projects_show_only_visible_ones(db: &TestDb) {
    let app = spawn_app(db).await;
    let class = app.create_group(&app.admin, "Class", None).await;
    let alice = app.create_user("alice@example.org").await;
    let bob = app.create_user("bob@example.org").await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(class, &alice, GroupRole::Teacher).await;
    app.grant_group(class, &bob, GroupRole::Teacher).await;
    app.grant_group(class, &head, GroupRole::GroupAdmin).await;
    let mut alices = Vec::new();
    for name in ["A1", "A2", "A3"] {
        let body = app
            .expect(
                &alice,
                Method::POST,
                &format!("/v1/groups/{class}/projects"),
                Some(&json!({ "name": name })),
                &[201],
            )
            .await;
        alices.push(id_of(&body));
    }
    let bobs = id_of(
        &app.expect(
            &bob,
            Method::POST,
            &format!("/v1/groups/{class}/projects"),
            Some(&json!({ "name": "B1" })),
            &[201],
        )
        .await,
    );
    // One user, different roles in different projects (seed 004).
    app.grant_project(bobs, &alice, ProjectRole::Member).await;
    app.grant_project(alices[0], &bob, ProjectRole::Pm).await;

    let list = |user: &TestUser, limit: u32| {
        let path = format!("/v1/groups/{class}/projects?limit={limit}");
        let user = user.clone();
        let app = &app;
        async move {
            let mut seen = Vec::new();
            let mut path = path.clone();
            loop {
                let page = app.get_ok(&user, &path).await;
                for item in page["items"].as_array().unwrap() {
                    seen.push((id_of(item), item["my_role"].as_str().unwrap().to_owned()));
                }
                match page["next_cursor"].as_str() {
                    Some(cursor) => {
                        path = format!("/v1/groups/{class}/projects?limit={limit}&cursor={cursor}")
                    }
                    None => break,
                }
            }
            seen
        }
    };
    let alice_sees = list(&alice, 2).await;
    assert_eq!(alice_sees.len(), 4);
    assert!(alice_sees.contains(&(bobs, "member".to_owned())));
    assert!(alice_sees.contains(&(alices[1], "admin".to_owned())));
    let bob_sees = list(&bob, 1).await;
    assert_eq!(
        bob_sees,
        vec![(alices[0], "pm".to_owned()), (bobs, "admin".to_owned())]
    );
    let head_sees = list(&head, 50).await;
    assert_eq!(head_sees.len(), 4);
    assert!(head_sees.iter().all(|(_, role)| role == "admin"));
    // Every listed project is readable one by one; every unlisted one is not.
    for project in alices.iter().chain([&bobs]) {
        let status = app
            .call(
                Some(&bob),
                Method::GET,
                &format!("/v1/projects/{project}"),
                None,
            )
            .await
            .status()
            .as_u16();
        let listed = bob_sees.iter().any(|(id, _)| id == project);
        assert_eq!(status, if listed { 200 } else { 404 });
    }
}

both_backends!(
    creating_and_reading_projects,
    group_admins_act_as_project_admins,
    a_groups_projects_show_only_visible_ones
);
