//! Who is looking at a page: the session's user as a [`Caller`] (what the services take) and
//! what the page chrome shows of them, with the CSRF token its forms carry.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::csrf;
use super::refusal::Refusal;
use super::session::SessionToken;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::extract::Caller;

pub struct Viewer {
    pub caller: Caller,
    pub user: entity::users::Model,
    /// Whether they hold `system_admin` anywhere (pages say what that lets them see).
    pub system_admin: bool,
    /// The token every form of the page carries.
    pub csrf: String,
}

impl FromRequest for Viewer {
    type Error = Refusal;
    type Future = std::future::Ready<Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(viewer(req, payload))
    }
}

fn viewer(req: &HttpRequest, payload: &mut Payload) -> Result<Viewer, Refusal> {
    let caller = Caller::from_request(req, payload).into_inner()?;
    let extensions = req.extensions();
    let principal = extensions
        .get::<Principal>()
        .ok_or(ApiError::Unauthenticated("no console session"))?;
    let session = extensions
        .get::<SessionToken>()
        .ok_or(ApiError::Unauthenticated("no console session"))?;
    Ok(Viewer {
        caller,
        user: principal.user.clone(),
        system_admin: principal.is_system_admin(),
        csrf: csrf::token(&session.0),
    })
}
