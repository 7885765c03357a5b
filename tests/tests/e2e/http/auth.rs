//! Bearer-token authentication: what is accepted, and every way a token can be wrong.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use tests::app::{
    TEST_SECRET, TestApp, expect_problem, expect_status, spawn_app, spawn_app_with, test_settings,
};
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

/// A token with exactly this header and these claims (as JSON text), signed HS256 with the test
/// secret: for headers `jsonwebtoken::Header` cannot express (a malformed `crit`).
fn sign_raw(header: &str, claims: &serde_json::Value) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{message}.{signature}")
}

/// `claims` signed HS256 with the test secret and a plain header.
fn sign_test(claims: serde_json::Value) -> String {
    sign(Algorithm::HS256, TEST_SECRET.as_bytes(), claims)
}

/// An app whose tokens must carry `iss` = `roster-test` and `aud` = `roster-api`.
async fn spawn_app_with_issuer_and_audience(db: &TestDb) -> TestApp {
    let mut settings = test_settings(db);
    settings.jwt_issuer = Some(ISSUER.to_owned());
    settings.jwt_audience = Some(AUDIENCE.to_owned());
    spawn_app_with(settings).await
}

const ISSUER: &str = "roster-test";
const AUDIENCE: &str = "roster-api";

/// `GET /v1/me` with the bearer `token`.
async fn me_with(app: &TestApp, token: &str) -> reqwest::Response {
    let request = app.request(Method::GET, "/v1/me").bearer_auth(token);
    request.send().await.expect("GET /v1/me sent")
}

/// `GET /v1/me` with `token` must answer 200.
async fn accepted(app: &TestApp, case: &str, token: &str) {
    let response = me_with(app, token).await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "{case}: {body}");
}

/// `response` is a 401 `unauthenticated` problem with the `WWW-Authenticate: Bearer` challenge.
async fn unauthenticated(response: reqwest::Response, case: &str) -> serde_json::Value {
    let challenge = response.headers().get("www-authenticate").cloned();
    assert_eq!(
        challenge.as_ref().map(|v| v.to_str().unwrap()),
        Some("Bearer"),
        "{case}"
    );
    expect_problem(response, 401, "unauthenticated").await
}

/// `GET /v1/me` with `token` must answer 401 `unauthenticated` with `WWW-Authenticate: Bearer`
/// and a detail that mentions `detail_names`.
async fn refused(app: &TestApp, case: &str, token: &str, detail_names: &str) {
    let response = me_with(app, token).await;
    let body = unauthenticated(response, case).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(detail_names),
        "{case}: the detail `{detail}` should name `{detail_names}`"
    );
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
        let body = unauthenticated(response, case).await;
        assert!(!body["detail"].as_str().unwrap().is_empty(), "{case}");
    }
}

async fn a_deleted_users_token_stops_working(db: &TestDb) {
    let app = spawn_app(db).await;
    let user = app.create_user("leaving@example.org").await;
    app.get_ok(&user, "/v1/me").await;
    let path = format!("/v1/users/{}", user.id);
    app.expect(&app.admin, Method::DELETE, &path, None, &[204])
        .await;
    let response = app.call(Some(&user), Method::GET, "/v1/me", None).await;
    expect_problem(response, 401, "unauthenticated").await;
}

/// A deactivated user's token is refused as a deleted user's is, on every route, and works
/// again once they are restored: deactivation keeps the user, and the token was never revoked.
async fn a_deactivated_users_token_is_refused_until_restored(db: &TestDb) {
    let app = spawn_app(db).await;
    let user = app.create_user("away@example.org").await;
    accepted(&app, "active", &user.token).await;
    app.set_active(user.id, false).await;
    refused(&app, "deactivated", &user.token, "deactivated").await;
    let elsewhere = format!("/v1/users/{}", user.id);
    let response = app.call(Some(&user), Method::GET, &elsewhere, None).await;
    unauthenticated(response, "deactivated, elsewhere").await;
    accepted(&app, "the admin meanwhile", &app.admin.token).await;
    app.set_active(user.id, true).await;
    accepted(&app, "restored", &user.token).await;
}

