//! Whether a SCIM resource, as its JSON representation, matches a parsed [`Filter`] (RFC 7644
//! §3.4.2.2). The server filters its lists in its queries; this is for what is filtered in
//! memory — the values a PATCH path such as `members[value eq "…"]` or
//! `emails[type eq "work"].value` selects, and the checks that a query's translation agrees.
//!
//! The RFC's rules, as applied here:
//! - attribute names are case-insensitive; a schema URI qualifier selects the extension's
//!   object when the resource has one (`urn:…:enterprise:2.0:User:manager`), and is otherwise
//!   the core schema's, whose attributes sit at the top level;
//! - a multi-valued attribute matches if any of its values does (`emails.value co "@x"`); a
//!   complex attribute named without a sub-attribute is compared by its `value`;
//! - strings compare ignoring case unless the schema says the attribute is case-exact
//!   ([`Attributes::case_exact`]); strings that are both RFC 3339 timestamps compare as
//!   instants; numbers as numbers; booleans and null by equality only;
//! - `pr` needs a value that is not null, not an empty string and not an empty array;
//! - `ne` is the negation of `eq`, so an absent attribute is `ne` every value.

use serde_json::Value;

use crate::filter::{AttrPath, CompareOp, Filter};
use crate::names::field;

/// What the matcher needs to know of the resource's schema.
pub trait Attributes {
    /// Whether `path`'s string values compare with their case (`caseExact` in RFC 7643 §2.2).
    /// `path` is always absolute: a filter inside `emails[…]` asks about `emails.type`.
    fn case_exact(&self, path: &AttrPath) -> bool;
}

/// Whether `resource` matches `filter`.
pub fn matches(filter: &Filter, resource: &Value, attributes: &impl Attributes) -> bool {
    Matcher {
        attributes,
        within: None,
    }
    .matches(filter, resource)
}

/// Whether `element`, one value of the multi-valued attribute `within`, matches `filter`, whose
/// paths are relative to it (the inside of `emails[type eq "work"]`).
pub fn matches_element(
    filter: &Filter,
    element: &Value,
    within: &AttrPath,
    attributes: &impl Attributes,
) -> bool {
    Matcher {
        attributes,
        within: Some(within),
    }
    .matches(filter, element)
}

/// A matcher at the top of a resource, or inside the values of one multi-valued attribute.
struct Matcher<'a, A> {
    attributes: &'a A,
    /// The multi-valued attribute whose values are being matched (`emails` in `emails[…]`).
    within: Option<&'a AttrPath>,
}

impl<A: Attributes> Matcher<'_, A> {
    fn matches(&self, filter: &Filter, at: &Value) -> bool {
        match filter {
            Filter::And(left, right) => self.matches(left, at) && self.matches(right, at),
            Filter::Or(left, right) => self.matches(left, at) || self.matches(right, at),
            Filter::Not(inner) => !self.matches(inner, at),
            Filter::Present(path) => values(at, path).iter().any(|v| present(v)),
            Filter::Compare { path, op, value } => {
                let case_exact = self.attributes.case_exact(&self.absolute(path));
                let found = values(at, path);
                match op {
                    CompareOp::Ne => !found
                        .iter()
                        .any(|v| compare(v, CompareOp::Eq, value, case_exact)),
                    op => found.iter().any(|v| compare(v, *op, value, case_exact)),
                }
            }
            Filter::ValuePath { path, filter } => {
                let inner = Matcher {
                    attributes: self.attributes,
                    within: Some(path),
                };
                elements(at, path)
                    .iter()
                    .any(|element| inner.matches(filter, element))
            }
        }
    }

    /// `path` as the schema names it: inside `emails[…]`, `type` is `emails.type`.
    fn absolute(&self, path: &AttrPath) -> AttrPath {
        match self.within {
            Some(outer) => AttrPath {
                uri: outer.uri.clone(),
                name: outer.name.clone(),
                sub: Some(path.name.clone()),
            },
            None => path.clone(),
        }
    }
}

/// The values `path` names in `at`, each array flattened: `emails.value` of a user with two
/// emails is two strings; a complex value named without a sub-attribute stands for its `value`.
fn values<'v>(at: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let mut found = Vec::new();
    for value in elements(at, path) {
        match (&path.sub, value) {
            (Some(sub), Value::Object(_)) => {
                found.extend(field(value, sub).into_iter().flat_map(flatten));
            }
            (Some(_), _) => {}
            (None, Value::Object(_)) => found.extend(field(value, "value")),
            (None, value) => found.push(value),
        }
    }
    found
}

/// The values of `path`'s attribute (its sub-attribute aside) in `at`, an array flattened into
/// its elements: what `emails[…]` filters.
fn elements<'v>(at: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let scope = path
        .uri
        .as_deref()
        .and_then(|uri| field(at, uri))
        .filter(|extension| extension.is_object())
        .unwrap_or(at);
    field(scope, &path.name).map(flatten).unwrap_or_default()
}

fn flatten(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

/// `found op wanted` for one value (never `ne`: the caller negates `eq`).
fn compare(found: &Value, op: CompareOp, wanted: &Value, case_exact: bool) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (found, wanted) {
        (Value::String(a), Value::String(b)) => {
            if let (Some(a), Some(b)) = (instant(a), instant(b)) {
                Some(a.cmp(&b))
            } else {
                let (a, b) = if case_exact {
                    (a.clone(), b.clone())
                } else {
                    (a.to_lowercase(), b.to_lowercase())
                };
                return match op {
                    CompareOp::Co => a.contains(&b),
                    CompareOp::Sw => a.starts_with(&b),
                    CompareOp::Ew => a.ends_with(&b),
                    _ => ordered(op, a.cmp(&b)),
                };
            }
        }
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(a), Value::Bool(b)) => return op == CompareOp::Eq && a == b,
        (Value::Null, Value::Null) => return op == CompareOp::Eq,
        _ => None,
    };
    ordering.is_some_and(|ordering| ordered(op, ordering))
}

