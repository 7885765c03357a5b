//! How pages show the values many of them carry: a time, a resource with a link to its page,
//! an audit event's before and after.

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use uuid::Uuid;

use super::layout;

/// An event's details: `before` and `after`, and whatever else it recorded, folded away.
pub fn details(details: &serde_json::Value) -> Markup {
    let pretty = |value: &serde_json::Value| {
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    };
    let other: serde_json::Map<String, serde_json::Value> = details
        .as_object()
        .map(|map| {
            map.iter()
                .filter(|(key, _)| *key != "before" && *key != "after")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    html! {
        details {
            summary { "Before and after" }
            p { strong { "Before" } }
            pre { code { (pretty(&details["before"])) } }
            p { strong { "After" } }
            pre { code { (pretty(&details["after"])) } }
            @if !other.is_empty() {
                p { strong { "Also recorded" } }
                pre { code { (pretty(&serde_json::Value::Object(other))) } }
            }
        }
    }
}

/// A resource: its type, and its id, linked to its page where the console has one.
pub fn resource(kind: &str, id: Option<Uuid>) -> Markup {
    let page = match kind {
        "group" => Some("/console/groups/"),
        "project" => Some("/console/projects/"),
        "user" => Some("/console/users/"),
        _ => None,
    };
    html! {
        code { (kind) }
        @if let Some(id) = id {
            br;
            @match page {
                Some(page) => a href={ (page) (id) } { (layout::mono(&id.to_string())) },
                None => (layout::mono(&id.to_string())),
            }
        }
    }
}

/// A time, readable, with its exact value for machines.
pub fn when(at: &DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S UTC")) }
    }
}
