//! `HEAD` on every `GET` route (RFC 9110 §9.3.2): the request is served as the `GET` it mirrors,
//! and the HTTP layer sends the status and headers without the body (actix's encoder omits the
//! body of a response to a `HEAD` request; the request's original method decides that).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use super::fallback::RouteTable;

/// Middleware: routes `HEAD` as `GET` where the route table says the path serves `GET`; other
/// `HEAD`s reach the 404/405 fallback as what they are. Installed innermost, so the metrics and
/// the access log still see `HEAD`.
pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD && serves_get(&req) {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

fn serves_get(req: &ServiceRequest) -> bool {
    req.app_data::<web::Data<RouteTable>>()
        .and_then(|table| table.methods_at(req.path()))
        .is_some_and(|methods| methods.contains(&Method::GET))
}
