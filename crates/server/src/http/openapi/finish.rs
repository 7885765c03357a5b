//! What utoipa's attributes cannot say, done once on the finished document: generic pages name
//! their items by reference, optional bodies are optional request bodies, public operations
//! need no token, and answers link to the operations that use their ids.

use serde_json::{Value, json};
use utoipa::openapi::OpenApi as OpenApiDoc;

use super::links;

/// The served document: utoipa's, with the passes below applied.
pub fn finish(doc: OpenApiDoc) -> anyhow::Result<OpenApiDoc> {
    let mut json = serde_json::to_value(&doc)?;
    refer_to_components(&mut json);
    make_optional_bodies_optional(&mut json);
    make_public_operations_public(&mut json);
    links::add(&mut json)?;
    Ok(serde_json::from_value(json)?)
}

/// Replaces every inline copy of a named component with a `$ref` to it. utoipa inlines the
/// argument of a generic type (`Page<User>`'s items), which would give generated clients a
/// second model per list (`PageUserItemsItem` beside `User`).
fn refer_to_components(doc: &mut Value) {
    let components: Vec<(String, Value)> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, schema)| (name.clone(), schema.clone()))
                .collect()
        })
        .unwrap_or_default();
    let replace = |value: &mut Value| replace_copies(value, &components);
    if let Some(paths) = doc.get_mut("paths") {
        replace(paths);
    }
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        // A component's own root stays as it is; only what it contains is replaced.
        for schema in schemas.values_mut() {
            if let Value::Object(fields) = schema {
                fields.values_mut().for_each(replace);
            }
        }
    }
}

fn replace_copies(value: &mut Value, components: &[(String, Value)]) {
    if value.is_object()
        && let Some((name, _)) = components.iter().find(|(_, schema)| schema == value)
    {
        *value = json!({ "$ref": format!("#/components/schemas/{name}") });
        return;
    }
    match value {
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|v| replace_copies(v, components)),
        Value::Array(items) => items.iter_mut().for_each(|v| replace_copies(v, components)),
        _ => {}
    }
}

/// utoipa writes an `Option<T>` body as a required body of `oneOf [T, null]`, which generated
/// clients turn into an argument they then fail to serialize when left out. An optional body
/// is a request body that is not required, of schema `T`.
fn make_optional_bodies_optional(doc: &mut Value) {
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    let bodies = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("requestBody"));
    for body in bodies {
        let Some(schema) = body.pointer_mut("/content/application~1json/schema") else {
            continue;
        };
        let Some(inner) = nullable_inner(schema) else {
            continue;
        };
        *schema = inner;
        body["required"] = Value::Bool(false);
    }
}

/// utoipa writes `security(())` as `[{}]` ("no requirement" as one alternative), which
/// generators read as "a token is needed". An operation anyone may call has no requirement: `[]`.
fn make_public_operations_public(doc: &mut Value) {
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    let anonymous = json!([{}]);
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        if let Some(security) = operation.get_mut("security")
            && *security == anonymous
        {
            *security = json!([]);
        }
    }
}

/// `T` when `schema` is `oneOf [T, {"type": "null"}]` (in either order).
fn nullable_inner(schema: &Value) -> Option<Value> {
    let [a, b] = schema.get("oneOf")?.as_array()?.as_slice() else {
        return None;
    };
    let null = json!({ "type": "null" });
    match (a == &null, b == &null) {
        (false, true) => Some(a.clone()),
        (true, false) => Some(b.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::{Value, json};

    fn document() -> Value {
        serde_json::to_value(crate::startup::openapi_document().unwrap()).unwrap()
    }

    /// Every inline object schema in the document that equals a component, with its pointer.
    fn inline_copies(node: &Value, at: &str, doc: &Value, out: &mut Vec<String>) {
        let components = doc["components"]["schemas"].as_object().unwrap();
        match node {
            Value::Object(fields) => {
                let top_level = at.matches('/').count() == 3 && at.starts_with("/components");
                if !top_level && components.values().any(|c| c == node) {
                    out.push(at.to_owned());
                }
                for (key, child) in fields {
                    inline_copies(child, &format!("{at}/{key}"), doc, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    inline_copies(child, &format!("{at}/{i}"), doc, out);
                }
            }
            _ => {}
        }
    }

    /// Generated clients get one model per component: list pages refer to their items, roles
    /// and names to their components, and no schema is inlined where a component says it.
    #[test]
    fn pages_and_constrained_values_refer_to_components() {
        let doc = document();
        let mut copies = Vec::new();
        inline_copies(&doc, "", &doc, &mut copies);
        assert!(copies.is_empty(), "inline copies of components: {copies:?}");
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Page_User"]["properties"]["items"]["items"],
            json!({ "$ref": "#/components/schemas/User" })
        );
        assert_eq!(
            schemas["Page_User"]["required"],
            json!(["items", "next_cursor"])
        );
        assert_eq!(
            schemas["GroupMember"]["properties"]["role"]["$ref"],
            "#/components/schemas/GroupRole"
        );
        assert_eq!(
            schemas["CreateGroup"]["properties"]["name"]["$ref"],
            "#/components/schemas/Name"
        );
    }

    /// The squad-member upsert's body may be left out: not required, of the plain schema.
    #[test]
    fn an_optional_body_is_a_request_body_that_is_not_required() {
        let doc = document();
        let body = &doc["paths"]["/v1/squads/{id}/members/{user_id}"]["put"]["requestBody"];
        assert_eq!(body["required"], false, "{body}");
        assert_eq!(
            body["content"]["application/json"]["schema"],
            json!({ "$ref": "#/components/schemas/AddSquadMember" })
        );
        let required = &doc["paths"]["/v1/groups"]["post"]["requestBody"]["required"];
        assert_eq!(required, true);
    }

    /// The operations routes need no token; every other operation keeps the document's bearer.
    #[test]
    fn public_operations_have_no_security_requirement() {
        let doc = document();
        for path in ["/healthz", "/readyz", "/metrics"] {
            assert_eq!(doc["paths"][path]["get"]["security"], json!([]), "{path}");
        }
        assert_eq!(doc["paths"]["/v1/me"]["get"].get("security"), None);
        assert_eq!(doc["security"], json!([{ "bearer": [] }]));
    }
}
