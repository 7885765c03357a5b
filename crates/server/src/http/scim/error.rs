//! SCIM Error bodies (RFC 7644 §3.12): `schemas`, `status` as a string, an optional
//! `scimType`, and `detail` — what SCIM clients parse, where `/v1` answers problem+json.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use super::SCIM_JSON;
use crate::error::ApiError;

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// One SCIM error answer.
#[derive(Debug, Clone)]
pub struct ScimError {
    status: StatusCode,
    /// RFC 7644's keyword for a 400 or 409 (`invalidFilter`, `uniqueness`, …).
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn unauthenticated(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    /// 400 with RFC 7644's `scimType` (`invalidSyntax`, `invalidFilter`, `invalidValue`, …).
    pub fn invalid(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(detail: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// A failure of the server itself: logged, and answered without its cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error under /scim/v2");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, SCIM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.body(body.to_string())
    }
}

/// The services' errors as SCIM answers: the same statuses, SCIM's body.
impl From<ApiError> for ScimError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Internal(cause) => Self::internal(format!("{cause:#}")),
            ApiError::ScimInvalid { scim_type, detail } => {
                Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
            }
            ApiError::EmailTaken => Self::new(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                "the email address already belongs to another user",
            ),
            ApiError::Conflict(detail) => {
                Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
            }
            other => {
                let status = other.status_code();
                Self::new(status, None, other.to_string())
            }
        }
    }
}
