//! `/v1/roles`, `/v1/check` and `/v1/check/batch`: answers, `granted_by`, reasons, and
//! revocation that takes effect on the very next request.

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use serde_json::{Value, json};
use tests::api::strs;
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

async fn check(app: &TestApp, caller: &TestUser, body: Value) -> reqwest::Response {
    app.post(caller, "/v1/check", &body).await
}

async fn answer(app: &TestApp, caller: &TestUser, body: Value) -> Value {
    expect_status(check(app, caller, body).await, 200).await
}

async fn roles_come_from_the_domain_table(db: &TestDb) {
    let app = spawn_app(db).await;
    let user = app.create_user("any@example.org").await;
    let roles = app.get_ok(&user, "/v1/roles").await;
    let names: Vec<&str> = strs(&roles["group_roles"], "name");
    assert_eq!(names, ["system_admin", "group_admin", "teacher", "student"]);
    let tiers: Vec<u64> = roles["project_roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tier"].as_u64().unwrap())
        .collect();
    assert_eq!(tiers, [0, 1, 2, 3]);
    for role in GroupRole::ALL {
        let listed = roles["group_roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == role.as_str())
            .unwrap();
        let caps: Vec<&str> = listed["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let want: Vec<&str> = role.capabilities().map(|c| c.as_str()).collect();
        assert_eq!(caps, want);
    }
    assert_eq!(
        roles["capabilities"].as_array().unwrap().len(),
        domain::Capability::ALL.len()
    );
    expect_problem(
        app.call(None, Method::GET, "/v1/roles", None).await,
        401,
        "unauthenticated",
    )
    .await;
}

async fn granted_by_names_the_membership(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let science = app.create_group(&app.admin, "Science", Some(school)).await;
    let class = app
        .create_group(&app.admin, "Class 7B", Some(science))
        .await;
    let head = app.create_user("head@example.org").await;
    let student = app.create_user("student@example.org").await;
    app.grant_group(science, &head, GroupRole::GroupAdmin).await;
    app.grant_group(class, &student, GroupRole::Student).await;
    let project = app.create_project(&app.admin, class, "Robots").await;
    app.grant_project(project, &student, ProjectRole::Member)
        .await;

    // Inherited from an ancestor.
    let a = answer(&app, &head, json!({ "capability": "group.manage_members", "resource": { "type": "group", "id": class } })).await;
    assert_eq!(a["allowed"], true);
    assert_eq!(a["role"], "group_admin");
    assert_eq!(
        a["granted_by"],
        json!({ "type": "group", "id": science, "role": "group_admin" })
    );
    assert_eq!(
        a["reason"],
        "group_admin of 'Science' (ancestor of 'Class 7B')"
    );
    // Direct.
    let a = answer(
        &app,
        &student,
        json!({ "capability": "group.view", "resource": { "type": "group", "id": class } }),
    )
    .await;
    assert_eq!(
        a["granted_by"],
        json!({ "type": "group", "id": class, "role": "student" })
    );
    let a = answer(
        &app,
        &student,
        json!({ "capability": "group.view_members", "resource": { "type": "group", "id": class } }),
    )
    .await;
    assert_eq!(a["allowed"], false);
    assert_eq!(a["role"], "student");
    assert_eq!(a["granted_by"], Value::Null);
    // Bridged: group_admin of an ancestor of the owning group → project admin.
    let a = answer(
        &app,
        &head,
        json!({ "capability": "project.delete", "resource": { "type": "project", "id": project } }),
    )
    .await;
    assert_eq!(a["allowed"], true);
    assert_eq!(a["role"], "admin");
    assert_eq!(
        a["granted_by"],
        json!({ "type": "group", "id": science, "role": "group_admin" })
    );
    // The project role itself.
    let a = answer(
        &app,
        &student,
        json!({ "capability": "project.view", "resource": { "type": "project", "id": project } }),
    )
    .await;
    assert_eq!(
        a["granted_by"],
        json!({ "type": "project", "id": project, "role": "member" })
    );
    // System admin, everywhere.
    let me = app.get_ok(&app.admin, "/v1/me").await;
    let org = me["group_memberships"][0]["group_id"].clone();
    let a = answer(
        &app,
        &app.admin,
        json!({ "capability": "group.manage", "resource": { "type": "group", "id": class } }),
    )
    .await;
    assert_eq!(
        a["granted_by"],
        json!({ "type": "system", "id": org, "role": "system_admin" })
    );
    let a = answer(
        &app,
        &app.admin,
        json!({ "capability": "system.manage", "resource": { "type": "system" } }),
    )
    .await;
    assert_eq!(a["allowed"], true);
    let a = answer(
        &app,
        &head,
        json!({ "capability": "system.manage", "resource": { "type": "system" } }),
    )
    .await;
    assert_eq!(a["allowed"], false);

    // A system admin checks others; nobody else does.
    let a = answer(&app, &app.admin, json!({ "user_id": student.id, "capability": "group.view", "resource": { "type": "group", "id": science } })).await;
    assert_eq!(a["allowed"], false);
    expect_problem(check(&app, &head, json!({ "user_id": student.id, "capability": "group.view", "resource": { "type": "group", "id": class } })).await, 403, "forbidden").await;
    // Checking oneself by id is the same as omitting it.
    let a = answer(&app, &head, json!({ "user_id": head.id, "capability": "group.view", "resource": { "type": "group", "id": class } })).await;
    assert_eq!(a["allowed"], true);

    // A missing resource and an invisible one look the same.
    let missing = answer(&app, &student, json!({ "capability": "group.view", "resource": { "type": "group", "id": Uuid::now_v7() } })).await;
    let hidden = answer(
        &app,
        &student,
        json!({ "capability": "group.view", "resource": { "type": "group", "id": school } }),
    )
    .await;
    assert_eq!(missing, hidden);
    assert_eq!(missing["allowed"], false);
}

async fn bad_checks_are_named(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "G", None).await;
    for (body, field) in [
        (
            json!({ "capability": "group.fly", "resource": { "type": "group", "id": group } }),
            "capability",
        ),
        (
            json!({ "capability": "group.view", "resource": { "type": "planet", "id": group } }),
            "resource.type",
        ),
        (
            json!({ "capability": "group.view", "resource": { "type": "group" } }),
            "resource.id",
        ),
        (
            json!({ "capability": "system.manage", "resource": { "type": "system", "id": group } }),
            "resource.id",
        ),
        (
            json!({ "capability": "project.view", "resource": { "type": "group", "id": group } }),
            "capability",
        ),
        (
            json!({ "capability": "group.view", "resource": { "type": "squad", "id": group } }),
            "capability",
        ),
        (
            json!({ "capability": "group.view", "resource": { "type": "group", "id": group }, "role": "x" }),
            "role",
        ),
        (
            json!({ "user_id": Uuid::now_v7(), "capability": "group.view", "resource": { "type": "group", "id": group } }),
            "user_id",
        ),
    ] {
        let problem = expect_problem(
            check(&app, &app.admin, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

async fn batches_answer_in_order(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "G", None).await;
    let teacher = app.create_user("t@example.org").await;
    app.grant_group(group, &teacher, GroupRole::Teacher).await;
    let caps = [
        "group.view",
        "group.manage",
        "group.create_projects",
        "group.manage_members",
    ];
    let checks: Vec<Value> = caps
        .iter()
        .map(|c| json!({ "capability": c, "resource": { "type": "group", "id": group } }))
        .collect();
    let response = app
        .post(&teacher, "/v1/check/batch", &json!({ "checks": checks }))
        .await;
    let body = expect_status(response, 200).await;
    let allowed: Vec<bool> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["allowed"].as_bool().unwrap())
        .collect();
    assert_eq!(allowed, [true, false, true, false]);
    // Each batch answer equals the single check.
    for (i, c) in checks.iter().enumerate() {
        assert_eq!(answer(&app, &teacher, c.clone()).await, body["results"][i]);
    }
    let too_many: Vec<Value> = (0..101).map(|_| checks[0].clone()).collect();
    let problem = app
        .refused(
            &teacher,
            Method::POST,
            "/v1/check/batch",
            Some(&json!({ "checks": too_many })),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "checks");
    app.refused(
        &teacher,
        Method::POST,
        "/v1/check/batch",
        Some(&json!({ "checks": [] })),
        400,
        "validation_failed",
    )
    .await;
    let mut bad = checks.clone();
    bad[2] = json!({ "capability": "nope", "resource": { "type": "group", "id": group } });
    let problem = app
        .refused(
            &teacher,
            Method::POST,
            "/v1/check/batch",
            Some(&json!({ "checks": bad })),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "checks[2].capability");
    let hundred: Vec<Value> = (0..100).map(|i| checks[i % 4].clone()).collect();
    let body = app
        .expect(
            &teacher,
            Method::POST,
            "/v1/check/batch",
            Some(&json!({ "checks": hundred })),
            &[200],
        )
        .await;
    assert_eq!(body["results"].as_array().unwrap().len(), 100);
}

/// After a membership is demoted or removed, the very next request is judged by the new state.
async fn revocation_is_immediate(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "G", None).await;
    let user = app.create_user("u@example.org").await;
    let view_members =
        json!({ "capability": "group.view_members", "resource": { "type": "group", "id": group } });
    for round in 0..5 {
        app.grant_group(group, &user, GroupRole::Teacher).await;
        assert_eq!(
            answer(&app, &user, view_members.clone()).await["allowed"],
            true,
            "round {round}"
        );
        app.get_ok(&user, &format!("/v1/groups/{group}/members"))
            .await;
        app.grant_group(group, &user, GroupRole::Student).await;
        assert_eq!(
            answer(&app, &user, view_members.clone()).await["allowed"],
            false,
            "round {round}"
        );
        app.get_refused(
            &user,
            &format!("/v1/groups/{group}/members"),
            403,
            "forbidden",
        )
        .await;
        let response = app
            .delete(
                &app.admin,
                &format!("/v1/groups/{group}/members/{}", user.id),
            )
            .await;
        expect_status(response, 204).await;
        app.get_refused(&user, &format!("/v1/groups/{group}"), 404, "not_found")
            .await;
        let a = answer(
            &app,
            &user,
            json!({ "capability": "group.view", "resource": { "type": "group", "id": group } }),
        )
        .await;
        assert_eq!(a["allowed"], false, "round {round}");
    }
}

both_backends!(
    roles_come_from_the_domain_table,
    granted_by_names_the_membership,
    bad_checks_are_named,
    batches_answer_in_order,
    revocation_is_immediate
);
