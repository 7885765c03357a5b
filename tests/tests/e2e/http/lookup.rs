//! Lookups agree with `/v1/check`, exhaustively, on generated worlds: trees up to depth 5,
//! memberships of every role at every level, projects with bridged admins, squads with leads in
//! and out. For every user × capability × resource, the resource lookup covers exactly what
//! check allows and the subject lookup lists exactly who check allows; subtree roots are
//! minimal and cover exactly the expanded answer; pages are walked with a small limit.

use std::collections::{BTreeSet, HashMap};

use domain::{Capability, GroupRole, ProjectRole, ResourceKind};
use serde_json::{Value, json};
use tests::app::{TestApp, TestUser, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

/// SplitMix64: a small deterministic generator, so each seed builds the same world every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

struct World {
    users: Vec<TestUser>,
    groups: Vec<Uuid>,
    projects: Vec<Uuid>,
    squads: Vec<Uuid>,
}

/// Builds a world through the API, as the system admin.
async fn build(app: &TestApp, seed: u64) -> World {
    let mut rng = Rng(seed);
    let root = app
        .create_group(&app.admin, &format!("World {seed}"), None)
        .await;
    let mut groups = vec![(root, 0usize)];
    while groups.len() < 14 {
        let (parent, depth) = groups[rng.below(groups.len())];
        if depth < 4 {
            let name = format!("G{}", groups.len());
            groups.push((
                app.create_group(&app.admin, &name, Some(parent)).await,
                depth + 1,
            ));
        }
    }
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(app.create_user(&format!("u{i}.{seed}@example.org")).await);
    }
    for (i, user) in users.iter().enumerate() {
        // One system admin; everyone else holds 0–3 roles of the other three, anywhere.
        let count = if i == 7 { 1 } else { rng.below(4) };
        for _ in 0..count {
            let role = if i == 7 {
                GroupRole::SystemAdmin
            } else {
                GroupRole::ALL[1 + rng.below(3)]
            };
            let (group, _) = groups[rng.below(groups.len())];
            app.grant_group(group, user, role).await;
        }
    }
    // A certain bridge: user 0 is group_admin above the first project's group.
    let mut projects = Vec::new();
    for p in 0..4 {
        let (group, _) = groups[rng.below(groups.len())];
        projects.push(
            app.create_project(&app.admin, group, &format!("P{p}"))
                .await,
        );
        if p == 0 {
            app.grant_group(root, &users[0], GroupRole::GroupAdmin)
                .await;
        }
    }
    let mut squads = Vec::new();
    for &project in &projects {
        let mut members = Vec::new();
        for user in &users[1..7] {
            if rng.percent(50) {
                let role = ProjectRole::ALL[rng.below(ProjectRole::ALL.len())];
                app.grant_project(project, user, role).await;
                members.push(user.id);
            }
        }
        let top = app.create_squad(&app.admin, project, "Top", None).await;
        let sub = app
            .create_squad(&app.admin, project, "Sub", Some(top))
            .await;
        let other = app.create_squad(&app.admin, project, "Other", None).await;
        for &member in &members {
            // Squad leads in and out of squads: each member joins one squad, or none.
            match rng.below(4) {
                0 => app.put_squad_member(&app.admin, top, member).await,
                1 => app.put_squad_member(&app.admin, sub, member).await,
                2 => app.put_squad_member(&app.admin, other, member).await,
                _ => Value::Null,
            };
        }
        squads.extend([top, sub, other]);
    }
    let mut all_groups: Vec<Uuid> = groups.into_iter().map(|(g, _)| g).collect();
    all_groups.push(app.organisation().await);
    World {
        users,
        groups: all_groups,
        projects,
        squads,
    }
}

/// Every item of a lookup, walking its pages with `limit` 3.
async fn walk(app: &TestApp, actor: &TestUser, path: &str, mut body: Value) -> Vec<Value> {
    let mut items = Vec::new();
    body["limit"] = json!(3);
    loop {
        let page = app
            .expect(actor, reqwest::Method::POST, path, Some(&body), &[200])
            .await;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(cursor) => body["cursor"] = json!(cursor),
            None => return items,
        }
    }
}

/// Which of `resources` check allows for `actor` (about `user`, or themselves).
async fn allowed(
    app: &TestApp,
    actor: &TestUser,
    user: Option<Uuid>,
    capability: Capability,
    kind: ResourceKind,
    resources: &[Uuid],
) -> BTreeSet<Uuid> {
    let checks: Vec<Value> = resources
        .iter()
        .map(|id| {
            json!({ "user_id": user, "capability": capability.as_str(),
                    "resource": { "type": kind.as_str(), "id": id } })
        })
        .collect();
    let body = json!({ "checks": checks });
    let answers = app
        .expect(
            actor,
            reqwest::Method::POST,
            "/v1/check/batch",
            Some(&body),
            &[200],
        )
        .await;
    resources
        .iter()
        .zip(answers["results"].as_array().into_iter().flatten())
        .filter(|(_, answer)| answer["allowed"] == true)
        .map(|(id, _)| *id)
        .collect()
}

