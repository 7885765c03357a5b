//! Project roles over HTTP: the upsert, no escalation, the last admin (also under concurrent
//! requests), and reporting lines as the spec's rule computes and repairs them.

use domain::{GroupRole, ProjectRole};
use std::collections::{HashMap, HashSet};

use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::api::strs;
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

/// A project with its creator (the system admin) as the first admin.
async fn project(app: &TestApp) -> Uuid {
    let group = app.create_group(&app.admin, "Org", None).await;
    app.create_project(&app.admin, group, "Apollo").await
}

/// A user who does not exist (a fresh id, never stored).
fn ghost() -> TestUser {
    TestUser {
        id: Uuid::now_v7(),
        email: "ghost@example.org".into(),
        token: String::new(),
    }
}

async fn put(
    app: &TestApp,
    actor: &TestUser,
    project: Uuid,
    user: &TestUser,
    body: Value,
) -> reqwest::Response {
    app.call(
        Some(actor),
        Method::PUT,
        &format!("/v1/projects/{project}/members/{}", user.id),
        Some(&body),
    )
    .await
}

async fn remove(
    app: &TestApp,
    actor: &TestUser,
    project: Uuid,
    user: &TestUser,
) -> reqwest::Response {
    app.delete(
        actor,
        &format!("/v1/projects/{project}/members/{}", user.id),
    )
    .await
}

/// Every member's manager, by user id.
async fn lines(app: &TestApp, project: Uuid) -> HashMap<Uuid, Option<Uuid>> {
    let page = app
        .get_ok(
            &app.admin,
            &format!("/v1/projects/{project}/members?limit=500"),
        )
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let user = m["user_id"].as_str().unwrap().parse().unwrap();
            let to = m["reports_to"].as_str().map(|s| s.parse().unwrap());
            (user, to)
        })
        .collect()
}

