//! `/scim/v2` (spec §11, RFC 7644): SCIM's own protocol, beside `/v1` and outside its OpenAPI
//! document. Requests carry a SCIM token (`services::scim_tokens`), never a user's token;
//! answers are `application/scim+json`, and errors SCIM Error bodies ([`ScimError`]) rather
//! than problem+json.
//!
//! Served: the discovery documents (discovery.rs); Users (users.rs) and Groups (groups.rs),
//! each through the routes every resource type serves (resources.rs) and the list parameters
//! they share (list.rs); and the search across both at the root (search.rs).

mod discovery;
mod error;
mod groups;
mod list;
mod resources;
mod search;
mod users;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::Value;

pub use error::ScimError;

use crate::http::extract::MAX_BODY_BYTES;
use crate::services::scim::Provisioner;
use crate::services::scim_tokens;
use crate::state::AppState;

/// SCIM's media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// Registers the `/scim/v2` scope, with its authentication and its own answer for unknown
/// paths.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .wrap(from_fn(authenticate))
            .wrap(from_fn(crate::http::revision::reflect))
            .configure(discovery::configure)
            .configure(resources::configure::<users::Users>)
            .configure(resources::configure::<groups::Groups>)
            .configure(search::configure)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ScimError::not_found("no such SCIM resource"))
            })),
    );
}

/// A JSON answer with SCIM's media type.
pub fn scim_json(body: &Value) -> HttpResponse {
    HttpResponse::Ok().content_type(SCIM_JSON).json(body)
}

/// The answer to a method a SCIM path does not serve.
async fn method_not_allowed(method: Method) -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("this path does not serve {method}"),
    ))
}

/// A resource at `path` answering 405 to every method `routes` leave out.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// The `/scim/v2` URL the client called, for `meta.location` and `$ref`.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}

/// A request body as JSON, whichever JSON media type it was sent as; `invalidSyntax` when it is
/// not JSON, 413 when larger than `/v1` allows.
pub async fn read_json(mut payload: web::Payload) -> Result<Value, ScimError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ScimError::invalid("invalidSyntax", e.to_string()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| ScimError::invalid("invalidSyntax", format!("the body is not JSON: {e}")))
}

/// The provisioning client of a request that passed [`authenticate`].
impl FromRequest for Provisioner {
    type Error = ScimError;
    type Future = std::future::Ready<Result<Self, ScimError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<Provisioner>()
                .copied()
                .ok_or_else(|| ScimError::internal("a SCIM route ran without authentication")),
        )
    }
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

async fn client(req: &ServiceRequest) -> Result<Provisioner, ScimError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ScimError::internal("application state is missing"))?;
    let token = crate::auth::bearer_token(req)
        .map_err(|_| ScimError::unauthenticated("a SCIM bearer token is required"))?;
    match scim_tokens::authenticate(&state.db, token).await {
        Ok(Some(row)) => Ok(Provisioner { token_id: row.id }),
        Ok(None) => Err(ScimError::unauthenticated(
            "not a live SCIM token (a user's token is not accepted here)",
        )),
        Err(error) => Err(ScimError::from(error)),
    }
}