/// The ids at `key` of each item (or the items themselves, for `key` ""), in order.
fn id_list(items: &[Value], key: &str) -> Vec<Uuid> {
    items
        .iter()
        .map(|item| if key.is_empty() { item } else { &item[key] })
        .map(|v| {
            v.as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .unwrap_or_default()
        })
        .collect()
}

fn ids(items: &[Value], key: &str) -> BTreeSet<Uuid> {
    id_list(items, key).into_iter().collect()
}

async fn lookups_agree_with_check(db: &TestDb) {
    let app = spawn_app(db).await;
    let mut cases = 0usize;
    // The second world is built beside the first, and both are checked: every lookup answers
    // about the whole database.
    let mut world = World {
        users: Vec::new(),
        groups: Vec::new(),
        projects: Vec::new(),
        squads: Vec::new(),
    };
    for seed in [11, 29] {
        let more = build(&app, seed).await;
        world.users.extend(more.users);
        world.projects.extend(more.projects);
        world.squads.extend(more.squads);
        for group in more.groups {
            if !world.groups.contains(&group) {
                world.groups.push(group);
            }
        }
        // Each group with its ancestors, to tell which groups a subtree root covers.
        let mut lineage = HashMap::new();
        for group in &world.groups {
            let body = app.get_ok(&app.admin, &format!("/v1/groups/{group}")).await;
            let mut line = id_list(body["ancestor_ids"].as_array().unwrap_or(&vec![]), "");
            line.push(*group);
            lineage.insert(*group, line);
        }
        let mut everyone: Vec<&TestUser> = world.users.iter().collect();
        everyone.push(&app.admin);
        for capability in Capability::ALL {
            for (kind, resources) in [
                (ResourceKind::Group, &world.groups),
                (ResourceKind::Project, &world.projects),
                (ResourceKind::Squad, &world.squads),
            ] {
                if !capability.applies_to(kind) {
                    continue;
                }
                // What each user may do: the lookup, asked by themselves, against check.
                for user in &everyone {
                    let body = json!({ "capability": capability.as_str(),
                                       "resource_type": kind.as_str(),
                                       "expand": kind == ResourceKind::Group });
                    let found = walk(&app, user, "/v1/lookup/resources", body.clone()).await;
                    let expected = allowed(&app, user, None, capability, kind, resources).await;
                    let found_ids = ids(&found, "id");
                    assert_eq!(found_ids.len(), found.len(), "{capability} {kind}: repeats");
                    assert_eq!(found_ids, expected, "{} {capability} {kind}", user.email);
                    cases += resources.len();
                    if kind == ResourceKind::Group {
                        let mut roots_body = body;
                        roots_body["expand"] = json!(false);
                        let roots = walk(&app, user, "/v1/lookup/resources", roots_body).await;
                        let what = format!("{} {capability}", user.email);
                        roots_cover_exactly(&roots, &found_ids, &lineage, &what);
                    }
                }
                // Who may do it on each resource: the lookup, asked by the system admin.
                let user_ids: Vec<Uuid> = everyone.iter().map(|u| u.id).collect();
                for resource in resources.iter() {
                    let body = json!({ "capability": capability.as_str(),
                                       "resource": { "type": kind.as_str(), "id": resource } });
                    let found = walk(&app, &app.admin, "/v1/lookup/subjects", body).await;
                    let mut expected = BTreeSet::new();
                    for user in &user_ids {
                        let allowed_here = allowed(
                            &app,
                            &app.admin,
                            Some(*user),
                            capability,
                            kind,
                            &[*resource],
                        )
                        .await;
                        if !allowed_here.is_empty() {
                            expected.insert(*user);
                        }
                    }
                    let found_ids = ids(&found, "user_id");
                    assert_eq!(found_ids.len(), found.len(), "subjects repeat");
                    let in_order = id_list(&found, "user_id");
                    assert!(
                        in_order.windows(2).all(|w| w[0] < w[1]),
                        "subjects out of order"
                    );
                    assert_eq!(
                        found_ids, expected,
                        "subjects of {capability} at {kind} {resource}"
                    );
                    cases += user_ids.len();
                }
            }
        }
    }
    eprintln!(
        "lookups agree with check: {cases} cases on {}",
        db.backend.name()
    );
}

/// The subtree roots are minimal (no root inside another), each holds the capability in its
/// whole subtree, and their subtrees are exactly the expanded answer.
fn roots_cover_exactly(
    roots: &[Value],
    expanded: &BTreeSet<Uuid>,
    lineage: &HashMap<Uuid, Vec<Uuid>>,
    what: &str,
) {
    let root_ids = ids(roots, "id");
    assert!(roots.iter().all(|r| r["subtree"] == true), "{what}");
    for (group, line) in lineage {
        let roots_above: Vec<&Uuid> = line.iter().filter(|g| root_ids.contains(g)).collect();
        assert!(roots_above.len() <= 1, "{what}: nested roots above {group}");
        assert_eq!(
            !roots_above.is_empty(),
            expanded.contains(group),
            "{what}: {group}"
        );
    }
}

