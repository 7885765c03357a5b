//! The group tree over HTTP: creation rules, reads with effective roles, listings, moves and
//! subtree deletion — with every role that may and may not.

use domain::GroupRole;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::api::strs;
use tests::app::{TestApp, TestUser, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

async fn get(app: &TestApp, user: &TestUser, path: &str) -> reqwest::Response {
    app.call(Some(user), Method::GET, path, None).await
}

async fn create(app: &TestApp, user: &TestUser, body: Value) -> reqwest::Response {
    app.post(user, "/v1/groups", &body).await
}

async fn patch(app: &TestApp, user: &TestUser, group: Uuid, body: Value) -> reqwest::Response {
    app.patch(user, &format!("/v1/groups/{group}"), &body).await
}

async fn my_role(app: &TestApp, user: &TestUser, group: Uuid) -> Option<String> {
    let response = get(app, user, &format!("/v1/groups/{group}")).await;
    match response.status().as_u16() {
        200 => Some(
            expect_status(response, 200).await["my_role"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        _ => {
            expect_problem(response, 404, "not_found").await;
            None
        }
    }
}

async fn creating_groups(db: &TestDb) {
    let app = spawn_app(db).await;
    let response = create(
        &app,
        &app.admin,
        json!({ "name": "Springfield Elementary" }),
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let school = expect_status(response, 201).await;
    assert_eq!(school["slug"], "springfield-elementary");
    assert_eq!(school["depth"], 0);
    assert_eq!(school["parent_id"], Value::Null);
    assert_eq!(school["ancestor_ids"], json!([]));
    assert_eq!(school["my_role"], "system_admin");
    assert_eq!(
        location,
        format!("/v1/groups/{}", school["id"].as_str().unwrap())
    );
    let school_id: Uuid = school["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(app.audit_count("group.create").await, 1);

    let head = app.create_user("head@example.org").await;
    let teacher = app.create_user("teacher@example.org").await;
    let stranger = app.create_user("stranger@example.org").await;
    app.grant_group(school_id, &head, GroupRole::GroupAdmin)
        .await;
    app.grant_group(school_id, &teacher, GroupRole::Teacher)
        .await;

    // Roots: system admins only.
    expect_problem(
        create(&app, &head, json!({ "name": "Rival" })).await,
        403,
        "forbidden",
    )
    .await;
    // Children: group.manage on the parent.
    let science = expect_status(
        create(
            &app,
            &head,
            json!({ "name": "Science", "parent_id": school_id }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(science["depth"], 1);
    assert_eq!(science["ancestor_ids"], json!([school_id]));
    assert_eq!(science["my_role"], "group_admin");
    expect_problem(
        create(
            &app,
            &teacher,
            json!({ "name": "Art", "parent_id": school_id }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // A parent the caller cannot see reads as an unknown one.
    let body = expect_problem(
        create(
            &app,
            &stranger,
            json!({ "name": "Art", "parent_id": school_id }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "parent_id");
    let body = expect_problem(
        create(
            &app,
            &app.admin,
            json!({ "name": "Art", "parent_id": Uuid::now_v7() }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "parent_id");

    // Bad input names the field.
    for (body, field) in [
        (json!({ "name": "  " }), "name"),
        (json!({ "name": "Art", "slug": "Not A Slug" }), "slug"),
        (json!({ "name": "Art", "slug": "-x" }), "slug"),
        (json!({ "name": "Art", "parent_id": "nope" }), "parent_id"),
        (json!({ "name": "!!!" }), "slug"),
        (json!({ "name": "Art", "depth": 3 }), "depth"),
    ] {
        let problem = expect_problem(
            create(&app, &app.admin, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // Slugs are unique among siblings and among roots.
    expect_problem(
        create(
            &app,
            &head,
            json!({ "name": "science", "parent_id": school_id }),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    expect_problem(
        create(
            &app,
            &app.admin,
            json!({ "name": "Other", "slug": "springfield-elementary" }),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    // The same slug under another parent is fine.
    let science_id: Uuid = science["id"].as_str().unwrap().parse().unwrap();
    expect_status(
        create(
            &app,
            &head,
            json!({ "name": "Science", "parent_id": science_id }),
        )
        .await,
        201,
    )
    .await;
}

/// A chain root → g1 → g2 → g3 → g4 (depth 4, five levels) with memberships at several levels.
async fn chain(app: &TestApp) -> Vec<Uuid> {
    let mut ids = vec![app.create_group(&app.admin, "Level 0", None).await];
    for level in 1..5 {
        let parent = ids[level - 1];
        ids.push(
            app.create_group(&app.admin, &format!("Level {level}"), Some(parent))
                .await,
        );
    }
    ids
}

async fn effective_roles_follow_the_tree(db: &TestDb) {
    let app = spawn_app(db).await;
    let g = chain(&app).await;
    let user = app.create_user("climber@example.org").await;
    app.grant_group(g[1], &user, GroupRole::Student).await;
    app.grant_group(g[3], &user, GroupRole::GroupAdmin).await;
    let expected = [
        None,
        Some("student"),
        Some("student"),
        Some("group_admin"),
        Some("group_admin"),
    ];
    for (level, want) in expected.iter().enumerate() {
        assert_eq!(
            my_role(&app, &user, g[level]).await.as_deref(),
            *want,
            "level {level}"
        );
    }

    // A side branch under the root; move g3 (with g4) under it. The student role from g1 no
    // longer reaches g3/g4; the direct group_admin role in g3 travels with the subtree.
    let side = app.create_group(&app.admin, "Side", Some(g[0])).await;
    let moved = expect_status(
        patch(&app, &app.admin, g[3], json!({ "parent_id": side })).await,
        200,
    )
    .await;
    assert_eq!(moved["depth"], 2);
    assert_eq!(moved["ancestor_ids"], json!([g[0], side]));
    assert_eq!(app.audit_count("group.move").await, 1);
    let g4 = expect_status(
        get(&app, &app.admin, &format!("/v1/groups/{}", g[4])).await,
        200,
    )
    .await;
    assert_eq!(g4["depth"], 3);
    assert_eq!(g4["ancestor_ids"], json!([g[0], side, g[3]]));
    assert_eq!(my_role(&app, &user, side).await, None);
    assert_eq!(my_role(&app, &user, g[2]).await.as_deref(), Some("student"));
    assert_eq!(
        my_role(&app, &user, g[3]).await.as_deref(),
        Some("group_admin")
    );
    assert_eq!(
        my_role(&app, &user, g[4]).await.as_deref(),
        Some("group_admin")
    );

    // Delete g1's subtree (g1, g2): the student membership goes with it.
    let response = app
        .delete(&app.admin, &format!("/v1/groups/{}", g[1]))
        .await;
    expect_status(response, 204).await;
    assert_eq!(my_role(&app, &user, g[1]).await, None);
    expect_problem(
        get(&app, &app.admin, &format!("/v1/groups/{}", g[2])).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        my_role(&app, &user, g[4]).await.as_deref(),
        Some("group_admin")
    );
    let me = expect_status(get(&app, &user, "/v1/me").await, 200).await;
    assert_eq!(me["group_memberships"].as_array().unwrap().len(), 1);
    let event = entity::audit_events::Entity::find()
        .filter(entity::audit_events::Column::Action.eq("group.delete"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.actor_id, Some(app.admin.id));
    assert_eq!(event.details["deleted"]["groups"], 2);
    assert_eq!(event.details["deleted"]["memberships"], 1);
}

async fn tree_listings(db: &TestDb) {
    let app = spawn_app(db).await;
    let g = chain(&app).await;
    let branch = app.create_group(&app.admin, "Branch", Some(g[1])).await;
    let student = app.create_user("student@example.org").await;
    app.grant_group(g[4], &student, GroupRole::Student).await;

    // Descendants of g1, in tree order: g2, g3, g4, then Branch or before it by path order.
    let page = expect_status(
        get(
            &app,
            &app.admin,
            &format!("/v1/groups/{}/descendants", g[1]),
        )
        .await,
        200,
    )
    .await;
    let ids: Vec<&str> = strs(&page["items"], "id");
    assert_eq!(ids.len(), 4);
    let depths: Vec<u64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["depth"].as_u64().unwrap())
        .collect();
    // Tree order: every group comes after its parent.
    let g2 = g[2].to_string();
    let g3 = g[3].to_string();
    let g4 = g[4].to_string();
    let pos = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(
        pos(&g2) < pos(&g3) && pos(&g3) < pos(&g4),
        "{ids:?} {depths:?}"
    );
    assert!(ids.contains(&branch.to_string().as_str()));
    let shallow = expect_status(
        get(
            &app,
            &app.admin,
            &format!("/v1/groups/{}/descendants?max_depth=1", g[1]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(shallow["items"].as_array().unwrap().len(), 2);
    // Pages of one walk the same order.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/groups/{}/descendants?limit=1&cursor={c}", g[1]),
            None => format!("/v1/groups/{}/descendants?limit=1", g[1]),
        };
        let page = expect_status(get(&app, &app.admin, &path).await, 200).await;
        walked.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, ids);
    for bad in [
        "max_depth=0",
        "max_depth=21",
        "max_depth=x",
        "limit=0",
        "cursor=%%%",
    ] {
        let problem = expect_problem(
            get(
                &app,
                &app.admin,
                &format!("/v1/groups/{}/descendants?{bad}", g[1]),
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

    // Children.
    let children = expect_status(
        get(&app, &app.admin, &format!("/v1/groups/{}/children", g[1])).await,
        200,
    )
    .await;
    let mut child_ids: Vec<String> = children["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    child_ids.sort();
    let mut want = vec![g[2].to_string(), branch.to_string()];
    want.sort();
    assert_eq!(child_ids, want);

    // The student of the leaf sees the breadcrumb of ancestors where they hold no role…
    let crumbs = expect_status(
        get(&app, &student, &format!("/v1/groups/{}/ancestors", g[4])).await,
        200,
    )
    .await;
    let crumb_ids: Vec<&str> = strs(&crumbs["items"], "id");
    let want: Vec<String> = g[..4].iter().map(Uuid::to_string).collect();
    assert_eq!(crumb_ids, want);
    assert_eq!(crumbs["items"][0]["depth"], 0);
    // …but not those groups themselves, nor their other lists.
    expect_problem(
        get(&app, &student, &format!("/v1/groups/{}", g[3])).await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        get(&app, &student, &format!("/v1/groups/{}/children", g[3])).await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        get(&app, &student, &format!("/v1/groups/{}/descendants", g[0])).await,
        404,
        "not_found",
    )
    .await;

    // GET /v1/groups: direct memberships; system admins see the roots.
    let mine = expect_status(get(&app, &student, "/v1/groups").await, 200).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["id"], g[4].to_string());
    assert_eq!(mine["items"][0]["my_role"], "student");
    let roots = expect_status(get(&app, &app.admin, "/v1/groups").await, 200).await;
    let root_ids: Vec<&str> = strs(&roots["items"], "id");
    assert!(root_ids.contains(&g[0].to_string().as_str()));
    assert!(
        roots["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["parent_id"].is_null())
    );
}

async fn renaming_and_moving_rules(db: &TestDb) {
    let app = spawn_app(db).await;
    let g = chain(&app).await;
    let other_root = app.create_group(&app.admin, "Other", None).await;
    let admin1 = app.create_user("admin1@example.org").await;
    app.grant_group(g[1], &admin1, GroupRole::GroupAdmin).await;

    // Rename: group.manage; a no-op writes no audit event.
    let renamed = expect_status(
        patch(
            &app,
            &admin1,
            g[2],
            json!({ "name": "Renamed", "slug": "renamed" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(app.audit_count("group.update").await, 1);
    expect_status(
        patch(&app, &admin1, g[2], json!({ "name": "Renamed" })).await,
        200,
    )
    .await;
    expect_status(patch(&app, &admin1, g[2], json!({})).await, 200).await;
    assert_eq!(app.audit_count("group.update").await, 1);

    // Cycles and depth.
    expect_problem(
        patch(&app, &admin1, g[2], json!({ "parent_id": g[2] })).await,
        400,
        "group_cycle",
    )
    .await;
    expect_problem(
        patch(&app, &admin1, g[2], json!({ "parent_id": g[4] })).await,
        400,
        "group_cycle",
    )
    .await;
    // Authorization comes first: admin1 may not move g1 at all (no group.manage on g0).
    expect_problem(
        patch(&app, &admin1, g[1], json!({ "parent_id": g[1] })).await,
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        patch(&app, &app.admin, g[1], json!({ "parent_id": g[3] })).await,
        400,
        "group_cycle",
    )
    .await;
    let mut deep = vec![other_root];
    for level in 1..=16 {
        deep.push(
            app.create_group(&app.admin, &format!("Deep {level}"), Some(deep[level - 1]))
                .await,
        );
    }
    // g1's subtree is 4 levels tall (g1..g4); under depth 16 its leaf would sit at 20: allowed.
    // Under depth 16's child it would be 21: refused.
    let deeper = app
        .create_group(&app.admin, "Deep 17", Some(deep[16]))
        .await;
    expect_problem(
        patch(&app, &app.admin, g[1], json!({ "parent_id": deeper })).await,
        400,
        "group_too_deep",
    )
    .await;
    expect_status(
        patch(&app, &app.admin, g[1], json!({ "parent_id": deep[16] })).await,
        200,
    )
    .await;
    let leaf = expect_status(
        get(&app, &app.admin, &format!("/v1/groups/{}", g[4])).await,
        200,
    )
    .await;
    assert_eq!(leaf["depth"], 20);
    expect_problem(
        create(
            &app,
            &app.admin,
            json!({ "name": "Too deep", "parent_id": g[4] }),
        )
        .await,
        400,
        "group_too_deep",
    )
    .await;
    expect_status(
        patch(&app, &app.admin, g[1], json!({ "parent_id": g[0] })).await,
        200,
    )
    .await;

    // Moving a group you administer under a group you do not administer: refused.
    let teacher_there = app.create_user("teacher-there@example.org").await;
    app.grant_group(g[2], &teacher_there, GroupRole::GroupAdmin)
        .await;
    app.grant_group(other_root, &teacher_there, GroupRole::Teacher)
        .await;
    expect_problem(
        patch(
            &app,
            &teacher_there,
            g[3],
            json!({ "parent_id": other_root }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // Under a group they cannot see at all: it reads as unknown.
    let invisible = app.create_group(&app.admin, "Invisible", None).await;
    let problem = expect_problem(
        patch(
            &app,
            &teacher_there,
            g[3],
            json!({ "parent_id": invisible }),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "parent_id");
    // Administering the group and the target, but not the group's current parent: refused.
    let mine = app.create_group(&app.admin, "Mine", None).await;
    app.grant_group(mine, &teacher_there, GroupRole::GroupAdmin)
        .await;
    expect_problem(
        patch(&app, &teacher_there, g[2], json!({ "parent_id": mine })).await,
        403,
        "forbidden",
    )
    .await;
    // g3's parent (g2) and the target are theirs: allowed.
    let moved = expect_status(
        patch(&app, &teacher_there, g[3], json!({ "parent_id": mine })).await,
        200,
    )
    .await;
    assert_eq!(moved["ancestor_ids"], json!([mine]));
    // Making a group a root: system admins only.
    expect_problem(
        patch(&app, &admin1, g[2], json!({ "parent_id": null })).await,
        403,
        "forbidden",
    )
    .await;
    let root = expect_status(
        patch(&app, &app.admin, g[2], json!({ "parent_id": null })).await,
        200,
    )
    .await;
    assert_eq!(root["depth"], 0);
    assert_eq!(root["ancestor_ids"], json!([]));
    // admin1 administered g2 only through g1; now g2 is a root, they cannot see it.
    expect_problem(
        patch(&app, &admin1, g[2], json!({ "name": "Mine" })).await,
        404,
        "not_found",
    )
    .await;
    // Students and teachers cannot rename.
    let student = app.create_user("student@example.org").await;
    app.grant_group(g[1], &student, GroupRole::Student).await;
    expect_problem(
        patch(&app, &student, g[1], json!({ "name": "Ours" })).await,
        403,
        "forbidden",
    )
    .await;
    // Slug clash among new siblings on a move.
    app.create_group(&app.admin, "Twin", Some(g[0])).await;
    let b = app.create_group(&app.admin, "Twin", Some(g[1])).await;
    expect_problem(
        patch(&app, &app.admin, b, json!({ "parent_id": g[0] })).await,
        409,
        "conflict",
    )
    .await;
}

async fn deleting_subtrees(db: &TestDb) {
    let app = spawn_app(db).await;
    let g = chain(&app).await;
    let admin1 = app.create_user("admin1@example.org").await;
    let peer = app.create_user("peer@example.org").await;
    let teacher = app.create_user("teacher@example.org").await;
    app.grant_group(g[1], &admin1, GroupRole::GroupAdmin).await;
    app.grant_group(g[3], &peer, GroupRole::GroupAdmin).await;
    app.grant_group(g[2], &teacher, GroupRole::Teacher).await;

    let delete =
        async |user: &TestUser, group: Uuid| app.delete(user, &format!("/v1/groups/{group}")).await;
    // A teacher cannot delete; a stranger cannot even see.
    expect_problem(delete(&teacher, g[3]).await, 403, "forbidden").await;
    let stranger = app.create_user("stranger@example.org").await;
    expect_problem(delete(&stranger, g[3]).await, 404, "not_found").await;
    // Deleting needs group.manage on the parent: admin1 may not delete g1 itself.
    expect_problem(delete(&admin1, g[1]).await, 403, "forbidden").await;

    // A system admin membership inside the subtree is stronger than admin1: refused.
    let other_admin = app.create_user("sys2@example.org").await;
    app.grant_group(g[4], &other_admin, GroupRole::SystemAdmin)
        .await;
    expect_problem(delete(&admin1, g[2]).await, 403, "role_escalation").await;
    let response = app
        .delete(
            &app.admin,
            &format!("/v1/groups/{}/members/{}", g[4], other_admin.id),
        )
        .await;
    expect_status(response, 204).await;
    // Peers may remove peers: admin1 deletes g2's subtree, which holds a group_admin.
    expect_status(delete(&admin1, g[2]).await, 204).await;
    assert_eq!(my_role(&app, &peer, g[3]).await, None);

    // The organisation root holds the only system admin: deleting it is refused.
    let org = app.organisation().await;
    expect_problem(delete(&app.admin, org).await, 409, "last_system_admin").await;
    // With a second system admin elsewhere, it goes through.
    app.grant_group(g[0], &other_admin, GroupRole::SystemAdmin)
        .await;
    expect_status(delete(&app.admin, org).await, 204).await;
    // The admin is no longer a system admin; the other one is.
    let me = expect_status(get(&app, &other_admin, "/v1/me").await, 200).await;
    assert_eq!(me["system_admin"], true);
}

both_backends!(
    creating_groups,
    effective_roles_follow_the_tree,
    tree_listings,
    renaming_and_moving_rules,
    deleting_subtrees
);
