//! Reporting lines per person — a member's chain of managers and their reports, direct or
//! transitive, paginated with a `total` — the display names of the reporting tree, and
//! `GET /v1/projects` (with `?within=`): exactly the projects each kind of principal may view.

use std::collections::{BTreeSet, HashMap};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use serde_json::{Value, json};
use tests::api::{item_ids, uuid_at};
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use tests::world::{Who, World};
use uuid::Uuid;

/// A project in a fresh root group, created by the system admin (its first admin).
async fn project(app: &TestApp) -> Uuid {
    let group = app.create_group(&app.admin, "Org", None).await;
    app.create_project(&app.admin, group, "Apollo").await
}

/// A user whose display name differs from their email, so that a test sees which one it got.
async fn person(app: &TestApp, name: &str) -> TestUser {
    let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
    app.create_user_as(&app.admin, &email, name).await
}

/// The `user_id` of each item, in order.
fn user_ids(items: &[Value]) -> Vec<Uuid> {
    items.iter().map(|item| uuid_at(item, "user_id")).collect()
}

/// A user's display name as `GET /v1/users/{id}` shows it.
async fn display_name(app: &TestApp, user: Uuid) -> String {
    let body = app.get_ok(&app.admin, &format!("/v1/users/{user}")).await;
    body["display_name"].as_str().unwrap().to_owned()
}

/// Every member of `project` and the member they report to.
async fn lines(app: &TestApp, project: Uuid) -> HashMap<Uuid, Option<Uuid>> {
    let path = format!("/v1/projects/{project}/members");
    let (items, _) = app.walk_pages(&app.admin, &path, 500).await;
    items
        .iter()
        .map(|m| {
            let manager = m["reports_to"].as_str().map(|s| s.parse().unwrap());
            (uuid_at(m, "user_id"), manager)
        })
        .collect()
}

/// Who reports to `user` directly, or at any depth, by the lines as listed.
fn below(lines: &HashMap<Uuid, Option<Uuid>>, user: Uuid, transitive: bool) -> Vec<Uuid> {
    let mut found = BTreeSet::new();
    let mut frontier = vec![user];
    while let Some(manager) = frontier.pop() {
        for (member, line) in lines {
            if *line == Some(manager) && found.insert(*member) && transitive {
                frontier.push(*member);
            }
        }
    }
    found.into_iter().collect()
}

async fn a_chain_runs_nearest_first_to_the_top(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let pm = person(&app, "Grace Hopper").await;
    let lead = person(&app, "Ada Lovelace").await;
    let member = person(&app, "Alan Turing").await;
    for (user, role) in [
        (&pm, ProjectRole::Pm),
        (&lead, ProjectRole::SquadLead),
        (&member, ProjectRole::Member),
    ] {
        app.put_project_member(&app.admin, project, user.id, role)
            .await;
    }

    let chain = app.chain(&app.admin, project, member.id).await;
    assert_eq!(
        user_ids(&chain),
        [lead.id, pm.id, app.admin.id],
        "{chain:?}"
    );
    let roles: Vec<&str> = chain.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["squad_lead", "pm", "admin"]);
    let admin_name = display_name(&app, app.admin.id).await;
    let names: Vec<&str> = chain
        .iter()
        .map(|m| m["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada Lovelace", "Grace Hopper", admin_name.as_str()]);
    for link in &chain {
        assert_eq!(link["project_id"], project.to_string(), "{link}");
    }
    // Each link is the manager of the one before it.
    assert_eq!(chain[0]["reports_to"], pm.id.to_string());
    assert_eq!(chain[1]["reports_to"], app.admin.id.to_string());
    assert!(chain[2]["reports_to"].is_null());

    // The top has no managers; a member may read the chains of their project.
    assert!(app.chain(&member, project, app.admin.id).await.is_empty());
    assert_eq!(
        user_ids(&app.chain(&member, project, pm.id).await),
        [app.admin.id]
    );

    // An explicit line may skip a tier: the chain follows it.
    let path = format!("/v1/projects/{project}/members/{}", member.id);
    let body = json!({ "role": "member", "reports_to": pm.id });
    app.expect(&app.admin, Method::PUT, &path, Some(&body), &[200])
        .await;
    let chain = app.chain(&app.admin, project, member.id).await;
    assert_eq!(user_ids(&chain), [pm.id, app.admin.id]);
}