/// Whether `ordering` (found against wanted) satisfies an equality or ordering operator;
/// substring operators need strings.
fn ordered(op: CompareOp, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        CompareOp::Eq => ordering == Equal,
        CompareOp::Ne => ordering != Equal,
        CompareOp::Gt => ordering == Greater,
        CompareOp::Ge => ordering != Less,
        CompareOp::Lt => ordering == Less,
        CompareOp::Le => ordering != Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// A string that is an RFC 3339 timestamp, as an instant.
fn instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::filter::parse_filter;
    use serde_json::json;

    /// RFC 7643's user schema, as far as these tests need it: `id` and `externalId` are
    /// case-exact, `userName` and the emails are not.
    struct UserSchema;

    impl Attributes for UserSchema {
        fn case_exact(&self, path: &AttrPath) -> bool {
            ["id", "externalId"]
                .iter()
                .any(|name| path.name.eq_ignore_ascii_case(name) && path.sub.is_none())
        }
    }

    fn bjensen() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "2819c223",
            "externalId": "BJ-1",
            "userName": "bjensen@example.com",
            "name": { "familyName": "Jensen", "givenName": "Barbara" },
            "active": true,
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "meta": { "lastModified": "2026-12-01T10:00:00Z" },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "manager": { "value": "26118915" }
            }
        })
    }

    fn matched(filter: &str) -> bool {
        matches(&parse_filter(filter).unwrap(), &bjensen(), &UserSchema)
    }

    #[test]
    fn strings_ignore_case_unless_the_attribute_is_case_exact() {
        assert!(matched(r#"userName eq "BJensen@Example.com""#));
        assert!(
            matched(r#"USERNAME sw "bjen""#),
            "attribute names ignore case too"
        );
        assert!(matched(r#"externalId eq "BJ-1""#));
        assert!(
            !matched(r#"externalId eq "bj-1""#),
            "externalId is case-exact"
        );
        assert!(matched(r#"name.familyName co "ENS""#));
        assert!(matched(r#"userName ew ".com""#));
        assert!(!matched(r#"userName co "nobody""#));
    }

    #[test]
    fn any_value_of_a_multi_valued_attribute_may_match() {
        assert!(matched(r#"emails.value co "jensen.org""#));
        assert!(
            matched(r#"emails co "jensen.org""#),
            "a complex value compares by its value"
        );
        assert!(matched(r#"emails[type eq "work" and value co "@example"]"#));
        assert!(!matched(
            r#"emails[type eq "home" and value co "@example"]"#
        ));
        assert!(matched(r#"emails[not (type eq "work")]"#));
    }

    #[test]
    fn ne_negates_eq_so_absent_attributes_are_ne_everything() {
        assert!(matched(r#"userName ne "someone""#));
        assert!(!matched(r#"userName ne "bjensen@example.com""#));
        assert!(matched(r#"title ne "Boss""#));
        assert!(!matched(r#"title eq "Boss""#));
    }

    #[test]
    fn presence_needs_a_value() {
        assert!(matched("emails pr"));
        assert!(matched("name.givenName pr"));
        assert!(!matched("title pr"));
        let mut empty = bjensen();
        empty["title"] = json!("");
        empty["phoneNumbers"] = json!([]);
        let present = |f: &str| matches(&parse_filter(f).unwrap(), &empty, &UserSchema);
        assert!(!present("title pr"));
        assert!(!present("phoneNumbers pr"));
    }

    #[test]
    fn timestamps_numbers_and_booleans_compare_as_such() {
        assert!(matched(
            r#"meta.lastModified gt "2026-11-30T23:00:00-02:00""#
        ));
        assert!(!matched(
            r#"meta.lastModified gt "2026-12-01T11:00:00+00:00""#
        ));
        assert!(
            matched(r#"meta.lastModified gt "2026-12-01T11:00:00+02:00""#),
            "09:00 UTC: offsets count"
        );
        assert!(matched(r#"meta.lastModified ge "2026-12-01T10:00:00Z""#));
        assert!(matched(r#"meta.lastModified lt "2027-01-01T00:00:00Z""#));
        assert!(matched("active eq true"));
        assert!(!matched("active eq false"));
        assert!(!matched("active gt false"), "booleans have no order");
        let mut counted = bjensen();
        counted["logins"] = json!(12);
        let on = |f: &str| matches(&parse_filter(f).unwrap(), &counted, &UserSchema);
        assert!(on("logins gt 3"));
        assert!(on("logins le 12"));
        assert!(!on("logins lt 12"));
        assert!(!on(r#"logins co "1""#), "substrings need strings");
    }

    #[test]
    fn an_extension_is_reached_through_its_schema_uri() {
        assert!(matched(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#
        ));
        assert!(matched(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bjensen""#
        ));
    }

    #[test]
    fn logic_combines_as_written() {
        assert!(matched(
            r#"userName sw "bj" and (active eq false or emails pr)"#
        ));
        assert!(!matched(r#"userName sw "bj" and not (emails pr)"#));
        assert!(matched(r#"title pr or userName pr"#));
    }
}
