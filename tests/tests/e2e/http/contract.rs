//! The published contract, checked both ways: `/openapi.json` lists exactly the routes of the
//! spec and each is served; and real responses match the schemas documented for their status
//! (with proof that the validator rejects a body that does not match).

use domain::ProjectRole;
use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use tests::app::{TestApp, expect_status, spawn_app};
use tests::both_backends;
use tests::db::TestDb;
use uuid::Uuid;

/// Every route of spec §4 (besides `/openapi.json` and `/docs`, which serve the contract).
const SPEC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/me"),
    ("POST", "/v1/users"),
    ("GET", "/v1/users"),
    ("GET", "/v1/users/{id}"),
    ("PATCH", "/v1/users/{id}"),
    ("DELETE", "/v1/users/{id}"),
    ("POST", "/v1/groups"),
    ("GET", "/v1/groups"),
    ("GET", "/v1/groups/{id}"),
    ("PATCH", "/v1/groups/{id}"),
    ("DELETE", "/v1/groups/{id}"),
    ("GET", "/v1/groups/{id}/children"),
    ("GET", "/v1/groups/{id}/descendants"),
    ("GET", "/v1/groups/{id}/ancestors"),
    ("POST", "/v1/groups/{id}/members"),
    ("GET", "/v1/groups/{id}/members"),
    ("PUT", "/v1/groups/{id}/members/{user_id}"),
    ("GET", "/v1/groups/{id}/members/{user_id}"),
    ("DELETE", "/v1/groups/{id}/members/{user_id}"),
    ("POST", "/v1/groups/{id}/projects"),
    ("GET", "/v1/groups/{id}/projects"),
    ("GET", "/v1/projects"),
    ("GET", "/v1/projects/{id}"),
    ("PATCH", "/v1/projects/{id}"),
    ("DELETE", "/v1/projects/{id}"),
    ("PUT", "/v1/projects/{id}/members/{user_id}"),
    ("GET", "/v1/projects/{id}/members"),
    ("GET", "/v1/projects/{id}/members/{user_id}"),
    ("DELETE", "/v1/projects/{id}/members/{user_id}"),
    ("GET", "/v1/projects/{id}/reporting-lines"),
    ("GET", "/v1/projects/{id}/reporting-lines.svg"),
    ("GET", "/v1/projects/{id}/members/{user_id}/chain"),
    ("GET", "/v1/projects/{id}/members/{user_id}/reports"),
    ("POST", "/v1/projects/{id}/squads"),
    ("GET", "/v1/projects/{id}/squads"),
    ("GET", "/v1/squads/{id}"),
    ("PATCH", "/v1/squads/{id}"),
    ("DELETE", "/v1/squads/{id}"),
    ("PUT", "/v1/squads/{id}/members/{user_id}"),
    ("GET", "/v1/squads/{id}/members"),
    ("DELETE", "/v1/squads/{id}/members/{user_id}"),
    ("GET", "/v1/roles"),
    ("POST", "/v1/check"),
    ("POST", "/v1/check/batch"),
    ("POST", "/v1/lookup/resources"),
    ("POST", "/v1/lookup/subjects"),
    ("GET", "/v1/users/{id}/access"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/groups/{id}/audit"),
    ("GET", "/v1/projects/{id}/audit"),
    ("GET", "/v1/changes"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks"),
    ("GET", "/v1/webhooks/{id}"),
    ("PATCH", "/v1/webhooks/{id}"),
    ("DELETE", "/v1/webhooks/{id}"),
    ("POST", "/v1/webhooks/{id}/rotate-secret"),
    ("POST", "/v1/webhooks/{id}/ping"),
    ("GET", "/v1/webhooks/{id}/deliveries"),
    (
        "POST",
        "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    ),
    ("POST", "/v1/scim-tokens"),
    ("GET", "/v1/scim-tokens"),
    ("GET", "/v1/scim-tokens/{id}"),
    ("DELETE", "/v1/scim-tokens/{id}"),
    ("GET", "/v1/idp-groups"),
    ("POST", "/v1/idp-groups/{id}/bindings"),
    ("GET", "/v1/idp-groups/{id}/bindings"),
    ("GET", "/v1/idp-groups/{id}/bindings/{binding_id}"),
    ("DELETE", "/v1/idp-groups/{id}/bindings/{binding_id}"),
];

pub(super) async fn openapi(app: &TestApp) -> Value {
    expect_status(
        app.call(None, Method::GET, "/openapi.json", None).await,
        200,
    )
    .await
}

/// One role table as `/v1/roles` must list it: every row in table order, with its name, tier,
/// scope and full capability list (the role's own and those it includes).
fn listed<R: Copy>(
    table: &[domain::RoleSpec<R>],
    capabilities: impl Fn(R) -> Vec<&'static str>,
) -> Value {
    table
        .iter()
        .map(|row| {
            json!({
                "name": row.name,
                "tier": row.tier,
                "scope": row.scope,
                "capabilities": capabilities(row.role),
            })
        })
        .collect()
}

/// Every `enum` in the document that names a role, with the JSON pointer where it stands.
fn role_enums(node: &Value, at: &str, roles: &BTreeSet<&str>, found: &mut Vec<(String, Value)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum")
                && values
                    .iter()
                    .any(|v| v.as_str().is_some_and(|v| roles.contains(v)))
            {
                found.push((at.to_owned(), Value::Array(values.clone())));
            }
            for (key, child) in map {
                role_enums(child, &format!("{at}/{key}"), roles, found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                role_enums(child, &format!("{at}/{i}"), roles, found);
            }
        }
        _ => {}
    }
}

/// The surfaces derived from the role table follow it: `/v1/roles` lists exactly
/// `domain::GROUP_ROLES` and `domain::PROJECT_ROLES` (and every capability, in order), and every
/// role enum of the OpenAPI document is one of the two tables' name lists, in table order.
async fn derived_surfaces_follow_the_role_table(db: &TestDb) {
    let app = spawn_app(db).await;
    let user = app.create_user("reader@example.org").await;
    let roles = app.get_ok(&user, "/v1/roles").await;
    let group = listed(&domain::GROUP_ROLES, |role| {
        role.capabilities().map(|c| c.as_str()).collect()
    });
    let project = listed(&domain::PROJECT_ROLES, |role| {
        role.capabilities().map(|c| c.as_str()).collect()
    });
    assert_eq!(roles["group_roles"], group);
    assert_eq!(roles["project_roles"], project);
    let capabilities: Value = domain::Capability::ALL
        .iter()
        .map(|c| json!({ "name": c.as_str(), "description": c.description() }))
        .collect();
    assert_eq!(roles["capabilities"], capabilities);

    let group_names: Value = domain::GROUP_ROLES.iter().map(|r| r.name).collect();
    let project_names: Value = domain::PROJECT_ROLES.iter().map(|r| r.name).collect();
    let all: BTreeSet<&str> = domain::GROUP_ROLES
        .iter()
        .map(|r| r.name)
        .chain(domain::PROJECT_ROLES.iter().map(|r| r.name))
        .collect();
    let mut found = Vec::new();
    role_enums(&openapi(&app).await, "", &all, &mut found);
    // Anywhere: an enum that names a role is one table's names, all of them, in table order.
    for (at, values) in &found {
        assert!(
            *values == group_names || *values == project_names,
            "the role enum at {at} is {values}, neither table's names ({group_names} or {project_names})"
        );
    }
    // The two tables' enums are components, each named once; every role field refers to its
    // own table's (a field that lost its reference, or took the other table's, fails here).
    let schemas = "/components/schemas";
    let at: Vec<&str> = found.iter().map(|(pointer, _)| pointer.as_str()).collect();
    assert_eq!(
        at,
        [
            format!("{schemas}/GroupRole"),
            format!("{schemas}/ProjectRole")
        ]
    );
    let doc = openapi(&app).await;
    let group_fields = [
        "AddGroupMember/properties/role",
        "SetGroupMemberRole/properties/role",
        "GroupMember/properties/role",
        "ListedGroupMember/properties/role",
        "Group/properties/my_role/oneOf/0",
    ];
    let project_fields = [
        "AssignRole/properties/role",
        "ProjectMember/properties/role",
        "Project/properties/my_role/oneOf/0",
    ];
    for (fields, component) in [
        (&group_fields[..], "GroupRole"),
        (&project_fields[..], "ProjectRole"),
    ] {
        for field in fields {
            let pointer = format!("{schemas}/{field}/$ref");
            assert_eq!(
                doc.pointer(&pointer).and_then(Value::as_str),
                Some(format!("#{schemas}/{component}").as_str()),
                "{pointer}"
            );
        }
    }
}

async fn the_document_lists_exactly_the_served_routes(db: &TestDb) {
    let app = spawn_app(db).await;
    let doc = openapi(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let spec: BTreeSet<(String, String)> = SPEC_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, spec);

    // Each documented route is served: with made-up ids it answers anything but the
    // fallback's "no route" 404 or a 405.
    for (method, template) in &spec {
        let path = template
            .replace("{id}", &Uuid::now_v7().to_string())
            .replace("{user_id}", &Uuid::now_v7().to_string());
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .call(Some(&app.admin), method.clone(), &path, Some(&json!({})))
            .await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 405, "{method} {template}");
        assert!(
            !(status == 404 && body["detail"] == "no route serves this path"),
            "{method} {template} is documented but not served"
        );
    }
    // Bodies refuse unknown fields in the schema too.
    let create_user = &doc["components"]["schemas"]["CreateUser"];
    assert_eq!(create_user["additionalProperties"], false, "{create_user}");
}