async fn reports_are_direct_or_transitive_with_their_total(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let pm = person(&app, "Pat Manager").await;
    app.put_project_member(&app.admin, project, pm.id, ProjectRole::Pm)
        .await;
    let mut leads = Vec::new();
    for n in 0..2 {
        let lead = person(&app, &format!("Lead {n}")).await;
        app.put_project_member(&app.admin, project, lead.id, ProjectRole::SquadLead)
            .await;
        leads.push(lead);
    }
    let mut members = Vec::new();
    for n in 0..5 {
        let member = person(&app, &format!("Member {n}")).await;
        app.put_project_member(&app.admin, project, member.id, ProjectRole::Member)
            .await;
        members.push(member);
    }
    // The second lead's squad holds two members: they report to that lead, the rest to the
    // first (the earlier membership).
    let squad = app.create_squad(&app.admin, project, "Rovers", None).await;
    for user in [&leads[1], &members[3], &members[4]] {
        app.put_squad_member(&app.admin, squad, user.id).await;
    }

    let lines = lines(&app, project).await;
    assert_eq!(lines.len(), 9);
    assert_eq!(below(&lines, leads[1].id, false).len(), 2);
    assert_eq!(below(&lines, leads[0].id, false).len(), 3);
    assert_eq!(below(&lines, app.admin.id, true).len(), 8);
    for user in lines.keys() {
        for transitive in [false, true] {
            let expected = below(&lines, *user, transitive);
            for limit in [2, 500] {
                let (items, totals) = app
                    .all_reports(&app.admin, project, *user, transitive, limit)
                    .await;
                let what = format!("reports of {user} (transitive={transitive}, limit={limit})");
                assert_eq!(user_ids(&items), expected, "{what}");
                assert!(
                    totals.iter().all(|t| *t == expected.len() as u64),
                    "{what}: totals {totals:?}, expected {}",
                    expected.len()
                );
                for item in &items {
                    let id = uuid_at(item, "user_id");
                    assert_eq!(
                        item["display_name"].as_str().unwrap(),
                        display_name(&app, id).await
                    );
                }
            }
        }
    }

    // `transitive` defaults to false; a member without reports gets an empty last page.
    let direct = app
        .get_ok(
            &app.admin,
            &format!("/v1/projects/{project}/members/{}/reports", pm.id),
        )
        .await;
    assert_eq!(item_ids(&direct, "user_id"), below(&lines, pm.id, false));
    let none = app
        .get_ok(
            &members[0],
            &format!(
                "/v1/projects/{project}/members/{}/reports?transitive=true",
                members[0].id
            ),
        )
        .await;
    assert_eq!(
        none,
        json!({ "items": [], "next_cursor": null, "total": 0 })
    );
}

async fn report_pages_neither_repeat_nor_skip_while_members_join(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let mut before = Vec::new();
    for n in 0..12 {
        let member = person(&app, &format!("Early {n}")).await;
        app.put_project_member(&app.admin, project, member.id, ProjectRole::Member)
            .await;
        before.push(member.id);
    }
    let path = format!(
        "/v1/projects/{project}/members/{}/reports?transitive=true",
        app.admin.id
    );
    let walking = app.walk_pages(&app.admin, &path, 2);
    let joining = async {
        let mut joined = Vec::new();
        for n in 0..10 {
            let member = person(&app, &format!("Late {n}")).await;
            app.put_project_member(&app.admin, project, member.id, ProjectRole::Member)
                .await;
            joined.push(member.id);
        }
        joined
    };
    let ((items, pages), joined) = tokio::join!(walking, joining);
    let seen = user_ids(&items);
    assert!(
        seen.windows(2).all(|pair| pair[0] < pair[1]),
        "pages repeat or go back: {seen:?}"
    );
    for id in &before {
        assert!(
            seen.contains(id),
            "{id}, a report from the start, was skipped"
        );
    }
    for page in &pages {
        let total = page["total"].as_u64().unwrap();
        assert!((12..=22).contains(&total), "total {total}");
    }
    let (items, totals) = app
        .all_reports(&app.admin, project, app.admin.id, true, 5)
        .await;
    let mut everyone = before.clone();
    everyone.extend(joined);
    everyone.sort();
    assert_eq!(user_ids(&items), everyone);
    assert!(totals.iter().all(|t| *t == 22), "{totals:?}");
}

