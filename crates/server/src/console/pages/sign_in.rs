//! Signing in and out. `roster login-link` prints `/console/login?code=…`; opening it spends
//! the code and sets the session cookie. The sign-in page only explains how to get a link:
//! the console has no passwords.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use crate::console::csrf::Submitted;
use crate::console::refusal::Refusal;
use crate::console::reply::{html_page, see_other};
use crate::console::{layout, session};
use crate::services::console_sessions;
use crate::state::AppState;

/// The routes open without a session.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-in", web::get().to(sign_in))
        .route("/login", web::get().to(login));
}

/// The route that needs one.
pub fn configure_signed_in(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-out", web::post().to(sign_out));
}

#[derive(Deserialize)]
struct SignInQuery {
    why: Option<String>,
}

async fn sign_in(query: web::Query<SignInQuery>) -> HttpResponse {
    let why = match query.why.as_deref() {
        Some("expired") => Some("Your session has ended or expired. Sign in again."),
        Some("inactive") => Some("Your account is deactivated or no longer exists."),
        Some("signed-out") => Some("You are signed out."),
        _ => None,
    };
    html_page(
        actix_web::http::StatusCode::OK,
        layout::bare(
            "Sign in",
            html! {
                @if let Some(why) = why { div class="notice" role="status" { p { (why) } } }
                p { "The console has no passwords. Ask for a one-time sign-in link on the server:" }
                pre { code { "roster login-link --user you@example.com" } }
                p { "Open the link it prints within its lifetime (15 minutes unless " code { "--ttl" } " says otherwise). It works once." }
            },
        ),
    )
}

#[derive(Deserialize)]
struct LoginQuery {
    code: Option<String>,
}

async fn login(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, Refusal> {
    let code = query.code.as_deref().unwrap_or_default();
    let ttl = state.settings.console_session_ttl;
    let redeemed = if code.is_empty() {
        None
    } else {
        console_sessions::redeem(&state.db, code, ttl).await?
    };
    let Some((token, session)) = redeemed else {
        tracing::info!(target: "roster::console", "a sign-in link was refused");
        return Ok(html_page(
            actix_web::http::StatusCode::BAD_REQUEST,
            layout::bare(
                "This sign-in link cannot be used",
                html! {
                    div class="notice error" role="alert" {
                        p { "The link was used already, has expired, or was never issued. Each link works once." }
                    }
                    p { "Ask for a new one: " code { "roster login-link --user you@example.com" } }
                },
            ),
        ));
    };
    // Who signed in is worth a line for operators (not an audit event: no data changed).
    tracing::info!(target: "roster::console", user_id = %session.user_id, "console sign-in");
    let max_age = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    Ok(with_cookie(
        see_other("/console/groups"),
        session::set_cookie(&state.settings, &token, max_age),
    ))
}

async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: Submitted<serde::de::IgnoredAny>,
) -> Result<HttpResponse, Refusal> {
    if let Some(token) = session::cookie(&req) {
        console_sessions::end(&state.db, &token).await?;
    }
    Ok(with_cookie(
        see_other("/console/sign-in?why=signed-out"),
        session::clear_cookie(&state.settings),
    ))
}

/// `response` setting the cookie `set_cookie` describes.
fn with_cookie(mut response: HttpResponse, set_cookie: String) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::try_from(set_cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
