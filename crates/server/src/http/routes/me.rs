//! `GET /v1/me`: the caller, whether they are a system admin, and their direct memberships.

use actix_web::{get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::problems::Unauthenticated;
use crate::http::repr;
use crate::services::users;
use crate::state::AppState;

/// The caller and their direct group and project memberships.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "the caller and their direct memberships", body = repr::Me), Unauthenticated,
    )
)]
#[get("/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<repr::Me>, ApiError> {
    let memberships = users::memberships_of(&state.db, principal.id()).await?;
    let mut sources = crate::services::sources::group_source_names(
        &state.db,
        memberships.groups.iter().map(|m| m.id),
    )
    .await?;
    Ok(web::Json(repr::Me {
        system_admin: principal.is_system_admin(),
        user: principal.user.into(),
        group_memberships: memberships
            .groups
            .into_iter()
            .map(|m| {
                let shown = sources.remove(&m.id).unwrap_or_default();
                repr::GroupMember::new(m, shown)
            })
            .collect(),
        project_memberships: memberships.projects.into_iter().map(Into::into).collect(),
    }))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me);
}
