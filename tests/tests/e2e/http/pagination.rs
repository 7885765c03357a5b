//! Keyset pagination over a list of a few hundred items: every item exactly once, also while
//! new items are inserted during the walk.

use std::collections::HashSet;

use serde_json::json;
use tests::app::{expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

async fn walking_pages_sees_each_item_once(db: &TestDb) {
    let app = spawn_app(db).await;
    let parent = app.create_group(&app.admin, "Parent", None).await;
    let create = async |i: usize| {
        let body = json!({ "name": format!("Child {i}"), "parent_id": parent });
        app.post(&app.admin, "/v1/groups", &body).await
    };
    let mut before = HashSet::new();
    for chunk in (0..300).collect::<Vec<_>>().chunks(25) {
        for response in futures_util::future::join_all(chunk.iter().map(|i| create(*i))).await {
            let body = expect_status(response, 201).await;
            before.insert(body["id"].as_str().unwrap().to_owned());
        }
    }
    let mut seen = Vec::new();
    let mut added_during_walk = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/groups/{parent}/children?limit=7&cursor={c}"),
            None => format!("/v1/groups/{parent}/children?limit=7"),
        };
        let page = app.get_ok(&app.admin, &path).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        // Concurrent inserts while walking: ids are time-ordered, so these land after the cursor.
        if pages % 5 == 0 {
            let body = expect_status(create(1000 + pages).await, 201).await;
            added_during_walk.insert(body["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "an item was served twice");
    assert!(
        before.is_subset(&unique),
        "an item that existed before the walk was skipped"
    );
    assert!(
        unique
            .difference(&before)
            .all(|id| added_during_walk.contains(id))
    );
    assert!(pages >= 300 / 7);
}

both_backends!(walking_pages_sees_each_item_once);
