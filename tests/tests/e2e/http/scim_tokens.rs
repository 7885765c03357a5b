//! SCIM tokens (spec §11): made by a system admin and shown once, stored hashed, accepted under
//! `/scim/v2` only, revoked by deletion; `/scim/v2` answers SCIM Error bodies, never
//! problem+json.

use domain::GroupRole;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::app::{TestApp, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

/// `GET /scim/v2/{path}` with `token` (none: no Authorization header).
async fn scim_get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String, Value) {
    let mut request = reqwest::Client::new().get(format!("{}/scim/v2/{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, media, body)
}

/// A SCIM Error body with `status`, as RFC 7644 §3.12 writes it.
fn assert_scim_error(answer: &(StatusCode, String, Value), status: u16) {
    let (got, media, body) = answer;
    assert_eq!(got.as_u16(), status, "{body}");
    assert_eq!(media, "application/scim+json", "{body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], json!(status.to_string()), "{body}");
    assert!(body["detail"].is_string(), "{body}");
}

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
    let (status, media, config) = scim_get(&app, "ServiceProviderConfig", Some(&token)).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(media, "application/scim+json");
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    // What is served is declared: Users (with the enterprise extension) and Groups.
    for (listing, ids) in [
        ("ResourceTypes", json!(["User", "Group"])),
        (
            "Schemas",
            json!([
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "urn:ietf:params:scim:schemas:core:2.0:Group"
            ]),
        ),
    ] {
        let (status, _, body) = scim_get(&app, listing, Some(&token)).await;
        assert_eq!(status, 200, "{body}");
        let declared: Vec<Value> = body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|resource| resource["id"].clone())
            .collect();
        assert_eq!(Value::Array(declared), ids, "{listing}");
    }
    // Refused everywhere else, and a user's token is refused under /scim/v2.
    let response = reqwest::Client::new()
        .get(format!("{}/v1/me", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let answer = scim_get(&app, "ServiceProviderConfig", Some(&app.admin.token)).await;
    assert_scim_error(&answer, 401);
    assert_scim_error(&scim_get(&app, "ServiceProviderConfig", None).await, 401);
    assert_scim_error(
        &scim_get(&app, "ServiceProviderConfig", Some("roster_scim_forged")).await,
        401,
    );
    assert_scim_error(&scim_get(&app, "Nothing", Some(&token)).await, 404);

    // Revoked: deleted, refused from the next request on.
    let path = format!("/v1/scim-tokens/{id}");
    assert_eq!(app.delete(&app.admin, &path).await.status(), 204);
    assert_scim_error(
        &scim_get(&app, "ServiceProviderConfig", Some(&token)).await,
        401,
    );
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
