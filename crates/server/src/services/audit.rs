//! Audit events: one row per state-changing request, written in that request's transaction.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use serde_json::Value;
use uuid::Uuid;

use super::access;
use super::guard::Subject;
use super::window::Window;
use crate::error::ApiError;
use domain::Capability;

/// What a state change records about itself; [`super::write::write`] stores it.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// The acting user; `None` for the command line (e.g. `roster bootstrap`).
    pub actor_id: Option<Uuid>,
    /// `resource.verb`, e.g. `user.create`, `group_member.update`.
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<Uuid>,
    /// The group the change happened in, for `/v1/groups/{id}/audit`.
    pub group_id: Option<Uuid>,
    /// The project the change happened in, for `/v1/projects/{id}/audit`.
    pub project_id: Option<Uuid>,
    /// `{"before": …, "after": …}` and anything else worth keeping (counts, repairs).
    pub details: Value,
    /// Whose effective access the change altered (spec §8), from [`super::changes::Watch`].
    pub access: Vec<Value>,
}

impl AuditRecord {
    /// A record with the essentials; scope and details are added with the builder methods.
    pub fn new(
        actor_id: Option<Uuid>,
        action: &'static str,
        resource_type: &'static str,
        resource_id: Uuid,
    ) -> Self {
        Self {
            actor_id,
            action,
            resource_type,
            resource_id: Some(resource_id),
            group_id: None,
            project_id: None,
            details: Value::Object(Default::default()),
            access: Vec::new(),
        }
    }

    /// Adds effective-access deltas (a change touching several nodes adds each one's).
    pub fn with_access(mut self, deltas: Vec<Value>) -> Self {
        self.access.extend(deltas);
        self
    }

    pub fn in_group(mut self, group_id: Uuid) -> Self {
        self.group_id = Some(group_id);
        self
    }

    pub fn in_project(mut self, project_id: Uuid) -> Self {
        self.project_id = Some(project_id);
        self
    }

    /// Records the reporting lines the change repaired (spec §3: every membership, role or
    /// squad change repairs its project's lines in the same transaction).
    pub fn with_line_repairs(mut self, changes: &[domain::LineChange]) -> Self {
        self.details["reporting_line_repairs"] = super::reporting::changes_json(changes);
        self
    }

    /// Records the state before and after the change (`null` for creation or deletion).
    pub fn change(mut self, before: Value, after: Value) -> Self {
        self.details["before"] = before;
        self.details["after"] = after;
        self
    }
}

/// The event `record` becomes as the change numbered `revision`.
pub(crate) fn event(record: AuditRecord, revision: i64) -> entity::audit_events::Model {
    let now = chrono::Utc::now();
    entity::audit_events::Model {
        id: Uuid::now_v7(),
        occurred_at: now,
        created_at: now,
        actor_id: record.actor_id,
        action: record.action.to_owned(),
        resource_type: record.resource_type.to_owned(),
        resource_id: record.resource_id,
        group_id: record.group_id,
        project_id: record.project_id,
        details: record.details,
        revision,
        access: Value::Array(record.access),
    }
}

/// Filters of the audit listings.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// The years (in UTC) a `since` bound may fall in: those both backends store and compare alike.
/// SQLite keeps timestamps as RFC 3339 text, whose order is the time order only for four-digit
/// years; chrono writes year 10000 as `+10000-…` and 1 BC as `-0001-…`, which sort before
/// every stored event, while PostgreSQL compares them as the times they are.
pub const SINCE_YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// Whether `since` can be compared with stored times the same way on both backends.
pub fn comparable_since(since: &chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::Datelike;
    SINCE_YEARS.contains(&since.year())
}

/// Where the listed events happened, and so who may read them.
#[derive(Debug, Clone, Copy)]
pub enum AuditScope {
    /// Everything (system.manage).
    All,
    /// Events recorded in a group of this group's subtree (group.manage), as the subtree stands
    /// now: events of groups deleted since are listed only in the global audit.
    Group(Uuid),
    /// Events recorded in one project (project.manage_settings).
    Project(Uuid),
}

impl AuditScope {
    /// The scope `group_id` and `project_id` name (neither: everything); both at once are
    /// refused, naming `project_id` — `what` (e.g. "a change feed") has one scope.
    pub fn of(group: Option<Uuid>, project: Option<Uuid>, what: &str) -> Result<Self, ApiError> {
        match (group, project) {
            (None, None) => Ok(Self::All),
            (Some(group), None) => Ok(Self::Group(group)),
            (None, Some(project)) => Ok(Self::Project(project)),
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "project_id",
                format!("cannot be combined with group_id; {what} has one scope"),
            )),
        }
    }
}

/// The events of `scope` that match `filter`, oldest first (ids are time-ordered), in `window`.
pub async fn list(
    db: &impl ConnectionTrait,
    subject: Subject,
    scope: AuditScope,
    filter: &AuditFilter,
    window: &Window<Uuid>,
) -> Result<Vec<entity::audit_events::Model>, ApiError> {
    use entity::audit_events::Column;
    let mut query = visible_events(db, subject, scope).await?;
    if let Some(kind) = &filter.resource_type {
        query = query.filter(Column::ResourceType.eq(kind.as_str()));
    }
    if let Some(id) = filter.resource_id {
        query = query.filter(Column::ResourceId.eq(id));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(Column::ActorId.eq(actor));
    }
    if let Some(since) = filter.since {
        // On SQLite `occurred_at` is TEXT (`2026-12-02T00:33:43.553464597+00:00`: RFC 3339 in
        // UTC, 0, 3, 6 or 9 fraction digits) and the bound is encoded the same way, so this is
        // a text comparison. That equals the time order only while both have four-digit years;
        // the route refuses any other `since` (see `comparable_since`), so both backends agree.
        query = query.filter(Column::OccurredAt.gte(since));
    }
    Ok(window.read(db, query, Column::Id).await?)
}

/// The events of `scope`, once the subject may read them: the audit routes and the change feed
/// share this visibility rule (spec §8).
pub async fn visible_events(
    db: &impl ConnectionTrait,
    subject: Subject,
    scope: AuditScope,
) -> Result<sea_orm::Select<entity::audit_events::Entity>, ApiError> {
    use entity::audit_events::Column;
    let query = entity::audit_events::Entity::find();
    Ok(match scope {
        AuditScope::All => {
            access::authorize_system(subject, Capability::SystemManage)
                .map_err(|e| e.attempting("reading the whole audit trail"))?;
            query
        }
        AuditScope::Group(id) => {
            let group = access::authorize_group(db, subject, id, Capability::GroupManage).await?;
            let groups = entity::groups::Entity::find()
                .select_only()
                .column(entity::groups::Column::Id)
                .filter(crate::sql::tree::subtree(
                    db.get_database_backend(),
                    &group.path,
                    true,
                ))
                .into_query();
            query.filter(Column::GroupId.in_subquery(groups))
        }
        AuditScope::Project(id) => {
            access::authorize_project(db, subject, id, Capability::ProjectManageSettings).await?;
            query.filter(Column::ProjectId.eq(id))
        }
    })
}
