//! `GET /v1/roles`: the role tables, derived from the domain crate's single source of truth.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::problems::Unauthenticated;
use crate::services::guard::Subject;

/// One role: its name, tier (lower = more power), scope and every capability it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleInfo {
    #[schema(example = "teacher")]
    pub name: &'static str,
    pub tier: u8,
    #[schema(example = "group")]
    pub scope: &'static str,
    pub capabilities: Vec<&'static str>,
}

impl RoleInfo {
    fn new(
        name: &'static str,
        tier: u8,
        scope: &'static str,
        capabilities: impl Iterator<Item = domain::Capability>,
    ) -> Self {
        Self {
            name,
            tier,
            scope,
            capabilities: capabilities.map(domain::Capability::as_str).collect(),
        }
    }
}

/// One capability and what it allows.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityInfo {
    #[schema(example = "group.view_members")]
    pub name: &'static str,
    pub description: &'static str,
}

/// Both role tables and the capability list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Roles {
    pub group_roles: Vec<RoleInfo>,
    pub project_roles: Vec<RoleInfo>,
    pub capabilities: Vec<CapabilityInfo>,
}

/// The roles of groups and projects with their tiers and capabilities.
#[utoipa::path(
    tag = "check",
    responses((status = 200, description = "the role tables and the capabilities", body = Roles), Unauthenticated)
)]
#[get("/roles")]
pub async fn get_roles(_subject: Subject) -> web::Json<Roles> {
    let group_roles = domain::GroupRole::ALL
        .into_iter()
        .map(|r| RoleInfo::new(r.as_str(), r.tier(), r.scope(), r.capabilities()))
        .collect();
    let project_roles = domain::ProjectRole::ALL
        .into_iter()
        .map(|r| RoleInfo::new(r.as_str(), r.tier(), r.scope(), r.capabilities()))
        .collect();
    let capabilities = domain::Capability::ALL
        .into_iter()
        .map(|c| CapabilityInfo {
            name: c.as_str(),
            description: c.description(),
        })
        .collect();
    web::Json(Roles {
        group_roles,
        project_roles,
        capabilities,
    })
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_roles);
}
