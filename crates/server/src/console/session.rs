//! The console session: the cookie a login link sets, and the middleware that turns it into
//! the request's [`Principal`] — loaded exactly as a bearer token's user is (memory or
//! database, active users only), so every page decides as the API would.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};

use crate::error::ApiError;
use crate::services::console_sessions;
use crate::settings::Settings;
use crate::state::AppState;

/// The cookie's name.
pub const COOKIE: &str = "roster_session";

/// The session's secret, for the request's CSRF check and for signing out.
#[derive(Debug, Clone)]
pub struct SessionToken(pub String);

/// The value of the session cookie in a request, if any.
pub fn cookie(req: &actix_web::HttpRequest) -> Option<String> {
    cookie_in(req.headers())
}

fn cookie_in(headers: &header::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session: `HttpOnly`, `SameSite=Strict`, the console's path only, and
/// `Secure` unless the server listens on loopback (where browsers reach it over plain HTTP).
pub fn set_cookie(settings: &Settings, token: &str, max_age: i64) -> String {
    let secure = if settings.bind.ip().is_loopback() {
        ""
    } else {
        "; Secure"
    };
    format!("{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(settings: &Settings) -> String {
    set_cookie(settings, "", 0)
}

/// Lets a request through only with a live session of an active user; otherwise sends the
/// browser to the sign-in page (which says why).
pub async fn require(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state is missing")))?;
    let Some(token) = cookie_in(req.headers()) else {
        return Ok(to_sign_in(req, "none", &state.settings));
    };
    let Some(session) = console_sessions::find(&state.db, &token).await? else {
        return Ok(to_sign_in(req, "expired", &state.settings));
    };
    let principal = crate::auth::principal_of(&state, req.path(), session.user_id).await?;
    match principal {
        Some(principal) if principal.user.active => {
            req.extensions_mut().insert(principal);
            req.extensions_mut().insert(SessionToken(token));
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        _ => Ok(to_sign_in(req, "inactive", &state.settings)),
    }
}

/// A redirect to the sign-in page, clearing a cookie that no longer opens anything.
fn to_sign_in(req: ServiceRequest, why: &str, settings: &Settings) -> ServiceResponse<BoxBody> {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, format!("/console/sign-in?why={why}")));
    if why != "none" {
        response.insert_header((header::SET_COOKIE, clear_cookie(settings)));
    }
    req.into_response(response.finish())
}
