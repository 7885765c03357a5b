//! A user as SCIM JSON, both ways: the representation Roster answers with ([`to_json`], its
//! version [`version`]), and the fields a POST or PUT body (or a patched representation) gives
//! ([`UserFields::read`]), checked by the same rules `/v1` applies.
//!
//! Reading is lenient where real identity providers send more than Roster keeps: attributes it
//! does not store (`password`, `locale`, `groups`, `name.formatted`, …) and read-only ones
//! (`id`, `meta`) are ignored, booleans may be the strings `"True"` and `"False"` (Entra ID), and
//! the manager may be a bare id. Everything Roster does store must be well formed, or the request
//! is refused with `invalidValue`.

use scim::field;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::schemas::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
use super::{invalid, meta, require_schema};
use crate::error::ApiError;

/// Where a user is served, under `base` (the `/scim/v2` URL the client called).
pub fn location(base: &str, id: Uuid) -> String {
    format!("{base}/Users/{id}")
}

/// A user's version (`meta.version`, the ETag): it changes whenever the user does.
pub fn version(user: &entity::users::Model) -> String {
    super::version(user.updated_at)
}

/// The user's SCIM representation, every attribute Roster stores.
pub fn to_json(user: &entity::users::Model, base: &str) -> Value {
    let mut schemas = vec![USER_SCHEMA];
    let mut resource = json!({
        "id": user.id,
        "userName": user.user_name,
        "displayName": user.display_name,
        "active": user.active,
        "meta": meta("User", user.created_at, user.updated_at, location(base, user.id)),
    });
    if let Some(external_id) = &user.external_id {
        resource["externalId"] = json!(external_id);
    }
    let mut name = Map::new();
    if let Some(given) = &user.given_name {
        name.insert("givenName".into(), json!(given));
    }
    if let Some(family) = &user.family_name {
        name.insert("familyName".into(), json!(family));
    }
    if !name.is_empty() {
        resource["name"] = Value::Object(name);
    }
    if let Some(email) = &user.email {
        let mut entry = json!({ "value": email });
        if let Some(kind) = &user.email_type {
            entry["type"] = json!(kind);
        }
        resource["emails"] = json!([entry]);
    }
    if let Some(manager) = user.manager_id {
        schemas.push(ENTERPRISE_USER_SCHEMA);
        resource[ENTERPRISE_USER_SCHEMA] = json!({
            "manager": { "value": manager, "$ref": location(base, manager) },
        });
    }
    resource["schemas"] = json!(schemas);
    resource
}

/// What a request says a user is: every attribute Roster stores, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields {
    pub user_name: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub email_type: Option<String>,
    pub active: bool,
    pub external_id: Option<String>,
    pub manager_id: Option<Uuid>,
}

impl UserFields {
    /// Reads a whole user (a POST or PUT body, or a representation after PATCH). Its `schemas`
    /// must list the core User schema; what it leaves out is absent (`active` is then true, and
    /// `displayName` the name's parts or else the user name).
    pub fn read(body: &Value) -> Result<Self, ApiError> {
        require_schema(body, USER_SCHEMA)?;
        let user_name = match text(body, "userName")? {
            Some(raw) => domain::Name::parse(&raw)
                .map_err(|e| invalid("invalidValue", format!("userName: {e}")))?
                .into_inner(),
            None => return Err(invalid("invalidValue", "userName is required")),
        };
        let name = object(body, "name")?;
        let given_name = name.map(|n| text(n, "givenName")).transpose()?.flatten();
        let family_name = name.map(|n| text(n, "familyName")).transpose()?.flatten();
        let display_name = match text(body, "displayName")? {
            Some(raw) => raw,
            None => [given_name.as_deref(), family_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        };
        let display_name = if display_name.trim().is_empty() {
            user_name.clone()
        } else {
            domain::Name::parse(&display_name)
                .map_err(|e| invalid("invalidValue", format!("displayName: {e}")))?
                .into_inner()
        };
        let (email, email_type) = read_email(body)?;
        let active = match field(body, "active") {
            None | Some(Value::Null) => true,
            Some(value) => boolean(value)
                .ok_or_else(|| invalid("invalidValue", "active must be true or false"))?,
        };
        let external_id = text(body, "externalId")?;
        let manager_id = read_manager(body)?;
        Ok(Self {
            user_name,
            display_name,
            given_name,
            family_name,
            email,
            email_type,
            active,
            external_id,
            manager_id,
        })
    }
}

/// The one email address Roster keeps, and its type.
fn read_email(body: &Value) -> Result<(Option<String>, Option<String>), ApiError> {
    let emails = match field(body, "emails") {
        None | Some(Value::Null) => return Ok((None, None)),
        Some(Value::Array(emails)) => emails,
        Some(_) => return Err(invalid("invalidValue", "emails must be a list")),
    };
    // The same address twice (a PATCH adding it again, in another case) is one address.
    let mut distinct: Vec<&Value> = Vec::new();
    for entry in emails {
        let address = |e: &Value| {
            field(e, "value")
                .and_then(Value::as_str)
                .map(str::to_lowercase)
        };
        match distinct
            .iter_mut()
            .find(|kept| address(kept) == address(entry))
        {
            // Of the two, the one that says what kind of address it is.
            Some(kept) if field(entry, "type").is_some() => *kept = entry,
            Some(_) => {}
            None => distinct.push(entry),
        }
    }
    let entry = match distinct.as_slice() {
        [] => return Ok((None, None)),
        [entry] => *entry,
        _ => {
            return Err(invalid(
                "invalidValue",
                "Roster keeps one email address per user: send only the primary one",
            ));
        }
    };
    let Some(value) = text(entry, "value")? else {
        return Err(invalid("invalidValue", "emails[].value is required"));
    };
    let email = domain::Email::parse(&value)
        .map_err(|e| invalid("invalidValue", format!("emails[].value: {e}")))?;
    Ok((Some(email.into_inner()), text(entry, "type")?))
}

/// The enterprise extension's manager: `{"value": id}`, or the id alone (Entra ID).
fn read_manager(body: &Value) -> Result<Option<Uuid>, ApiError> {
    let Some(extension) = object(body, ENTERPRISE_USER_SCHEMA)? else {
        return Ok(None);
    };
    let id = match field(extension, "manager") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(id)) => id.clone(),
        Some(manager) if manager.is_object() => match text(manager, "value")? {
            Some(id) => id,
            None => return Ok(None),
        },
        Some(_) => return Err(invalid("invalidValue", "manager must be an object")),
    };
    Uuid::parse_str(id.trim())
        .map(Some)
        .map_err(|_| invalid("invalidValue", "manager.value must be a user's id"))
}

/// A string attribute: absent, null and empty are all absent.
pub(super) fn text(at: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match field(at, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid("invalidValue", format!("{name} must be a string"))),
    }
}

fn object<'v>(at: &'v Value, name: &str) -> Result<Option<&'v Value>, ApiError> {
    match field(at, name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) if value.is_object() => Ok(Some(value)),
        Some(_) => Err(invalid("invalidValue", format!("{name} must be an object"))),
    }
}

/// `true`/`false`, or Entra ID's `"True"`/`"False"`.
fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
