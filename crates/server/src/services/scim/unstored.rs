//! RFC 7643's User attributes Roster does not store (`title`, `locale`, `name.formatted`,
//! enterprise `department`, …). Identity providers send them by default — Entra ID's standard
//! mappings PATCH them — so they are ignored, as POST and PUT ignore them, rather than refused
//! as unknown: an attribute no schema defines still is (`invalidPath`).

use scim::PatchPath;
use scim::patch::Operation;
use serde_json::Value;

use super::schemas::ENTERPRISE_USER_SCHEMA;

/// Top-level attributes of RFC 7643's User that Roster does not store.
const USER: &[&str] = &[
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "password",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
];
/// Sub-attributes Roster does not store, of the attributes it does.
const SUB: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "formatted",
            "middleName",
            "honorificPrefix",
            "honorificSuffix",
        ],
    ),
    ("emails", &["display", "primary"]),
    ("manager", &["displayName"]),
];
/// The enterprise extension's attributes Roster does not store.
const ENTERPRISE: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
];

fn listed(list: &[&str], name: &str) -> bool {
    list.iter().any(|known| known.eq_ignore_ascii_case(name))
}

/// Whether `path` names something Roster does not store.
fn unstored(path: &PatchPath) -> bool {
    let attr = &path.attr;
    let enterprise = attr
        .uri
        .as_deref()
        .is_some_and(|uri| uri.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA));
    if enterprise && listed(ENTERPRISE, &attr.name) || !enterprise && listed(USER, &attr.name) {
        return true;
    }
    let sub = attr.sub.as_deref().or(path.sub.as_deref());
    sub.is_some_and(|sub| {
        SUB.iter()
            .any(|(parent, subs)| parent.eq_ignore_ascii_case(&attr.name) && listed(subs, sub))
    })
}

/// `operations` without those on attributes Roster does not store; a path-less operation's
/// value loses such attributes (and its enterprise object's).
pub fn ignored(operations: Vec<Operation>) -> Vec<Operation> {
    operations
        .into_iter()
        .filter(|operation| !operation.path.as_ref().is_some_and(unstored))
        .map(|mut operation| {
            if operation.path.is_none()
                && let Some(Value::Object(fields)) = &mut operation.value
            {
                fields.retain(|name, _| !listed(USER, name));
                for (name, value) in fields.iter_mut() {
                    if name.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA)
                        && let Value::Object(extension) = value
                    {
                        extension.retain(|name, _| !listed(ENTERPRISE, name));
                    }
                }
            }
            operation
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn kept(operations: Value) -> Vec<Operation> {
        let body = json!({ "schemas": [scim::patch::PATCH_OP], "Operations": operations });
        ignored(scim::patch::parse_request(&body).unwrap())
    }

    #[test]
    fn unstored_standard_attributes_are_dropped_and_unknown_ones_kept() {
        let operations = kept(json!([
            { "op": "Replace", "path": "title", "value": "Engineer" },
            { "op": "Replace", "path": "name.formatted", "value": "Ada L" },
            { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D" },
            { "op": "Replace", "path": "emails[type eq \"work\"].primary", "value": true },
            { "op": "Replace", "path": "active", "value": "False" },
            { "op": "Replace", "path": "shoeSize", "value": "42" },
        ]));
        let paths: Vec<String> = operations
            .iter()
            .map(|o| o.path.as_ref().unwrap().attr.name.clone())
            .collect();
        assert_eq!(
            paths,
            ["active", "shoeSize"],
            "unknown attributes are still refused later"
        );
        let operations = kept(json!([{ "op": "replace", "value": {
            "active": false, "locale": "en-GB",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "division": "X", "manager": "m" }
        }}]));
        assert_eq!(
            operations[0].value,
            Some(json!({ "active": false,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "manager": "m" } }))
        );
    }
}
