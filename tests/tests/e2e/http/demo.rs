//! `roster serve --demo`: the example organisation loads through the services, once.

use reqwest::Method;
use roster_server::services::demo;
use roster_server::services::guard::Subject;
use sea_orm::{EntityTrait, PaginatorTrait};
use tests::app::{expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

async fn the_demo_loads_once(db: &TestDb) {
    let app = spawn_app(db).await;
    let admin = Subject::load(&app.db, app.admin.id)
        .await
        .expect("the admin's subject loads");
    let loaded = demo::load(&app.db, admin)
        .await
        .unwrap()
        .expect("loaded the first time");
    assert!(
        demo::load(&app.db, admin).await.unwrap().is_none(),
        "idempotent"
    );
    assert_eq!(
        entity::groups::Entity::find().count(&app.db).await.unwrap(),
        7
    );
    assert_eq!(
        entity::users::Entity::find().count(&app.db).await.unwrap(),
        8
    );
    assert_eq!(
        entity::squads::Entity::find().count(&app.db).await.unwrap(),
        3
    );

    // Reporting lines as the rule computes them: everyone under the only squad lead (Ada),
    // who reports to the pm (Darwin), who reports to the admin (Curie).
    let ids: std::collections::HashMap<String, String> = {
        let page = app.get_ok(&app.admin, "/v1/users?limit=50").await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["email"].as_str().unwrap().to_owned(),
                    u["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let tree = app
        .get_ok(
            &app.admin,
            &format!("/v1/projects/{}/reporting-lines", loaded.project),
        )
        .await;
    let curie = &tree["roots"][0];
    assert_eq!(curie["user_id"], ids["curie@example.org"]);
    assert_eq!(curie["role"], "admin");
    let darwin = &curie["reports"][0];
    assert_eq!(darwin["user_id"], ids["darwin@example.org"]);
    let ada = &darwin["reports"][0];
    assert_eq!(ada["user_id"], ids["ada@example.org"]);
    assert_eq!(ada["reports"].as_array().unwrap().len(), 3);
    // The school's group_admin administers the project through the bridge.
    let skinner = app.token_for(ids["skinner@example.org"].parse().unwrap());
    let project = expect_status(
        app.request(Method::GET, &format!("/v1/projects/{}", loaded.project))
            .bearer_auth(skinner)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(project["my_role"], "admin");
}

both_backends!(the_demo_loads_once);
