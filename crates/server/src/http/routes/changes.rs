//! `GET /v1/changes` (spec §8): the change feed, resumable by revision, with a long poll.

use std::time::Duration;

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::audit::AuditEvent;
use crate::error::ApiError;
use crate::http::extract::{Caller, Query, Reply};
use crate::http::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::http::problems::{Forbidden, Gone, Invalid, NotFound, Unauthenticated};
use crate::services::audit::AuditScope;
use crate::services::changes::feed::{self, FeedQuery, Reader};

/// The longest a reader may ask the server to hold an empty answer.
pub const MAX_WAIT_SECONDS: u64 = 30;

/// One user's effective role at the touched group or project, before and after a change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessDelta {
    pub user_id: Uuid,
    /// `group` or `project`.
    #[serde(rename = "type")]
    #[schema(example = "group")]
    pub node_type: String,
    /// The group or project.
    pub id: Uuid,
    /// The effective role before the change; `null` for none.
    #[schema(required = true, example = "student")]
    pub before: Option<String>,
    /// The effective role after it; `null` for none.
    #[schema(required = true, example = "teacher")]
    pub after: Option<String>,
}

/// An audit event with its revision and the effective-access deltas it caused.
#[derive(Debug, Serialize, ToSchema)]
pub struct Change {
    #[serde(flatten)]
    pub event: AuditEvent,
    /// The change's place in commit order.
    pub revision: i64,
    pub access: Vec<AccessDelta>,
}

impl TryFrom<entity::audit_events::Model> for Change {
    type Error = ApiError;

    fn try_from(event: entity::audit_events::Model) -> Result<Self, ApiError> {
        let revision = event.revision;
        let access = serde_json::from_value(event.access.clone()).map_err(ApiError::internal)?;
        Ok(Self {
            event: event.into(),
            revision,
            access,
        })
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    /// Changes after `after`, oldest first.
    pub items: Vec<Change>,
    /// The `after` of the next read: nothing visible lies between the last item and it.
    pub next_after: i64,
    /// The newest committed revision when the page was read.
    pub revision: i64,
}

/// `?after=&limit=&wait=` and the filters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Changes after this revision (default 0: from the beginning).
    #[validate(range(min = 0))]
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Changes per page, 1–500 (default 50).
    #[validate(range(min = 1, max = 500))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// Seconds to hold an empty answer until a change arrives, 0–30 (default 0).
    #[validate(range(min = 0, max = 30))]
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<u64>,
    /// Only changes of this kind of resource, e.g. `group_member`.
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub resource_type: Option<String>,
    /// Only changes in this group's subtree (group.manage there).
    pub group_id: Option<Uuid>,
    /// Only changes in this project (project.manage_settings there).
    pub project_id: Option<Uuid>,
}

impl ChangesQuery {
    /// The feed's scope (also how the console reads its filters).
    pub(crate) fn scope(&self) -> Result<AuditScope, ApiError> {
        AuditScope::of(self.group_id, self.project_id, "a change feed")
    }
}

/// The changes after a revision that the caller may read, oldest first.
#[utoipa::path(
    tag = "changes",
    params(ChangesQuery),
    responses(
        (status = 200, description = "changes after `after`, oldest first", body = ChangePage),
        Invalid, Unauthenticated, Forbidden, NotFound, Gone
    )
)]
#[get("/changes")]
pub async fn list_changes(caller: Caller, query: Query<ChangesQuery>) -> Reply<ChangePage> {
    let query = query.into_inner();
    let feed_query = FeedQuery {
        scope: query.scope()?,
        resource_type: query.resource_type.clone(),
        after: query.after.unwrap_or(0),
        limit: query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
    };
    let wait = Duration::from_secs(query.wait.unwrap_or(0).min(MAX_WAIT_SECONDS));
    let reader = Reader::Caller(caller.subject);
    let page = feed::read(caller.db(), caller.clock(), reader, &feed_query, wait).await?;
    Ok(web::Json(ChangePage {
        items: page
            .items
            .into_iter()
            .map(Change::try_from)
            .collect::<Result<_, _>>()?,
        next_after: page.next_after,
        revision: page.revision,
    }))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_changes);
}
