//! PATCH (RFC 7644 §3.5.2): a request's operations, read leniently where real identity
//! providers differ from the RFC, and applied to a resource's JSON under its schema.
//!
//! What providers send that the RFC does not say, and how it is taken:
//! - operation names in any case (`Add`, `Replace`, `Remove`: Entra ID);
//! - `remove` of a multi-valued attribute with a `value` list
//!   (`{"op":"Remove","path":"members","value":[{"value":"id"}]}`: Entra ID) removes just those
//!   values;
//! - booleans as the strings `"True"` and `"False"` (Entra ID);
//! - a complex attribute with a `value` given as that value alone (Entra ID's `manager`);
//! - `add` through a value filter that matches nothing (`emails[type eq "work"].value`) adds a
//!   value made of the filter's equalities and the given value, as Entra ID expects.
//!
//! A `replace` through a value filter that matches nothing fails with `noTarget`, as the RFC
//! says; a `remove` that finds nothing to remove changes nothing (providers retry removals).

use serde_json::{Map, Value};

use crate::filter::{AttrPath, CompareOp, Filter, PatchPath, parse_path};
use crate::matching::matches_element;
use crate::names::{entry, field, key_for};
use crate::schema::{Attribute, Kind, Mutability, ResourceSchema, Schema, Scope};

/// The PATCH request's schema URI.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: Op,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Why a PATCH was refused: RFC 7644's `scimType` (§3.12) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub scim_type: &'static str,
    pub detail: String,
}

fn refuse<T>(scim_type: &'static str, detail: impl Into<String>) -> Result<T, PatchError> {
    Err(PatchError {
        scim_type,
        detail: detail.into(),
    })
}

/// Reads a PATCH request body: its `schemas` must name [`PATCH_OP`], and its `Operations` be a
/// non-empty list of `op`, optional `path` and `value`.
pub fn parse_request(body: &Value) -> Result<Vec<Operation>, PatchError> {
    let names_patch_op = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| schemas.iter().any(|s| s.as_str() == Some(PATCH_OP)));
    if !names_patch_op {
        return refuse("invalidSyntax", format!("schemas must list {PATCH_OP}"));
    }
    let operations = match field(body, "Operations").and_then(Value::as_array) {
        Some(operations) if !operations.is_empty() => operations,
        _ => return refuse("invalidSyntax", "Operations must be a list of operations"),
    };
    operations.iter().map(parse_operation).collect()
}

fn parse_operation(operation: &Value) -> Result<Operation, PatchError> {
    let op = match field(operation, "op").and_then(Value::as_str) {
        Some(op) if op.eq_ignore_ascii_case("add") => Op::Add,
        Some(op) if op.eq_ignore_ascii_case("replace") => Op::Replace,
        Some(op) if op.eq_ignore_ascii_case("remove") => Op::Remove,
        _ => return refuse("invalidSyntax", "op must be add, replace or remove"),
    };
    let path = match field(operation, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) => Some(parse_path(path).map_err(|e| PatchError {
            scim_type: "invalidPath",
            detail: format!("path: {e}"),
        })?),
        Some(_) => return refuse("invalidPath", "path must be a string"),
    };
    let value = field(operation, "value").filter(|v| !v.is_null()).cloned();
    match (op, &path, &value) {
        (Op::Remove, None, _) => refuse("noTarget", "remove needs a path"),
        (Op::Add | Op::Replace, _, None) => refuse("invalidValue", "add and replace need a value"),
        _ => Ok(Operation { op, path, value }),
    }
}

/// Applies `operations` in order to `resource` (an object), under `schema`; on a refusal the
/// resource may be half-changed, so the caller discards it.
pub fn apply(
    resource: &mut Value,
    operations: &[Operation],
    schema: &ResourceSchema,
) -> Result<(), PatchError> {
    for operation in operations {
        match &operation.path {
            Some(path) if extension_named(path, schema).is_some() => {
                let extension = extension_named(path, schema)
                    .map(|e| e.id)
                    .unwrap_or_default();
                apply_extension(resource, operation, extension, schema)?;
            }
            Some(path) => apply_at(
                resource,
                operation.op,
                path,
                operation.value.as_ref(),
                schema,
            )?,
            None => apply_whole(resource, operation, schema)?,
        }
    }
    Ok(())
}

