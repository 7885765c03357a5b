//! Benchmark-only endpoints (`--features bench`): the ceilings `POST /v1/check` is measured
//! against. They sit behind the same `/v1` authentication and use the same pool, so the only
//! difference from a check is the work of the decision itself. Never in the default binary.

use actix_web::{get, web};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::problems::{NotFound, Unauthenticated};
use crate::services::guard::Subject;
use crate::state::AppState;

/// The answer of `GET /v1/bench/select1`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Select1 {
    pub value: i32,
}

/// The answer of `GET /v1/bench/user/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRow {
    pub id: Uuid,
    pub email: Option<String>,
}

/// `SELECT 1` on the request pool, as a prepared statement like every other query.
#[utoipa::path(
    tag = "bench",
    responses(
        (status = 200, body = Select1), Unauthenticated,
    )
)]
#[get("/bench/select1")]
pub async fn get_select1(
    state: web::Data<AppState>,
    _subject: Subject,
) -> Result<web::Json<Select1>, ApiError> {
    let statement = Statement::from_string(state.db.get_database_backend(), "SELECT 1 AS value");
    let row = state
        .db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("SELECT 1 returned no row")))?;
    let value: i32 = row.try_get("", "value")?;
    Ok(web::Json(Select1 { value }))
}

/// One user row by primary key.
#[utoipa::path(
    tag = "bench",
    params(("id" = Uuid, Path, description = "a user id")),
    responses(
        (status = 200, body = UserRow), Unauthenticated, NotFound,
    )
)]
#[get("/bench/user/{id}")]
pub async fn get_user_row(
    state: web::Data<AppState>,
    _subject: Subject,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserRow>, ApiError> {
    let user = entity::users::Entity::find_by_id(id.into_inner())
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(web::Json(UserRow {
        id: user.id,
        email: user.email,
    }))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_select1).service(get_user_row);
}
