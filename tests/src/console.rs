//! The console as a browser sees it, for tests: a session opened with a one-time login code
//! (as `roster login-link` makes), and requests that carry its cookie and, on forms, its CSRF
//! token. Redirects are never followed, so each answer is exactly what the server said.

use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use reqwest::{Client, Response};
use uuid::Uuid;

use crate::app::TestApp;

/// One answer: its status, where it redirects, its headers and its page.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    async fn of(response: Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        Self {
            status,
            location,
            headers,
            body,
        }
    }

    /// A header's value as text, or `""`.
    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }
}

/// A signed-in console session.
pub struct ConsoleSession {
    client: Client,
    address: String,
    /// The `roster_session` cookie's value.
    pub cookie: String,
    /// The whole `Set-Cookie` header that opened the session.
    pub set_cookie: String,
    /// The CSRF token the session's forms carry, read from a page as a browser would.
    pub csrf: String,
}

/// A client that does not follow redirects and keeps no cookies of its own.
pub fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .expect("an HTTP client")
}

/// The CSRF token a page's forms carry.
pub fn csrf_of(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

impl TestApp {
    /// A one-time login code for `user_id`, as `roster login-link` stores one.
    pub async fn login_code(&self, user_id: Uuid, ttl: Duration) -> String {
        roster_server::services::console_sessions::issue_code(&self.db, user_id, ttl)
            .await
            .expect("a login code")
    }

    /// `path` without a session.
    pub async fn console_anonymous(&self, path: &str) -> Answer {
        let response = browser()
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the console answers");
        Answer::of(response).await
    }

    /// Opens `/console/login?code=…` without a cookie.
    pub async fn open_login_link(&self, code: &str) -> Answer {
        self.console_anonymous(&format!("/console/login?code={code}"))
            .await
    }

    /// Signs `user_id` in through a fresh login link.
    pub async fn console_session(&self, user_id: Uuid) -> ConsoleSession {
        let code = self.login_code(user_id, Duration::from_secs(600)).await;
        let opened = self.open_login_link(&code).await;
        assert_eq!(opened.status, 303, "the link signs in: {}", opened.body);
        let set_cookie = opened.header(header::SET_COOKIE).to_owned();
        let cookie = set_cookie
            .split(';')
            .next()
            .and_then(|pair| pair.strip_prefix("roster_session="))
            .expect("the roster_session cookie")
            .to_owned();
        let mut session = ConsoleSession {
            client: browser(),
            address: self.address.clone(),
            cookie,
            set_cookie,
            csrf: String::new(),
        };
        session.csrf = csrf_of(&session.page("/console/groups").await);
        session
    }
}

impl ConsoleSession {
    /// `GET path` with the session's cookie.
    pub async fn get(&self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .header(header::COOKIE, format!("roster_session={}", self.cookie))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        Answer::of(response).await
    }

    /// The page at `path`, which must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let answer = self.get(path).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        answer.body
    }

    /// Submits a form to `path` with `fields` and the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut with_token = vec![("csrf", self.csrf.as_str())];
        with_token.extend_from_slice(fields);
        self.post_raw(path, &with_token).await
    }

    /// Posts `fields` exactly as given: no CSRF token unless among them.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .header(header::COOKIE, format!("roster_session={}", self.cookie))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        Answer::of(response).await
    }
}
