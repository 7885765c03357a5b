//! The audit trail: `/v1/audit` (system admins), and per group subtree and per project.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::http::extract::{Caller, Query, Reply};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{Forbidden, Invalid, NotFound, Unauthenticated};
use crate::services::audit::{self, AuditFilter, AuditScope};

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The user who made the change; `null` for the command line.
    #[schema(required = true)]
    pub actor_id: Option<Uuid>,
    /// `resource.verb`, e.g. `group_member.update`.
    #[schema(example = "project_member.update")]
    pub action: String,
    #[schema(example = "project_member")]
    pub resource_type: String,
    #[schema(required = true)]
    pub resource_id: Option<Uuid>,
    /// `before` and `after`, and whatever else the change recorded (counts, reporting-line
    /// repairs).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<entity::audit_events::Model> for AuditEvent {
    fn from(e: entity::audit_events::Model) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_id: e.actor_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            details: e.details,
        }
    }
}

/// Filters of every audit listing.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events about this kind of resource, e.g. `group_member`.
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub resource_type: Option<String>,
    /// Only events about this resource.
    pub resource_id: Option<Uuid>,
    /// Only events by this user.
    pub actor_id: Option<Uuid>,
    /// Only events at or after this time (RFC 3339, years 0000–9999 once in UTC).
    #[validate(custom(function = "stored_range"))]
    pub since: Option<DateTime<Utc>>,
}

/// A `since` outside the years both databases compare alike is refused rather than answered
/// differently by each (SQLite compares stored times as text): see `audit::SINCE_YEARS`.
fn stored_range(since: &DateTime<Utc>) -> Result<(), validator::ValidationError> {
    if audit::comparable_since(since) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("range")
            .with_message("must fall in the years 0000 to 9999 (in UTC)".into()))
    }
}

impl From<AuditQuery> for AuditFilter {
    fn from(q: AuditQuery) -> Self {
        Self {
            resource_type: q.resource_type,
            resource_id: q.resource_id,
            actor_id: q.actor_id,
            since: q.since,
        }
    }
}

/// Every audit event (system admins), oldest first.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery, PageParams),
    responses((status = 200, description = "a page of audit events, oldest first", body = Page<AuditEvent>), Invalid, Unauthenticated, Forbidden)
)]
#[get("/audit")]
pub async fn list_audit(
    caller: Caller,
    filter: Query<AuditQuery>,
    page: Query<PageParams>,
) -> Reply<Page<AuditEvent>> {
    list_in(caller, AuditScope::All, filter, page).await
}

/// The events of a group's subtree (group.manage), oldest first.
#[utoipa::path(
    tag = "audit",
    params(("id" = Uuid, Path, description = "the group's id"), AuditQuery, PageParams),
    responses((status = 200, description = "a page of audit events, oldest first", body = Page<AuditEvent>), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/groups/{id}/audit")]
pub async fn list_group_audit(
    caller: Caller,
    id: web::Path<Uuid>,
    filter: Query<AuditQuery>,
    page: Query<PageParams>,
) -> Reply<Page<AuditEvent>> {
    let scope = AuditScope::Group(id.into_inner());
    list_in(caller, scope, filter, page).await
}

/// The events of a project (project.manage_settings), oldest first.
#[utoipa::path(
    tag = "audit",
    params(("id" = Uuid, Path, description = "the project's id"), AuditQuery, PageParams),
    responses((status = 200, description = "a page of audit events, oldest first", body = Page<AuditEvent>), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/projects/{id}/audit")]
pub async fn list_project_audit(
    caller: Caller,
    id: web::Path<Uuid>,
    filter: Query<AuditQuery>,
    page: Query<PageParams>,
) -> Reply<Page<AuditEvent>> {
    let scope = AuditScope::Project(id.into_inner());
    list_in(caller, scope, filter, page).await
}

/// The body shared by the three listings: they differ only in their scope.
async fn list_in(
    caller: Caller,
    scope: AuditScope,
    filter: Query<AuditQuery>,
    page: Query<PageParams>,
) -> Reply<Page<AuditEvent>> {
    let page = page.into_inner().parse()?;
    let filter = filter.into_inner().into();
    let rows = audit::list(caller.db(), caller.subject, scope, &filter, &page.by_id()?).await?;
    Ok(web::Json(page.page(rows, |e| e.id).map(AuditEvent::from)))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit)
        .service(list_group_audit)
        .service(list_project_audit);
}