async fn a_configured_issuer_and_audience_are_required(db: &TestDb) {
    let app = spawn_app_with_issuer_and_audience(db).await;
    let sub = app.admin.id.to_string();
    let exp = now() + 600;
    accepted(
        &app,
        "both right",
        &sign_test(json!({ "sub": sub, "iat": now(), "exp": exp, "iss": ISSUER, "aud": AUDIENCE })),
    )
    .await;
    // The app's own tokens carry both.
    accepted(&app, "issued by the app", &app.admin.token).await;
    let cases = [
        (
            "no iss",
            json!({ "sub": sub, "iat": now(), "exp": exp, "aud": AUDIENCE }),
            "iss",
        ),
        (
            "no aud",
            json!({ "sub": sub, "iat": now(), "exp": exp, "iss": ISSUER }),
            "aud",
        ),
        (
            "neither",
            json!({ "sub": sub, "iat": now(), "exp": exp }),
            "claim",
        ),
        (
            "wrong iss",
            json!({ "sub": sub, "iat": now(), "exp": exp, "iss": "someone-else", "aud": AUDIENCE }),
            "issuer",
        ),
        (
            "wrong aud",
            json!({ "sub": sub, "iat": now(), "exp": exp, "iss": ISSUER, "aud": "another-api" }),
            "audience",
        ),
        (
            "aud array without ours",
            json!({ "sub": sub, "iat": now(), "exp": exp, "iss": ISSUER, "aud": ["another-api"] }),
            "audience",
        ),
        (
            "empty aud array",
            json!({ "sub": sub, "iat": now(), "exp": exp, "iss": ISSUER, "aud": [] }),
            "audience",
        ),
    ];
    for (case, claims, detail) in cases {
        refused(&app, case, &sign_test(claims), detail).await;
    }
}

async fn tokens_the_rfc_allows_are_accepted(db: &TestDb) {
    let app = spawn_app_with_issuer_and_audience(db).await;
    let sub = app.admin.id.to_string();
    let exp = now() + 600;
    let cases = [
        // RFC 7519 requires no `iat`: Roster requires `sub` and `exp` (and `iss`/`aud` configured).
        (
            "no iat",
            json!({ "sub": sub, "exp": exp, "iss": ISSUER, "aud": AUDIENCE }),
        ),
        // `aud` may be a string or an array of strings (RFC 7519 §4.1.3).
        (
            "aud array naming us",
            json!({ "sub": sub, "iat": now(), "exp": exp, "iss": ISSUER, "aud": ["another-api", AUDIENCE] }),
        ),
        (
            "aud array of one, no iat",
            json!({ "sub": sub, "exp": exp, "iss": ISSUER, "aud": [AUDIENCE] }),
        ),
    ];
    for (case, claims) in cases {
        accepted(&app, case, &sign_test(claims)).await;
    }
}

async fn not_before_is_checked(db: &TestDb) {
    let app = spawn_app(db).await;
    let sub = app.admin.id.to_string();
    let exp = now() + 3600;
    let with_nbf =
        |nbf: Value| sign_test(json!({ "sub": sub, "iat": now(), "exp": exp, "nbf": nbf }));
    accepted(&app, "nbf in the past", &with_nbf(json!(now() - 60))).await;
    accepted(&app, "nbf within the leeway", &with_nbf(json!(now() + 10))).await;
    refused(
        &app,
        "nbf in the future",
        &with_nbf(json!(now() + 600)),
        "not valid yet",
    )
    .await;
    refused(&app, "nbf not a number", &with_nbf(json!("x")), "nbf").await;
}

async fn critical_header_extensions_are_refused(db: &TestDb) {
    let app = spawn_app(db).await;
    let claims = json!({ "sub": app.admin.id.to_string(), "iat": now(), "exp": now() + 600 });
    // The same hand-made signing without `crit` passes: the refusals below are `crit`'s.
    accepted(
        &app,
        "no crit",
        &sign_raw(r#"{"alg":"HS256","typ":"JWT"}"#, &claims),
    )
    .await;
    let cases = [
        (
            "an unknown extension",
            r#"{"alg":"HS256","typ":"JWT","crit":["exp-ext"],"exp-ext":1}"#,
        ),
        (
            "a registered parameter",
            r#"{"alg":"HS256","typ":"JWT","crit":["alg"]}"#,
        ),
        ("not an array", r#"{"alg":"HS256","crit":"exp-ext"}"#),
        ("an empty array", r#"{"alg":"HS256","crit":[]}"#),
        ("not strings", r#"{"alg":"HS256","crit":[1]}"#),
        ("null", r#"{"alg":"HS256","crit":null}"#),
    ];
    for (case, header) in cases {
        refused(&app, case, &sign_raw(header, &claims), "crit").await;
    }
}

both_backends!(
    me_answers_with_a_valid_token,
    every_bad_token_is_refused,
    a_deleted_users_token_stops_working,
    a_deactivated_users_token_is_refused_until_restored,
    a_configured_issuer_and_audience_are_required,
    tokens_the_rfc_allows_are_accepted,
    not_before_is_checked,
    critical_header_extensions_are_refused
);
