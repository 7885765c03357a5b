//! The middleware in front of every `/v1` route: no valid token, no request.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::Principal;
use crate::error::ApiError;
use crate::services::memory::Consistency;
use crate::state::AppState;

/// Verifies the bearer token, loads its user (who must exist and be active) and stores the
/// [`Principal`] in the request. A refusal is answered here, as a response, so the middleware
/// outside it can still stamp it.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match principal(&req).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(refusal) => Ok(req.error_response(refusal)),
    }
}

async fn principal(req: &ServiceRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state is missing")))?;
    let token = bearer_token(req)?;
    let user_id = state.jwt.verify(token).map_err(ApiError::Unauthenticated)?;
    let principal = caller(state, req.path(), user_id)
        .await?
        .ok_or(ApiError::Unauthenticated(
            "the token's user no longer exists",
        ))?;
    // A deactivated user is kept, memberships and all, but refused like one who is gone, so
    // that deactivation takes effect on tokens already issued (spec §11).
    if !principal.user.active {
        return Err(ApiError::Unauthenticated("the token's user is deactivated"));
    }
    Ok(principal)
}

/// The routes whose bodies name their own consistency (spec §13): they settle it themselves,
/// then read the caller again at that freshness (`Caller::deciding`).
const SETTLED_BY_THE_ROUTE: [&str; 2] = ["/v1/check", "/v1/lookup/"];

/// The token's user: from the decision memory when it is on (brought to the server's default
/// consistency first, except on the routes that settle their own), else from the database.
/// The console's sessions load their user here too.
pub(crate) async fn caller(
    state: &AppState,
    path: &str,
    user_id: uuid::Uuid,
) -> Result<Option<Principal>, ApiError> {
    let decisions = &state.decisions;
    if !decisions.enabled() {
        return Ok(Principal::load(&state.db, user_id).await?);
    }
    if !SETTLED_BY_THE_ROUTE
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        decisions
            .settle(decisions.default_consistency(), "consistency")
            .await?;
        return decisions.principal(user_id).await;
    }
    // Memory as it stands may not know a user created on another server a moment ago (or
    // restored there): a refusal is only ever made on facts that are fully consistent.
    let principal = decisions.principal(user_id).await?;
    if principal.as_ref().is_some_and(|p| p.user.active) {
        return Ok(principal);
    }
    decisions
        .settle(Consistency::FullyConsistent, "consistency")
        .await?;
    decisions.principal(user_id).await
}

/// The token of `Authorization: Bearer <token>`; also read by `/scim/v2`'s authentication.
pub(crate) fn bearer_token(req: &ServiceRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("a bearer token is required"))?
        .to_str()
        .map_err(|_| ApiError::Unauthenticated("the Authorization header is not text"))?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthenticated(
        "use `Authorization: Bearer <token>`",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthenticated(
            "use `Authorization: Bearer <token>`",
        ));
    }
    Ok(token.trim())
}