/// The schema documented for `method template` answering `status`, as a standalone JSON Schema
/// whose `$ref`s resolve inside the document's components.
fn response_schema(doc: &Value, method: &str, template: &str, status: u16) -> Value {
    let response = &doc["paths"][template][method.to_lowercase()]["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {template} does not document {status}"
    );
    let content = response["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {template} {status} has no content"));
    let (_, media) = content.iter().next().unwrap();
    json!({ "$defs": {}, "components": doc["components"], "allOf": [media["schema"]] })
}

pub(super) fn validates(schema: &Value, instance: &Value) -> Result<(), String> {
    let validator = jsonschema::draft202012::new(schema).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

async fn responses_match_their_documented_schemas(db: &TestDb) {
    let app = spawn_app(db).await;
    let doc = openapi(&app).await;
    let group = app.create_group(&app.admin, "School", None).await;
    let class = app.create_group(&app.admin, "Class", Some(group)).await;
    let user = app.create_user("pupil@example.org").await;
    let response = app
        .call(
            Some(&app.admin),
            Method::PUT,
            &format!("/v1/groups/{class}/members/{}", user.id),
            Some(&json!({ "role": "student" })),
        )
        .await;
    assert!(response.status().is_success());
    let project = app.create_project(&app.admin, class, "Fair").await;
    app.grant_project(project, &user, ProjectRole::Member).await;
    let squad = app
        .expect(
            &app.admin,
            Method::POST,
            &format!("/v1/projects/{project}/squads"),
            Some(&json!({ "name": "Robots" })),
            &[201],
        )
        .await;
    let squad = squad["id"].as_str().unwrap().to_owned();

    let cases: Vec<(Method, &str, String, Option<Value>)> = vec![
        (Method::GET, "/healthz", "/healthz".into(), None),
        (Method::GET, "/v1/me", "/v1/me".into(), None),
        (Method::GET, "/v1/users", "/v1/users".into(), None),
        (
            Method::GET,
            "/v1/users/{id}",
            format!("/v1/users/{}", user.id),
            None,
        ),
        (
            Method::GET,
            "/v1/users/{id}",
            format!("/v1/users/{}", Uuid::now_v7()),
            None,
        ),
        (
            Method::POST,
            "/v1/users",
            "/v1/users".into(),
            Some(json!({ "email": "x", "display_name": "" })),
        ),
        (Method::GET, "/v1/groups", "/v1/groups".into(), None),
        (
            Method::GET,
            "/v1/groups/{id}",
            format!("/v1/groups/{class}"),
            None,
        ),
        (
            Method::GET,
            "/v1/groups/{id}/descendants",
            format!("/v1/groups/{group}/descendants"),
            None,
        ),
        (
            Method::GET,
            "/v1/groups/{id}/ancestors",
            format!("/v1/groups/{class}/ancestors"),
            None,
        ),
        (
            Method::GET,
            "/v1/groups/{id}/members",
            format!("/v1/groups/{class}/members?inherited=true"),
            None,
        ),
        (
            Method::GET,
            "/v1/groups/{id}/members/{user_id}",
            format!("/v1/groups/{class}/members/{}", user.id),
            None,
        ),
        (
            Method::GET,
            "/v1/groups/{id}/projects",
            format!("/v1/groups/{class}/projects"),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}",
            format!("/v1/projects/{project}"),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/members",
            format!("/v1/projects/{project}/members"),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/reporting-lines",
            format!("/v1/projects/{project}/reporting-lines"),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/members/{user_id}/chain",
            format!("/v1/projects/{project}/members/{}/chain", user.id),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/members/{user_id}/chain",
            format!("/v1/projects/{project}/members/{}/chain", Uuid::now_v7()),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/members/{user_id}/reports",
            format!(
                "/v1/projects/{project}/members/{}/reports?transitive=true",
                app.admin.id
            ),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/members/{user_id}/reports",
            format!(
                "/v1/projects/{project}/members/{}/reports?transitive=maybe",
                app.admin.id
            ),
            None,
        ),
        (Method::GET, "/v1/projects", "/v1/projects".into(), None),
        (
            Method::GET,
            "/v1/projects",
            format!("/v1/projects?within={group}"),
            None,
        ),
        (
            Method::GET,
            "/v1/projects",
            format!("/v1/projects?within={}", Uuid::now_v7()),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/squads",
            format!("/v1/projects/{project}/squads"),
            None,
        ),
        (
            Method::GET,
            "/v1/squads/{id}",
            format!("/v1/squads/{squad}"),
            None,
        ),
        (
            Method::PUT,
            "/v1/squads/{id}/members/{user_id}",
            format!("/v1/squads/{squad}/members/{}", user.id),
            None,
        ),
        (
            Method::GET,
            "/v1/squads/{id}/members",
            format!("/v1/squads/{squad}/members"),
            None,
        ),
        (Method::GET, "/v1/roles", "/v1/roles".into(), None),
        (
            Method::POST,
            "/v1/check",
            "/v1/check".into(),
            Some(
                json!({ "capability": "group.view", "resource": { "type": "group", "id": class } }),
            ),
        ),
        (
            Method::POST,
            "/v1/check/batch",
            "/v1/check/batch".into(),
            Some(
                json!({ "checks": [{ "capability": "system.manage", "resource": { "type": "system" } }] }),
            ),
        ),
        (Method::GET, "/v1/audit", "/v1/audit?limit=5".into(), None),
        (
            Method::GET,
            "/v1/groups/{id}/audit",
            format!("/v1/groups/{group}/audit"),
            None,
        ),
        (
            Method::GET,
            "/v1/projects/{id}/audit",
            format!("/v1/projects/{project}/audit"),
            None,
        ),
    ];
    for (method, template, path, body) in cases {
        let response = app
            .call(Some(&app.admin), method.clone(), &path, body.as_ref())
            .await;
        let status = response.status().as_u16();
        let instance: Value = response.json().await.unwrap();
        let schema = response_schema(&doc, method.as_str(), template, status);
        if let Err(errors) = validates(&schema, &instance) {
            panic!("{method} {path} → {status} does not match its schema: {errors}\n{instance}");
        }
    }

    // The check has teeth: a body that breaks the documented schema is caught.
    let user_schema = response_schema(&doc, "GET", "/v1/users/{id}", 200);
    assert!(validates(&user_schema, &json!({ "id": 5, "email": "a@b.c" })).is_err());
    let problem_schema = response_schema(&doc, "GET", "/v1/users/{id}", 404);
    assert!(validates(&problem_schema, &json!({ "status": "404" })).is_err());
}

both_backends!(
    derived_surfaces_follow_the_role_table,
    the_document_lists_exactly_the_served_routes,
    responses_match_their_documented_schemas
);
