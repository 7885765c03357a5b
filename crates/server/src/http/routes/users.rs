//! `/v1/users`: creating and reading users.

use actix_web::{HttpResponse, get, http::header, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Principal;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::extract::Json;
use crate::http::repr;
use crate::services::users::{self, NewUser};
use crate::state::AppState;

/// Body of `POST /v1/users`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique, compared case-insensitively, stored lower-case.
    #[schema(format = "email", max_length = 254, example = "ada@example.org")]
    pub email: String,
    /// 1–200 characters after trimming.
    #[schema(min_length = 1, max_length = 200, example = "Ada Lovelace")]
    pub display_name: String,
}

impl CreateUser {
    fn parse(self) -> Result<NewUser, ApiError> {
        let email = domain::Email::parse(&self.email);
        let display_name = domain::Name::parse(&self.display_name);
        match (email, display_name) {
            (Ok(email), Ok(display_name)) => Ok(NewUser {
                email,
                display_name,
            }),
            (email, name) => {
                let mut errors = Vec::new();
                if let Err(e) = email {
                    errors.push(FieldError::new("email", e.to_string()));
                }
                if let Err(e) = name {
                    errors.push(FieldError::new("display_name", e.to_string()));
                }
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// Create a user (system admins and group admins).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, body = repr::User, headers(("Location" = String, description = "the new user's URL"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().parse()?;
    let user = users::create(&state.db, &principal, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/users/{}", user.id)))
        .json(repr::User::from(user)))
}

/// Read a user the caller may see (else 404).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "the user's id")),
    responses(
        (status = 200, body = repr::User),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<web::Json<repr::User>, ApiError> {
    let user = users::find_visible(&state.db, &principal, id.into_inner()).await?;
    Ok(web::Json(user.into()))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_user).service(get_user);
}
