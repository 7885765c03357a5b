//! Problem+json for what actix answers on its own: bad path and query parameters, unknown
//! routes, wrong methods, and (as a safety net) any other error response without a problem body.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use uuid::Uuid;

use crate::error::{ApiError, FieldError, PROBLEM_JSON};

/// Every route template the server serves and its methods; built from the OpenAPI document,
/// which utoipa-actix-web fills from the registered handlers themselves.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

impl RouteTable {
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, Vec<Method>)>) -> Self {
        let routes = routes
            .into_iter()
            .map(|(template, methods)| (segments(template), methods))
            .collect();
        Self { routes }
    }

    /// The methods served at `path`, or `None` if no template matches it.
    pub fn methods_at(&self, path: &str) -> Option<Vec<Method>> {
        let wanted = segments(path);
        let mut found: Option<Vec<Method>> = None;
        for (template, methods) in &self.routes {
            let matches = template.len() == wanted.len()
                && template.iter().zip(&wanted).all(|(t, w)| {
                    (t.starts_with('{') && t.ends_with('}') && !w.is_empty()) || t == w
                });
            if matches {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(methods.iter().cloned());
            }
        }
        found
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// The default service: 405 with `Allow` when the path exists under other methods, else 404.
pub async fn no_route(
    req: HttpRequest,
    table: actix_web::web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match table.methods_at(req.path()) {
        Some(mut allow) if !allow.contains(req.method()) => {
            allow.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            allow.dedup();
            ApiError::MethodNotAllowed {
                method: req.method().clone(),
                allow,
            }
        }
        _ => ApiError::NoRoute,
    })
}

/// Path parameters are ids; name the one that is not a UUID.
pub fn path_error(error: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    path_problem(&error, req).into()
}

/// What is wrong with a path's parameters: each one that is not a UUID, by name (the console
/// shows the same problem as a page).
pub fn path_problem(error: &actix_web::error::PathError, req: &HttpRequest) -> ApiError {
    let bad: Vec<FieldError> = req
        .match_info()
        .iter()
        .filter(|(_, value)| Uuid::parse_str(value).is_err())
        .map(|(name, _)| FieldError::new(name, "must be a UUID"))
        .collect();
    if bad.is_empty() {
        ApiError::invalid("path", error.to_string())
    } else {
        ApiError::Validation(bad)
    }
}

/// A query string that does not fit the route's parameters.
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &HttpRequest,
) -> actix_web::Error {
    let message = error.to_string();
    let field = message
        .split('`')
        .nth(1)
        .filter(|name| !name.is_empty())
        .unwrap_or("query")
        .to_owned();
    ApiError::invalid(field, message).into()
}

/// Rewrites any error response that is not already problem+json (e.g. from a framework layer)
/// into one with the same status, so clients see a single error format.
pub fn ensure_problem<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Problems pass, and so do SCIM Error bodies (`/scim/v2` answers in SCIM's own format) and
    // the console's error pages (HTML, for a person).
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || v.as_bytes().starts_with(super::scim::SCIM_JSON.as_bytes())
                || v.as_bytes().starts_with(crate::console::HTML.as_bytes())
        });
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let error = match status.as_u16() {
        401 => ApiError::Unauthenticated("a bearer token is required"),
        404 => ApiError::NoRoute,
        413 => ApiError::PayloadTooLarge(super::extract::MAX_BODY_BYTES),
        415 => ApiError::UnsupportedMediaType,
        503 => ApiError::ServiceUnavailable,
        400..=499 => ApiError::invalid(
            "request",
            status.canonical_reason().unwrap_or("bad request"),
        ),
        _ => ApiError::internal(anyhow::anyhow!(
            "unexpected {status} response without a body"
        )),
    };
    let (req, _) = response.into_parts();
    let mut fresh: HttpResponse<BoxBody> = error.error_response();
    *fresh.status_mut() = status;
    let body = fresh.map_into_boxed_body();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, body).map_into_right_body(),
    ))
}
