//! SCIM requests for the `/scim/v2` suites: a client that sends `application/scim+json` with a
//! SCIM token ([`ScimClient`]), the whole answer it gets ([`ScimAnswer`]: status, headers, JSON
//! body), and the shapes RFC 7644 gives errors, PATCH requests and list responses.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::{id_of, percent_encode};
use crate::app::TestApp;

pub const SCIM_JSON: &str = "application/scim+json";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A provisioning client of one test server: every request goes to `/scim/v2` with its token.
pub struct ScimClient {
    base: String,
    token: Option<String>,
    /// The token's id (the audit's actor), when the client made it.
    pub token_id: Option<Uuid>,
    http: Client,
}

/// What `/scim/v2` answered.
#[derive(Debug)]
pub struct ScimAnswer {
    /// The request, for failure messages.
    pub request: String,
    pub status: u16,
    pub headers: HeaderMap,
    /// `Null` when empty, a JSON string when the body is not JSON.
    pub body: Value,
}

impl ScimClient {
    /// A client presenting `token` (none: no Authorization header).
    pub fn with_token(app: &TestApp, token: Option<&str>) -> Self {
        Self {
            base: format!("{}/scim/v2", app.address),
            token: token.map(str::to_owned),
            token_id: None,
            // As TestApp's client: idle connections go before the server's keep-alive ends.
            http: Client::builder()
                .pool_idle_timeout(Duration::from_secs(1))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// A client with a SCIM token the bootstrap admin makes through `POST /v1/scim-tokens`.
    pub async fn made_by_admin(app: &TestApp, name: &str) -> Self {
        let made = app
            .expect(
                &app.admin,
                Method::POST,
                "/v1/scim-tokens",
                Some(&json!({ "name": name })),
                &[201],
            )
            .await;
        let token = made["token"].as_str().expect("the token, shown once");
        let mut client = Self::with_token(app, Some(token));
        client.token_id = Some(id_of(&made));
        client
    }

    /// Sends `body` (as `application/scim+json`) to `path` under `/scim/v2`, with `headers`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> ScimAnswer {
        let text = body.map(Value::to_string);
        self.send_text(method, path, text.as_deref(), headers).await
    }

    /// Sends `body` as it is, declared `application/scim+json`: for bodies that are not JSON.
    pub async fn send_text(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> ScimAnswer {
        let request = format!("{method} /scim/v2{path}");
        let mut builder = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("accept", SCIM_JSON);
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = body {
            builder = builder
                .header("content-type", SCIM_JSON)
                .body(body.to_owned());
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = builder
            .send()
            .await
            .unwrap_or_else(|e| panic!("{request}: not sent: {e:?}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{request}: no body: {e}"));
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        ScimAnswer {
            request,
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> ScimAnswer {
        self.send(Method::GET, path, None, &[]).await
    }

    /// A request that must answer `status` with SCIM's media type; returns the body.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        status: u16,
    ) -> Value {
        self.send(method, path, body, &[]).await.expect(status).body
    }

    /// `GET path`, which must answer 200; returns the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        self.expect(Method::GET, path, None, 200).await
    }

    /// `GET /Users?filter=…` (the filter percent-encoded), which must answer a ListResponse.
    pub async fn filter_users(&self, filter: &str) -> Value {
        let page = self
            .get_ok(&format!("/Users?filter={}", percent_encode(filter)))
            .await;
        assert_eq!(page["schemas"], json!([LIST_RESPONSE]), "{page}");
        page
    }

    /// `POST /Users`, which must create; returns the representation.
    pub async fn create_user(&self, body: &Value) -> Value {
        self.expect(Method::POST, "/Users", Some(body), 201).await
    }

    /// `PATCH /Users/{id}` with `operations`, which must answer 200; returns the representation.
    pub async fn patch_user(&self, id: &str, operations: Value) -> Value {
        let path = format!("/Users/{id}");
        self.expect(Method::PATCH, &path, Some(&patch(operations)), 200)
            .await
    }
}

impl ScimAnswer {
    /// Asserts `status` and, when there is a body, SCIM's media type; returns the answer.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "{}: expected {status}, got {} {}",
            self.request, self.status, self.body
        );
        if !self.body.is_null() {
            assert_eq!(self.media(), SCIM_JSON, "{}: {}", self.request, self.body);
        }
        self
    }

    /// Asserts a SCIM Error body (RFC 7644 §3.12) with `status` and, when given, `scim_type`.
    #[track_caller]
    pub fn expect_error(self, status: u16, scim_type: Option<&str>) -> Self {
        let answer = self.expect(status);
        let body = &answer.body;
        let request = &answer.request;
        assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "{request}: {body}");
        assert_eq!(
            body["status"],
            json!(status.to_string()),
            "{request}: {body}"
        );
        assert!(body["detail"].is_string(), "{request}: {body}");
        if let Some(scim_type) = scim_type {
            assert_eq!(body["scimType"], scim_type, "{request}: {body}");
        }
        answer
    }

    /// The `content-type` header.
    pub fn media(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    pub fn etag(&self) -> &str {
        self.header("etag")
            .unwrap_or_else(|| panic!("{}: no ETag", self.request))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A PATCH request (RFC 7644 §3.5.2) of `operations`.
pub fn patch(operations: Value) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": operations })
}

/// The string at `key` of every resource of a ListResponse, in order.
pub fn resource_strs<'a>(page: &'a Value, key: &str) -> Vec<&'a str> {
    page["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("not a ListResponse: {page}"))
        .iter()
        .map(|resource| {
            resource[key]
                .as_str()
                .unwrap_or_else(|| panic!("no string at `{key}` in {resource}"))
        })
        .collect()
}
