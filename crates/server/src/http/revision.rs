//! `Roster-Revision` on every `/v1` response (spec §8): the revision a change committed, or for
//! a read the newest revision known before it began — its data is at least that fresh.

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

/// Middleware outside authentication, so that its refusals carry the header too.
pub async fn stamp(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let clock = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.clock.clone())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state is missing")))?;
    // Read before the handler runs: everything up to it has committed, so the handler sees it.
    let read_at = clock.known();
    let (result, committed) = revision::tracking(next.call(req)).await;
    if let Some(committed) = committed {
        clock.commit(committed);
    }
    // Authentication answers its refusals as responses (not errors) so that they get here.
    let mut response = result?.map_into_boxed_body();
    let shown = committed.map_or(read_at, |c| c.revision);
    response
        .headers_mut()
        .insert(HEADER, HeaderValue::from(shown));
    Ok(response)
}
