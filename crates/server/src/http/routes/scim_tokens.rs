//! `/v1/scim-tokens` (spec §11): the bearer tokens identity providers provision through, made
//! and revoked by a system admin; a token is shown once, when made.

use actix_web::{HttpResponse, delete, get, http::header, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::ApiError;
use crate::http::extract::{Answer, Caller, Json, Query, Reply, name_field};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::services::scim_tokens;

/// A SCIM token, without the token itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScimToken {
    pub id: Uuid,
    /// Who uses it, e.g. `okta`.
    pub name: String,
    /// The system admin who made it; null when made on the command line (or since deleted).
    #[schema(required = true)]
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::scim_tokens::Model> for ScimToken {
    fn from(t: entity::scim_tokens::Model) -> Self {
        Self {
            id: t.id,
            name: t.name,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A new SCIM token with the token itself: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScimTokenWithSecret {
    #[serde(flatten)]
    pub scim_token: ScimToken,
    /// `roster_scim_` and 43 characters: the identity provider's bearer token for `/scim/v2`.
    pub token: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScimToken {
    /// Who will use it, e.g. `okta`.
    #[schema(value_type = crate::http::schemas::NameText)]
    pub name: String,
}

/// Make a SCIM token (system admins); the answer holds it, shown this once.
#[utoipa::path(
    tag = "scim",
    request_body = CreateScimToken,
    responses(
        (status = 201, description = "the new token", body = ScimTokenWithSecret, headers(("Location" = String, description = "the token's URL"))),
        Invalid, Unauthenticated, Forbidden, BodyRejected,
    )
)]
#[post("/scim-tokens")]
pub async fn create_scim_token(caller: Caller, body: Json<CreateScimToken>) -> Answer {
    let mut errors = Vec::new();
    let name = name_field("name", &body.into_inner().name, &mut errors)
        .ok_or(ApiError::Validation(errors))?;
    let made = scim_tokens::create(caller.db(), caller.subject, &name).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/scim-tokens/{}", made.row.id)))
        .json(ScimTokenWithSecret {
            scim_token: made.row.into(),
            token: made.token,
        }))
}

/// Every SCIM token, in id order (system admins).
#[utoipa::path(
    tag = "scim",
    params(PageParams),
    responses((status = 200, description = "a page of tokens", body = Page<ScimToken>), Invalid, Unauthenticated, Forbidden)
)]
#[get("/scim-tokens")]
pub async fn list_scim_tokens(caller: Caller, page: Query<PageParams>) -> Reply<Page<ScimToken>> {
    let page = page.into_inner().parse()?;
    let rows = scim_tokens::list(caller.db(), caller.subject, &page.by_id()?).await?;
    Ok(web::Json(page.page(rows, |t| t.id).map(ScimToken::from)))
}

/// One SCIM token (system admins).
#[utoipa::path(
    tag = "scim",
    params(("id" = Uuid, Path, description = "the token's id")),
    responses((status = 200, description = "the token", body = ScimToken), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[get("/scim-tokens/{id}")]
pub async fn get_scim_token(caller: Caller, id: web::Path<Uuid>) -> Reply<ScimToken> {
    let row = scim_tokens::get(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(web::Json(row.into()))
}

/// Revoke a SCIM token: it is deleted, and refused from now on.
#[utoipa::path(
    tag = "scim",
    params(("id" = Uuid, Path, description = "the token's id")),
    responses((status = 204, description = "revoked"), Invalid, Unauthenticated, Forbidden, NotFound)
)]
#[delete("/scim-tokens/{id}")]
pub async fn revoke_scim_token(caller: Caller, id: web::Path<Uuid>) -> Answer {
    scim_tokens::revoke(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_scim_token)
        .service(list_scim_tokens)
        .service(get_scim_token)
        .service(revoke_scim_token);
}
