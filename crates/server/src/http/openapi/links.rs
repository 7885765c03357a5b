//! OpenAPI links: from every answer that carries a resource's ids to the operations that take
//! them, so that a client (and Schemathesis' stateful phase) can walk from a created or listed
//! resource to everything done with it.

use serde_json::{Map, Value, json};

/// A resource an answer carries, by what its ids are called in that answer.
#[derive(Clone, Copy)]
enum Carried {
    /// A `User`: `id`.
    User,
    /// A `Group`: `id`.
    Group,
    /// A group membership: `group_id` and `user_id`.
    GroupMember,
    /// A `Project`: `id`.
    Project,
    /// A project membership: `project_id` and `user_id`.
    ProjectMember,
    /// A `Squad`: `id`.
    Squad,
    /// A squad membership: `squad_id` and `user_id`.
    SquadMember,
    /// A `Webhook`: `id`.
    Webhook,
    /// A webhook `Delivery`: `webhook_id` and `id`.
    Delivery,
    /// A `ScimToken`: `id`.
    ScimToken,
    /// An `IdpGroup`: `id`.
    IdpGroup,
    /// A `Binding`: `idp_group_id` and `id`.
    Binding,
}

/// The operations that take a group's id as `{id}`.
const ON_GROUP: &[&str] = &[
    "get_group",
    "update_group",
    "delete_group",
    "list_ancestors",
    "list_children",
    "list_descendants",
    "list_group_audit",
    "list_group_members",
    "create_group_member",
    "list_group_projects",
    "create_project",
];

/// The operations that take a project's id as `{id}`.
const ON_PROJECT: &[&str] = &[
    "get_project",
    "update_project",
    "delete_project",
    "list_project_audit",
    "list_project_members",
    "get_reporting_lines",
    "get_reporting_lines_svg",
    "list_squads",
    "create_squad",
];

/// The operations that take a squad's id as `{id}`.
const ON_SQUAD: &[&str] = &[
    "get_squad",
    "update_squad",
    "delete_squad",
    "list_squad_members",
];

/// The operations that take a webhook endpoint's id as `{id}`.
const ON_WEBHOOK: &[&str] = &[
    "get_webhook",
    "update_webhook",
    "delete_webhook",
    "rotate_webhook_secret",
    "ping_webhook",
    "list_webhook_deliveries",
];

/// The operations that take a user's id as `{id}`.
const ON_USER: &[&str] = &["get_user", "update_user", "delete_user", "get_user_access"];