async fn the_reporting_tree_names_every_person(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let pm = person(&app, "Grace Hopper").await;
    let member = person(&app, "Alan Turing").await;
    app.put_project_member(&app.admin, project, pm.id, ProjectRole::Pm)
        .await;
    app.put_project_member(&app.admin, project, member.id, ProjectRole::Member)
        .await;
    let tree = app
        .get_ok(&member, &format!("/v1/projects/{project}/reporting-lines"))
        .await;
    let mut names = HashMap::new();
    let mut nodes: Vec<&Value> = tree["roots"].as_array().unwrap().iter().collect();
    while let Some(node) = nodes.pop() {
        let name = node["display_name"]
            .as_str()
            .unwrap_or_else(|| panic!("a node without display_name: {node}"));
        names.insert(uuid_at(node, "user_id"), name.to_owned());
        nodes.extend(node["reports"].as_array().unwrap());
    }
    let admin_name = display_name(&app, app.admin.id).await;
    let expected = HashMap::from([
        (app.admin.id, admin_name),
        (pm.id, "Grace Hopper".to_owned()),
        (member.id, "Alan Turing".to_owned()),
    ]);
    assert_eq!(names, expected);
    // Nested as the lines run: admin → pm → member.
    let root = &tree["roots"][0];
    assert_eq!(root["user_id"], app.admin.id.to_string());
    assert_eq!(root["reports"][0]["display_name"], "Grace Hopper");
    assert_eq!(
        root["reports"][0]["reports"][0]["display_name"],
        "Alan Turing"
    );
}

