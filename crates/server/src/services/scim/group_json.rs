//! An IdP group as SCIM JSON, both ways: the representation Roster answers with ([`to_json`],
//! its version [`version`]), and what a POST or PUT body (or a patched representation) says the
//! group is ([`GroupFields::read`]). Members are users, named by id; `$ref` and `display` that a
//! client sends are not stored.

use std::collections::BTreeSet;

use scim::field;
use serde_json::{Value, json};
use uuid::Uuid;

use super::schemas::GROUP_SCHEMA;
use super::user_json;
use super::{invalid, meta, require_schema};
use crate::error::ApiError;

/// Where a group is served, under `base`.
pub fn location(base: &str, id: Uuid) -> String {
    format!("{base}/Groups/{id}")
}

/// A group's version (`meta.version`, the ETag): it changes whenever the group or its members do.
pub fn version(group: &entity::idp_groups::Model) -> String {
    super::version(group.updated_at)
}

/// The group's SCIM representation, with its `members`.
pub fn to_json(group: &entity::idp_groups::Model, members: &BTreeSet<Uuid>, base: &str) -> Value {
    let mut resource = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id,
        "displayName": group.display_name,
        "members": members
            .iter()
            .map(|id| json!({ "value": id, "$ref": user_json::location(base, *id) }))
            .collect::<Vec<_>>(),
        "meta": meta("Group", group.created_at, group.updated_at, location(base, group.id)),
    });
    if let Some(external_id) = &group.external_id {
        resource["externalId"] = json!(external_id);
    }
    resource
}

/// What a request says a group is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: BTreeSet<Uuid>,
}

impl GroupFields {
    /// Reads a whole group. Its `schemas` must list the core Group schema; members must be
    /// user ids (whether they exist is checked when stored).
    pub fn read(body: &Value) -> Result<Self, ApiError> {
        require_schema(body, GROUP_SCHEMA)?;
        let display_name = match field(body, "displayName") {
            Some(Value::String(raw)) => domain::Name::parse(raw)
                .map_err(|e| invalid("invalidValue", format!("displayName: {e}")))?
                .into_inner(),
            None | Some(Value::Null) => {
                return Err(invalid("invalidValue", "displayName is required"));
            }
            Some(_) => return Err(invalid("invalidValue", "displayName must be a string")),
        };
        let external_id = user_json::text(body, "externalId")?;
        let members = match field(body, "members") {
            None | Some(Value::Null) => BTreeSet::new(),
            Some(Value::Array(members)) => members
                .iter()
                .map(member_id)
                .collect::<Result<BTreeSet<_>, _>>()?,
            Some(_) => return Err(invalid("invalidValue", "members must be a list")),
        };
        Ok(Self {
            display_name,
            external_id,
            members,
        })
    }
}

/// A member entry's user id: `{"value": id}`.
fn member_id(member: &Value) -> Result<Uuid, ApiError> {
    let value = match member {
        Value::String(id) => id.as_str(),
        Value::Object(_) => field(member, "value")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("invalidValue", "members[].value is required"))?,
        _ => return Err(invalid("invalidValue", "members[] must be objects")),
    };
    Uuid::parse_str(value.trim()).map_err(|_| {
        invalid(
            "invalidValue",
            format!("members[].value {value} is not a user id"),
        )
    })
}
