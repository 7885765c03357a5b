//! Reporting lines: recomputed inside the transaction of every change that can affect them.
//!
//! The rule itself is `domain::repair_reporting_lines`; this module loads a project's members,
//! squads and squad memberships, asks the rule which lines must change, and writes them.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::convert;

/// A project's members as the reporting rule sees them, and the squad tree.
#[derive(Debug)]
pub struct ReportingFacts {
    pub members: Vec<domain::ReportingMember>,
    squad_parents: HashMap<Uuid, Option<Uuid>>,
}

impl ReportingFacts {
    /// The parent of a sub-squad, for the "shares a squad" preference.
    pub fn squad_parent(&self, squad: Uuid) -> Option<Uuid> {
        self.squad_parents.get(&squad).copied().flatten()
    }

    pub fn member(&self, user_id: Uuid) -> Option<&domain::ReportingMember> {
        self.members.iter().find(|m| m.user_id == user_id)
    }
}

/// Loads what the reporting rule needs about `project_id` (three indexed reads).
pub async fn load(db: &impl ConnectionTrait, project_id: Uuid) -> Result<ReportingFacts, DbErr> {
    let rows = entity::project_members::Entity::find()
        .filter(entity::project_members::Column::ProjectId.eq(project_id))
        .all(db)
        .await?;
    let mut squads_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for m in entity::squad_members::Entity::find()
        .filter(entity::squad_members::Column::ProjectId.eq(project_id))
        .all(db)
        .await?
    {
        squads_of.entry(m.user_id).or_default().push(m.squad_id);
    }
    let squad_parents = entity::squads::Entity::find()
        .filter(entity::squads::Column::ProjectId.eq(project_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.parent_id))
        .collect();
    let members = rows
        .into_iter()
        .map(|m| domain::ReportingMember {
            user_id: m.user_id,
            role: convert::project_role(m.role),
            joined_at: m.created_at.timestamp_micros(),
            squads: squads_of.remove(&m.user_id).unwrap_or_default(),
            reports_to: m.reports_to,
            explicit: m.reports_to_explicit,
        })
        .collect();
    Ok(ReportingFacts {
        members,
        squad_parents,
    })
}

/// Brings every line of `project_id` in line with the rule and returns what changed.
pub async fn repair(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Vec<domain::LineChange>, DbErr> {
    let facts = load(db, project_id).await?;
    let changes = domain::repair_reporting_lines(&facts.members, &|s| facts.squad_parent(s));
    let now = chrono::Utc::now();
    for change in &changes {
        entity::project_members::Entity::update_many()
            .col_expr(
                entity::project_members::Column::ReportsTo,
                Expr::value(change.reports_to),
            )
            .col_expr(
                entity::project_members::Column::ReportsToExplicit,
                Expr::value(change.explicit),
            )
            .col_expr(entity::project_members::Column::UpdatedAt, Expr::value(now))
            .filter(entity::project_members::Column::ProjectId.eq(project_id))
            .filter(entity::project_members::Column::UserId.eq(change.user_id))
            .exec(db)
            .await?;
    }
    Ok(changes)
}

/// The repairs as recorded in the audit event of the change that caused them.
pub fn changes_json(changes: &[domain::LineChange]) -> Value {
    Value::Array(
        changes
            .iter()
            .map(|c| json!({ "user_id": c.user_id, "reports_to": c.reports_to, "explicit": c.explicit }))
            .collect(),
    )
}