/// `add` or `replace` without a path: the value is an object of attributes (extensions under
/// their URI), each applied as if named by a path.
fn apply_whole(
    resource: &mut Value,
    operation: &Operation,
    schema: &ResourceSchema,
) -> Result<(), PatchError> {
    let Some(Value::Object(attributes)) = &operation.value else {
        return refuse(
            "invalidValue",
            "without a path, the value must be an object of attributes",
        );
    };
    for (name, value) in attributes {
        if name.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(extension) = schema.extension(name) {
            let Value::Object(inner) = value else {
                return refuse("invalidValue", format!("{name} must be an object"));
            };
            for (inner_name, inner_value) in inner {
                let path = bare(Some(extension.id), inner_name);
                apply_at(resource, operation.op, &path, Some(inner_value), schema)?;
            }
        } else if !repeats_read_only(resource, name, value, schema) {
            apply_at(
                resource,
                operation.op,
                &bare(None, name),
                Some(value),
                schema,
            )?;
        }
    }
    Ok(())
}

/// Whether `name` is a read-only attribute that `value` repeats as it is: Okta renames a group
/// with `{"op": "replace", "value": {"id": …, "displayName": …}}`, restating its id.
fn repeats_read_only(resource: &Value, name: &str, value: &Value, schema: &ResourceSchema) -> bool {
    let read_only = schema
        .attribute(&bare(None, name).attr)
        .is_some_and(|(_, attribute)| attribute.mutability == Mutability::ReadOnly);
    read_only && field(resource, name) == Some(value)
}

/// The extension a path names as a whole (`urn:…:enterprise:2.0:User`), which the parser reads
/// as the attribute `User` of the URI `urn:…:enterprise:2.0`.
fn extension_named(path: &PatchPath, schema: &ResourceSchema) -> Option<&'static Schema> {
    if path.filter.is_some() || path.sub.is_some() || path.attr.sub.is_some() {
        return None;
    }
    let whole = match &path.attr.uri {
        Some(uri) => format!("{uri}:{}", path.attr.name),
        None => path.attr.name.clone(),
    };
    schema.extension(&whole)
}

/// An operation on an extension as a whole: `remove` drops its object; `replace` stands for a
/// `remove` then an `add`; `add` applies each attribute of the value, as a path-less `add` does.
fn apply_extension(
    resource: &mut Value,
    operation: &Operation,
    extension: &'static str,
    schema: &ResourceSchema,
) -> Result<(), PatchError> {
    if operation.op != Op::Add
        && let Value::Object(top) = resource
    {
        let key = key_for(top, extension);
        top.remove(&key);
    }
    if operation.op == Op::Remove {
        return Ok(());
    }
    let Some(Value::Object(inner)) = &operation.value else {
        return refuse("invalidValue", format!("{extension} must be an object"));
    };
    for (name, value) in inner {
        if name.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let path = bare(Some(extension), name);
        apply_at(resource, Op::Add, &path, Some(value), schema)?;
    }
    Ok(())
}

fn bare(uri: Option<&str>, name: &str) -> PatchPath {
    PatchPath {
        attr: AttrPath {
            uri: uri.map(str::to_owned),
            name: name.to_owned(),
            sub: None,
        },
        filter: None,
        sub: None,
    }
}