async fn reporting_reads_refuse_what_they_cannot_answer(db: &TestDb) {
    let app = spawn_app(db).await;
    let project = project(&app).await;
    let member = person(&app, "Alan Turing").await;
    app.put_project_member(&app.admin, project, member.id, ProjectRole::Member)
        .await;
    let outsider = person(&app, "Olive Outside").await;
    let admin = &app.admin;
    let nobody = Uuid::now_v7();
    for tail in ["chain", "reports"] {
        let on = |p: Uuid, u: Uuid| format!("/v1/projects/{p}/members/{u}/{tail}");
        // No such project, a user who is no member, a user who does not exist.
        app.get_refused(admin, &on(nobody, member.id), 404, "not_found")
            .await;
        app.get_refused(admin, &on(project, outsider.id), 404, "not_found")
            .await;
        app.get_refused(admin, &on(project, nobody), 404, "not_found")
            .await;
        // A caller with no role in the project cannot tell it exists.
        app.get_refused(&outsider, &on(project, member.id), 404, "not_found")
            .await;
        let bad = format!("/v1/projects/{project}/members/not-a-uuid/{tail}");
        let problem = app.get_refused(admin, &bad, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "user_id", "{problem}");
    }
    let reports = format!("/v1/projects/{project}/members/{}/reports", admin.id);
    for (query, field) in [
        ("transitive=maybe", "transitive"),
        ("transitive=", "transitive"),
        ("cursor=not-a-cursor!", "cursor"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ] {
        let problem = app
            .get_refused(
                admin,
                &format!("{reports}?{query}"),
                400,
                "validation_failed",
            )
            .await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    // A well-formed cursor of a list in another order (a group path) is not one of this list.
    let path_cursor = URL_SAFE_NO_PAD.encode("a.b");
    let problem = app
        .get_refused(
            admin,
            &format!("{reports}?cursor={path_cursor}"),
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "cursor", "{problem}");
}

async fn projects_lists_exactly_what_each_principal_may_view(db: &TestDb) {
    let w = World::build(db).await;
    let app = &w.app;
    let (p, q) = (w.p, w.q);
    let all = app.visible_projects(w.admin(), None, 50).await;
    assert!(all.contains(&p) && all.contains(&q), "{all:?}");
    // Walking one at a time gives the same list.
    assert_eq!(app.visible_projects(w.admin(), None, 1).await, all);

    let expected: [(Who, &[Uuid]); 14] = [
        (Who::Sa, &[p, q]),
        // group_admin of the class, or of the school above it: a bridged admin.
        (Who::Ga, &[p]),
        (Who::GaUp, &[p]),
        // Teachers and students of the owning group hold no project role.
        (Who::T, &[]),
        (Who::S, &[]),
        (Who::TUp, &[]),
        (Who::SUp, &[]),
        // Project members, whatever their role.
        (Who::Pa, &[p]),
        (Who::Pm, &[p]),
        (Who::Sl, &[p]),
        (Who::SlOther, &[p]),
        (Who::Mem, &[p]),
        (Who::Out, &[q]),
        (Who::Str, &[]),
    ];
    for (who, projects) in expected {
        let me = w.user(who);
        let listed = app.visible_projects(me, None, 1).await;
        let mut projects = projects.to_vec();
        projects.sort();
        assert_eq!(listed, projects, "{} GET /v1/projects", who.label());
        // Exactly what GET /v1/projects/{id} lets them read.
        for project in &all {
            let (status, _) = app
                .send(
                    Some(me),
                    Method::GET,
                    &format!("/v1/projects/{project}"),
                    None,
                )
                .await;
            assert_eq!(
                status == 200,
                listed.contains(project),
                "{} GET /v1/projects/{project} answered {status}",
                who.label()
            );
        }
    }

    // `my_role` is the role GET /v1/projects/{id} shows: bridged, or assigned.
    for (who, role) in [
        (Who::Sa, "admin"),
        (Who::GaUp, "admin"),
        (Who::Sl, "squad_lead"),
        (Who::Mem, "member"),
    ] {
        let page = app.get_ok(w.user(who), "/v1/projects").await;
        let robots = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == p.to_string())
            .unwrap();
        assert_eq!(robots["my_role"], role, "{}", who.label());
    }

    // `within`: the group and its descendants, of a group the caller may view.
    assert_eq!(
        app.visible_projects(w.admin(), Some(w.school), 50).await,
        [p]
    );
    assert_eq!(app.visible_projects(w.admin(), Some(w.dept), 50).await, [p]);
    assert_eq!(
        app.visible_projects(w.admin(), Some(w.academy), 50).await,
        [q]
    );
    assert!(
        app.visible_projects(w.admin(), Some(w.org), 50)
            .await
            .is_empty()
    );
    assert_eq!(
        app.visible_projects(w.user(Who::GaUp), Some(w.dept), 50)
            .await,
        [p]
    );
    assert!(
        app.visible_projects(w.user(Who::T), Some(w.class), 50)
            .await
            .is_empty()
    );
    for (who, group) in [
        (Who::GaUp, w.academy),
        // A project member without a role in the owning group cannot view the group.
        (Who::Mem, w.class),
        (Who::Str, w.class),
        (Who::Sa, w.missing),
    ] {
        let path = format!("/v1/projects?within={group}");
        app.get_refused(w.user(who), &path, 404, "not_found").await;
    }
    let problem = app
        .get_refused(
            w.admin(),
            "/v1/projects?within=not-a-uuid",
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "within", "{problem}");
    let problem = app
        .get_refused(
            w.admin(),
            "/v1/projects?cursor=%21",
            400,
            "validation_failed",
        )
        .await;
    assert_eq!(problem["errors"][0]["field"], "cursor", "{problem}");

    // A group_admin deep in the tree who is only a student above: within the top, they see
    // the projects of their own subtree and nothing else.
    let lab = app.create_group(w.admin(), "Lab", Some(w.class)).await;
    let rover = app.create_project(w.admin(), lab, "Rover").await;
    let keeper = app.create_user("keeper@example.org").await;
    app.put_group_member(w.admin(), w.school, keeper.id, GroupRole::Student)
        .await;
    app.put_group_member(w.admin(), lab, keeper.id, GroupRole::GroupAdmin)
        .await;
    assert_eq!(
        app.visible_projects(&keeper, Some(w.school), 1).await,
        [rover]
    );
    assert_eq!(app.visible_projects(&keeper, None, 1).await, [rover]);
    // A project member there sees it too, and the teacher of the class does not.
    app.put_project_member(w.admin(), rover, w.user(Who::Mem).id, ProjectRole::Member)
        .await;
    assert_eq!(app.visible_projects(w.user(Who::Mem), None, 50).await, {
        let mut both = vec![p, rover];
        both.sort();
        both
    });
    assert!(
        app.visible_projects(w.user(Who::T), Some(w.class), 50)
            .await
            .is_empty()
    );
}

both_backends!(
    a_chain_runs_nearest_first_to_the_top,
    reports_are_direct_or_transitive_with_their_total,
    report_pages_neither_repeat_nor_skip_while_members_join,
    the_reporting_tree_names_every_person,
    reporting_reads_refuse_what_they_cannot_answer,
    projects_lists_exactly_what_each_principal_may_view,
);
