//! `POST /v1/check` and `/v1/check/batch`: permission checks for other backends.

use std::str::FromStr;

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError, Problem};
use crate::http::consistency::ConsistencyChoice;
use crate::http::extract::{Caller, Json, Reply};
use crate::http::problems::{BodyRejected, Unauthenticated};
use crate::services::check::{self, Answer, Check, Resource};

/// The most checks one batch may carry.
pub const MAX_BATCH: usize = 100;

/// What a check is about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceRef {
    /// `system`, `group`, `project` or `squad`.
    #[serde(rename = "type")]
    #[schema(value_type = crate::http::schemas::ResourceKindName)]
    pub kind: String,
    /// Required for groups, projects and squads; absent for `system`.
    pub id: Option<Uuid>,
}

/// Body of `POST /v1/check`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Whose access to check; the caller's own when omitted (only system admins check others).
    pub user_id: Option<Uuid>,
    /// A capability name, e.g. `group.manage_members`; see `GET /v1/roles`.
    #[schema(value_type = crate::http::schemas::CapabilityName)]
    pub capability: String,
    pub resource: ResourceRef,
    pub consistency: Option<ConsistencyChoice>,
}

/// One check of a batch (the batch's `consistency` covers them all).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchCheck {
    /// Whose access to check; the caller's own when omitted (only system admins check others).
    pub user_id: Option<Uuid>,
    /// A capability name, e.g. `group.manage_members`; see `GET /v1/roles`.
    #[schema(value_type = crate::http::schemas::CapabilityName)]
    pub capability: String,
    pub resource: ResourceRef,
}

/// Body of `POST /v1/check/batch`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1–100 checks, answered in the same order, all at one freshness.
    #[schema(min_items = 1, max_items = 100)]
    pub checks: Vec<BatchCheck>,
    pub consistency: Option<ConsistencyChoice>,
}

/// The membership that grants a capability.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantedBy {
    /// Where the membership lives: `system`, `group` or `project`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The group or project holding the membership (for `system`: the group holding the
    /// system_admin membership).
    pub id: Uuid,
    /// The role held in that membership.
    pub role: &'static str,
}

impl From<domain::GrantedBy> for GrantedBy {
    fn from(by: domain::GrantedBy) -> Self {
        Self {
            kind: by.source.kind(),
            id: by.source.id(),
            role: by.role.as_str(),
        }
    }
}

/// The answer to one check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    pub allowed: bool,
    /// The subject's effective role at the resource, or `null` when they have none.
    #[schema(required = true)]
    pub role: Option<&'static str>,
    /// The membership that grants the capability; `null` when denied.
    #[schema(required = true)]
    pub granted_by: Option<GrantedBy>,
    /// One line for people, e.g. "group_admin of 'Science' (ancestor of 'Class 7B')".
    pub reason: String,
}

impl From<Answer> for CheckAnswer {
    fn from(answer: Answer) -> Self {
        Self {
            allowed: answer.allowed,
            role: answer.role.map(|r| r.as_str()),
            granted_by: answer.granted_by.map(GrantedBy::from),
            reason: answer.reason,
        }
    }
}

/// The answers of a batch, in the order of its checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    pub results: Vec<CheckAnswer>,
}