/// One operation at `path`.
fn apply_at(
    resource: &mut Value,
    op: Op,
    path: &PatchPath,
    value: Option<&Value>,
    schema: &ResourceSchema,
) -> Result<(), PatchError> {
    let Some((scope, attribute)) = schema.attribute(&path.attr) else {
        return refuse("invalidPath", format!("no attribute {}", path.attr.name));
    };
    let sub_name = path.attr.sub.as_deref().or(path.sub.as_deref());
    let sub = match sub_name {
        Some(name) => Some(attribute.sub_attribute(name).ok_or_else(|| PatchError {
            scim_type: "invalidPath",
            detail: format!("{} has no sub-attribute {name}", attribute.name),
        })?),
        None => None,
    };
    let object = scope_object(resource, scope, op)?;
    let Some(object) = object else {
        return Ok(()); // removing from an extension the resource does not have
    };
    check_mutability(attribute, sub, object, op)?;
    // A multi-valued attribute named as a whole takes a list; through a filter, one value.
    let as_list = attribute.multi_valued && sub.is_none() && path.filter.is_none();
    let value = value
        .map(|v| conform(sub.unwrap_or(attribute), as_list, v))
        .transpose()?;
    match &path.filter {
        Some(filter) => {
            let through = Through {
                attribute,
                filter,
                sub,
                within: &path.attr,
                schema,
            };
            filtered(object, &through, op, value)
        }
        None => match sub {
            Some(sub) => whole_sub(object, attribute, sub, op, value),
            None => whole(object, attribute, op, value),
        },
    }
}

/// The object holding `scope`'s attributes: the resource, or its extension's object (made for
/// `add` and `replace`; `None` for a `remove` from an extension it does not have).
fn scope_object(
    resource: &mut Value,
    scope: Scope,
    op: Op,
) -> Result<Option<&mut Map<String, Value>>, PatchError> {
    let Value::Object(top) = resource else {
        return refuse("invalidValue", "the resource is not an object");
    };
    let Scope::Extension(uri) = scope else {
        return Ok(Some(top));
    };
    let key = key_for(top, uri);
    if op == Op::Remove && !top.contains_key(&key) {
        return Ok(None);
    }
    let extension = top.entry(key).or_insert_with(|| Value::Object(Map::new()));
    match extension {
        Value::Object(object) => Ok(Some(object)),
        _ => refuse("invalidValue", format!("{uri} is not an object")),
    }
}

fn check_mutability(
    attribute: &Attribute,
    sub: Option<&Attribute>,
    object: &Map<String, Value>,
    op: Op,
) -> Result<(), PatchError> {
    for checked in std::iter::once(attribute).chain(sub) {
        match checked.mutability {
            Mutability::ReadWrite => {}
            Mutability::ReadOnly => {
                return refuse("mutability", format!("{} is read-only", checked.name));
            }
            Mutability::Immutable => {
                let unset = entry(object, attribute.name).is_none_or(|(_, value)| value.is_null());
                if !(op == Op::Add && unset) {
                    return refuse("mutability", format!("{} cannot be changed", checked.name));
                }
            }
        }
    }
    Ok(())
}

