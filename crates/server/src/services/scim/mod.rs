//! SCIM provisioning (spec §11) as services: what `/scim/v2` does, without HTTP. A provisioning
//! client acts through a SCIM token ([`super::scim_tokens`]) and may manage every user; each of
//! its writes is one transaction with one audit event whose actor is the token (`via: scim`).

pub mod group_json;
pub mod groups;
pub mod listing;
pub mod schemas;
pub mod unstored;
pub mod user_json;
pub mod users;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::AuditRecord;
use crate::error::ApiError;

/// How a resource is to change: all of it (PUT), or by PATCH operations.
#[derive(Debug, Clone)]
pub enum Change<F> {
    Replace(F),
    Patch(Vec<scim::patch::Operation>),
}

/// A resource's version (`meta.version`, the ETag), from when it last changed: writes store
/// that instant in microseconds, so it reads back as it was answered.
pub fn version(updated_at: DateTime<Utc>) -> String {
    format!("W/\"{:x}\"", updated_at.timestamp_micros())
}

/// A resource's `meta` (RFC 7643 §3.1): its type, when it was made and last changed, where it
/// is served (`location`) and its version.
pub fn meta(
    resource_type: &str,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    location: String,
) -> Value {
    let timestamp = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Micros, true);
    json!({
        "resourceType": resource_type,
        "created": timestamp(created),
        "lastModified": timestamp(updated),
        "location": location,
        "version": version(updated),
    })
}

/// Refuses a body that is not an object listing `schema` in its `schemas` (`invalidSyntax`).
pub fn require_schema(body: &Value, schema: &str) -> Result<(), ApiError> {
    if !body.is_object() {
        return Err(invalid("invalidSyntax", "the body must be a JSON object"));
    }
    let listed = scim::field(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema)))
        });
    if listed {
        Ok(())
    } else {
        Err(invalid(
            "invalidSyntax",
            format!("schemas must list {schema}"),
        ))
    }
}

/// A SCIM refusal: 400 with RFC 7644's `scimType`.
pub fn invalid(scim_type: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::ScimInvalid {
        scim_type,
        detail: detail.into(),
    }
}

/// The provisioning client behind a request: the SCIM token it presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provisioner {
    pub token_id: Uuid,
}

impl Provisioner {
    /// An audit record of this client's change: the token as actor, `via: scim`.
    pub fn audit(
        self,
        action: &'static str,
        resource_type: &'static str,
        resource_id: Uuid,
    ) -> AuditRecord {
        let mut record = AuditRecord::new(Some(self.token_id), action, resource_type, resource_id);
        record.details["via"] = serde_json::json!("scim");
        record
    }
}

/// Whether `if_match` (an `If-Match` header's value, if any) lets a write go ahead on a resource
/// whose version is `current`: absent or `*` always do; otherwise one of its listed versions must
/// be `current`, compared weakly (RFC 9110 §13.1.1: `W/` ignored).
pub fn check_if_match(if_match: Option<&str>, current: &str) -> Result<(), ApiError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let matches = header
        .split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == opaque(current));
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}
