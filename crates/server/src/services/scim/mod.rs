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

use uuid::Uuid;

use super::audit::AuditRecord;
use crate::error::ApiError;

/// How a resource is to change: all of it (PUT), or by PATCH operations.
#[derive(Debug, Clone)]
pub enum Change<F> {
    Replace(F),
    Patch(Vec<scim::patch::Operation>),
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
