//! The change feed (spec §8): revisions in commit order, `Roster-Revision` on every `/v1`
//! response, audit-route visibility, the long poll, `gone`, and effective-access deltas.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

/// Every change after `after` that `user` may read through `query`, following `next_after`.
async fn feed(app: &TestApp, user: &TestUser, query: &str, after: i64) -> Vec<Value> {
    let mut found = Vec::new();
    let mut after = after;
    loop {
        let page = app
            .get_ok(user, &format!("/v1/changes?after={after}&limit=7{query}"))
            .await;
        let items = page["items"].as_array().unwrap().clone();
        let next = page["next_after"].as_i64().unwrap();
        assert!(next >= after, "next_after never goes back: {page}");
        if items.is_empty() {
            assert_eq!(next, page["revision"].as_i64().unwrap(), "{page}");
            return found;
        }
        found.extend(items);
        after = next;
    }
}

fn revision_header(response: &reqwest::Response) -> i64 {
    response
        .headers()
        .get("roster-revision")
        .unwrap_or_else(|| panic!("no Roster-Revision on {}", response.url()))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The revision `user`'s latest read was stamped with.
async fn current(app: &TestApp) -> i64 {
    let response = app
        .call(Some(&app.admin), Method::GET, "/v1/me", None)
        .await;
    revision_header(&response)
}

/// The access deltas of the one change with `action` after `after`, in user order: user,
/// `type:id`, and the roles before and after (`-` for none).
async fn deltas(app: &TestApp, after: i64, action: &str) -> Vec<(Uuid, String, String, String)> {
    let changes = feed(app, &app.admin, "", after).await;
    let matching: Vec<&Value> = changes.iter().filter(|c| c["action"] == action).collect();
    assert_eq!(matching.len(), 1, "one {action} after {after}: {changes:?}");
    matching[0]["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let user = d["user_id"].as_str().unwrap().parse().unwrap();
            let at = format!(
                "{}:{}",
                d["type"].as_str().unwrap(),
                d["id"].as_str().unwrap()
            );
            let role = |v: &Value| v.as_str().unwrap_or("-").to_owned();
            (user, at, role(&d["before"]), role(&d["after"]))
        })
        .collect()
}

fn s(role: &str) -> String {
    role.to_owned()
}