/// `value` as `attribute` takes it: booleans also from `"True"`/`"False"`; a multi-valued
/// attribute's values as a list.
fn conform(attribute: &Attribute, as_list: bool, value: &Value) -> Result<Value, PatchError> {
    let one = |value: &Value| -> Result<Value, PatchError> {
        match (attribute.kind, value) {
            (Kind::Boolean, Value::Bool(_))
            | (Kind::String | Kind::DateTime | Kind::Reference, Value::String(_))
            | (Kind::Complex, Value::Object(_)) => Ok(value.clone()),
            (Kind::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("true") => {
                Ok(Value::Bool(true))
            }
            (Kind::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("false") => {
                Ok(Value::Bool(false))
            }
            // Entra ID sends a manager as the bare id: the value of a complex `value`.
            (Kind::Complex, Value::String(_)) if attribute.sub_attribute("value").is_some() => {
                Ok(serde_json::json!({ "value": value }))
            }
            _ => refuse(
                "invalidValue",
                format!("{} takes a {:?} value", attribute.name, attribute.kind),
            ),
        }
    };
    match (as_list, value) {
        (true, Value::Array(values)) => Ok(Value::Array(
            values.iter().map(one).collect::<Result<_, _>>()?,
        )),
        (true, value) => Ok(Value::Array(vec![one(value)?])),
        (false, value) => one(value),
    }
}

/// An attribute as a whole: `emails`, `displayName`.
fn whole(
    object: &mut Map<String, Value>,
    attribute: &Attribute,
    op: Op,
    value: Option<Value>,
) -> Result<(), PatchError> {
    let key = key_for(object, attribute.name);
    match (op, value) {
        (Op::Add, Some(Value::Array(added))) if attribute.multi_valued => {
            let list = list_at(object, &key);
            for value in added {
                if !list.iter().any(|held| same_value(held, &value)) {
                    list.push(value);
                }
            }
        }
        (Op::Remove, Some(Value::Array(removed))) if attribute.multi_valued => {
            if let Some(Value::Array(list)) = object.get_mut(&key) {
                list.retain(|held| !removed.iter().any(|value| same_value(held, value)));
            }
            drop_if_empty(object, &key);
        }
        (Op::Remove, _) => {
            object.remove(&key);
        }
        // A complex value given whole sets the sub-attributes it names, and keeps the others.
        (_, Some(value @ Value::Object(_))) if object.get(&key).is_some_and(Value::is_object) => {
            if let Some(held) = object.get_mut(&key) {
                merge(held, &value);
            }
        }
        (_, Some(value)) => {
            object.insert(key, value);
        }
        (_, None) => {}
    }
    Ok(())
}

/// A sub-attribute without a filter: `name.givenName`, or every value's `emails.type`.
fn whole_sub(
    object: &mut Map<String, Value>,
    attribute: &Attribute,
    sub: &Attribute,
    op: Op,
    value: Option<Value>,
) -> Result<(), PatchError> {
    let key = key_for(object, attribute.name);
    if attribute.multi_valued {
        if let Some(Value::Array(values)) = object.get_mut(&key) {
            for element in values.iter_mut() {
                set_sub(element, sub, op, value.clone());
            }
        } else if op != Op::Remove {
            return refuse("noTarget", format!("{} has no values", attribute.name));
        }
        return Ok(());
    }
    if op == Op::Remove && !object.contains_key(&key) {
        return Ok(());
    }
    let holder = object
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    set_sub(holder, sub, op, value);
    Ok(())
}

/// A path through a value filter: `emails[type eq "work"]`, `members[value eq "…"]`,
/// optionally with a sub-attribute after it.
struct Through<'a> {
    attribute: &'a Attribute,
    filter: &'a Filter,
    sub: Option<&'a Attribute>,
    /// The path's attribute, which the filter's paths are relative to.
    within: &'a AttrPath,
    schema: &'a ResourceSchema,
}

/// One operation through a value filter.
fn filtered(
    object: &mut Map<String, Value>,
    through: &Through<'_>,
    op: Op,
    value: Option<Value>,
) -> Result<(), PatchError> {
    let Through {
        attribute,
        filter,
        sub,
        within,
        schema,
    } = *through;
    if !attribute.multi_valued {
        return refuse(
            "invalidFilter",
            format!("{} is not multi-valued", attribute.name),
        );
    }
    let key = key_for(object, attribute.name);
    let mut matched = 0;
    if let Some(Value::Array(values)) = object.get_mut(&key) {
        let mut kept = Vec::with_capacity(values.len());
        for mut element in std::mem::take(values) {
            if !matches_element(filter, &element, within, schema) {
                kept.push(element);
                continue;
            }
            matched += 1;
            match (op, sub, &value) {
                (Op::Remove, None, _) => continue,
                (_, Some(sub), value) => set_sub(&mut element, sub, op, value.clone()),
                (_, None, Some(value)) => merge(&mut element, value),
                (_, None, None) => {}
            }
            kept.push(element);
        }
        *values = kept;
    }
    drop_if_empty(object, &key);
    match op {
        _ if matched > 0 => Ok(()),
        Op::Remove => Ok(()),
        Op::Replace => refuse(
            "noTarget",
            format!("no value of {} matches the filter", attribute.name),
        ),
        Op::Add => {
            let Some(mut element) = equalities(filter, attribute) else {
                return refuse(
                    "noTarget",
                    format!("no value of {} matches the filter", attribute.name),
                );
            };
            match (sub, value) {
                (Some(sub), value) => set_sub(&mut element, sub, Op::Add, value),
                (None, Some(value)) => merge(&mut element, &value),
                (None, None) => {}
            }
            list_at(object, &key).push(element);
            Ok(())
        }
    }
}

/// The value of `attribute` that a filter made only of `sub eq value` terms joined by `and`
/// describes, its sub-attributes spelled as the schema spells them.
fn equalities(filter: &Filter, attribute: &Attribute) -> Option<Value> {
    let mut element = Map::new();
    let mut pending = vec![filter];
    while let Some(filter) = pending.pop() {
        match filter {
            Filter::And(left, right) => pending.extend([left.as_ref(), right.as_ref()]),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.sub.is_none() && path.uri.is_none() => {
                let sub = attribute.sub_attribute(&path.name)?;
                element.insert(sub.name.to_owned(), value.clone());
            }
            _ => return None,
        }
    }
    Some(Value::Object(element))
}

fn set_sub(element: &mut Value, sub: &Attribute, op: Op, value: Option<Value>) {
    let Value::Object(fields) = element else {
        return;
    };
    let key = key_for(fields, sub.name);
    match (op, value) {
        (Op::Remove, _) => {
            fields.remove(&key);
        }
        (_, Some(value)) => {
            fields.insert(key, value);
        }
        (_, None) => {}
    }
}

/// Copies `value`'s fields into `element` (both objects), keeping the element's spelling of
/// each name.
fn merge(element: &mut Value, value: &Value) {
    let (Value::Object(fields), Value::Object(given)) = (element, value) else {
        return;
    };
    for (name, value) in given {
        let key = key_for(fields, name);
        fields.insert(key, value.clone());
    }
}

/// Two values of a multi-valued attribute are the same one when they are equal, or when both
/// are complex with the same `value` (a member is its id, whatever else is sent with it).
fn same_value(held: &Value, given: &Value) -> bool {
    match (field(held, "value"), field(given, "value")) {
        (Some(a), Some(b)) => a == b,
        _ => held == given,
    }
}

/// The list at `key`, made if absent (a single value becomes the first of a list).
fn list_at<'m>(object: &'m mut Map<String, Value>, key: &str) -> &'m mut Vec<Value> {
    let slot = object
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        let single = std::mem::take(slot);
        *slot = Value::Array(if single.is_null() {
            Vec::new()
        } else {
            vec![single]
        });
    }
    match slot {
        Value::Array(list) => list,
        _ => unreachable!("made a list above"),
    }
}