async fn upserts_and_escalation(db: &TestDb) {
    let app = spawn_app(db).await;
    let p = project(&app).await;
    let pm = app.create_user("pm@example.org").await;
    let ann = app.create_user("ann@example.org").await;
    let stranger = app.create_user("stranger@example.org").await;
    // A pm adds only users they may read (spec §4): pm and ann share a group.
    let lab = app.create_group(&app.admin, "Lab", None).await;
    for user in [&pm, &ann] {
        app.grant_group(lab, user, GroupRole::Student).await;
    }

    let response = put(&app, &app.admin, p, &pm, json!({ "role": "pm" })).await;
    // Like every creation, the new membership's URL comes back in `Location`.
    let location = response.headers().get("location").cloned();
    let created = expect_status(response, 201).await;
    assert_eq!(
        location.as_ref().and_then(|l| l.to_str().ok()),
        Some(format!("/v1/projects/{p}/members/{}", pm.id).as_str())
    );
    assert_eq!(created["role"], "pm");
    assert_eq!(created["tier"], 1);
    assert_eq!(created["reports_to"], app.admin.id.to_string());
    assert_eq!(created["reports_to_explicit"], false);
    assert_eq!(app.audit_count("project_member.create").await, 2 - 1);
    // Unchanged: 200, no audit event.
    expect_status(
        put(&app, &app.admin, p, &pm, json!({ "role": "pm" })).await,
        200,
    )
    .await;
    expect_status(
        put(
            &app,
            &app.admin,
            p,
            &pm,
            json!({ "role": "pm", "reports_to": null }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(app.audit_count("project_member.update").await, 0);

    // A pm assigns members and peers, never admins, and never touches an admin.
    expect_status(
        put(&app, &pm, p, &ann, json!({ "role": "member" })).await,
        201,
    )
    .await;
    expect_status(put(&app, &pm, p, &ann, json!({ "role": "pm" })).await, 200).await;
    assert_eq!(app.audit_count("project_member.update").await, 1);
    expect_problem(
        put(&app, &pm, p, &ann, json!({ "role": "admin" })).await,
        403,
        "role_escalation",
    )
    .await;
    expect_problem(
        put(&app, &pm, p, &app.admin, json!({ "role": "member" })).await,
        403,
        "role_escalation",
    )
    .await;
    expect_problem(
        remove(&app, &pm, p, &app.admin).await,
        403,
        "role_escalation",
    )
    .await;
    // A member cannot assign; a stranger cannot see the project.
    let mia = app.create_user("mia@example.org").await;
    app.grant_project(p, &mia, ProjectRole::Member).await;
    expect_problem(
        put(&app, &mia, p, &mia, json!({ "role": "pm" })).await,
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        put(&app, &stranger, p, &stranger, json!({ "role": "member" })).await,
        404,
        "not_found",
    )
    .await;

    // Reads: members may view members; strangers may not.
    let one = app
        .get_ok(&mia, &format!("/v1/projects/{p}/members/{}", pm.id))
        .await;
    assert_eq!(one["role"], "pm");
    app.get_refused(
        &stranger,
        &format!("/v1/projects/{p}/members"),
        404,
        "not_found",
    )
    .await;
    app.get_refused(
        &mia,
        &format!("/v1/projects/{p}/members/{}", stranger.id),
        404,
        "not_found",
    )
    .await;
    let pms = app
        .get_ok(&mia, &format!("/v1/projects/{p}/members?role=pm"))
        .await;
    assert_eq!(pms["items"].as_array().unwrap().len(), 2);

    // Bad input.
    for (body, field) in [
        (json!({ "role": "owner" }), "role"),
        (json!({}), "role"),
        (json!({ "role": "member", "tier": 0 }), "tier"),
        (json!({ "role": "member", "reports_to": "x" }), "reports_to"),
    ] {
        let problem = expect_problem(
            put(&app, &app.admin, p, &ann, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let ghost = ghost();
    let problem = expect_problem(
        put(&app, &app.admin, p, &ghost, json!({ "role": "member" })).await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "user_id");
    let problem = app
        .get_refused(
            &mia,
            &format!("/v1/projects/{p}/members?role=boss"),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "role");
    app.get_refused(&mia, "/v1/projects/nope/members", 400, "validation_failed")
        .await;
}

async fn the_last_admin_stays(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "Org", None).await;
    let owner = app.create_user("owner@example.org").await;
    app.grant_group(group, &owner, GroupRole::Teacher).await;
    let p = app.create_project(&owner, group, "Solo").await;
    // The only admin can neither leave, be demoted, nor be removed.
    expect_problem(remove(&app, &owner, p, &owner).await, 409, "last_admin").await;
    expect_problem(
        put(&app, &owner, p, &owner, json!({ "role": "pm" })).await,
        409,
        "last_admin",
    )
    .await;
    expect_problem(remove(&app, &app.admin, p, &owner).await, 409, "last_admin").await;
    // With a second admin, the first may leave. (The owner adds a user they may read: a
    // member of their group.)
    let second = app.create_user("second@example.org").await;
    app.grant_group(group, &second, GroupRole::Student).await;
    expect_status(
        put(&app, &owner, p, &second, json!({ "role": "admin" })).await,
        201,
    )
    .await;
    expect_status(remove(&app, &owner, p, &owner).await, 204).await;
    assert_eq!(app.audit_count("project_member.leave").await, 1);
    expect_problem(remove(&app, &second, p, &second).await, 409, "last_admin").await;
    // A plain member leaves freely.
    let member = app.create_user("member@example.org").await;
    app.grant_project(p, &member, ProjectRole::Member).await;
    expect_status(remove(&app, &member, p, &member).await, 204).await;
    expect_problem(remove(&app, &member, p, &member).await, 404, "not_found").await;
}

/// Naming a user the actor may not read (spec §4) answers exactly as naming no user, and adds
/// nobody: a project admin cannot probe other tenants' users, nor pull them into a project
/// (and so into their own scope).
async fn users_outside_the_actors_scope_read_as_unknown(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let teacher = app.create_user("teacher@example.org").await;
    app.grant_group(school, &teacher, GroupRole::Teacher).await;
    let pupil = app.create_user("pupil@example.org").await;
    app.grant_group(school, &pupil, GroupRole::Student).await;
    let elsewhere = app.create_group(&app.admin, "Elsewhere", None).await;
    let outsider = app.create_user("outsider@example.org").await;
    app.grant_group(elsewhere, &outsider, GroupRole::Student)
        .await;
    let p = app.create_project(&teacher, school, "Fair").await;
    let ghost = ghost();
    let unknown = expect_status(
        put(&app, &teacher, p, &ghost, json!({ "role": "member" })).await,
        400,
    )
    .await;
    let hidden = expect_status(
        put(&app, &teacher, p, &outsider, json!({ "role": "member" })).await,
        400,
    )
    .await;
    assert_eq!(
        hidden, unknown,
        "a hidden user reads as one that does not exist"
    );
    app.get_refused(
        &app.admin,
        &format!("/v1/projects/{p}/members/{}", outsider.id),
        404,
        "not_found",
    )
    .await;
    // A user the teacher may read is added.
    expect_status(
        put(&app, &teacher, p, &pupil, json!({ "role": "member" })).await,
        201,
    )
    .await;
}

async fn reporting_lines_follow_the_rule(db: &TestDb) {
    let app = spawn_app(db).await;
    let p = project(&app).await;
    let admin = app.admin.id;
    let u = |name: &str| format!("{name}@example.org");
    let m1 = app.create_user(&u("m1")).await;
    // Only an admin present: the member reports to the admin.
    let member = app.grant_project(p, &m1, ProjectRole::Member).await;
    assert_eq!(member["reports_to"], admin.to_string());
    // A pm arrives: members re-point to the nearest stronger tier.
    let pm = app.create_user(&u("pm")).await;
    app.grant_project(p, &pm, ProjectRole::Pm).await;
    assert_eq!(lines(&app, p).await[&m1.id], Some(pm.id));
    // A squad_lead arrives: squadless members now report to them.
    let lead = app.create_user(&u("lead")).await;
    app.grant_project(p, &lead, ProjectRole::SquadLead).await;
    let now = lines(&app, p).await;
    assert_eq!(now[&m1.id], Some(lead.id));
    assert_eq!(now[&lead.id], Some(pm.id));
    assert_eq!(now[&pm.id], Some(admin));
    assert_eq!(now[&admin], None);
    // An explicit line to a same-tier member is refused; to a stronger one, kept.
    let m2 = app.create_user(&u("m2")).await;
    app.grant_project(p, &m2, ProjectRole::Member).await;
    expect_problem(
        put(
            &app,
            &app.admin,
            p,
            &m2,
            json!({ "role": "member", "reports_to": m1.id }),
        )
        .await,
        400,
        "invalid_reports_to",
    )
    .await;
    expect_problem(
        put(
            &app,
            &app.admin,
            p,
            &m2,
            json!({ "role": "member", "reports_to": m2.id }),
        )
        .await,
        400,
        "invalid_reports_to",
    )
    .await;
    let stranger = app.create_user(&u("stranger")).await;
    expect_problem(
        put(
            &app,
            &app.admin,
            p,
            &m2,
            json!({ "role": "member", "reports_to": stranger.id }),
        )
        .await,
        400,
        "invalid_reports_to",
    )
    .await;
    let explicit = expect_status(
        put(
            &app,
            &app.admin,
            p,
            &m2,
            json!({ "role": "member", "reports_to": pm.id }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(explicit["reports_to"], pm.id.to_string());
    assert_eq!(explicit["reports_to_explicit"], true);
    // Omitting reports_to keeps the explicit line; null returns to the automatic one.
    let kept = expect_status(
        put(&app, &app.admin, p, &m2, json!({ "role": "member" })).await,
        200,
    )
    .await;
    assert_eq!(kept["reports_to"], pm.id.to_string());
    let auto = expect_status(
        put(
            &app,
            &app.admin,
            p,
            &m2,
            json!({ "role": "member", "reports_to": null }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(auto["reports_to"], lead.id.to_string());
    assert_eq!(auto["reports_to_explicit"], false);

    // Removing the squad_lead re-points everyone who reported to them, in the same request.
    expect_status(remove(&app, &app.admin, p, &lead).await, 204).await;
    let now = lines(&app, p).await;
    assert_eq!(now[&m1.id], Some(pm.id));
    assert_eq!(now[&m2.id], Some(pm.id));
    let event = entity::audit_events::Entity::find()
        .filter(entity::audit_events::Column::Action.eq("project_member.delete"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let repaired: HashSet<String> = event.details["reporting_line_repairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        repaired,
        HashSet::from([m1.id.to_string(), m2.id.to_string()])
    );

    // Promoting a member above their manager repairs both lines.
    let lead2 = app.create_user(&u("lead2")).await;
    app.grant_project(p, &lead2, ProjectRole::SquadLead).await;
    assert_eq!(lines(&app, p).await[&m1.id], Some(lead2.id));
    let promoted = app.grant_project(p, &m1, ProjectRole::Pm).await;
    assert_eq!(promoted["reports_to"], admin.to_string());
    let now = lines(&app, p).await;
    // lead2 now has two pms above: the earlier membership wins the tie, and m1 joined (as a
    // member) before pm did.
    assert_eq!(now[&lead2.id], Some(m1.id));
    assert_eq!(now[&m2.id], Some(lead2.id));

    // An explicit line that becomes invalid (its target demoted to the same tier) reverts.
    expect_status(
        put(
            &app,
            &app.admin,
            p,
            &m2,
            json!({ "role": "member", "reports_to": m1.id }),
        )
        .await,
        200,
    )
    .await;
    app.grant_project(p, &m1, ProjectRole::Member).await;
    let now = lines(&app, p).await;
    assert_eq!(now[&m2.id], Some(lead2.id));

    // The tree: admin at the root, then pms, then leads, then members.
    let tree = app
        .get_ok(&m2, &format!("/v1/projects/{p}/reporting-lines"))
        .await;
    let roots = tree["roots"].as_array().unwrap();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["user_id"], admin.to_string());
    assert_eq!(roots[0]["reports"][0]["user_id"], pm.id.to_string());
    let under_pm = roots[0]["reports"][0]["reports"].as_array().unwrap();
    assert_eq!(under_pm[0]["user_id"], lead2.id.to_string());
    let under_lead: HashSet<&str> = strs(&under_pm[0]["reports"], "user_id")
        .into_iter()
        .collect();
    assert_eq!(
        under_lead,
        HashSet::from([m1.id.to_string().as_str(), m2.id.to_string().as_str()])
    );
}

/// Overlapping role changes, including the last two admins demoting each other at once, then
/// the invariants checked in the database itself.
async fn concurrent_role_changes_keep_the_invariants(db: &TestDb) {
    let app = spawn_app(db).await;
    let p = project(&app).await;
    let mut users = Vec::new();
    for i in 0..8 {
        let user = app.create_user(&format!("u{i}@example.org")).await;
        let role = if i < 2 {
            ProjectRole::Admin
        } else {
            ProjectRole::Member
        };
        app.put_project_member(&app.admin, p, user.id, role).await;
        users.push(user);
    }
    // The system admin leaves, so users 0 and 1 are the only admins.
    expect_status(remove(&app, &app.admin, p, &app.admin).await, 204).await;

    for round in 0..6 {
        let (a, b) = (&users[0], &users[1]);
        let roles = ["member", "squad_lead", "pm"];
        let mut requests = vec![
            put(&app, a, p, b, json!({ "role": "member" })),
            put(&app, b, p, a, json!({ "role": "member" })),
        ];
        for (i, user) in users[2..].iter().enumerate() {
            let actor = if i % 2 == 0 { a } else { b };
            requests.push(put(
                &app,
                actor,
                p,
                user,
                json!({ "role": roles[(i + round) % 3] }),
            ));
        }
        let responses = futures_util::future::join_all(requests).await;
        let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
        for status in &statuses {
            assert!(
                [200, 201, 403, 404, 409].contains(status),
                "unexpected {status}: {statuses:?}"
            );
        }
        // Exactly one of the mutual demotions can win (the loser sees 409 last_admin, or 403
        // when the winner's demotion already took its power).
        assert!(
            statuses[..2].iter().filter(|s| **s == 200).count() <= 1,
            "{statuses:?}"
        );
        check_invariants(&app, p).await;
        // Restore two admins for the next round, as the admin who survived.
        let members = lines(&app, p).await;
        assert_eq!(members.len(), 8);
        let admin = admins(&app, p).await;
        let survivor = if admin.contains(&users[0].id) {
            &users[0]
        } else {
            &users[1]
        };
        let other = if survivor.id == users[0].id {
            &users[1]
        } else {
            &users[0]
        };
        expect_status(
            put(&app, survivor, p, other, json!({ "role": "admin" })).await,
            200,
        )
        .await;
    }
}

async fn admins(app: &TestApp, project: Uuid) -> Vec<Uuid> {
    entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project))
        .filter(entity::project_members::Column::Role.eq(entity::roles::ProjectRole::Admin))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.user_id)
        .collect()
}

/// One role per user per project, at least one admin, every `reports_to` valid (a current
/// member of a strictly stronger tier) and current (what the rule computes now).
async fn check_invariants(app: &TestApp, project: Uuid) {
    let rows = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project))
        .all(&app.db)
        .await
        .unwrap();
    let users: HashSet<Uuid> = rows.iter().map(|m| m.user_id).collect();
    assert_eq!(users.len(), rows.len(), "one role per user");
    assert!(!admins(app, project).await.is_empty(), "at least one admin");
    let tier = |user: Uuid| {
        rows.iter()
            .find(|m| m.user_id == user)
            .map(|m| roster_server::convert::project_role(m.role).tier())
    };
    for row in &rows {
        if let Some(manager) = row.reports_to {
            let mine = roster_server::convert::project_role(row.role).tier();
            let theirs = tier(manager).expect("reports_to names a current member");
            assert!(theirs < mine, "reports_to names a stronger member");
        }
    }
    let facts = roster_server::services::reporting::load(&app.db, project)
        .await
        .unwrap();
    let pending = domain::repair_reporting_lines(&facts.members, &|s| facts.squad_parent(s));
    assert!(pending.is_empty(), "every line is current: {pending:?}");
}

/// Deleting a user nulls the lines that pointed at them (ON DELETE SET NULL); the same request
/// recomputes them, explicit ones included.
async fn deleting_a_user_repairs_lines(db: &TestDb) {
    let app = spawn_app(db).await;
    let p = project(&app).await;
    let pm = app.create_user("pm@example.org").await;
    let lead = app.create_user("lead@example.org").await;
    let m1 = app.create_user("m1@example.org").await;
    let m2 = app.create_user("m2@example.org").await;
    app.grant_project(p, &pm, ProjectRole::Pm).await;
    app.grant_project(p, &lead, ProjectRole::SquadLead).await;
    app.grant_project(p, &m1, ProjectRole::Member).await;
    expect_status(
        put(
            &app,
            &app.admin,
            p,
            &m2,
            json!({ "role": "member", "reports_to": lead.id }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(lines(&app, p).await[&m1.id], Some(lead.id));
    let response = app
        .delete(&app.admin, &format!("/v1/users/{}", lead.id))
        .await;
    expect_status(response, 204).await;
    let now = lines(&app, p).await;
    assert_eq!(now[&m1.id], Some(pm.id));
    assert_eq!(now[&m2.id], Some(pm.id));
    let m2_row = app
        .get_ok(&app.admin, &format!("/v1/projects/{p}/members/{}", m2.id))
        .await;
    assert_eq!(m2_row["reports_to_explicit"], false);
    check_invariants(&app, p).await;
}

both_backends!(
    deleting_a_user_repairs_lines,
    upserts_and_escalation,
    the_last_admin_stays,
    users_outside_the_actors_scope_read_as_unknown,
    reporting_lines_follow_the_rule,
    concurrent_role_changes_keep_the_invariants
);
