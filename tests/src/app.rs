//! `spawn_app()`: the real server on a random port against a fresh database, and the request
//! helpers every suite shares: [`TestApp::call`] (the response), [`TestApp::send`] (status and
//! JSON, for looking at any answer), [`TestApp::expect`] and [`TestApp::refused`] (an answer
//! that must be what the test says, or a panic naming the request). Helpers per resource are in
//! `api`.

use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, Response};
use roster_server::auth::JwtKeys;
use roster_server::state::AppState;
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
    /// The server's decision memory: whether it follows notifications, what it has applied.
    pub decisions: roster_server::services::memory::Decisions,
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
    let (state, address, handle) = start(settings).await;
    let email = domain::Email::parse("admin@localhost").expect("valid email");
    let group = domain::Name::parse("Organisation").expect("valid name");
    let created = roster_server::services::bootstrap::bootstrap(&state.db, &email, &group)
        .await
        .expect("bootstrap works")
        .expect("the database was empty");
    // The server learns of commits made outside its requests within a poll; tell it at once,
    // so that a test's first read is stamped with the bootstrap's revision.
    let counter = roster_server::services::changes::revision::read(&state.db)
        .await
        .expect("the revision counter");
    state.clock.observe(counter.revision);
    let admin = TestUser {
        id: created.user.id,
        email: created.user.user_name,
        token: state
            .jwt
            .issue(created.user.id, Duration::from_secs(3600))
            .expect("token"),
    };
    TestApp::new(state, address, handle, admin)
}

/// A second server on the database `first` runs on (already bootstrapped), with `settings`
/// (which must name that database and sign with [`TEST_SECRET`]); the same admin acts on both.
pub async fn spawn_peer(first: &TestApp, settings: Settings) -> TestApp {
    let (state, address, handle) = start(settings).await;
    TestApp::new(state, address, handle, first.admin.clone())
}

/// Builds and runs a server, returning its state, address and stop handle.
async fn start(settings: Settings) -> (AppState, String, actix_web::dev::ServerHandle) {
    let app = Application::build(settings).await.expect("the app builds");
    let state = app.state().clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    (state, address, handle)
}

impl TestApp {
    fn new(
        state: AppState,
        address: String,
        handle: actix_web::dev::ServerHandle,
        admin: TestUser,
    ) -> Self {
        Self {
            address,
            db: state.db,
            keys: state.jwt,
            decisions: state.decisions,
            admin,
            // Idle connections are dropped well before the server's 5 s keep-alive closes them,
            // so a request never goes out on a connection the server is closing at that moment.
            client: Client::builder()
                .pool_idle_timeout(Duration::from_secs(1))
                .build()
                .expect("an HTTP client"),
            handle,
        }
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

    /// Sends a request as `actor` (or without credentials), with `body` as JSON. Panics, naming
    /// the request, when it cannot be sent: the server is gone, which no test expects.
    pub async fn call(
        &self,
        actor: Option<&TestUser>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = match actor {
            Some(user) => self.as_user(user, method.clone(), path),
            None => self.request(method.clone(), path),
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: not sent: {e:?}"))
    }

    /// The raw answer to a request: its status and its body as JSON (`Null` when empty, a JSON
    /// string when the body is not JSON), for tests that look at refusals themselves.
    pub async fn send(
        &self,
        actor: Option<&TestUser>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (status, text) = self.send_text(actor, method, path, body).await;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// The status and the body as text.
    async fn send_text(
        &self,
        actor: Option<&TestUser>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, String) {
        let response = self.call(actor, method.clone(), path, body).await;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: no body: {e}"));
        (status, text)
    }

    /// Sends a request as `actor` that must succeed with one of `statuses`; returns the JSON
    /// body (`Null` when empty). The panic names the request, the status and the body, so a
    /// failed step says which step it was.
    pub async fn expect(
        &self,
        actor: &TestUser,
        method: Method,
        path: &str,
        body: Option<&Value>,
        statuses: &[u16],
    ) -> Value {
        let (status, text) = self
            .send_text(Some(actor), method.clone(), path, body)
            .await;
        let request = format!("{method} {path} as {}", actor.email);
        assert!(
            statuses.contains(&status),
            "{request}: expected {statuses:?}, got {status} {text}"
        );
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("{request}: {status} with a body that is not JSON ({e}): {text}")
            })
        }
    }

    /// `POST path` as `actor` with a JSON `body`.
    pub async fn post(&self, actor: &TestUser, path: &str, body: &Value) -> Response {
        self.call(Some(actor), Method::POST, path, Some(body)).await
    }

    /// `PATCH path` as `actor` with a JSON `body`.
    pub async fn patch(&self, actor: &TestUser, path: &str, body: &Value) -> Response {
        self.call(Some(actor), Method::PATCH, path, Some(body))
            .await
    }

    /// `DELETE path` as `actor`.
    pub async fn delete(&self, actor: &TestUser, path: &str) -> Response {
        self.call(Some(actor), Method::DELETE, path, None).await
    }

    /// `GET path` as `actor`, which must answer 200; returns the body.
    pub async fn get_ok(&self, actor: &TestUser, path: &str) -> Value {
        self.expect(actor, Method::GET, path, None, &[200]).await
    }

    /// `GET path` as `actor`, which must be refused with `status` and problem `code`.
    pub async fn get_refused(
        &self,
        actor: &TestUser,
        path: &str,
        status: u16,
        code: &str,
    ) -> Value {
        self.refused(actor, Method::GET, path, None, status, code)
            .await
    }

    /// Sends a request as `actor` that must be refused with `status` and problem `code`
    /// (see [`expect_problem`]); returns the problem.
    pub async fn refused(
        &self,
        actor: &TestUser,
        method: Method,
        path: &str,
        body: Option<&Value>,
        status: u16,
        code: &str,
    ) -> Value {
        expect_problem(
            self.call(Some(actor), method, path, body).await,
            status,
            code,
        )
        .await
    }
}

/// Asserts the status and returns the JSON body (`Null` when empty). The panic names the path
/// answered (a response keeps its URL, not its method).
pub async fn expect_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let path = response.url().path().to_owned();
    let text = response.text().await.expect("a body");
    assert_eq!(actual, status, "{path}: unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{path}: {actual} with a body that is not JSON ({e}): {text}")
        })
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