async fn revisions_follow_commits(db: &TestDb) {
    let app = spawn_app(db).await;
    let start = current(&app).await;
    assert!(start >= 1, "bootstrap is a change");

    // Each write answers with the revision it committed, one more than the last.
    let mut committed = Vec::new();
    for name in ["A", "B", "C"] {
        let response = app
            .call(
                Some(&app.admin),
                Method::POST,
                "/v1/groups",
                Some(&json!({ "name": name })),
            )
            .await;
        assert_eq!(response.status(), 201);
        committed.push(revision_header(&response));
    }
    assert_eq!(committed, [start + 1, start + 2, start + 3]);
    // Reads, refusals and unknown routes under /v1 carry the header too.
    assert_eq!(current(&app).await, start + 3);
    let refused = app.call(None, Method::GET, "/v1/me", None).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(revision_header(&refused), start + 3);

    // The feed: every revision once, in order, each the audit event's own.
    let changes = feed(&app, &app.admin, "", 0).await;
    let revisions: Vec<i64> = changes
        .iter()
        .map(|c| c["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revisions, (1..=start + 3).collect::<Vec<_>>());
    assert_eq!(changes[0]["action"], "system.bootstrap");
    let stored = app.audit_events("group.create").await;
    assert!(stored.iter().all(|e| committed.contains(&e.revision)));

    // Filters keep the cursor moving past what they leave out.
    let page = app
        .get_ok(&app.admin, "/v1/changes?resource_type=user")
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["next_after"], start + 3);

    for bad in [
        "after=-1",
        "limit=0",
        "limit=501",
        "wait=31",
        "wait=-1",
        "after=x",
        "resource_type=",
    ] {
        app.get_refused(
            &app.admin,
            &format!("/v1/changes?{bad}"),
            400,
            "validation_failed",
        )
        .await;
    }
    // A cursor from the future is refused at once, not held for `wait` seconds.
    let ahead = format!("/v1/changes?after={}&wait=30", start + 1000);
    let began = std::time::Instant::now();
    let problem = app
        .get_refused(&app.admin, &ahead, 400, "validation_failed")
        .await;
    assert_eq!(problem["errors"][0]["field"], "after", "{problem}");
    assert!(began.elapsed() < std::time::Duration::from_secs(5));
    let both = format!(
        "/v1/changes?group_id={}&project_id={}",
        Uuid::now_v7(),
        Uuid::now_v7()
    );
    let problem = app
        .get_refused(&app.admin, &both, 400, "validation_failed")
        .await;
    assert_eq!(problem["errors"][0]["field"], "project_id");
}

async fn the_feed_is_read_as_the_audit_trail_is(db: &TestDb) {
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
    let member = app.create_user("member@example.org").await;
    app.grant_project(project, &member, ProjectRole::Member)
        .await;

    app.get_refused(&head, "/v1/changes", 403, "forbidden")
        .await;
    let in_school = feed(&app, &head, &format!("&group_id={school}"), 0).await;
    let groups: BTreeSet<&str> = in_school
        .iter()
        .map(|c| c["resource_type"].as_str().unwrap())
        .collect();
    assert!(
        groups.contains("group_member") && groups.contains("project"),
        "{in_school:?}"
    );
    assert!(
        in_school
            .iter()
            .all(|c| c["details"].to_string().contains(&school.to_string())
                || c["details"].to_string().contains(&class.to_string())
                || c["details"].to_string().contains(&project.to_string())),
        "nothing of the other tree: {in_school:?}"
    );
    let in_project = feed(&app, &app.admin, &format!("&project_id={project}"), 0).await;
    let acts: Vec<&str> = in_project
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(acts, ["project.create", "project_member.create"]);
    // A member lacks project.manage_settings; a teacher lacks group.manage; a stranger sees
    // nothing.
    let path = format!("/v1/changes?project_id={project}");
    app.get_refused(&member, &path, 403, "forbidden").await;
    app.get_refused(
        &teacher,
        &format!("/v1/changes?group_id={class}"),
        403,
        "forbidden",
    )
    .await;
    app.get_refused(
        &head,
        &format!("/v1/changes?group_id={other}"),
        404,
        "not_found",
    )
    .await;
}

async fn a_long_poll_answers_when_a_change_commits(db: &TestDb) {
    let app = spawn_app(db).await;
    let now = current(&app).await;

    // Nothing arrives: the answer is empty after the wait, and the cursor stays put.
    let started = Instant::now();
    let page = app
        .get_ok(&app.admin, &format!("/v1/changes?after={now}&wait=1"))
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "held for the wait"
    );
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["next_after"], now);

    // A change commits while the poll waits: it answers with it at once.
    let waiting = {
        let path = format!("/v1/changes?after={now}&wait=20");
        let request = app.as_user(&app.admin, Method::GET, &path);
        tokio::spawn(async move { (Instant::now(), request.send().await) })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.create_group(&app.admin, "Late", None).await;
    let (sent, response) = waiting.await.unwrap();
    let page: Value = response.unwrap().json().await.unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "answered before the wait ran out"
    );
    assert_eq!(page["items"][0]["action"], "group.create", "{page}");
    assert_eq!(page["items"][0]["revision"], now + 1);

    // A change the filter leaves out does not end the wait early with nothing.
    let started = Instant::now();
    let path = format!("/v1/changes?after={}&wait=1&resource_type=project", now + 1);
    let filtered = app.as_user(&app.admin, Method::GET, &path);
    let poll = tokio::spawn(async move { filtered.send().await.unwrap().json::<Value>().await });
    app.create_group(&app.admin, "Unrelated", None).await;
    let page = poll.await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(page["items"], json!([]));
    assert_eq!(
        page["next_after"],
        now + 2,
        "moved past the change it left out"
    );
}

async fn a_cursor_older_than_the_history_is_gone(db: &TestDb) {
    let app = spawn_app(db).await;
    for name in ["A", "B", "C", "D"] {
        app.create_group(&app.admin, name, None).await;
    }
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE revisions SET retained_after = 3",
        ))
        .await
        .unwrap();
    let problem = app
        .get_refused(&app.admin, "/v1/changes?after=2", 410, "gone")
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains('3'),
        "{problem}"
    );
    let page = app.get_ok(&app.admin, "/v1/changes?after=3").await;
    assert_eq!(page["items"][0]["revision"], 4);
}

