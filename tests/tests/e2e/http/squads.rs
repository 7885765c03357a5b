//! Squads over HTTP: creation and one-level nesting, reads and listings, renames and moves,
//! cascading deletes, squad membership with its squad_lead scoping and tier rule, and the
//! reporting lines that squad changes repair — with every role that may and may not.

use domain::ProjectRole;
use reqwest::{Method, Response};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::api::{id_of, uuids};
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

/// A project with a cast of users in every role, and a squad tree:
/// `parent` (led by `parent_lead`) → `sub` (led by `lead`), and `other_squad` (led by
/// `other_lead`); `foreign_squad` belongs to `other_project`, where only `outsider` (and the
/// system admin who created it) has a role.
struct Team {
    project: Uuid,
    other_project: Uuid,
    project_admin: TestUser,
    pm: TestUser,
    lead: TestUser,
    parent_lead: TestUser,
    other_lead: TestUser,
    member: TestUser,
    outsider: TestUser,
    stranger: TestUser,
    parent: Uuid,
    sub: Uuid,
    other_squad: Uuid,
    foreign_squad: Uuid,
}

async fn team(app: &TestApp) -> Team {
    let group = app.create_group(&app.admin, "Org", None).await;
    let project = app.create_project(&app.admin, group, "Apollo").await;
    let other_project = app.create_project(&app.admin, group, "Gemini").await;
    let project_admin = app.create_user("project-admin@example.org").await;
    let pm = app.create_user("pm@example.org").await;
    let lead = app.create_user("lead@example.org").await;
    let parent_lead = app.create_user("parent-lead@example.org").await;
    let other_lead = app.create_user("other-lead@example.org").await;
    let member = app.create_user("member@example.org").await;
    let outsider = app.create_user("outsider@example.org").await;
    let stranger = app.create_user("stranger@example.org").await;
    app.grant_project(project, &project_admin, ProjectRole::Admin)
        .await;
    app.grant_project(project, &pm, ProjectRole::Pm).await;
    for squad_lead in [&lead, &parent_lead, &other_lead] {
        app.grant_project(project, squad_lead, ProjectRole::SquadLead)
            .await;
    }
    app.grant_project(project, &member, ProjectRole::Member)
        .await;
    app.grant_project(other_project, &outsider, ProjectRole::Member)
        .await;

    let parent = new_squad(app, project, "Platform", None).await;
    let sub = new_squad(app, project, "Storage", Some(parent)).await;
    let other_squad = new_squad(app, project, "Mobile", None).await;
    let foreign_squad = new_squad(app, other_project, "Elsewhere", None).await;
    for (squad, user) in [
        (parent, &parent_lead),
        (sub, &lead),
        (other_squad, &other_lead),
    ] {
        expect_status(put_member(app, &app.admin, squad, user.id).await, 201).await;
    }
    Team {
        project,
        other_project,
        project_admin,
        pm,
        lead,
        parent_lead,
        other_lead,
        member,
        outsider,
        stranger,
        parent,
        sub,
        other_squad,
        foreign_squad,
    }
}

async fn create(app: &TestApp, user: &TestUser, project: Uuid, body: Value) -> Response {
    app.post(user, &format!("/v1/projects/{project}/squads"), &body)
        .await
}