impl Carried {
    /// Each operation this resource's ids feed, with its path parameters and the fields of the
    /// answer they come from.
    fn uses(self) -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
        let by_id = |ops: &[&'static str], field: &'static str| {
            ops.iter()
                .map(|op| (*op, vec![("id", field)]))
                .collect::<Vec<_>>()
        };
        let membership = |ops: &[&'static str], owner: &'static str| {
            ops.iter()
                .map(|op| (*op, vec![("id", owner), ("user_id", "user_id")]))
                .collect::<Vec<_>>()
        };
        match self {
            Self::User => by_id(ON_USER, "id"),
            Self::Group => by_id(ON_GROUP, "id"),
            Self::Project => by_id(ON_PROJECT, "id"),
            Self::Squad => by_id(ON_SQUAD, "id"),
            Self::Webhook => by_id(ON_WEBHOOK, "id"),
            Self::ScimToken => by_id(&["get_scim_token", "revoke_scim_token"], "id"),
            Self::IdpGroup => by_id(&["create_binding", "list_bindings"], "id"),
            Self::Binding => [
                ["get_binding", "delete_binding"]
                    .iter()
                    .map(|op| (*op, vec![("id", "idp_group_id"), ("binding_id", "id")]))
                    .collect::<Vec<_>>(),
                by_id(&["create_binding", "list_bindings"], "idp_group_id"),
            ]
            .concat(),
            Self::Delivery => [
                vec![(
                    "redeliver_webhook_delivery",
                    vec![("id", "webhook_id"), ("delivery_id", "id")],
                )],
                by_id(ON_WEBHOOK, "webhook_id"),
            ]
            .concat(),
            Self::GroupMember => [
                membership(
                    &[
                        "get_group_member",
                        "upsert_group_member",
                        "delete_group_member",
                    ],
                    "group_id",
                ),
                by_id(ON_GROUP, "group_id"),
            ]
            .concat(),
            Self::ProjectMember => [
                membership(
                    &[
                        "get_project_member",
                        "put_project_member",
                        "delete_project_member",
                        "get_member_chain",
                        "list_member_reports",
                    ],
                    "project_id",
                ),
                by_id(ON_PROJECT, "project_id"),
            ]
            .concat(),
            Self::SquadMember => [
                membership(&["upsert_squad_member", "delete_squad_member"], "squad_id"),
                by_id(ON_SQUAD, "squad_id"),
            ]
            .concat(),
        }
    }
}

/// The answers that carry resources: operation, status, where in the body the resource is, and
/// which resource it is. Lists link from their first item.
const SOURCES: &[(&str, &str, &str, Carried)] = &[
    ("get_me", "200", "/user", Carried::User),
    (
        "get_me",
        "200",
        "/group_memberships/0",
        Carried::GroupMember,
    ),
    (
        "get_me",
        "200",
        "/project_memberships/0",
        Carried::ProjectMember,
    ),
    ("create_user", "201", "", Carried::User),
    ("list_users", "200", "/items/0", Carried::User),
    ("create_group", "201", "", Carried::Group),
    ("list_groups", "200", "/items/0", Carried::Group),
    ("list_children", "200", "/items/0", Carried::Group),
    ("list_descendants", "200", "/items/0", Carried::Group),
    ("create_group_member", "201", "", Carried::GroupMember),
    ("upsert_group_member", "201", "", Carried::GroupMember),
    (
        "list_group_members",
        "200",
        "/items/0",
        Carried::GroupMember,
    ),
    ("create_project", "201", "", Carried::Project),
    ("list_group_projects", "200", "/items/0", Carried::Project),
    ("list_projects", "200", "/items/0", Carried::Project),
    ("put_project_member", "201", "", Carried::ProjectMember),
    (
        "list_project_members",
        "200",
        "/items/0",
        Carried::ProjectMember,
    ),
    ("create_squad", "201", "", Carried::Squad),
    ("list_squads", "200", "/items/0", Carried::Squad),
    ("upsert_squad_member", "201", "", Carried::SquadMember),
    (
        "list_squad_members",
        "200",
        "/items/0",
        Carried::SquadMember,
    ),
    // Not from `create_webhook`: its answer flattens the endpoint beside its secret (`allOf`).
    ("list_webhooks", "200", "/items/0", Carried::Webhook),
    (
        "list_webhook_deliveries",
        "200",
        "/items/0",
        Carried::Delivery,
    ),
    // Not from `create_scim_token`: its answer flattens the token's row beside the token.
    ("list_scim_tokens", "200", "/items/0", Carried::ScimToken),
    ("list_idp_groups", "200", "/items/0", Carried::IdpGroup),
    ("create_binding", "201", "", Carried::Binding),
    ("list_bindings", "200", "/items/0", Carried::Binding),
];

/// Adds the links of [`SOURCES`] to the document's responses. Fails on a source operation or
/// status the document does not have, so that a renamed operation cannot silently drop links.
pub fn add(doc: &mut Value) -> anyhow::Result<()> {
    for (operation_id, status, pointer, carried) in SOURCES {
        let response = response_mut(doc, operation_id, status)
            .ok_or_else(|| anyhow::anyhow!("no response {status} of {operation_id} to link"))?;
        let links = response
            .entry("links")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(links) = links else {
            anyhow::bail!("the links of {operation_id} {status} are not an object");
        };
        for (target, parameters) in carried.uses() {
            let parameters: Map<String, Value> = parameters
                .into_iter()
                .map(|(name, field)| {
                    (
                        name.to_owned(),
                        json!(format!("$response.body#{pointer}/{field}")),
                    )
                })
                .collect();
            let name = match pointer.trim_start_matches('/').split('/').next() {
                Some(part) if !part.is_empty() && part != "items" => format!("{target}_of_{part}"),
                _ => target.to_owned(),
            };
            links.insert(
                name,
                json!({ "operationId": target, "parameters": parameters }),
            );
        }
    }
    Ok(())
}

/// The response object for `status` of the operation `operation_id`.
fn response_mut<'a>(
    doc: &'a mut Value,
    operation_id: &str,
    status: &str,
) -> Option<&'a mut Map<String, Value>> {
    doc.get_mut("paths")?
        .as_object_mut()?
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .find(|operation| {
            operation.get("operationId").and_then(Value::as_str) == Some(operation_id)
        })?
        .get_mut("responses")?
        .get_mut(status)?
        .as_object_mut()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(crate::startup::openapi_document().unwrap()).unwrap()
    }

    /// Every operation by id: its path parameters and its responses.
    fn operations(doc: &Value) -> BTreeMap<String, (BTreeSet<String>, Value)> {
        let mut found = BTreeMap::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let path_parameters = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect();
                found.insert(
                    operation["operationId"].as_str().unwrap().to_owned(),
                    (path_parameters, operation["responses"].clone()),
                );
            }
        }
        found
    }

    /// The schema at `pointer` inside a response body of `schema`, following `$ref`s: a number
    /// steps into an array's items, a name into an object's property.
    fn schema_at<'a>(doc: &'a Value, mut schema: &'a Value, pointer: &str) -> Option<&'a Value> {
        let resolve = |mut s: &'a Value| {
            while let Some(target) = s["$ref"].as_str() {
                s = doc.pointer(target.strip_prefix('#')?)?;
            }
            Some(s)
        };
        for step in pointer.split('/').filter(|s| !s.is_empty()) {
            let here = resolve(schema)?;
            schema = if step.parse::<usize>().is_ok() {
                &here["items"]
            } else {
                here.get("properties")?.get(step)?
            };
        }
        resolve(schema)
    }

    /// Every link names an existing operation, fills exactly its path parameters, and takes each
    /// from a field the source answer's schema has; every operation with a path parameter is the
    /// target of at least one link, so a stateful client can reach it with real ids.
    #[test]
    fn links_fill_every_path_parameter_from_a_documented_field() {
        let doc = document();
        let operations = operations(&doc);
        let mut targeted = BTreeSet::new();
        let mut count = 0;
        for (source, (_, responses)) in &operations {
            for (status, response) in responses.as_object().unwrap() {
                let Some(links) = response["links"].as_object() else {
                    continue;
                };
                let body = &response["content"]["application/json"]["schema"];
                for (name, link) in links {
                    count += 1;
                    let target = link["operationId"].as_str().unwrap();
                    let (wanted, _) = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("{source} {status} {name}: no {target}"));
                    let parameters = link["parameters"].as_object().unwrap();
                    let given: BTreeSet<String> = parameters.keys().cloned().collect();
                    assert_eq!(&given, wanted, "{source} {status} {name}");
                    for expression in parameters.values() {
                        let pointer = expression
                            .as_str()
                            .and_then(|e| e.strip_prefix("$response.body#"))
                            .unwrap_or_else(|| panic!("{source} {name}: {expression}"));
                        let field = schema_at(&doc, body, pointer);
                        assert!(
                            field.is_some_and(|f| f["format"] == "uuid"),
                            "{source} {status} {name}: {pointer} is no id in the answer"
                        );
                    }
                    targeted.insert(target.to_owned());
                }
            }
        }
        let unreachable: Vec<&String> = operations
            .iter()
            .filter(|(id, (parameters, _))| !parameters.is_empty() && !targeted.contains(*id))
            .map(|(id, _)| id)
            .collect();
        assert!(unreachable.is_empty(), "no link reaches {unreachable:?}");
        assert!(count > 100, "only {count} links");
    }

    /// Removing a source operation from the document makes `add` fail rather than drop links.
    #[test]
    fn a_missing_source_operation_is_an_error() {
        let mut doc = serde_json::json!({ "paths": {} });
        let error = super::add(&mut doc).unwrap_err().to_string();
        assert!(error.contains("get_me"), "{error}");
    }
}
