//! Bearer-token authentication: what is accepted, and every way a token can be wrong.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::json;
use tests::app::{TEST_SECRET, expect_problem, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;

fn sign(alg: Algorithm, secret: &[u8], claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn me_answers_with_a_valid_token(db: &TestDb) {
    let app = spawn_app(db).await;
    let response = app
        .call(Some(&app.admin), Method::GET, "/v1/me", None)
        .await;
    let me = expect_status(response, 200).await;
    assert_eq!(me["user"]["id"], app.admin.id.to_string());
    assert_eq!(me["user"]["email"], "admin@localhost");
    assert_eq!(me["system_admin"], true);
    assert_eq!(me["group_memberships"][0]["role"], "system_admin");
    assert_eq!(me["project_memberships"], json!([]));

    let plain = app.create_user("plain@example.org").await;
    let me = app.get_ok(&plain, "/v1/me").await;
    assert_eq!(me["system_admin"], false);
    assert_eq!(me["group_memberships"], json!([]));
}

async fn every_bad_token_is_refused(db: &TestDb) {
    let app = spawn_app(db).await;
    let sub = app.admin.id.to_string();
    let valid_claims = json!({ "sub": sub, "exp": now() + 600, "iat": now() });
    let none_token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(valid_claims.to_string())
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        (
            "not bearer",
            Some(format!("Basic {}", URL_SAFE_NO_PAD.encode("a:b"))),
        ),
        ("empty bearer", Some("Bearer ".into())),
        ("garbage", Some("Bearer not.a.token".into())),
        ("alg none", Some(format!("Bearer {none_token}"))),
        (
            "forged with another secret",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::HS256,
                    b"another-secret-that-is-also-long-enough!!",
                    valid_claims.clone()
                )
            )),
        ),
        (
            "HS512 with the right secret",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::HS512,
                    TEST_SECRET.as_bytes(),
                    valid_claims.clone()
                )
            )),
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::HS256,
                    TEST_SECRET.as_bytes(),
                    json!({ "sub": sub, "exp": now() - 3600 })
                )
            )),
        ),
        (
            "no exp",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::HS256,
                    TEST_SECRET.as_bytes(),
                    json!({ "sub": sub })
                )
            )),
        ),
        (
            "subject is not a uuid",
            Some(format!(
                "Bearer {}",
                sign(
                    Algorithm::HS256,
                    TEST_SECRET.as_bytes(),
                    json!({ "sub": "admin", "exp": now() + 600 })
                )
            )),
        ),
        (
            "unknown user",
            Some(format!("Bearer {}", app.token_for(uuid::Uuid::now_v7()))),
        ),
    ];
    for (case, header) in cases {
        let mut request = app.request(Method::GET, "/v1/me");
        if let Some(header) = header {
            request = request.header("authorization", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap()),
            Some("Bearer"),
            "{case}"
        );
        let body = expect_problem(response, 401, "unauthenticated").await;
        assert!(!body["detail"].as_str().unwrap().is_empty(), "{case}");
    }
}

async fn a_deleted_users_token_stops_working(db: &TestDb) {
    let app = spawn_app(db).await;
    let user = app.create_user("leaving@example.org").await;
    app.get_ok(&user, "/v1/me").await;
    entity::users::Entity::delete_by_id(user.id)
        .exec(&app.db)
        .await
        .unwrap();
    let response = app.call(Some(&user), Method::GET, "/v1/me", None).await;
    expect_problem(response, 401, "unauthenticated").await;
}

both_backends!(
    me_answers_with_a_valid_token,
    every_bad_token_is_refused,
    a_deleted_users_token_stops_working
);