/// Validates a check's names and pairings; fields are prefixed (e.g. `checks[3].`) inside a
/// batch.
pub(crate) fn parse_check(
    user_id: Option<Uuid>,
    capability: &str,
    resource: &ResourceRef,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Check> {
    let (capability, resource) = parse_target(capability, resource, prefix, errors)?;
    Some(Check {
        user_id,
        capability,
        resource,
    })
}

/// A capability and a resource it applies to, read from a body's `capability` and `resource`
/// fields (prefixed by `prefix`); each mistake is pushed to `errors`, naming its field.
pub fn parse_target(
    capability: &str,
    resource: &ResourceRef,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(domain::Capability, Resource)> {
    let field = |name: &str| format!("{prefix}{name}");
    let capability = parse_capability(capability, &field("capability"), errors);
    let target = match (resource.kind.as_str(), resource.id) {
        ("system", None) => Some(Resource::System),
        ("system", Some(_)) => {
            errors.push(FieldError::new(
                field("resource.id"),
                "must be absent for the system",
            ));
            None
        }
        ("group" | "project" | "squad", None) => {
            errors.push(FieldError::new(
                field("resource.id"),
                format!("is required for a {}", resource.kind),
            ));
            None
        }
        ("group", Some(id)) => Some(Resource::Group(id)),
        ("project", Some(id)) => Some(Resource::Project(id)),
        ("squad", Some(id)) => Some(Resource::Squad(id)),
        _ => {
            errors.push(FieldError::new(
                field("resource.type"),
                "must be one of system, group, project, squad",
            ));
            None
        }
    };
    let (capability, target) = (capability?, target?);
    applies_to(capability, target.kind(), &field("capability"), errors)?;
    Some((capability, target))
}

/// The capability named `raw`; an unknown name is pushed to `errors` as `field`.
pub fn parse_capability(
    raw: &str,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<domain::Capability> {
    domain::Capability::from_str(raw)
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                "is not a capability; see GET /v1/roles",
            ))
        })
        .ok()
}

/// `Some` when `capability` applies to resources of `kind`; otherwise the pairing §4 forbids is
/// pushed to `errors` as `field`.
pub fn applies_to(
    capability: domain::Capability,
    kind: domain::ResourceKind,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<()> {
    if capability.applies_to(kind) {
        return Some(());
    }
    errors.push(FieldError::new(
        field,
        format!(
            "{capability} applies to {}, not to a {kind}",
            capability.kind().resources()
        ),
    ));
    None
}

/// Check one capability for the caller (or, for a system admin, any user).
#[utoipa::path(
    tag = "check",
    request_body = CheckRequest,
    responses(
        (status = 200, description = "the answer", body = CheckAnswer),
        (status = 400, description = "unknown capability or resource type, a capability that does not apply to the resource, or a `consistency` revision that has not committed", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "only system admins check other users", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/check")]
pub async fn post_check(caller: Caller, body: Json<CheckRequest>) -> Reply<CheckAnswer> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    let parsed = parse_check(
        body.user_id,
        &body.capability,
        &body.resource,
        "",
        &mut errors,
    );
    let check = parsed.ok_or(ApiError::Validation(errors))?;
    let (facts, subject) = caller.deciding(body.consistency.as_ref()).await?;
    let answer = check::answer_for(&facts, subject, &check).await?;
    Ok(web::Json(answer.into()))
}

/// Check up to 100 capabilities at once; answers come in the order asked.
#[utoipa::path(
    tag = "check",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "the answers, in the order asked", body = BatchAnswer),
        (status = 400, description = "an empty or oversized batch, or a bad check (named `checks[i].field`)", body = Problem, content_type = "application/problem+json"),
        Unauthenticated,
        (status = 403, description = "only system admins check other users", body = Problem, content_type = "application/problem+json"),
        BodyRejected,
    )
)]
#[post("/check/batch")]
pub async fn post_check_batch(caller: Caller, body: Json<BatchRequest>) -> Reply<BatchAnswer> {
    let body = body.into_inner();
    if body.checks.is_empty() || body.checks.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "checks",
            format!("must hold between 1 and {MAX_BATCH} checks"),
        ));
    }
    let mut errors = Vec::new();
    let checks: Vec<Option<Check>> = body
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let prefix = format!("checks[{i}].");
            parse_check(c.user_id, &c.capability, &c.resource, &prefix, &mut errors)
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (facts, subject) = caller.deciding(body.consistency.as_ref()).await?;
    let mut results = Vec::with_capacity(checks.len());
    for (i, check) in checks.iter().flatten().enumerate() {
        let answer = check::answer_for(&facts, subject, check)
            .await
            .map_err(|e| e.within(&format!("checks[{i}]")))?;
        results.push(answer.into());
    }
    Ok(web::Json(BatchAnswer { results }))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(post_check).service(post_check_batch);
}
