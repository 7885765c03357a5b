//! What a list request asks of its resources beyond pagination (RFC 7644 §3.4.2): that its
//! filter names only attributes the schema has ([`check_filter`]), and the order `sortBy` and
//! `sortOrder` give ([`sort`]).

use serde_json::Value;

use crate::filter::{AttrPath, Filter};
use crate::matching::Attributes;
use crate::names::field;
use crate::schema::{Kind, ResourceSchema};

/// Whether every attribute `filter` names exists in `schema` (with the sub-attribute it
/// names, if any); the first one that does not, otherwise.
pub fn check_filter(filter: &Filter, schema: &ResourceSchema) -> Result<(), String> {
    check_within(filter, None, schema)
}

fn check_within(
    filter: &Filter,
    within: Option<&AttrPath>,
    schema: &ResourceSchema,
) -> Result<(), String> {
    match filter {
        Filter::And(left, right) | Filter::Or(left, right) => {
            check_within(left, within, schema)?;
            check_within(right, within, schema)
        }
        Filter::Not(inner) => check_within(inner, within, schema),
        Filter::Present(path) | Filter::Compare { path, .. } => {
            let absolute = match within {
                Some(outer) => AttrPath {
                    uri: outer.uri.clone(),
                    name: outer.name.clone(),
                    sub: Some(path.name.clone()),
                },
                None => path.clone(),
            };
            check_path(&absolute, schema)
        }
        Filter::ValuePath { path, filter } => {
            check_path(path, schema)?;
            check_within(filter, Some(path), schema)
        }
    }
}

/// Whether `path` names an attribute of `schema`, and a sub-attribute of it when it names one.
pub fn check_path(path: &AttrPath, schema: &ResourceSchema) -> Result<(), String> {
    let known = schema.attribute(path).is_some_and(|(_, attribute)| {
        path.sub
            .as_deref()
            .is_none_or(|sub| attribute.sub_attribute(sub).is_some())
    });
    if known {
        Ok(())
    } else {
        Err(format!("no attribute {}", display(path)))
    }
}

fn display(path: &AttrPath) -> String {
    let mut text = String::new();
    if let Some(uri) = &path.uri {
        text.push_str(uri);
        text.push(':');
    }
    text.push_str(&path.name);
    if let Some(sub) = &path.sub {
        text.push('.');
        text.push_str(sub);
    }
    text
}

/// Sorts `resources` by the attribute `by` names, ascending unless `descending`. A
/// multi-valued attribute sorts by its primary value, else its first; strings compare without
/// case unless the attribute is case-exact; a resource without the attribute sorts after every
/// other when ascending and before when descending (RFC 7644 §3.4.2.3). Ties keep their order.
pub fn sort(resources: &mut [Value], by: &AttrPath, descending: bool, schema: &ResourceSchema) {
    let case_exact = schema.case_exact(by);
    let timestamps = schema
        .attribute(by)
        .map(|(_, attribute)| match &by.sub {
            Some(sub) => attribute.sub_attribute(sub).map(|s| s.kind),
            None => Some(attribute.kind),
        })
        .is_some_and(|kind| kind == Some(Kind::DateTime));
    let key = |resource: &Value| sort_key(resource, by, case_exact, timestamps);
    resources.sort_by_cached_key(|resource| {
        let key = key(resource);
        // Missing values are the greatest: last ascending, first descending.
        match (key, descending) {
            (Some(key), false) => (0, Some(key), None),
            (Some(key), true) => (1, None, Some(std::cmp::Reverse(key))),
            (None, false) => (1, None, None),
            (None, true) => (0, None, None),
        }
    });
}

/// A value's place in an order: text as it compares, or an instant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Boolean(bool),
    Instant(chrono::DateTime<chrono::Utc>),
    Text(String),
}

fn sort_key(
    resource: &Value,
    by: &AttrPath,
    case_exact: bool,
    timestamps: bool,
) -> Option<SortKey> {
    let scope = by
        .uri
        .as_deref()
        .and_then(|uri| field(resource, uri))
        .filter(|extension| extension.is_object())
        .unwrap_or(resource);
    let mut value = field(scope, &by.name)?;
    if let Value::Array(items) = value {
        value = items
            .iter()
            .find(|item| field(item, "primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?;
    }
    let value = match (&by.sub, value) {
        (Some(sub), Value::Object(_)) => field(value, sub)?,
        (None, Value::Object(_)) => field(value, "value")?,
        (_, value) => value,
    };
    match value {
        Value::Bool(flag) => Some(SortKey::Boolean(*flag)),
        Value::String(text) if timestamps => chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| SortKey::Instant(t.with_timezone(&chrono::Utc))),
        Value::String(text) if case_exact => Some(SortKey::Text(text.clone())),
        Value::String(text) => Some(SortKey::Text(text.to_lowercase())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use serde_json::json;

    use super::*;
    use crate::filter::{parse_filter, parse_path};
    use crate::fixtures::SCHEMA;

    fn checked(filter: &str) -> Result<(), String> {
        check_filter(&parse_filter(filter).unwrap(), &SCHEMA)
    }

    #[test]
    fn filters_name_only_known_attributes() {
        assert!(checked(r#"userName eq "a" and emails[type eq "work" and value co "@"]"#).is_ok());
        assert!(checked(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#).is_ok());
        assert!(
            checked(
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#
            )
            .is_ok()
        );
        assert_eq!(
            checked(r#"nickName eq "a""#),
            Err("no attribute nickName".into())
        );
        assert_eq!(
            checked(r#"emails[kind eq "work"]"#),
            Err("no attribute emails.kind".into())
        );
        assert_eq!(
            checked(r#"not (name.middleName pr)"#),
            Err("no attribute name.middleName".into())
        );
    }

    fn order(by: &str, descending: bool) -> Vec<String> {
        let mut users = vec![
            json!({"id": "1", "userName": "bob", "emails": [{"value": "z@x"}, {"value": "a@x", "primary": true}]}),
            json!({"id": "2", "userName": "Alice", "meta": {"created": "2026-12-01T10:00:00+02:00"}}),
            json!({"id": "3", "userName": "carol", "emails": [{"value": "m@x"}], "meta": {"created": "2026-12-01T09:00:00Z"}}),
        ];
        sort(
            &mut users,
            &parse_path(by).unwrap().attr,
            descending,
            &SCHEMA,
        );
        users
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn sorts_by_attribute_missing_values_last_ascending() {
        assert_eq!(order("userName", false), ["2", "1", "3"]);
        assert_eq!(order("userName", true), ["3", "1", "2"]);
        // Primary first: bob sorts by a@x.
        assert_eq!(order("emails.value", false), ["1", "3", "2"]);
        assert_eq!(order("emails.value", true), ["2", "3", "1"]);
        // As instants: 08:00Z before 09:00Z.
        assert_eq!(order("meta.created", false), ["2", "3", "1"]);
    }
}
