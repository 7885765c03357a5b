//! The one HTTP error type: every failure a client can see, mapped exhaustively to problem+json.
//!
//! When to use what (the same rule in every module):
//! - the `domain` crate returns its own small error enums; handlers and services convert them here;
//! - database and plumbing code returns `DbErr` or `anyhow::Error` with context;
//! - whatever reaches the HTTP boundary is an [`ApiError`]. A database error that is not a known
//!   client mistake becomes `Internal` (500) whose cause is logged and never sent.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a JSON path (`name`, `resource.id`) or a path/query parameter name.
    pub field: String,
    /// What is wrong with it, for a human.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every error a client can receive. Each variant documents its status and `code`; the one
/// place that maps a variant to both is [`ApiError::status_and_code`]. Domain refusals carry the
/// domain's own error types (`?` converts them), so their wording lives in `domain` alone.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `validation_failed`: one or more inputs are wrong; `errors` names each.
    #[error("the request is not valid")]
    Validation(Vec<FieldError>),
    /// A SCIM request `/scim/v2` refuses (400), with RFC 7644's `scimType` (`invalidFilter`,
    /// `invalidValue`, `invalidPath`, …). Only SCIM's services make it; under `/v1` it would read
    /// as `validation_failed`.
    #[error("{detail}")]
    ScimInvalid {
        scim_type: &'static str,
        detail: String,
    },
    /// 412 `precondition_failed`: `If-Match` names a version the resource no longer has.
    #[error("the resource has changed since the version If-Match names")]
    PreconditionFailed,
    /// 400 `malformed_json`: the body is not JSON at all.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// 401 `unauthenticated`: no usable bearer token.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// 403 `forbidden`: the caller may see the resource but lacks the capability; the text is
    /// the decision's reason.
    #[error("{0}")]
    Forbidden(String),
    /// 403 `role_escalation`: the change would grant or touch more power than the caller has.
    #[error(transparent)]
    RoleEscalation(#[from] domain::Escalation),
    /// 404 `not_found`: absent, or invisible to the caller (no existence leak).
    #[error("the resource does not exist or is not visible to you")]
    NotFound,
    /// 409 `already_member`.
    #[error("the user is already a member")]
    AlreadyMember,
    /// 409 `email_taken`.
    #[error("another user already has this email address")]
    EmailTaken,
    /// 409 `conflict`: a uniqueness clash or a concurrent change that could not be retried.
    #[error("{0}")]
    Conflict(String),
    /// 409 `conflict`: another transaction got in the way (serialisation failure, deadlock, busy
    /// SQLite). The write path retries these; one that persists reaches the client as 409.
    #[error("a concurrent change got in the way; try again")]
    Contention,
    /// 409 `last_admin` (a project's last admin) or `last_system_admin` (the system's).
    #[error(transparent)]
    LastAdmin(#[from] domain::LastAdmin),
    /// 400 `squad_nesting`.
    #[error(transparent)]
    SquadNesting(#[from] domain::SquadNesting),
    /// 400 `group_cycle` or `group_too_deep`: the group cannot go there.
    #[error(transparent)]
    GroupPlacement(#[from] domain::MoveError),
    /// 400 `not_project_member`.
    #[error("the user is not a member of the squad's project")]
    NotProjectMember,
    /// 400 `invalid_reports_to`.
    #[error(transparent)]
    InvalidReportsTo(#[from] domain::InvalidReportsTo),
    /// 413 `payload_too_large`.
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 415 `unsupported_media_type`.
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    /// 405 `method_not_allowed`; `Allow` lists the methods the path serves.
    #[error("this path does not serve {method}")]
    MethodNotAllowed { method: Method, allow: Vec<Method> },
    /// 404 `not_found` for a path no route serves.
    #[error("no route serves this path")]
    NoRoute,
    /// 410 `gone`: a change-feed cursor older than the retained history.
    #[error(
        "revision {after} is older than the retained history, which starts after {retained_after}; start again from {retained_after}"
    )]
    Gone { after: i64, retained_after: i64 },
    /// 503 `service_unavailable`: the database cannot be reached in time.
    #[error("the service cannot reach its database")]
    ServiceUnavailable,
    /// 500 `internal`: logged with its cause, sent without it.
    #[error("an internal error occurred")]
    Internal(#[source] anyhow::Error),
}

/// The problem+json body (RFC 9457) of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:roster:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case name of the problem, e.g. `validation_failed`.
    pub code: String,
    /// Present on `validation_failed`: each bad field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl ApiError {
    /// A single-field validation failure.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The status and the stable `code` of the problem: the one mapping of every variant.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Self::Validation(_) | Self::ScimInvalid { .. } => (S::BAD_REQUEST, "validation_failed"),
            Self::PreconditionFailed => (S::PRECONDITION_FAILED, "precondition_failed"),
            Self::MalformedJson(_) => (S::BAD_REQUEST, "malformed_json"),
            Self::SquadNesting(_) => (S::BAD_REQUEST, "squad_nesting"),
            Self::GroupPlacement(domain::MoveError::Cycle) => (S::BAD_REQUEST, "group_cycle"),
            Self::GroupPlacement(domain::MoveError::TooDeep { .. }) => {
                (S::BAD_REQUEST, "group_too_deep")
            }
            Self::NotProjectMember => (S::BAD_REQUEST, "not_project_member"),
            Self::InvalidReportsTo(_) => (S::BAD_REQUEST, "invalid_reports_to"),
            Self::Unauthenticated(_) => (S::UNAUTHORIZED, "unauthenticated"),
            Self::Forbidden(_) => (S::FORBIDDEN, "forbidden"),
            Self::RoleEscalation(_) => (S::FORBIDDEN, "role_escalation"),
            Self::NotFound | Self::NoRoute => (S::NOT_FOUND, "not_found"),
            Self::AlreadyMember => (S::CONFLICT, "already_member"),
            Self::EmailTaken => (S::CONFLICT, "email_taken"),
            Self::Conflict(_) | Self::Contention => (S::CONFLICT, "conflict"),
            Self::LastAdmin(domain::LastAdmin::Project) => (S::CONFLICT, "last_admin"),
            Self::LastAdmin(domain::LastAdmin::System) => (S::CONFLICT, "last_system_admin"),
            Self::PayloadTooLarge(_) => (S::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType => (S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Self::MethodNotAllowed { .. } => (S::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Gone { .. } => (S::GONE, "gone"),
            Self::ServiceUnavailable => (S::SERVICE_UNAVAILABLE, "service_unavailable"),
            Self::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The stable `code` of the problem.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    /// Puts what was being attempted in front of a refusal's reason ("moving a group: teacher
    /// does not have group.manage"); other errors pass unchanged.
    #[must_use]
    pub fn attempting(self, what: &str) -> Self {
        match self {
            Self::Forbidden(reason) => Self::Forbidden(format!("{what}: {reason}")),
            other => other,
        }
    }

    /// Prefixes the field names of a validation error with `prefix` (`user_id` in the third
    /// check of a batch becomes `checks[2].user_id`); other errors pass unchanged.
    #[must_use]
    pub fn within(self, prefix: &str) -> Self {
        match self {
            Self::Validation(errors) => Self::Validation(
                errors
                    .into_iter()
                    .map(|e| FieldError::new(format!("{prefix}.{}", e.field), e.message))
                    .collect(),
            ),
            other => other,
        }
    }

    /// The problem body. Internal errors say nothing about their cause.
    pub fn problem(&self) -> Problem {
        let (status, code) = self.status_and_code();
        let detail = match self {
            Self::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are not valid", errors.len()),
            },
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("urn:roster:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            // The whole chain, on one line: the context alone ("database error") says nothing,
            // the database's own message (e.g. PostgreSQL's "invalid byte sequence") does.
            tracing::error!(error = %cause_chain(cause), "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::Unauthenticated(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed { allow, .. } => {
                let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

/// Every message of an error's chain, outermost first, joined by `: `. A message that merely
/// repeats the end of the one before it (a wrapper such as `DbErr` prints its source in its own
/// message) is left out, so each cause is said once.
pub fn cause_chain(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if line.ends_with(&message) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&message);
    }
    line
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// SQLSTATEs and SQLite codes that mean "another transaction got in the way: try again".
const RETRYABLE_CODES: &[&str] = &[
    "40001", // PostgreSQL serialization_failure
    "40P01", // PostgreSQL deadlock_detected
    "5",     // SQLITE_BUSY
    "517",   // SQLITE_BUSY_SNAPSHOT
    "6",     // SQLITE_LOCKED
];

/// The backend's error code (SQLSTATE on PostgreSQL, the extended result code on SQLite).
pub fn db_error_code(error: &DbErr) -> Option<String> {
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a failed transaction may succeed if run again.
pub fn is_retryable(error: &DbErr) -> bool {
    db_error_code(error).is_some_and(|code| RETRYABLE_CODES.contains(&code.as_str()))
}

/// Whether the error means the database could not be reached in time.
fn is_unavailable(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match error {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::Io(_) | Sqlx::Tls(_)
        ),
        _ => false,
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        if is_unavailable(&error) {
            tracing::warn!(error = %error, "database unavailable");
            return Self::ServiceUnavailable;
        }
        if is_retryable(&error) {
            tracing::debug!(error = %error, "transaction contention");
            return Self::Contention;
        }
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::Conflict("a resource with these unique values already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::Conflict("a resource this request refers to does not exist".into())
            }
            _ => Self::Internal(anyhow::Error::new(error).context("database error")),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<DbErr>() {
            Ok(db) => db.into(),
            Err(other) => Self::Internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A 500 from the database logs the database's own message, not just "database error".
    #[test]
    fn an_internal_error_logs_its_whole_cause() {
        let db = DbErr::Query(RuntimeErr::Internal(
            "invalid byte sequence for encoding \"UTF8\": 0x00".into(),
        ));
        let ApiError::Internal(cause) = ApiError::from(db) else {
            panic!("not internal");
        };
        assert_eq!(
            cause_chain(&cause),
            "database error: Query Error: invalid byte sequence for encoding \"UTF8\": 0x00"
        );
        let nested = anyhow::anyhow!("inner").context("middle").context("outer");
        assert_eq!(cause_chain(&nested), "outer: middle: inner");
    }
}
