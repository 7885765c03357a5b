//! `/scim/v2` (spec §11, RFC 7644): SCIM's own protocol, beside `/v1` and outside its OpenAPI
//! document. Requests carry a SCIM token (`services::scim_tokens`), never a user's token;
//! answers are `application/scim+json`, and errors SCIM Error bodies ([`ScimError`]) rather
//! than problem+json.
//!
//! Served so far: authentication, errors and the discovery documents. The discovery
//! documents describe what is served, and nothing more: the `Users` and `Groups` resources,
//! filters, PATCH and ETags are declared as they are built.

mod discovery;
mod error;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, HttpResponse, web};

pub use error::ScimError;

use crate::services::scim_tokens;
use crate::state::AppState;

/// SCIM's media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// The provisioning client behind a request: the SCIM token it presented.
#[derive(Debug, Clone, Copy)]
pub struct ScimClient {
    pub token_id: uuid::Uuid,
}

/// Registers the `/scim/v2` scope, with its authentication and its own answer for unknown
/// paths.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .wrap(from_fn(authenticate))
            .configure(discovery::configure)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ScimError::not_found("no such SCIM resource"))
            })),
    );
}

/// A JSON answer with SCIM's media type.
pub fn scim_json(body: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().content_type(SCIM_JSON).json(body)
}

/// Accepts a live SCIM token and nothing else; a refusal is a SCIM Error.
async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match client(&req).await {
        Ok(client) => {
            req.extensions_mut().insert(client);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(refusal) => Ok(req.error_response(refusal)),
    }
}

async fn client(req: &ServiceRequest) -> Result<ScimClient, ScimError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ScimError::internal("application state is missing"))?;
    let token = crate::auth::bearer_token(req)
        .map_err(|_| ScimError::unauthenticated("a SCIM bearer token is required"))?;
    match scim_tokens::authenticate(&state.db, token).await {
        Ok(Some(row)) => Ok(ScimClient { token_id: row.id }),
        Ok(None) => Err(ScimError::unauthenticated(
            "not a live SCIM token (a user's token is not accepted here)",
        )),
        Err(error) => Err(ScimError::from(error)),
    }
}