fn drop_if_empty(object: &mut Map<String, Value>, key: &str) {
    if object
        .get(key)
        .is_some_and(|v| v.as_array().is_some_and(Vec::is_empty))
    {
        object.remove(key);
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
            "id": "u1",
            "userName": "bjensen",
            "active": true,
            "name": { "givenName": "Barbara", "familyName": "Jensen" },
            "emails": [
                { "value": "bjensen@example.com", "type": "work" },
                { "value": "babs@home.example", "type": "home" }
            ],
            "members": [{ "value": "a" }, { "value": "b" }, { "value": "c" }]
        })
    }

    fn patched(operations: Value) -> Result<Value, PatchError> {
        let body = json!({ "schemas": [PATCH_OP], "Operations": operations });
        let operations = parse_request(&body)?;
        let mut resource = user();
        apply(&mut resource, &operations, &SCHEMA)?;
        Ok(resource)
    }

    fn refused(operations: Value) -> &'static str {
        patched(operations).expect_err("refused").scim_type
    }

    #[test]
    fn operations_are_named_in_any_case_and_entra_booleans_are_strings() {
        let user = patched(json!([
            { "op": "Replace", "path": "active", "value": "False" },
            { "op": "replace", "path": "displayName", "value": "Babs" }
        ]))
        .unwrap();
        assert_eq!(user["active"], json!(false));
        assert_eq!(user["displayName"], json!("Babs"));
    }

    #[test]
    fn a_remove_with_a_value_list_removes_just_those_members() {
        let user = patched(json!([
            { "op": "Remove", "path": "members", "value": [{ "value": "a" }, { "value": "c" }] }
        ]))
        .unwrap();
        assert_eq!(user["members"], json!([{ "value": "b" }]));
        let user = patched(json!([{ "op": "remove", "path": "members[value eq \"b\"]" }])).unwrap();
        assert_eq!(user["members"], json!([{ "value": "a" }, { "value": "c" }]));
        let user = patched(json!([{ "op": "remove", "path": "members" }])).unwrap();
        assert!(user.get("members").is_none(), "every member removed");
        let again = patched(json!([{ "op": "remove", "path": "members[value eq \"zz\"]" }]));
        assert_eq!(
            again.unwrap(),
            self::user(),
            "nothing to remove changes nothing"
        );
    }

    #[test]
    fn add_appends_values_once() {
        let user = patched(json!([
            { "op": "add", "path": "members", "value": [{ "value": "b" }, { "value": "d", "display": "D" }] }
        ]))
        .unwrap();
        let members: Vec<_> = user["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].clone())
            .collect();
        assert_eq!(members, [json!("a"), json!("b"), json!("c"), json!("d")]);
    }

    #[test]
    fn a_filtered_path_reaches_the_matching_values() {
        let user = patched(json!([
            { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com" }
        ]))
        .unwrap();
        assert_eq!(user["emails"][0]["value"], json!("barbara@example.com"));
        assert_eq!(user["emails"][1]["value"], json!("babs@home.example"));
        assert_eq!(
            refused(
                json!([{ "op": "replace", "path": "emails[type eq \"other\"].value", "value": "x" }])
            ),
            "noTarget"
        );
    }

    #[test]
    fn add_through_a_filter_that_matches_nothing_makes_the_value() {
        let mut resource = json!({ "userName": "new" });
        let body = json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "Add", "path": "emails[TYPE eq \"work\"].value", "value": "new@example.com" }
        ]});
        apply(&mut resource, &parse_request(&body).unwrap(), &SCHEMA).unwrap();
        assert_eq!(
            resource["emails"],
            json!([{ "type": "work", "value": "new@example.com" }])
        );
    }

    #[test]
    fn without_a_path_the_value_names_attributes_and_extensions() {
        let user = patched(json!([{ "op": "replace", "value": {
            "displayName": "B. Jensen",
            "name": { "givenName": "Babs" },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "manager": { "value": "m1" } }
        }}]))
        .unwrap();
        assert_eq!(user["displayName"], json!("B. Jensen"));
        assert_eq!(
            user["name"],
            json!({ "givenName": "Babs", "familyName": "Jensen" }),
            "merged"
        );
        assert_eq!(
            user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
            json!("m1")
        );
        let user = patched(json!([{ "op": "add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": { "value": "m2" } }]))
        .unwrap();
        assert_eq!(
            user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
            json!({ "value": "m2" })
        );
    }

    #[test]
    fn a_pathless_value_may_restate_a_read_only_attribute() {
        let user =
            patched(json!([{ "op": "replace", "value": { "id": "u1", "displayName": "B" } }]))
                .unwrap();
        assert_eq!(user["displayName"], json!("B"));
        assert_eq!(
            refused(json!([{ "op": "replace", "value": { "id": "u2" } }])),
            "mutability",
            "but not change it"
        );
    }

    #[test]
    fn a_path_may_name_an_extension_as_a_whole() {
        const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let user = patched(json!([
            { "op": "add", "path": ENTERPRISE, "value": {
                "schemas": [ENTERPRISE], "manager": { "value": "m1" } } }
        ]))
        .unwrap();
        assert_eq!(user[ENTERPRISE], json!({ "manager": { "value": "m1" } }));
        let user = patched(json!([
            { "op": "add", "path": ENTERPRISE, "value": { "manager": { "value": "m1" } } },
            { "op": "replace", "path": ENTERPRISE, "value": { "manager": "m2" } }
        ]))
        .unwrap();
        assert_eq!(user[ENTERPRISE], json!({ "manager": { "value": "m2" } }));
        let user = patched(json!([
            { "op": "add", "path": ENTERPRISE, "value": { "manager": { "value": "m1" } } },
            { "op": "remove", "path": ENTERPRISE }
        ]))
        .unwrap();
        assert!(user.get(ENTERPRISE).is_none());
        assert_eq!(
            refused(json!([{ "op": "add", "path": ENTERPRISE, "value": "m1" }])),
            "invalidValue"
        );
    }

    #[test]
    fn entra_sends_the_manager_as_a_bare_id_in_a_later_patch() {
        let user = patched(json!([{ "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": "26118915" }]))
        .unwrap();
        assert_eq!(
            user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
            json!({ "value": "26118915" })
        );
        assert_eq!(
            refused(json!([{ "op": "replace", "path": "name", "value": "Babs" }])),
            "invalidValue",
            "a complex attribute without a value sub-attribute takes an object"
        );
    }

    #[test]
    fn sub_attributes_and_their_removal() {
        let user = patched(json!([
            { "op": "replace", "path": "name.familyName", "value": "Jensen-Smith" },
            { "op": "remove", "path": "name.givenName" }
        ]))
        .unwrap();
        assert_eq!(user["name"], json!({ "familyName": "Jensen-Smith" }));
    }

    #[test]
    fn what_may_not_be_written_is_refused() {
        assert_eq!(
            refused(json!([{ "op": "replace", "path": "id", "value": "x" }])),
            "mutability"
        );
        let set = patched(json!([{ "op": "add", "path": "externalId", "value": "x" }])).unwrap();
        assert_eq!(
            set["externalId"],
            json!("x"),
            "an immutable attribute is set once"
        );
        assert_eq!(
            refused(json!([
                { "op": "add", "path": "externalId", "value": "x" },
                { "op": "replace", "path": "externalId", "value": "y" }
            ])),
            "mutability"
        );
    }

    #[test]
    fn bad_requests_say_why() {
        let parse = |body: Value| parse_request(&body).expect_err("refused").scim_type;
        assert_eq!(parse(json!({ "Operations": [] })), "invalidSyntax");
        assert_eq!(
            parse(json!({ "schemas": [PATCH_OP], "Operations": [] })),
            "invalidSyntax"
        );
        assert_eq!(
            parse(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "move" }] })),
            "invalidSyntax"
        );
        assert_eq!(
            parse(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "remove" }] })),
            "noTarget"
        );
        assert_eq!(
            parse(json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "add", "path": "x" }] })),
            "invalidValue"
        );
        assert_eq!(
            parse(
                json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "add", "path": "emails[type eq", "value": 1 }] })
            ),
            "invalidPath"
        );
        assert_eq!(
            refused(json!([{ "op": "add", "path": "nickName", "value": "x" }])),
            "invalidPath"
        );
        assert_eq!(
            refused(json!([{ "op": "add", "path": "name.middle", "value": "x" }])),
            "invalidPath"
        );
        assert_eq!(
            refused(json!([{ "op": "replace", "path": "active", "value": 3 }])),
            "invalidValue"
        );
        assert_eq!(
            refused(json!([{ "op": "add", "path": "displayName[value eq \"x\"]", "value": "x" }])),
            "invalidFilter"
        );
    }
}
