//! Which attributes an answer carries (RFC 7644 §3.4.2.5, §3.9): `attributes` names the only
//! ones wanted, `excludedAttributes` the ones not wanted; `id` and `schemas` are always returned.

use serde_json::{Map, Value};

use crate::filter::{AttrPath, ParseError, parse_path};
use crate::names::entry;
use crate::schema::{ResourceSchema, Scope};

/// What a request asked to see.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Selection {
    /// Every attribute returned by default.
    #[default]
    Default,
    /// These attributes (and those always returned).
    Only(Vec<AttrPath>),
    /// Every attribute returned by default but these.
    Excluding(Vec<AttrPath>),
}

/// Attributes that every answer carries, whatever was asked.
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// Reads the `attributes` and `excludedAttributes` parameters: comma-separated attribute paths
/// (`userName`, `name.givenName`, `urn:…:User:manager`). Asking for both is refused, as is an
/// attribute `schema` does not have, so that a misspelt name is not silently ignored.
pub fn parse_selection(
    attributes: Option<&str>,
    excluded: Option<&str>,
    schema: &ResourceSchema,
) -> Result<Selection, ParseError> {
    let parse = |list: &str| -> Result<Vec<AttrPath>, ParseError> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                let path = parse_path(item)?;
                if path.filter.is_some() {
                    return Err(refusal(item, "a value filter cannot select attributes"));
                }
                if schema.attribute(&path.attr).is_none() {
                    return Err(refusal(item, "no such attribute"));
                }
                Ok(path.attr)
            })
            .collect()
    };
    match (attributes, excluded) {
        (Some(_), Some(_)) => Err(refusal(
            "",
            "attributes and excludedAttributes cannot be given together",
        )),
        (Some(list), None) => Ok(Selection::Only(parse(list)?)),
        (None, Some(list)) => Ok(Selection::Excluding(parse(list)?)),
        (None, None) => Ok(Selection::Default),
    }
}

fn refusal(item: &str, message: &str) -> ParseError {
    ParseError {
        position: 0,
        message: if item.is_empty() {
            message.to_owned()
        } else {
            format!("{item}: {message}")
        },
    }
}

/// `resource` as `selection` wants it.
pub fn project(resource: &Value, selection: &Selection, schema: &ResourceSchema) -> Value {
    let Value::Object(fields) = resource else {
        return resource.clone();
    };
    match selection {
        Selection::Default => resource.clone(),
        Selection::Only(paths) => {
            let mut kept = Map::new();
            for (key, value) in fields {
                if ALWAYS.iter().any(|name| key.eq_ignore_ascii_case(name)) {
                    kept.insert(key.clone(), value.clone());
                }
            }
            for path in paths {
                copy(fields, &mut kept, path, schema);
            }
            Value::Object(kept)
        }
        Selection::Excluding(paths) => {
            let mut kept = fields.clone();
            for path in paths {
                if path.sub.is_none() && ALWAYS.iter().any(|n| path.name.eq_ignore_ascii_case(n)) {
                    continue;
                }
                remove(&mut kept, path, schema);
            }
            Value::Object(kept)
        }
    }
}

/// The object holding `path`'s attribute: the resource's fields, or its extension's object.
fn holder<'m>(
    fields: &'m Map<String, Value>,
    path: &AttrPath,
    schema: &ResourceSchema,
) -> Option<(Option<String>, &'m Map<String, Value>)> {
    match schema.attribute(path)?.0 {
        Scope::Core => Some((None, fields)),
        Scope::Extension(uri) => {
            let (key, value) = entry(fields, uri)?;
            Some((Some(key.clone()), value.as_object()?))
        }
    }
}