async fn access_deltas_say_whose_effective_role_changed(db: &TestDb) {
    let app = spawn_app(db).await;
    let admin = app.admin.id;
    let school = app.create_group(&app.admin, "School", None).await;
    let class = app.create_group(&app.admin, "Class", Some(school)).await;
    let annex = app.create_group(&app.admin, "Annex", None).await;
    let ann = app.create_user("ann@example.org").await;
    let bob = app.create_user("bob@example.org").await;
    let at = |kind: &str, id: Uuid| format!("{kind}:{id}");

    // Grant: a role where there was none.
    let before = current(&app).await;
    app.grant_group(school, &ann, GroupRole::Teacher).await;
    assert_eq!(
        deltas(&app, before, "group_member.create").await,
        [(ann.id, at("group", school), s("-"), s("teacher"))]
    );

    // Demote: teacher → student.
    let before = current(&app).await;
    app.grant_group(school, &ann, GroupRole::Student).await;
    assert_eq!(
        deltas(&app, before, "group_member.update").await,
        [(ann.id, at("group", school), s("teacher"), s("student"))]
    );

    // A direct role weaker than the inherited one changes nothing at the node.
    let before = current(&app).await;
    app.grant_group(class, &ann, GroupRole::Student).await;
    assert_eq!(deltas(&app, before, "group_member.create").await, []);

    // Remove.
    let before = current(&app).await;
    let path = format!("/v1/groups/{class}/members/{}", ann.id);
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    assert_eq!(deltas(&app, before, "group_member.delete").await, []);
    let before = current(&app).await;
    let path = format!("/v1/groups/{school}/members/{}", ann.id);
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    assert_eq!(
        deltas(&app, before, "group_member.delete").await,
        [(ann.id, at("group", school), s("student"), s("-"))]
    );

    // Subtree move: the class leaves the school for the annex; inherited roles change.
    app.grant_group(school, &ann, GroupRole::Teacher).await;
    app.grant_group(annex, &bob, GroupRole::GroupAdmin).await;
    let before = current(&app).await;
    app.patch(
        &app.admin,
        &format!("/v1/groups/{class}"),
        &json!({ "parent_id": annex }),
    )
    .await;
    let moved = deltas(&app, before, "group.move").await;
    let mut expected = vec![
        (ann.id, at("group", class), s("teacher"), s("-")),
        (bob.id, at("group", class), s("-"), s("group_admin")),
    ];
    expected.sort();
    assert_eq!(
        moved, expected,
        "the system admin keeps their role: no delta"
    );

    // Bridged project admin: a group_admin of the owner is admin of its projects.
    let before = current(&app).await;
    let project = app.create_project(&app.admin, class, "P").await;
    let created = deltas(&app, before, "project.create").await;
    let mut expected = vec![
        (admin, at("project", project), s("-"), s("admin")),
        (bob.id, at("project", project), s("-"), s("admin")),
    ];
    expected.sort();
    assert_eq!(created, expected);
    let before = current(&app).await;
    app.grant_project(project, &bob, ProjectRole::Member).await;
    assert_eq!(
        deltas(&app, before, "project_member.create").await,
        [],
        "bob's own member role is weaker than the bridged admin"
    );
    let before = current(&app).await;
    let path = format!("/v1/groups/{annex}/members/{}", bob.id);
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    assert_eq!(
        deltas(&app, before, "group_member.delete").await,
        [(bob.id, at("group", annex), s("group_admin"), s("-"))],
        "the touched node is the annex; below it, the class and its project follow"
    );

    // A project role of one's own, given and taken away.
    let before = current(&app).await;
    app.grant_project(project, &ann, ProjectRole::Member).await;
    assert_eq!(
        deltas(&app, before, "project_member.create").await,
        [(ann.id, at("project", project), s("-"), s("member"))]
    );
    let before = current(&app).await;
    let path = format!("/v1/projects/{project}/members/{}", ann.id);
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    assert_eq!(
        deltas(&app, before, "project_member.delete").await,
        [(ann.id, at("project", project), s("member"), s("-"))]
    );

    // Group deletion: everyone with a role there loses it.
    app.grant_group(class, &ann, GroupRole::Student).await;
    let before = current(&app).await;
    assert_eq!(
        app.delete(&app.admin, &format!("/v1/groups/{class}"))
            .await
            .status(),
        204
    );
    let deleted = deltas(&app, before, "group.delete").await;
    let mut expected = vec![
        (admin, at("group", class), s("system_admin"), s("-")),
        (ann.id, at("group", class), s("student"), s("-")),
    ];
    expected.sort();
    assert_eq!(deleted, expected);
}

/// Many clients writing at once: every acknowledged write has its own revision, and the feed
/// read from 0 holds each revision exactly once, in order, with no gap.
async fn concurrent_writes_each_get_one_revision(db: &TestDb) {
    let app = std::sync::Arc::new(spawn_app(db).await);
    let start = current(&app).await;
    let (clients, each) = (8, 25);
    let mut tasks = Vec::new();
    for client in 0..clients {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut revisions = Vec::new();
            for n in 0..each {
                let body = json!({ "name": format!("g{client}-{n}") });
                let response = app
                    .call(Some(&app.admin), Method::POST, "/v1/groups", Some(&body))
                    .await;
                assert_eq!(response.status(), 201);
                revisions.push(revision_header(&response));
            }
            revisions
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    acknowledged.sort_unstable();
    let total = i64::from(clients * each);
    assert_eq!(
        acknowledged,
        ((start + 1)..=(start + total)).collect::<Vec<_>>()
    );
    let changes = feed(&app, &app.admin, "", start).await;
    let read: Vec<i64> = changes
        .iter()
        .map(|c| c["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(read, acknowledged);
}

both_backends!(revisions_follow_commits);
both_backends!(the_feed_is_read_as_the_audit_trail_is);
both_backends!(a_long_poll_answers_when_a_change_commits);
both_backends!(a_cursor_older_than_the_history_is_gone);
both_backends!(access_deltas_say_whose_effective_role_changed);
both_backends!(concurrent_writes_each_get_one_revision);