/// Creates a squad as the system admin; returns its id.
async fn new_squad(app: &TestApp, project: Uuid, name: &str, parent: Option<Uuid>) -> Uuid {
    let body = json!({ "name": name, "parent_id": parent });
    id_of(&expect_status(create(app, &app.admin, project, body).await, 201).await)
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> Response {
    app.call(Some(user), Method::GET, path, None).await
}

async fn patch(app: &TestApp, user: &TestUser, squad: Uuid, body: Value) -> Response {
    app.patch(user, &format!("/v1/squads/{squad}"), &body).await
}

async fn delete(app: &TestApp, user: &TestUser, squad: Uuid) -> Response {
    app.delete(user, &format!("/v1/squads/{squad}")).await
}

/// `PUT /v1/squads/{squad}/members/{user}` without a body.
async fn put_member(app: &TestApp, actor: &TestUser, squad: Uuid, user: Uuid) -> Response {
    app.call(
        Some(actor),
        Method::PUT,
        &format!("/v1/squads/{squad}/members/{user}"),
        None,
    )
    .await
}

async fn remove_member(app: &TestApp, actor: &TestUser, squad: Uuid, user: Uuid) -> Response {
    app.delete(actor, &format!("/v1/squads/{squad}/members/{user}"))
        .await
}

/// The user ids in a page of squad members, in order.
fn user_ids(page: &Value) -> Vec<Uuid> {
    uuids(&page["items"], "user_id")
}

/// Every member of `squad`, read as the system admin.
async fn squad_members(app: &TestApp, squad: Uuid) -> Vec<Uuid> {
    let path = format!("/v1/squads/{squad}/members?limit=500");
    user_ids(&expect_status(get(app, &app.admin, &path).await, 200).await)
}

/// The manager of `user` in `project`, as `GET /v1/projects/{id}/members/{user_id}` shows it.
async fn reports_to(app: &TestApp, project: Uuid, user: &TestUser) -> Option<Uuid> {
    let path = format!("/v1/projects/{project}/members/{}", user.id);
    let member = expect_status(get(app, &app.admin, &path).await, 200).await;
    member["reports_to"].as_str().map(|s| s.parse().unwrap())
}

async fn stored_squad(app: &TestApp, squad: Uuid) -> Option<entity::squads::Model> {
    entity::squads::Entity::find_by_id(squad)
        .one(&app.db)
        .await
        .unwrap()
}

async fn creating_squads(db: &TestDb) {
    let app = spawn_app(db).await;
    let t = team(&app).await;

    // project.manage_squads: a system admin (bridged admin), the project admin and a pm.
    for (n, user) in [&app.admin, &t.project_admin, &t.pm]
        .into_iter()
        .enumerate()
    {
        let response = create(
            &app,
            user,
            t.project,
            json!({ "name": format!(" Team {n} ") }),
        )
        .await;
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let squad = expect_status(response, 201).await;
        let id = id_of(&squad);
        assert_eq!(location, format!("/v1/squads/{id}"));
        assert_eq!(squad["name"], format!("Team {n}"), "names are trimmed");
        assert_eq!(squad["project_id"], t.project.to_string());
        assert_eq!(squad["parent_id"], Value::Null);
        assert_eq!(squad["depth"], 0);
        for field in ["created_at", "updated_at"] {
            assert!(squad[field].is_string(), "{squad}");
        }
        let event = app.audit_event("squad.create", id).await;
        assert_eq!(event.actor_id, Some(user.id));
        assert_eq!(event.project_id, Some(t.project));
        assert_eq!(event.resource_type, "squad");
        assert_eq!(event.details["before"], Value::Null);
        assert_eq!(event.details["after"]["name"], format!("Team {n}"));
        assert!(event.details["reporting_line_repairs"].is_array());
    }
    // Squad leads (in their squads or not) and members lack the capability: 403.
    for user in [&t.lead, &t.parent_lead, &t.member] {
        expect_problem(
            create(&app, user, t.project, json!({ "name": "Rogue" })).await,
            403,
            "forbidden",
        )
        .await;
    }
    // No role in the project: it stays invisible.
    for user in [&t.outsider, &t.stranger] {
        expect_problem(
            create(&app, user, t.project, json!({ "name": "Rogue" })).await,
            404,
            "not_found",
        )
        .await;
    }
    expect_problem(
        create(
            &app,
            &app.admin,
            Uuid::now_v7(),
            json!({ "name": "Nowhere" }),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // A sub-squad of a top-level squad: depth 1.
    let sub = expect_status(
        create(
            &app,
            &t.pm,
            t.project,
            json!({ "name": "Networking", "parent_id": t.parent }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(sub["parent_id"], t.parent.to_string());
    assert_eq!(sub["depth"], 1);
    let stored = stored_squad(&app, id_of(&sub)).await.unwrap();
    assert_eq!(stored.parent_depth, Some(0));

    // Nesting is limited to one level: no sub-sub-squads.
    let problem = expect_problem(
        create(
            &app,
            &t.pm,
            t.project,
            json!({ "name": "Deeper", "parent_id": t.sub }),
        )
        .await,
        400,
        "squad_nesting",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("one level"));
    // A parent from another project: a nesting error for whoever may see that project…
    expect_problem(
        create(
            &app,
            &app.admin,
            t.project,
            json!({ "name": "Crossover", "parent_id": t.foreign_squad }),
        )
        .await,
        400,
        "squad_nesting",
    )
    .await;
    // …and an unknown squad for whoever may not, like a squad that does not exist.
    for parent in [t.foreign_squad, Uuid::now_v7()] {
        let problem = expect_problem(
            create(
                &app,
                &t.pm,
                t.project,
                json!({ "name": "Crossover", "parent_id": parent }),
            )
            .await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "parent_id");
    }

    // Names are unique among siblings, and among the project's top-level squads.
    for (name, parent) in [("Platform", None), ("Storage", Some(t.parent))] {
        expect_problem(
            create(
                &app,
                &t.pm,
                t.project,
                json!({ "name": name, "parent_id": parent }),
            )
            .await,
            409,
            "conflict",
        )
        .await;
    }
    // The same name elsewhere is fine: under another parent, at another level, in another
    // project.
    for (project, name, parent) in [
        (t.project, "Storage", Some(t.other_squad)),
        (t.project, "Mobile", Some(t.parent)),
        (t.other_project, "Platform", None),
    ] {
        expect_status(
            create(
                &app,
                &app.admin,
                project,
                json!({ "name": name, "parent_id": parent }),
            )
            .await,
            201,
        )
        .await;
    }

    // Bad input names the field.
    for (body, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "a".repeat(201) }), "name"),
        (json!({ "name": 7 }), "name"),
        (json!({}), "name"),
        (json!({ "name": "Ok", "parent_id": "nope" }), "parent_id"),
        (json!({ "name": "Ok", "depth": 1 }), "depth"),
    ] {
        let problem = expect_problem(
            create(&app, &t.pm, t.project, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let problem = app
        .refused(
            &app.admin,
            Method::POST,
            "/v1/projects/nope/squads",
            Some(&json!({ "name": "Ok" })),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "id");
}

async fn reading_squads(db: &TestDb) {
    let app = spawn_app(db).await;
    let t = team(&app).await;

    // project.view: everyone with a role in the project, squad leads outside their squads too.
    for user in [
        &app.admin,
        &t.project_admin,
        &t.pm,
        &t.lead,
        &t.parent_lead,
        &t.other_lead,
        &t.member,
    ] {
        let squad =
            expect_status(get(&app, user, &format!("/v1/squads/{}", t.sub)).await, 200).await;
        assert_eq!(squad["id"], t.sub.to_string());
        assert_eq!(squad["project_id"], t.project.to_string());
        assert_eq!(squad["parent_id"], t.parent.to_string());
        assert_eq!(squad["name"], "Storage");
        assert_eq!(squad["depth"], 1);
    }
    for user in [&t.outsider, &t.stranger] {
        expect_problem(
            get(&app, user, &format!("/v1/squads/{}", t.sub)).await,
            404,
            "not_found",
        )
        .await;
        expect_problem(
            get(&app, user, &format!("/v1/projects/{}/squads", t.project)).await,
            404,
            "not_found",
        )
        .await;
    }
    expect_problem(
        get(&app, &app.admin, &format!("/v1/squads/{}", Uuid::now_v7())).await,
        404,
        "not_found",
    )
    .await;
    let problem = expect_problem(
        get(&app, &app.admin, "/v1/squads/not-a-uuid").await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "id");

    // The listing: top-level squads in id order, each with its sub-squads.
    let second_sub = new_squad(&app, t.project, "Compute", Some(t.parent)).await;
    let listed = expect_status(
        get(
            &app,
            &t.member,
            &format!("/v1/projects/{}/squads", t.project),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["next_cursor"], Value::Null);
    let items = listed["items"].as_array().unwrap();
    let tops: Vec<Uuid> = items.iter().map(id_of).collect();
    assert_eq!(tops, [t.parent, t.other_squad]);
    let subs: Vec<Uuid> = items[0]["sub_squads"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(subs, [t.sub, second_sub]);
    assert_eq!(items[0]["sub_squads"][0]["depth"], 1);
    assert_eq!(items[0]["sub_squads"][0]["parent_id"], t.parent.to_string());
    assert_eq!(items[0]["depth"], 0);
    assert_eq!(items[1]["sub_squads"], json!([]));
    // The other project's squads are its own.
    let foreign = expect_status(
        get(
            &app,
            &t.outsider,
            &format!("/v1/projects/{}/squads", t.other_project),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        foreign["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        [t.foreign_squad]
    );

    // Pages count top-level squads and walk them in order.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/projects/{}/squads?limit=1", t.project);
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = expect_status(get(&app, &t.pm, &path).await, 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        walked.push(id_of(&page["items"][0]));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, tops);
    for bad in ["limit=0", "limit=501", "limit=x", "cursor=%%%"] {
        let problem = expect_problem(
            get(
                &app,
                &t.pm,
                &format!("/v1/projects/{}/squads?{bad}", t.project),
            )
            .await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(
            problem["errors"][0]["field"],
            bad.split('=').next().unwrap(),
            "{problem}"
        );
    }
}

async fn updating_squads(db: &TestDb) {
    let app = spawn_app(db).await;
    let t = team(&app).await;

    // Renaming: project.manage_squads.
    let renamed = expect_status(
        patch(&app, &t.pm, t.sub, json!({ "name": "Databases" })).await,
        200,
    )
    .await;
    assert_eq!(renamed["name"], "Databases");
    assert_eq!(renamed["parent_id"], t.parent.to_string());
    let event = app.audit_event("squad.update", t.sub).await;
    assert_eq!(event.actor_id, Some(t.pm.id));
    assert_eq!(event.project_id, Some(t.project));
    assert_eq!(event.details["before"]["name"], "Storage");
    assert_eq!(event.details["after"]["name"], "Databases");
    // Nothing to change: 200, and no audit event.
    for body in [
        json!({ "name": "Databases" }),
        json!({ "name": " Databases " }),
        json!({}),
        json!({ "parent_id": t.parent }),
    ] {
        let same = expect_status(patch(&app, &t.pm, t.sub, body).await, 200).await;
        assert_eq!(same["updated_at"], renamed["updated_at"]);
    }
    assert_eq!(app.audit_events("squad.update").await.len(), 1);
    // Squad leads (even of this squad or its parent) and members: 403; no role: 404.
    for user in [&t.lead, &t.parent_lead, &t.member] {
        expect_problem(
            patch(&app, user, t.sub, json!({ "name": "Ours" })).await,
            403,
            "forbidden",
        )
        .await;
    }
    for user in [&t.outsider, &t.stranger] {
        expect_problem(
            patch(&app, user, t.sub, json!({ "name": "Ours" })).await,
            404,
            "not_found",
        )
        .await;
    }

    // Nesting stays one level deep.
    let nesting = [
        // A squad with sub-squads cannot become a sub-squad.
        (t.parent, t.other_squad),
        // A squad cannot be its own parent.
        (t.other_squad, t.other_squad),
        // A sub-squad cannot be a parent.
        (t.other_squad, t.sub),
        // A parent from another project.
        (t.other_squad, t.foreign_squad),
    ];
    for (squad, parent) in nesting {
        expect_problem(
            patch(&app, &app.admin, squad, json!({ "parent_id": parent })).await,
            400,
            "squad_nesting",
        )
        .await;
    }
    let problem = expect_problem(
        patch(
            &app,
            &t.pm,
            t.other_squad,
            json!({ "parent_id": Uuid::now_v7() }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "parent_id");

    // Moves: a sub-squad becomes top-level, a childless top-level squad becomes a sub-squad.
    let top = expect_status(
        patch(&app, &t.pm, t.sub, json!({ "parent_id": null })).await,
        200,
    )
    .await;
    assert_eq!(top["parent_id"], Value::Null);
    assert_eq!(top["depth"], 0);
    let stored = stored_squad(&app, t.sub).await.unwrap();
    assert_eq!((stored.depth, stored.parent_depth), (0, None));
    let event = app.audit_events("squad.update").await;
    assert_eq!(event.len(), 2);
    let moved = expect_status(
        patch(
            &app,
            &t.project_admin,
            t.other_squad,
            json!({ "parent_id": t.sub, "name": "Apps" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["parent_id"], t.sub.to_string());
    assert_eq!(moved["depth"], 1);
    assert_eq!(moved["name"], "Apps");
    let stored = stored_squad(&app, t.other_squad).await.unwrap();
    assert_eq!((stored.depth, stored.parent_depth), (1, Some(0)));
    // Now `sub` has a sub-squad of its own, so it cannot go back under `parent`.
    expect_problem(
        patch(&app, &t.pm, t.sub, json!({ "parent_id": t.parent })).await,
        400,
        "squad_nesting",
    )
    .await;

    // Names stay unique among the new siblings.
    new_squad(&app, t.project, "Apps", None).await;
    expect_problem(
        patch(&app, &t.pm, t.other_squad, json!({ "parent_id": null })).await,
        409,
        "conflict",
    )
    .await;
    expect_problem(
        patch(&app, &t.pm, t.sub, json!({ "name": "Platform" })).await,
        409,
        "conflict",
    )
    .await;

    // Bad input names the field.
    for (body, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "parent_id": "x" }), "parent_id"),
        (json!({ "project_id": t.other_project }), "project_id"),
    ] {
        let problem = expect_problem(
            patch(&app, &t.pm, t.sub, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

async fn deleting_squads(db: &TestDb) {
    let app = spawn_app(db).await;
    let t = team(&app).await;
    expect_status(put_member(&app, &app.admin, t.sub, t.member.id).await, 201).await;
    expect_status(
        put_member(&app, &app.admin, t.parent, t.member.id).await,
        201,
    )
    .await;

    for user in [&t.lead, &t.parent_lead, &t.member] {
        expect_problem(delete(&app, user, t.parent).await, 403, "forbidden").await;
    }
    for user in [&t.outsider, &t.stranger] {
        expect_problem(delete(&app, user, t.parent).await, 404, "not_found").await;
    }
    // Deleting a squad removes every membership in it and its sub-squads: a pm may not remove
    // an admin's.
    expect_status(
        put_member(&app, &app.admin, t.sub, t.project_admin.id).await,
        201,
    )
    .await;
    let problem = expect_problem(delete(&app, &t.pm, t.parent).await, 403, "role_escalation").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("admin"),
        "{problem}"
    );
    assert!(stored_squad(&app, t.parent).await.is_some());

    // The project admin may: the squad goes with its sub-squad and all five memberships.
    expect_status(delete(&app, &t.project_admin, t.parent).await, 204).await;
    for squad in [t.parent, t.sub] {
        expect_problem(
            get(&app, &app.admin, &format!("/v1/squads/{squad}")).await,
            404,
            "not_found",
        )
        .await;
    }
    let left = entity::squad_members::Entity::find()
        .filter(entity::squad_members::Column::SquadId.is_in([t.parent, t.sub]))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    // The people stay in the project.
    for user in [&t.member, &t.lead, &t.parent_lead, &t.project_admin] {
        let path = format!("/v1/projects/{}/members/{}", t.project, user.id);
        expect_status(get(&app, &app.admin, &path).await, 200).await;
    }
    let event = app.audit_event("squad.delete", t.parent).await;
    assert_eq!(event.actor_id, Some(t.project_admin.id));
    assert_eq!(event.project_id, Some(t.project));
    assert_eq!(event.details["before"]["name"], "Platform");
    assert_eq!(event.details["after"], Value::Null);
    assert_eq!(event.details["deleted"]["sub_squads"], 1);
    assert_eq!(event.details["deleted"]["sub_squad_ids"], json!([t.sub]));
    assert_eq!(event.details["deleted"]["memberships"], 5);
    assert!(event.details["reporting_line_repairs"].is_array());

    // A pm deletes a squad of squad leads and members (weaker or equal roles).
    expect_status(delete(&app, &t.pm, t.other_squad).await, 204).await;
    expect_problem(delete(&app, &t.pm, t.other_squad).await, 404, "not_found").await;
    // The other project's squads are untouched.
    assert!(stored_squad(&app, t.foreign_squad).await.is_some());
    let problem = app
        .refused(
            &app.admin,
            Method::DELETE,
            "/v1/squads/123",
            None,
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "id");
}

async fn adding_squad_members(db: &TestDb) {
    let app = spawn_app(db).await;
    let t = team(&app).await;
    let mut members = Vec::new();
    for n in 0..6 {
        let user = app.create_user(&format!("member{n}@example.org")).await;
        app.grant_project(t.project, &user, ProjectRole::Member)
            .await;
        members.push(user);
    }

    // A system admin, the project admin and a pm manage every squad's members.
    for (user, target) in [
        (&app.admin, &members[0]),
        (&t.project_admin, &members[1]),
        (&t.pm, &members[2]),
    ] {
        let response = put_member(&app, user, t.parent, target.id).await;
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let added = expect_status(response, 201).await;
        assert_eq!(
            location,
            format!("/v1/squads/{}/members/{}", t.parent, target.id)
        );
        assert_eq!(added["squad_id"], t.parent.to_string());
        assert_eq!(added["user_id"], target.id.to_string());
        assert!(added["created_at"].is_string());
    }
    // Already there: 200, the same membership, no audit event.
    let before = app.audit_events("squad_member.create").await.len();
    let again = expect_status(put_member(&app, &t.pm, t.parent, members[0].id).await, 200).await;
    assert_eq!(again["user_id"], members[0].id.to_string());
    assert_eq!(app.audit_events("squad_member.create").await.len(), before);
    let event = app
        .audit_events("squad_member.create")
        .await
        .into_iter()
        .find(|e| e.actor_id == Some(t.pm.id))
        .unwrap();
    assert_eq!(event.resource_type, "squad_member");
    assert_eq!(event.project_id, Some(t.project));
    assert_eq!(event.details["before"], Value::Null);
    assert_eq!(event.details["after"]["user_id"], members[2].id.to_string());
    assert_eq!(event.details["after"]["squad_id"], t.parent.to_string());
    assert!(event.details["reporting_line_repairs"].is_array());

    // A squad lead manages the members of their squad…
    expect_status(put_member(&app, &t.lead, t.sub, members[3].id).await, 201).await;
    // …and of the sub-squads of their squad…
    expect_status(
        put_member(&app, &t.parent_lead, t.sub, members[4].id).await,
        201,
    )
    .await;
    // …but not of the parent of their squad, nor of another squad: there they act as members.
    expect_problem(
        put_member(&app, &t.lead, t.parent, members[5].id).await,
        403,
        "forbidden",
    )
    .await;
    for user in [&t.other_lead, &t.member] {
        expect_problem(
            put_member(&app, user, t.sub, members[5].id).await,
            403,
            "forbidden",
        )
        .await;
    }
    for user in [&t.outsider, &t.stranger] {
        expect_problem(
            put_member(&app, user, t.sub, members[5].id).await,
            404,
            "not_found",
        )
        .await;
    }
    // A squad lead manages squad leads and members only (project tier ≥ 2).
    for stronger in [&t.pm, &t.project_admin] {
        expect_problem(
            put_member(&app, &t.lead, t.sub, stronger.id).await,
            403,
            "role_escalation",
        )
        .await;
    }
    expect_problem(
        put_member(&app, &t.lead, t.sub, app.admin.id).await,
        403,
        "role_escalation",
    )
    .await;
    expect_status(put_member(&app, &t.lead, t.sub, t.other_lead.id).await, 201).await;
    // A pm manages a pm; only an admin adds an admin.
    expect_status(put_member(&app, &t.pm, t.sub, t.pm.id).await, 201).await;
    expect_problem(
        put_member(&app, &t.pm, t.sub, t.project_admin.id).await,
        403,
        "role_escalation",
    )
    .await;

    // Only members of the squad's project can join it.
    for user in [t.stranger.id, t.outsider.id, Uuid::now_v7()] {
        expect_problem(
            put_member(&app, &app.admin, t.sub, user).await,
            400,
            "not_project_member",
        )
        .await;
    }
    expect_problem(
        put_member(&app, &t.lead, t.sub, t.stranger.id).await,
        400,
        "not_project_member",
    )
    .await;
    expect_problem(
        put_member(&app, &app.admin, Uuid::now_v7(), members[5].id).await,
        404,
        "not_found",
    )
    .await;

    // The body: none, or `{}`.
    let path = format!("/v1/squads/{}/members/{}", t.other_squad, members[5].id);
    app.expect(&t.pm, Method::PUT, &path, Some(&json!({})), &[201])
        .await;
    app.expect(&t.pm, Method::PUT, &path, Some(&json!({})), &[200])
        .await;
    // `null` is not an object: the published schema says "no body, or an AddSquadMember".
    let refused = app
        .call(Some(&t.pm), Method::PUT, &path, Some(&Value::Null))
        .await;
    tests::app::expect_problem(refused, 400, "validation_failed").await;
    let problem = app
        .refused(
            &t.pm,
            Method::PUT,
            &path,
            Some(&json!({ "role": "member" })),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "role");
    let response = app
        .as_user(&t.pm, Method::PUT, &path)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_problem(response, 415, "unsupported_media_type").await;
    let response = app
        .as_user(&t.pm, Method::PUT, &path)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    expect_problem(response, 400, "malformed_json").await;
    for (path, field) in [
        (format!("/v1/squads/x/members/{}", members[5].id), "id"),
        (format!("/v1/squads/{}/members/x", t.sub), "user_id"),
    ] {
        let problem = app
            .refused(&t.pm, Method::PUT, &path, None, 400, "validation_failed")
            .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // Listing: project.view_members, ordered by user id, in pages.
    let mut expected = vec![
        t.lead.id,
        members[3].id,
        members[4].id,
        t.other_lead.id,
        t.pm.id,
    ];
    expected.sort();
    for user in [&t.member, &t.other_lead, &t.lead] {
        let page = expect_status(
            get(&app, user, &format!("/v1/squads/{}/members", t.sub)).await,
            200,
        )
        .await;
        assert_eq!(user_ids(&page), expected);
        assert_eq!(page["items"][0]["squad_id"], t.sub.to_string());
        assert_eq!(page["next_cursor"], Value::Null);
    }
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/squads/{}/members?limit=2", t.sub);
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = expect_status(get(&app, &t.member, &path).await, 200).await;
        walked.extend(user_ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, expected);
    for user in [&t.outsider, &t.stranger] {
        expect_problem(
            get(&app, user, &format!("/v1/squads/{}/members", t.sub)).await,
            404,
            "not_found",
        )
        .await;
    }
    let problem = expect_problem(
        get(
            &app,
            &t.member,
            &format!("/v1/squads/{}/members?cursor=abc", t.sub),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "cursor");
}

async fn removing_squad_members(db: &TestDb) {
    let app = spawn_app(db).await;
    let t = team(&app).await;
    let colleague = app.create_user("colleague@example.org").await;
    let peer = app.create_user("peer@example.org").await;
    app.grant_project(t.project, &colleague, ProjectRole::Member)
        .await;
    app.grant_project(t.project, &peer, ProjectRole::SquadLead)
        .await;
    for user in [&t.member, &colleague, &t.pm, &peer] {
        expect_status(put_member(&app, &app.admin, t.sub, user.id).await, 201).await;
    }

    // Members and leads of other squads may not remove others; without a role, nothing shows.
    for user in [&t.member, &t.other_lead] {
        expect_problem(
            remove_member(&app, user, t.sub, colleague.id).await,
            403,
            "forbidden",
        )
        .await;
    }
    for user in [&t.outsider, &t.stranger] {
        expect_problem(
            remove_member(&app, user, t.sub, colleague.id).await,
            404,
            "not_found",
        )
        .await;
    }
    // A squad lead may not remove a stronger member.
    expect_problem(
        remove_member(&app, &t.lead, t.sub, t.pm.id).await,
        403,
        "role_escalation",
    )
    .await;
    // The squad's lead removes a member; the parent squad's lead removes a peer lead.
    expect_status(remove_member(&app, &t.lead, t.sub, colleague.id).await, 204).await;
    expect_problem(
        remove_member(&app, &t.lead, t.sub, colleague.id).await,
        404,
        "not_found",
    )
    .await;
    expect_status(
        remove_member(&app, &t.parent_lead, t.sub, peer.id).await,
        204,
    )
    .await;
    let events = app.audit_events("squad_member.delete").await;
    let event = events
        .iter()
        .find(|e| e.actor_id == Some(t.lead.id))
        .unwrap();
    assert_eq!(event.resource_type, "squad_member");
    assert_eq!(event.project_id, Some(t.project));
    assert_eq!(event.details["before"]["user_id"], colleague.id.to_string());
    assert_eq!(event.details["before"]["squad_id"], t.sub.to_string());
    assert_eq!(event.details["after"], Value::Null);
    assert!(event.details["reporting_line_repairs"].is_array());

    // Anyone may leave a squad: a member, and a squad lead their own squad.
    expect_status(
        remove_member(&app, &t.member, t.sub, t.member.id).await,
        204,
    )
    .await;
    expect_problem(
        remove_member(&app, &t.member, t.sub, t.member.id).await,
        404,
        "not_found",
    )
    .await;
    expect_status(
        remove_member(&app, &t.parent_lead, t.parent, t.parent_lead.id).await,
        204,
    )
    .await;
    // A pm removes anyone short of an admin, themselves included.
    expect_status(remove_member(&app, &t.pm, t.sub, t.lead.id).await, 204).await;
    expect_status(remove_member(&app, &t.pm, t.sub, t.pm.id).await, 204).await;
    assert_eq!(squad_members(&app, t.sub).await, Vec::<Uuid>::new());
    assert_eq!(squad_members(&app, t.parent).await, Vec::<Uuid>::new());
    assert_eq!(app.audit_events("squad_member.delete").await.len(), 6);
    expect_problem(
        remove_member(&app, &app.admin, Uuid::now_v7(), t.member.id).await,
        404,
        "not_found",
    )
    .await;
}

async fn reporting_lines_follow_squads(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "Org", None).await;
    let project = app.create_project(&app.admin, group, "Apollo").await;
    // Two squad leads; the first to join is every squadless member's manager.
    let first = app.create_user("first-lead@example.org").await;
    let second = app.create_user("second-lead@example.org").await;
    let dev = app.create_user("dev@example.org").await;
    app.grant_project(project, &first, ProjectRole::SquadLead)
        .await;
    app.grant_project(project, &second, ProjectRole::SquadLead)
        .await;
    app.grant_project(project, &dev, ProjectRole::Member).await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(first.id));

    let squad = new_squad(&app, project, "Core", None).await;
    let sub = new_squad(&app, project, "Core API", Some(squad)).await;
    expect_status(put_member(&app, &app.admin, squad, second.id).await, 201).await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(first.id));

    // Joining the second lead's squad: the dev now reports to them, and the event says so.
    let response = put_member(&app, &second, squad, dev.id).await;
    expect_status(response, 201).await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(second.id));
    let events = app.audit_events("squad_member.create").await;
    let joined = events
        .iter()
        .find(|e| e.actor_id == Some(second.id))
        .unwrap();
    assert_eq!(
        joined.details["reporting_line_repairs"],
        json!([{ "user_id": dev.id, "reports_to": second.id, "explicit": false }])
    );

    // Leaving moves them back.
    expect_status(remove_member(&app, &dev, squad, dev.id).await, 204).await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(first.id));
    let left = app.audit_events("squad_member.delete").await;
    assert_eq!(
        left[0].details["reporting_line_repairs"],
        json!([{ "user_id": dev.id, "reports_to": first.id, "explicit": false }])
    );

    // In a sub-squad of the lead's squad, the lead is near enough.
    expect_status(put_member(&app, &app.admin, sub, dev.id).await, 201).await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(second.id));
    // Moving the sub-squad out from under the lead's squad moves the line back…
    expect_status(
        patch(&app, &app.admin, sub, json!({ "parent_id": null })).await,
        200,
    )
    .await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(first.id));
    let moved = app.audit_event("squad.update", sub).await;
    assert_eq!(
        moved.details["reporting_line_repairs"],
        json!([{ "user_id": dev.id, "reports_to": first.id, "explicit": false }])
    );
    // …and moving it back returns it.
    expect_status(
        patch(&app, &app.admin, sub, json!({ "parent_id": squad })).await,
        200,
    )
    .await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(second.id));

    // Deleting the squad (with its sub-squad) leaves the dev squadless again.
    expect_status(delete(&app, &app.admin, squad).await, 204).await;
    assert_eq!(reports_to(&app, project, &dev).await, Some(first.id));
    let deleted = app.audit_event("squad.delete", squad).await;
    assert_eq!(
        deleted.details["reporting_line_repairs"],
        json!([{ "user_id": dev.id, "reports_to": first.id, "explicit": false }])
    );
}

async fn concurrent_changes_serialise(db: &TestDb) {
    let app = spawn_app(db).await;
    let t = team(&app).await;

    // Eight creations of one name at once: one squad, seven conflicts, never a 5xx.
    let responses = futures_util::future::join_all(
        (0..8).map(|_| create(&app, &t.pm, t.project, json!({ "name": "Race" }))),
    )
    .await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);

    // Eight additions of one member at once: one membership, one audit event.
    let responses = futures_util::future::join_all(
        (0..8).map(|_| put_member(&app, &t.pm, t.other_squad, t.member.id)),
    )
    .await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
    let created = app
        .audit_events("squad_member.create")
        .await
        .into_iter()
        .filter(|e| e.details["after"]["user_id"] == t.member.id.to_string())
        .count();
    assert_eq!(created, 1);
    expect_status(
        remove_member(&app, &t.member, t.other_squad, t.member.id).await,
        204,
    )
    .await;

    // Members joining and leaving a squad at once: every reporting line ends up as the rule
    // says, because each change repairs the lines under the project's lock.
    let mut devs = Vec::new();
    for n in 0..6 {
        let dev = app.create_user(&format!("dev{n}@example.org")).await;
        app.grant_project(t.project, &dev, ProjectRole::Member)
            .await;
        devs.push(dev);
    }
    // Squadless members report to the earliest squad lead, who leads `sub`.
    for dev in &devs {
        assert_eq!(reports_to(&app, t.project, dev).await, Some(t.lead.id));
    }
    let joins = futures_util::future::join_all(
        devs.iter()
            .map(|dev| put_member(&app, &t.other_lead, t.other_squad, dev.id)),
    )
    .await;
    for response in joins {
        expect_status(response, 201).await;
    }
    for dev in &devs {
        assert_eq!(
            reports_to(&app, t.project, dev).await,
            Some(t.other_lead.id)
        );
    }
    let leaves = futures_util::future::join_all(
        devs.iter()
            .map(|dev| remove_member(&app, dev, t.other_squad, dev.id)),
    )
    .await;
    for response in leaves {
        expect_status(response, 204).await;
    }
    for dev in &devs {
        assert_eq!(reports_to(&app, t.project, dev).await, Some(t.lead.id));
    }
}

both_backends!(
    creating_squads,
    reading_squads,
    updating_squads,
    deleting_squads,
    adding_squad_members,
    removing_squad_members,
    reporting_lines_follow_squads,
    concurrent_changes_serialise
);
