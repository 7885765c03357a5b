//! The console as a browser sees it, for tests: a session opened with a one-time login code,
//! and requests that carry its cookie. Redirects are never followed, so each answer is exactly
//! what the server said.

use std::time::Duration;

use reqwest::{Client, Response, StatusCode, header};
use uuid::Uuid;

use crate::app::TestApp;

/// A signed-in console session.
pub struct ConsoleSession {
    client: Client,
    address: String,
    /// The `roster_session` cookie's value.
    pub cookie: String,
    /// The whole `Set-Cookie` header that opened the session.
    pub set_cookie: String,
}

/// A client that does not follow redirects and keeps no cookies of its own.
pub fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .expect("an HTTP client")
}

impl TestApp {
    /// A one-time login code for `user_id`, as `roster login-link` stores one.
    pub async fn login_code(&self, user_id: Uuid, ttl: Duration) -> String {
        roster_server::services::console_sessions::issue_code(&self.db, user_id, ttl)
            .await
            .expect("a login code")
    }

    /// Opens `/console/login?code=…` without a cookie.
    pub async fn open_login_link(&self, code: &str) -> Response {
        browser()
            .get(format!("{}/console/login?code={code}", self.address))
            .send()
            .await
            .expect("the login link answers")
    }

    /// Signs `user_id` in through a fresh login link.
    pub async fn console_session(&self, user_id: Uuid) -> ConsoleSession {
        let code = self.login_code(user_id, Duration::from_secs(60)).await;
        let opened = self.open_login_link(&code).await;
        assert_eq!(opened.status(), StatusCode::SEE_OTHER, "the link signs in");
        let set_cookie = opened
            .headers()
            .get(header::SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .unwrap()
            .to_owned();
        let cookie = set_cookie
            .split(';')
            .next()
            .and_then(|pair| pair.strip_prefix("roster_session="))
            .expect("the roster_session cookie")
            .to_owned();
        ConsoleSession {
            client: browser(),
            address: self.address.clone(),
            cookie,
            set_cookie,
        }
    }
}

impl ConsoleSession {
    /// `GET path` with the session's cookie.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header(header::COOKIE, format!("roster_session={}", self.cookie))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// The page at `path`, which must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// Posts `form` to `path` with the session's cookie, as a browser submits a form.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.client
            .post(format!("{}{path}", self.address))
            .header(header::COOKIE, format!("roster_session={}", self.cookie))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// The CSRF token the session's forms carry, read from a page as a browser would.
    pub async fn csrf(&self) -> String {
        let page = self.page("/console/groups").await;
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
        page[start..].split('"').next().unwrap().to_owned()
    }
}
