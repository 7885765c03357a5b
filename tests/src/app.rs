//! `spawn_app()`: the real server on a random port against a fresh database, plus typed
//! request helpers and users seeded per role.

use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, Response};
use roster_server::auth::JwtKeys;
use roster_server::{Application, Settings};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use crate::db::TestDb;

/// The secret every test server signs its tokens with.
pub const TEST_SECRET: &str = "roster-test-secret-that-is-long-enough-0123456789";

/// A user the tests act as.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
}

/// A running server and what a test needs to talk to it and to look behind it.
pub struct TestApp {
    pub address: String,
    /// The server's own pool: for assertions on what was stored.
    pub db: DatabaseConnection,
    pub keys: JwtKeys,
    /// The first system admin, created by bootstrap.
    pub admin: TestUser,
    client: Client,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; the workers wind down on their own threads.
        drop(self.handle.stop(false));
    }
}

/// The settings a test server runs with on `db`.
pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::for_database(db.url.clone());
    settings.bind = ([127, 0, 0, 1], 0).into();
    settings.jwt_secret = Some(TEST_SECRET.to_owned());
    settings.workers = Some(2);
    settings.db_pool_size = 5;
    settings.db_acquire_timeout = Duration::from_secs(5);
    settings
}

/// Starts the app on `db` (migrating it) and bootstraps the first system admin.
pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with(test_settings(db)).await
}

/// Starts the app with custom settings.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let app = Application::build(settings).await.expect("the app builds");
    let state = app.state().clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let email = domain::Email::parse("admin@localhost").expect("valid email");
    let group = domain::Name::parse("Organisation").expect("valid name");
    let created = roster_server::services::bootstrap::bootstrap(&state.db, &email, &group)
        .await
        .expect("bootstrap works")
        .expect("the database was empty");
    let admin = TestUser {
        id: created.user.id,
        email: created.user.email,
        token: state
            .jwt
            .issue(created.user.id, Duration::from_secs(3600))
            .expect("token"),
    };
    TestApp {
        address,
        db: state.db,
        keys: state.jwt,
        admin,
        client: Client::new(),
        handle,
    }
}

impl TestApp {
    /// A request without credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.address, path))
    }

    /// A request as `user`.
    pub fn as_user(&self, user: &TestUser, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(&user.token)
    }

    /// A token for any user id, signed with the server's key.
    pub fn token_for(&self, id: Uuid) -> String {
        self.keys
            .issue(id, Duration::from_secs(3600))
            .expect("token")
    }

    /// Creates a user through the API, as the system admin.
    pub async fn create_user(&self, email: &str) -> TestUser {
        let response = self
            .as_user(&self.admin, Method::POST, "/v1/users")
            .json(&serde_json::json!({ "email": email, "display_name": email }))
            .send()
            .await
            .expect("request sent");
        let body = expect_status(response, 201).await;
        let id: Uuid = body["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an id");
        TestUser {
            id,
            email: email.to_lowercase(),
            token: self.token_for(id),
        }
    }
}

impl TestApp {
    /// Creates a group through the API, as the system admin; returns its id.
    pub async fn create_group(&self, name: &str, parent: Option<Uuid>) -> Uuid {
        let response = self
            .as_user(&self.admin, Method::POST, "/v1/groups")
            .json(&serde_json::json!({ "name": name, "parent_id": parent }))
            .send()
            .await
            .expect("request sent");
        let body = expect_status(response, 201).await;
        body["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an id")
    }
}

impl TestApp {
    /// Creates a project in `group` through the API, as the system admin; returns its id.
    pub async fn create_project(&self, group: Uuid, name: &str) -> Uuid {
        let response = self
            .as_user(
                &self.admin,
                Method::POST,
                &format!("/v1/groups/{group}/projects"),
            )
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .expect("request sent");
        let body = expect_status(response, 201).await;
        body["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an id")
    }

    /// Gives `user` a direct group `role` through the API, as the system admin.
    pub async fn set_group_role(&self, group: Uuid, user: &TestUser, role: &str) {
        let response = self
            .as_user(
                &self.admin,
                Method::PUT,
                &format!("/v1/groups/{group}/members/{}", user.id),
            )
            .json(&serde_json::json!({ "role": role }))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.text().await.expect("a body");
        assert!(
            status == 200 || status == 201,
            "set_group_role: {status} {body}"
        );
    }

    /// Gives `user` the project `role` through the API, as the system admin; returns the member.
    pub async fn set_project_role(&self, project: Uuid, user: &TestUser, role: &str) -> Value {
        let response = self
            .as_user(
                &self.admin,
                Method::PUT,
                &format!("/v1/projects/{project}/members/{}", user.id),
            )
            .json(&serde_json::json!({ "role": role }))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.text().await.expect("a body");
        assert!(
            status == 200 || status == 201,
            "set_project_role: {status} {body}"
        );
        serde_json::from_str(&body).expect("a JSON body")
    }
}

/// Asserts the status and returns the JSON body (`Null` when empty).
pub async fn expect_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.expect("a body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("a JSON body")
    }
}

/// Asserts a problem+json error with `status` and `code`, and returns its body.
pub async fn expect_problem(response: Response, status: u16, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status, "body: {body}");
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "problem lacks `{field}`: {body}");
    }
    body
}
