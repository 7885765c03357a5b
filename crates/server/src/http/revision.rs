//! `Roster-Revision` on every `/v1` response (spec §8): the revision a change committed, or for
//! a read the newest revision known before it began (or, for decisions answered from memory,
//! the revision memory was at) — its data is at least that fresh.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::error::ApiError;
use crate::services::changes::revision;
use crate::state::AppState;

/// The response header naming the revision.
pub const HEADER: HeaderName = HeaderName::from_static("roster-revision");

/// Middleware of `/scim/v2`: as [`stamp`], without the header SCIM does not define.
pub async fn reflect(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = app_state(&req)?;
    let (result, _) = track(&state, next.call(req)).await;
    Ok(result?.map_into_boxed_body())
}

fn app_state(req: &ServiceRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state is missing")))
}

/// Runs a request, then tells the clock of the change it committed and reflects that change in
/// the decision memory before the response leaves (a server's own writes are never missing
/// from its memory, spec §13).
async fn track<F: Future>(state: &AppState, request: F) -> (F::Output, revision::Tracked) {
    let (output, tracked) = revision::tracking(request).await;
    if let Some(committed) = &tracked.committed {
        state.clock.commit(committed);
        state.decisions.reflect(committed).await;
    }
    (output, tracked)
}

/// Middleware outside authentication, so that its refusals carry the header too.
pub async fn stamp(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = app_state(&req)?;
    // Read before the handler runs: everything up to it has committed, so the handler sees it.
    let read_at = state.clock.known();
    let (result, tracked) = track(&state, next.call(req)).await;
    // Authentication answers its refusals as responses (not errors) so that they get here.
    let mut response = result?.map_into_boxed_body();
    // Decisions answered from memory reflect the revision memory was at, not the clock's.
    let shown = tracked
        .committed
        .map_or(tracked.served.unwrap_or(read_at), |c| c.revision);
    response
        .headers_mut()
        .insert(HEADER, HeaderValue::from(shown));
    Ok(response)
}
