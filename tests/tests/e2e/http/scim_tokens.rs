//! SCIM tokens (spec §11): made by a system admin and shown once, stored hashed, accepted under
//! `/scim/v2` only, revoked by deletion; `/scim/v2` answers SCIM Error bodies, never
//! problem+json.

use domain::GroupRole;
use reqwest::Method;
use serde_json::json;
use tests::app::spawn_app;
use tests::both_backends;
use tests::db::TestDb;
use tests::scim::ScimClient;

async fn a_token_is_shown_once_and_works_only_under_scim(db: &TestDb) {
    let app = spawn_app(db).await;
    let made = app
        .expect(
            &app.admin,
            Method::POST,
            "/v1/scim-tokens",
            Some(&json!({ "name": "okta" })),
            &[201],
        )
        .await;
    let token = made["token"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with("roster_scim_"), "{made}");
    assert_eq!(made["name"], "okta");
    assert_eq!(made["created_by"], json!(app.admin.id));

    let shown = app
        .get_ok(&app.admin, &format!("/v1/scim-tokens/{id}"))
        .await;
    assert_eq!(shown.get("token"), None, "shown once: {shown}");
    let listed = app.get_ok(&app.admin, "/v1/scim-tokens").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert!(!listed.to_string().contains(&token));
    let stored = <entity::scim_tokens::Entity as sea_orm::EntityTrait>::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_ne!(stored[0].token_hash, token, "stored hashed");
    assert!(!stored[0].token_hash.contains(&token[12..]));
    let audited = app.audit_events("scim_token.create").await;
    assert_eq!(audited.len(), 1);
    assert!(!audited[0].details.to_string().contains(&token));

    // Accepted under /scim/v2, with SCIM's media type.
    let scim = ScimClient::with_token(&app, Some(&token));
    let config = scim.get("/ServiceProviderConfig").await.expect(200).body;
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    // Only what is served is declared: every resource type's endpoint answers.
    let types = scim.get_ok("/ResourceTypes").await;
    let resources = types["Resources"].as_array().unwrap();
    assert_eq!(types["totalResults"], resources.len(), "{types}");
    let names: Vec<&str> = resources
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["User", "Group"], "{types}");
    for resource_type in resources {
        let endpoint = resource_type["endpoint"].as_str().unwrap();
        scim.get(&format!("{endpoint}?count=1")).await.expect(200);
    }
    let schemas = scim.get_ok("/Schemas").await;
    assert_eq!(
        schemas["totalResults"],
        schemas["Resources"].as_array().unwrap().len()
    );
    // Refused everywhere else, and a user's token is refused under /scim/v2.
    let response = reqwest::Client::new()
        .get(format!("{}/v1/me", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    for refused in [
        Some(app.admin.token.as_str()),
        None,
        Some("roster_scim_forged"),
    ] {
        let client = ScimClient::with_token(&app, refused);
        let answer = client.get("/ServiceProviderConfig").await;
        let answer = answer.expect_error(401, None);
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    }
    scim.get("/Nothing").await.expect_error(404, None);

    // Revoked: deleted, refused from the next request on.
    let path = format!("/v1/scim-tokens/{id}");
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    scim.get("/ServiceProviderConfig")
        .await
        .expect_error(401, None);
    app.get_refused(&app.admin, &path, 404, "not_found").await;
    app.refused(&app.admin, Method::DELETE, &path, None, 404, "not_found")
        .await;
    let revoked = app.audit_events("scim_token.revoke").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].resource_id.map(|r| r.to_string()), Some(id));
}

async fn only_a_system_admin_manages_scim_tokens(db: &TestDb) {
    let app = spawn_app(db).await;
    let school = app.create_group(&app.admin, "School", None).await;
    let head = app.create_user("head@example.org").await;
    app.grant_group(school, &head, GroupRole::GroupAdmin).await;
    let made = app
        .expect(
            &app.admin,
            Method::POST,
            "/v1/scim-tokens",
            Some(&json!({ "name": "entra" })),
            &[201],
        )
        .await;
    let path = format!("/v1/scim-tokens/{}", made["id"].as_str().unwrap());
    let body = json!({ "name": "mine" });
    app.refused(
        &head,
        Method::POST,
        "/v1/scim-tokens",
        Some(&body),
        403,
        "forbidden",
    )
    .await;
    app.refused(
        &head,
        Method::GET,
        "/v1/scim-tokens",
        None,
        403,
        "forbidden",
    )
    .await;
    app.refused(&head, Method::GET, &path, None, 403, "forbidden")
        .await;
    app.refused(&head, Method::DELETE, &path, None, 403, "forbidden")
        .await;
    app.get_ok(&app.admin, &path).await;
}

async fn bad_scim_token_requests_are_refused(db: &TestDb) {
    let app = spawn_app(db).await;
    for (body, field) in [
        (json!({ "name": "  " }), "name"),
        (json!({}), "name"),
        (json!({ "name": "okta", "token": "mine" }), "token"),
    ] {
        let problem = app
            .refused(
                &app.admin,
                Method::POST,
                "/v1/scim-tokens",
                Some(&body),
                400,
                "validation_failed",
            )
            .await;
        assert!(problem.to_string().contains(field), "{body}: {problem}");
    }
    let unknown = format!("/v1/scim-tokens/{}", uuid::Uuid::now_v7());
    app.refused(&app.admin, Method::GET, &unknown, None, 404, "not_found")
        .await;
    app.refused(&app.admin, Method::DELETE, &unknown, None, 404, "not_found")
        .await;
    assert!(app.audit_events("scim_token.create").await.is_empty());
}

both_backends!(a_token_is_shown_once_and_works_only_under_scim);
both_backends!(only_a_system_admin_manages_scim_tokens);
both_backends!(bad_scim_token_requests_are_refused);
