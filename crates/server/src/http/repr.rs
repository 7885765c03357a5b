//! The JSON representations clients see. Entity models are never serialized directly: the
//! field names here are the API contract (spec §4), independent of the storage layout.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::convert;
use crate::services::Upserted;

/// The answer to an upsert: 201 with the row (and `Location`, when the row has its own URL)
/// when it was created, 200 otherwise.
pub fn upserted_response<T, R: Serialize>(
    upserted: Upserted<T>,
    location: Option<String>,
    represent: impl FnOnce(T) -> R,
) -> actix_web::HttpResponse {
    use actix_web::HttpResponse;
    let created = upserted.created();
    let body = represent(upserted.into_inner());
    match (created, location) {
        (true, Some(url)) => HttpResponse::Created()
            .insert_header((actix_web::http::header::LOCATION, url))
            .json(body),
        (true, None) => HttpResponse::Created().json(body),
        (false, _) => HttpResponse::Ok().json(body),
    }
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    /// Stored and compared lower-case; null for a user an identity provider made without one.
    pub email: Option<String>,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::users::Model> for User {
    fn from(m: entity::users::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            display_name: m.display_name,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A user's direct membership in a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupMember {
    pub user_id: Uuid,
    pub group_id: Uuid,
    /// `system_admin`, `group_admin`, `teacher` or `student`.
    #[schema(value_type = crate::http::schemas::GroupRoleName)]
    pub role: String,
    /// Where the membership comes from: `manual` (given through this API) and
    /// `idp_group:<id>` for each identity-provider group whose binding grants it; `role` is the
    /// strongest of theirs.
    pub sources: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl GroupMember {
    /// `m` shown with its `sources` (`services::sources::group_source_names`).
    pub fn new(m: entity::group_members::Model, sources: Vec<String>) -> Self {
        Self {
            user_id: m.user_id,
            group_id: m.group_id,
            role: convert::group_role(m.role).as_str().to_owned(),
            sources,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A user's membership in a project, with their reporting line.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectMember {
    pub user_id: Uuid,
    pub project_id: Uuid,
    /// `admin`, `pm`, `squad_lead` or `member`.
    #[schema(value_type = crate::http::schemas::ProjectRoleName)]
    pub role: String,
    /// 0 (admin) to 3 (member): lower is more power.
    pub tier: u8,
    /// The member this one reports to, or `null`.
    #[schema(required = true)]
    pub reports_to: Option<Uuid>,
    /// Whether `reports_to` was chosen explicitly rather than computed.
    pub reports_to_explicit: bool,
    /// Where the membership comes from: `manual` and `idp_group:<id>` (see group memberships).
    pub sources: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::project_members::Model> for ProjectMember {
    fn from(m: entity::project_members::Model) -> Self {
        let role = convert::project_role(m.role);
        Self {
            user_id: m.user_id,
            project_id: m.project_id,
            role: role.as_str().to_owned(),
            tier: role.tier(),
            reports_to: m.reports_to,
            reports_to_explicit: m.reports_to_explicit,
            sources: crate::services::sources::names(
                m.manual_role.is_some(),
                m.idp_sources.as_deref(),
            ),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The caller: who they are and where they belong directly.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    /// Whether the caller is a system admin (allowed everything, everywhere).
    pub system_admin: bool,
    pub group_memberships: Vec<GroupMember>,
    pub project_memberships: Vec<ProjectMember>,
}

/// One entry of a group's member listing: a [`GroupMember`], and in `?inherited=true` listings
/// where the shown role comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedGroupMember {
    pub user_id: Uuid,
    /// The listed group (also for a role inherited from an ancestor).
    pub group_id: Uuid,
    /// The user's role here: in inherited listings, their strongest on the group's path.
    #[schema(value_type = crate::http::schemas::GroupRoleName)]
    pub role: String,
    /// The sources of the membership that gives the shown role (see [`GroupMember`]).
    pub sources: Vec<String>,
    /// When the membership that gives the shown role was created.
    pub created_at: DateTime<Utc>,
    /// When the membership that gives the shown role last changed.
    pub updated_at: DateTime<Utc>,
    /// The ancestor group whose membership gives the shown role. Only in `?inherited=true`
    /// listings, and absent there too when the user's own membership in the group wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<Uuid>,
}

impl ListedGroupMember {
    /// The entry for `membership` listed in `group_id`, inherited from `inherited_from`.
    pub fn new(
        membership: entity::group_members::Model,
        sources: Vec<String>,
        group_id: Uuid,
        inherited_from: Option<Uuid>,
    ) -> Self {
        Self {
            user_id: membership.user_id,
            group_id,
            role: convert::group_role(membership.role).as_str().to_owned(),
            sources,
            created_at: membership.created_at,
            updated_at: membership.updated_at,
            inherited_from,
        }
    }
}
