//! What the console shows when the API would answer an error: the same problem (status, code,
//! detail, each bad field), as a page a person can read.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use maud::{Markup, html};

use super::layout;
use crate::error::ApiError;

/// An error a console handler returns: rendered as a page with the API's status.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Refusal(#[from] pub ApiError);

impl From<sea_orm::DbErr> for Refusal {
    fn from(error: sea_orm::DbErr) -> Self {
        Self(error.into())
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = &self.0 {
            tracing::error!(error = %crate::error::cause_chain(cause), "internal error");
        }
        let page = layout::bare(
            "Refused",
            html! {
                (problem(&self.0))
                p { a href="/console/groups" { "Back to the groups" } }
            },
        );
        HttpResponse::build(self.status_code())
            .insert_header((header::CONTENT_TYPE, super::HTML))
            .body(page.into_string())
    }
}

/// A problem as a notice: what went wrong and the API's code; for invalid input, each field
/// that is wrong and why.
pub fn problem(error: &ApiError) -> Markup {
    let problem = error.problem();
    html! {
        div class="notice error" role="alert" {
            @match &problem.errors {
                Some(errors) => {
                    p {
                        strong { (problem.title) } ": the input is not valid. "
                        span class="code" { "(" (problem.code) ")" }
                    }
                    ul { @for e in errors { li { code { (e.field) } " " (e.message) } } }
                }
                None => {
                    p {
                        strong { (problem.title) } ": " (sentence(&problem.detail))
                        " " span class="code" { "(" (problem.code) ")" }
                    }
                }
            }
        }
    }
}

/// The detail with a capital letter and a full stop, as a sentence on a page reads.
fn sentence(detail: &str) -> String {
    let mut chars = detail.chars();
    let mut text: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// A refusal the page shows in place (above its form) rather than as an error page: anything
/// but an internal error, which goes to the error page (and the log).
pub fn inline(refusal: Refusal) -> Result<ApiError, Refusal> {
    match refusal.0 {
        ApiError::Internal(_) => Err(refusal),
        error => Ok(error),
    }
}

/// A refusal as a page shows it above its content: the API's status and the problem's notice.
/// An internal error is not shown there: it goes to the error page (and the log).
pub fn shown(error: ApiError) -> Result<(StatusCode, Markup), Refusal> {
    let error = inline(Refusal(error))?;
    Ok((error.status_and_code().0, problem(&error)))
}
