//! Typed helpers per resource: the set-up steps tests repeat (create a user, a group, a project,
//! a squad; grant a role; read the audit trail), each one request that must succeed.
//!
//! Roles are the `domain` crate's enums, so a test cannot name a role the table lacks; the wire
//! name is the enum's `as_str()`. Every helper asserts the status it expects with a message that
//! names the request (see [`TestApp::expect`]); to look at a refusal, use [`TestApp::send`] or
//! [`TestApp::refused`].

use domain::{GroupRole, ProjectRole};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::{TestApp, TestUser};

/// The `id` of a created object's body.
pub fn id_of(body: &Value) -> Uuid {
    uuid_at(body, "id")
}

/// The uuid in `body[key]`; panics, naming the key and the body, when there is none.
pub fn uuid_at(body: &Value, key: &str) -> Uuid {
    body[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no uuid at `{key}` in {body}"))
}

/// The uuids at `key` of every item of a page (`{"items": [...]}`), in order.
pub fn item_ids(page: &Value, key: &str) -> Vec<Uuid> {
    uuids(&page["items"], key)
}

/// `text` with every byte outside RFC 3986's unreserved set percent-encoded, for query values.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The two shapes of a set-up write.
impl TestApp {
    /// `POST path` as `actor`, which must create (201); returns the new object's id.
    async fn create_at(&self, actor: &TestUser, path: &str, body: Value) -> Uuid {
        let created = self
            .expect(actor, Method::POST, path, Some(&body), &[201])
            .await;
        id_of(&created)
    }

    /// `PUT path` as `actor`, which must update (200) or create (201); returns the body.
    async fn put_at(&self, actor: &TestUser, path: &str, body: Option<Value>) -> Value {
        self.expect(actor, Method::PUT, path, body.as_ref(), &[200, 201])
            .await
    }
}

/// Users.
impl TestApp {
    /// Creates a user through the API, as the system admin, named by their email.
    pub async fn create_user(&self, email: &str) -> TestUser {
        self.create_user_as(&self.admin, email, email).await
    }

    /// Creates a user as `actor` with `display_name`; expects 201.
    pub async fn create_user_as(
        &self,
        actor: &TestUser,
        email: &str,
        display_name: &str,
    ) -> TestUser {
        let body = json!({ "email": email, "display_name": display_name });
        let id = self.create_at(actor, "/v1/users", body).await;
        TestUser {
            id,
            email: email.to_lowercase(),
            token: self.token_for(id),
        }
    }

    /// Deactivates (`false`) or restores (`true`) the user `id` as an identity provider does:
    /// SCIM's `active`, with a token the bootstrap admin makes (no `/v1` route deactivates).
    pub async fn set_active(&self, id: Uuid, active: bool) {
        let scim = crate::scim::ScimClient::made_by_admin(self, "deactivation").await;
        let patch = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": active}],
        });
        scim.expect(Method::PATCH, &format!("/Users/{id}"), Some(&patch), 200)
            .await;
    }

    /// The group holding the bootstrap admin's `system_admin` membership.
    pub async fn organisation(&self) -> Uuid {
        let me = self.get_ok(&self.admin, "/v1/me").await;
        uuid_at(&me["group_memberships"][0], "group_id")
    }
}

/// Groups and their members.
impl TestApp {
    /// Creates a group as `actor` (under `parent`, or a root); expects 201, returns its id.
    pub async fn create_group(&self, actor: &TestUser, name: &str, parent: Option<Uuid>) -> Uuid {
        let body = json!({ "name": name, "parent_id": parent });
        self.create_at(actor, "/v1/groups", body).await
    }

    /// Adds `user` to `group` with `role` (`POST …/members`) as `actor`; expects 201.
    pub async fn add_group_member(
        &self,
        actor: &TestUser,
        group: Uuid,
        user: Uuid,
        role: GroupRole,
    ) -> Value {
        let body = json!({ "user_id": user, "role": role.as_str() });
        let path = format!("/v1/groups/{group}/members");
        self.expect(actor, Method::POST, &path, Some(&body), &[201])
            .await
    }

    /// Gives `user` the direct `role` in `group` (`PUT …/members/{user_id}`) as `actor`;
    /// expects 200 or 201 (updated or created).
    pub async fn put_group_member(
        &self,
        actor: &TestUser,
        group: Uuid,
        user: Uuid,
        role: GroupRole,
    ) -> Value {
        let path = format!("/v1/groups/{group}/members/{user}");
        self.put_role(actor, &path, role.as_str()).await
    }
}

/// Shorthands for set-up by the system admin.
impl TestApp {
    /// Gives `user` the direct `role` in `group`, as the system admin.
    pub async fn grant_group(&self, group: Uuid, user: &TestUser, role: GroupRole) -> Value {
        self.put_group_member(&self.admin, group, user.id, role)
            .await
    }

    /// Gives `user` the `role` in `project`, as the system admin; returns the member.
    pub async fn grant_project(&self, project: Uuid, user: &TestUser, role: ProjectRole) -> Value {
        self.put_project_member(&self.admin, project, user.id, role)
            .await
    }
}

/// Projects and their members.
impl TestApp {
    /// Creates a project in `group` as `actor`; expects 201, returns its id.
    pub async fn create_project(&self, actor: &TestUser, group: Uuid, name: &str) -> Uuid {
        let body = json!({ "name": name });
        let path = format!("/v1/groups/{group}/projects");
        self.create_at(actor, &path, body).await
    }

    /// Gives `user` the project `role` as `actor`; expects 200 or 201, returns the member.
    pub async fn put_project_member(
        &self,
        actor: &TestUser,
        project: Uuid,
        user: Uuid,
        role: ProjectRole,
    ) -> Value {
        let path = format!("/v1/projects/{project}/members/{user}");
        self.put_role(actor, &path, role.as_str()).await
    }

