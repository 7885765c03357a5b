//! The problem responses of the OpenAPI document, each described once: a route lists the ones
//! it can answer next to its success response (`responses((status = 200, …), Invalid,
//! Unauthenticated, NotFound)`), and writes out only those whose meaning is its own.

use utoipa::IntoResponses;

use crate::error::Problem;

/// `validation_failed`: an input is wrong; `errors` names each bad field or parameter.
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/problem+json")]
pub struct Invalid(#[allow(dead_code)] Problem);

/// `unauthenticated`: no bearer token, or one that is not valid.
#[derive(IntoResponses)]
#[response(status = 401, content_type = "application/problem+json")]
pub struct Unauthenticated(#[allow(dead_code)] Problem);

/// `forbidden`: the caller sees the resource, but their role lacks the capability.
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/problem+json")]
pub struct Forbidden(#[allow(dead_code)] Problem);

/// `not_found`: no such resource, or the caller has no role there (the two read the same).
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/problem+json")]
pub struct NotFound(#[allow(dead_code)] Problem);

/// A body the server will not read.
#[derive(IntoResponses)]
pub enum BodyRejected {
    /// `payload_too_large`: the body is larger than the limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(#[allow(dead_code)] Problem),
    /// `unsupported_media_type`: the body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(#[allow(dead_code)] Problem),
}

/// `gone`: a change-feed cursor older than the retained history; start again from the revision
/// the detail names.
#[derive(IntoResponses)]
#[response(status = 410, content_type = "application/problem+json")]
pub struct Gone(#[allow(dead_code)] Problem);
