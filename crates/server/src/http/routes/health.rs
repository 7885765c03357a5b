//! Operations: `/healthz` (the process answers), `/readyz` (and can reach its database),
//! `/metrics` (Prometheus).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers 200.
    pub status: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, description = "the process is running", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers within the acquire timeout.
#[utoipa::path(tag = "operations", security(()), responses(
    (status = 200, description = "the database answers", body = Health),
    (status = 503, description = "the database is unreachable", body = Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if db::ping(&state.db, state.settings.db_acquire_timeout).await {
        Ok(HttpResponse::Ok().json(Health { status: "ok" }))
    } else {
        Err(ApiError::ServiceUnavailable)
    }
}

/// Prometheus metrics: requests by route template and status, latency histograms, the
/// database pool, access decisions. Bind the server privately: this route is unauthenticated.
#[utoipa::path(tag = "operations", security(()), responses(
    (status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain; version=0.0.4"),
))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(&state.db))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