    /// `PUT path {"role": role}` as `actor`; expects 200 or 201.
    async fn put_role(&self, actor: &TestUser, path: &str, role: &str) -> Value {
        self.put_at(actor, path, Some(json!({ "role": role })))
            .await
    }
}

/// Reporting lines per person, and the projects one may view.
impl TestApp {
    /// `GET /v1/projects/{project}/members/{user}/chain` as `actor`; expects 200, returns the
    /// managers, nearest first.
    pub async fn chain(&self, actor: &TestUser, project: Uuid, user: Uuid) -> Vec<Value> {
        let path = format!("/v1/projects/{project}/members/{user}/chain");
        let body = self.get_ok(actor, &path).await;
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// Every page of `GET /v1/projects/{project}/members/{user}/reports` as `actor`, `limit`
    /// items a page; expects 200 each time. Returns the items in order and each page's `total`.
    pub async fn all_reports(
        &self,
        actor: &TestUser,
        project: Uuid,
        user: Uuid,
        transitive: bool,
        limit: u32,
    ) -> (Vec<Value>, Vec<u64>) {
        let path = format!("/v1/projects/{project}/members/{user}/reports?transitive={transitive}");
        let (items, pages) = self.walk_pages(actor, &path, limit).await;
        let totals = pages
            .iter()
            .map(|page| {
                page["total"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{path}: a page without `total`: {page}"))
            })
            .collect();
        (items, totals)
    }

    /// The ids of every project `GET /v1/projects` (with `?within=`) lists to `actor`, walking
    /// pages of `limit`; expects 200 each time.
    pub async fn visible_projects(
        &self,
        actor: &TestUser,
        within: Option<Uuid>,
        limit: u32,
    ) -> Vec<Uuid> {
        let path = match within {
            Some(group) => format!("/v1/projects?within={group}"),
            None => "/v1/projects".to_owned(),
        };
        let (items, _) = self.walk_pages(actor, &path, limit).await;
        uuids(&Value::Array(items), "id")
    }

    /// Walks every page of the list at `path` (which may carry a query) as `actor`; returns
    /// the items in order and the pages as answered.
    pub async fn walk_pages(
        &self,
        actor: &TestUser,
        path: &str,
        limit: u32,
    ) -> (Vec<Value>, Vec<Value>) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit={limit}&cursor={}", percent_encode(c)),
                None => format!("{path}{sep}limit={limit}"),
            };
            let page = self.get_ok(actor, &url).await;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            pages.push(page);
            if cursor.is_none() {
                return (items, pages);
            }
        }
    }
}

/// Squads and their members.
impl TestApp {
    /// Creates a squad in `project` (under `parent`, or top-level) as `actor`; expects 201,
    /// returns its id.
    pub async fn create_squad(
        &self,
        actor: &TestUser,
        project: Uuid,
        name: &str,
        parent: Option<Uuid>,
    ) -> Uuid {
        let body = json!({ "name": name, "parent_id": parent });
        let path = format!("/v1/projects/{project}/squads");
        self.create_at(actor, &path, body).await
    }

    /// Puts `user` (a member of the squad's project) into `squad` as `actor`; expects 200 or
    /// 201, returns the squad member.
    pub async fn put_squad_member(&self, actor: &TestUser, squad: Uuid, user: Uuid) -> Value {
        let path = format!("/v1/squads/{squad}/members/{user}");
        self.put_at(actor, &path, None).await
    }
}

/// Webhooks.
impl TestApp {
    /// Waits, up to 10 s, until the delivery log of webhook `id` (as the system admin reads it)
    /// holds at least `count` deliveries in `state`; returns how many it holds then.
    pub async fn await_deliveries(&self, id: &str, state: &str, count: usize) -> usize {
        let path = format!("/v1/webhooks/{id}/deliveries");
        let mut found = 0;
        for _ in 0..200 {
            let log = self.get_ok(&self.admin, &path).await;
            found = log["items"]
                .as_array()
                .unwrap_or_else(|| panic!("{path}: no items in {log}"))
                .iter()
                .filter(|d| d["state"] == state)
                .count();
            if found >= count {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        found
    }
}

/// The audit trail, as stored and as served.
impl TestApp {
    /// How many stored audit events have `action`.
    pub async fn audit_count(&self, action: &str) -> u64 {
        entity::audit_events::Entity::find()
            .filter(entity::audit_events::Column::Action.eq(action))
            .count(&self.db)
            .await
            .expect("counting audit events")
    }

    /// The stored audit events with `action`, oldest first.
    pub async fn audit_events(&self, action: &str) -> Vec<entity::audit_events::Model> {
        let mut events = entity::audit_events::Entity::find()
            .filter(entity::audit_events::Column::Action.eq(action))
            .all(&self.db)
            .await
            .expect("reading audit events");
        events.sort_by_key(|e| e.id);
        events
    }

    /// The one stored audit event with `action` about `resource`.
    pub async fn audit_event(&self, action: &str, resource: Uuid) -> entity::audit_events::Model {
        let mut events: Vec<_> = self
            .audit_events(action)
            .await
            .into_iter()
            .filter(|e| e.resource_id == Some(resource))
            .collect();
        assert_eq!(events.len(), 1, "{action} events about {resource}");
        events.remove(0)
    }
}

/// The string at `key` of every object in the JSON array `list`, in order.
pub fn strs<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|item| {
            item[key]
                .as_str()
                .unwrap_or_else(|| panic!("no string at `{key}` in {item}"))
        })
        .collect()
}

/// The uuid at `key` of every object in the JSON array `list`, in order.
pub fn uuids(list: &Value, key: &str) -> Vec<Uuid> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|item| uuid_at(item, key))
        .collect()
}