/// Walking a lookup page by page while others are added never repeats an item and never skips
/// one that existed when the walk began: keyset cursors, as every list has.
async fn pages_hold_under_concurrent_inserts(db: &TestDb) {
    let app = spawn_app(db).await;
    let group = app.create_group(&app.admin, "Busy", None).await;
    let mut before = BTreeSet::from([app.admin.id]);
    for i in 0..12 {
        let user = app.create_user(&format!("early{i}@example.org")).await;
        app.grant_group(group, &user, GroupRole::Student).await;
        before.insert(user.id);
    }
    let subjects = json!({ "capability": "group.view",
                           "resource": { "type": "group", "id": group }, "limit": 2 });
    let inserting = async {
        for i in 0..12 {
            let user = app.create_user(&format!("late{i}@example.org")).await;
            app.grant_group(group, &user, GroupRole::Student).await;
        }
    };
    let walking = async {
        let mut seen = Vec::new();
        let mut body = subjects.clone();
        loop {
            let page = app
                .expect(
                    &app.admin,
                    reqwest::Method::POST,
                    "/v1/lookup/subjects",
                    Some(&body),
                    &[200],
                )
                .await;
            seen.extend(id_list(
                page["items"].as_array().unwrap_or(&vec![]),
                "user_id",
            ));
            match page["next_cursor"].as_str() {
                Some(cursor) => body["cursor"] = json!(cursor),
                None => return seen,
            }
        }
    };
    let ((), seen) = tokio::join!(inserting, walking);
    let unique: BTreeSet<Uuid> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a user came twice");
    assert!(
        before.is_subset(&unique),
        "a user who was there all along was skipped"
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "out of order");
}

/// `GET /v1/users/{id}/access`: the user's subtree roots and projects, for themselves and for
/// a system admin; nobody else may read it.
async fn a_users_access_lists_roots_and_projects(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let class = app.create_group(&app.admin, "Class", Some(school)).await;
    let other = app.create_group(&app.admin, "Other", None).await;
    let ann = app.create_user("ann@example.org").await;
    let bob = app.create_user("bob@example.org").await;
    app.grant_group(school, &ann, GroupRole::Teacher).await;
    app.grant_group(class, &ann, GroupRole::Student).await;
    app.grant_group(other, &bob, GroupRole::GroupAdmin).await;
    let fair = app.create_project(&app.admin, class, "Fair").await;
    let bridged = app.create_project(&app.admin, other, "Bridged").await;
    app.grant_project(fair, &ann, ProjectRole::Member).await;

    let path = format!("/v1/users/{}/access", ann.id);
    for reader in [&ann, &app.admin] {
        let access = app.get_ok(reader, &path).await;
        assert_eq!(access["system_admin"], false);
        let groups = access["groups"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            id_list(&groups, "id"),
            [school],
            "the class lies inside the school"
        );
        assert_eq!(groups[0]["role"], "teacher");
        assert_eq!(groups[0]["subtree"], true);
        let projects = access["projects"].as_array().cloned().unwrap_or_default();
        assert_eq!(id_list(&projects, "id"), [fair]);
        assert_eq!(projects[0]["role"], "member");
    }
    // Bob is admin of the bridged project through his group_admin membership.
    let bobs = app
        .get_ok(&bob, &format!("/v1/users/{}/access", bob.id))
        .await;
    let projects = bobs["projects"].as_array().cloned().unwrap_or_default();
    assert_eq!(id_list(&projects, "id"), [bridged]);
    assert_eq!(projects[0]["role"], "admin");
    assert_eq!(projects[0]["granted_by"]["role"], "group_admin");
    // Only the user themselves or a system admin.
    let refused = app
        .call(Some(&bob), reqwest::Method::GET, &path, None)
        .await;
    tests::app::expect_problem(refused, 403, "forbidden").await;
    let unknown = format!("/v1/users/{}/access", Uuid::now_v7());
    let missing = app
        .call(Some(&app.admin), reqwest::Method::GET, &unknown, None)
        .await;
    tests::app::expect_problem(missing, 404, "not_found").await;
    // A system admin's roots are the root groups.
    let admin = app
        .get_ok(&app.admin, &format!("/v1/users/{}/access", app.admin.id))
        .await;
    assert_eq!(admin["system_admin"], true);
    let roots = ids(
        &admin["groups"].as_array().cloned().unwrap_or_default(),
        "id",
    );
    assert!(roots.contains(&school) && roots.contains(&other) && !roots.contains(&class));
}

both_backends!(
    lookups_agree_with_check,
    pages_hold_under_concurrent_inserts,
    a_users_access_lists_roots_and_projects
);
