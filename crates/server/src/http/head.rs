//! `HEAD` on every `GET` route (RFC 9110 §9.3.2): the request is served as the `GET` it mirrors,
//! and the HTTP layer sends the status and headers without the body (actix's encoder omits the
//! body of a response to a `HEAD` request; the request's original method decides that).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Middleware: routes `HEAD` as `GET`. Installed innermost, so the metrics and the access log
/// still see `HEAD`.
pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