/// Copies the attribute (or sub-attribute) `path` names from `fields` into `kept`.
fn copy(
    fields: &Map<String, Value>,
    kept: &mut Map<String, Value>,
    path: &AttrPath,
    schema: &ResourceSchema,
) {
    let Some((extension, source)) = holder(fields, path, schema) else {
        return;
    };
    let Some((key, value)) = entry(source, &path.name) else {
        return;
    };
    let target = match extension {
        Some(extension) => match kept
            .entry(extension)
            .or_insert_with(|| Value::Object(Map::new()))
        {
            Value::Object(object) => object,
            _ => return,
        },
        None => kept,
    };
    let Some(sub) = &path.sub else {
        target.insert(key.clone(), value.clone());
        return;
    };
    let only_sub = |element: &Value| -> Option<Value> {
        let (sub_key, sub_value) = entry(element.as_object()?, sub)?;
        Some(Value::Object(Map::from_iter([(
            sub_key.clone(),
            sub_value.clone(),
        )])))
    };
    let picked = match value {
        Value::Array(elements) => {
            let picked: Vec<Value> = elements.iter().filter_map(only_sub).collect();
            (!picked.is_empty()).then_some(Value::Array(picked))
        }
        single => only_sub(single),
    };
    let Some(picked) = picked else {
        return;
    };
    // Two sub-attributes of one attribute asked for: merge them.
    match (target.get_mut(key.as_str()), picked) {
        (Some(Value::Object(held)), Value::Object(more)) => held.extend(more),
        (Some(Value::Array(held)), Value::Array(more)) => {
            for (held, more) in held.iter_mut().zip(more) {
                if let (Value::Object(held), Value::Object(more)) = (held, more) {
                    held.extend(more);
                }
            }
        }
        (_, picked) => {
            target.insert(key.clone(), picked);
        }
    }
}

/// Removes the attribute (or every value's sub-attribute) `path` names from `kept`.
fn remove(kept: &mut Map<String, Value>, path: &AttrPath, schema: &ResourceSchema) {
    let Some((extension, _)) = holder(kept, path, schema) else {
        return;
    };
    let source = match extension {
        Some(key) => match kept.get_mut(&key) {
            Some(Value::Object(object)) => object,
            _ => return,
        },
        None => kept,
    };
    let Some(key) = entry(source, &path.name).map(|(key, _)| key.clone()) else {
        return;
    };
    let Some(sub) = &path.sub else {
        source.remove(&key);
        return;
    };
    let drop_sub = |element: &mut Value| {
        if let Value::Object(fields) = element
            && let Some(sub_key) = entry(fields, sub).map(|(k, _)| k.clone())
        {
            fields.remove(&sub_key);
        }
    };
    match source.get_mut(&key) {
        Some(Value::Array(elements)) => elements.iter_mut().for_each(drop_sub),
        Some(single) => drop_sub(single),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::fixtures::SCHEMA;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1",
            "userName": "bjensen",
            "displayName": "Babs",
            "emails": [{ "value": "b@example.com", "type": "work" }, { "value": "b@home.example", "type": "home" }],
            "meta": { "created": "2026-12-01T10:00:00Z" },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "manager": { "value": "m1" } }
        })
    }

    fn shown(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        let selection = parse_selection(attributes, excluded, &SCHEMA).unwrap();
        project(&user(), &selection, &SCHEMA)
    }

    #[test]
    fn attributes_keep_only_those_named_and_the_ones_always_returned() {
        assert_eq!(
            shown(Some("USERNAME, emails.value"), None),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "u1",
                "userName": "bjensen",
                "emails": [{ "value": "b@example.com" }, { "value": "b@home.example" }]
            })
        );
        let both = shown(Some("emails.value,emails.type"), None);
        assert_eq!(both["emails"], user()["emails"], "two sub-attributes merge");
        let manager = shown(
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"),
            None,
        );
        assert_eq!(
            manager["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json!({ "manager": { "value": "m1" } })
        );
        assert!(manager.get("userName").is_none());
    }

    #[test]
    fn excluded_attributes_drop_those_named_but_never_the_id() {
        let without = shown(None, Some("emails,meta.created,id"));
        assert!(without.get("emails").is_none());
        assert_eq!(without["meta"], json!({}));
        assert_eq!(without["id"], "u1");
        assert_eq!(without["userName"], "bjensen");
        let no_types = shown(None, Some("emails.type"));
        assert_eq!(
            no_types["emails"],
            json!([{ "value": "b@example.com" }, { "value": "b@home.example" }])
        );
        assert_eq!(shown(None, None), user());
    }

    #[test]
    fn bad_selections_are_refused() {
        let refused = |a: Option<&str>, e: Option<&str>| parse_selection(a, e, &SCHEMA).is_err();
        assert!(refused(Some("userName"), Some("emails")));
        assert!(refused(Some("nickName"), None));
        assert!(refused(None, Some("emails[type eq \"work\"]")));
        assert!(refused(Some("user name"), None));
        assert!(!refused(Some(" userName ,"), None));
    }
}
