//! The console (spec §12): Roster in a browser, for the people who administer it.
//!
//! Server-rendered HTML (maud), a stylesheet and one small script built into the binary, no
//! inline script or style (the Content-Security-Policy forbids both). A page is a handler that
//! acts as the session's user through the same services and decisions as `/v1`: the session
//! middleware puts the same [`Principal`](crate::auth::Principal) into the request that a
//! bearer token would, so every page takes a [`Caller`](crate::http::extract::Caller) and
//! nothing the API refuses is possible here.

mod assets;
mod csrf;
mod filters;
mod headers;
mod layout;
mod pages;
mod people;
mod refusal;
mod reply;
mod session;
mod show;
mod viewer;

use actix_web::middleware::from_fn;
use actix_web::web;

/// The content type of every page.
pub const HTML: &str = "text/html; charset=utf-8";

/// Registers `/console` and everything below it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            // A malformed id in a console address is a page naming it, as the API names it.
            .app_data(web::PathConfig::default().error_handler(|error, req| {
                refusal::Refusal(crate::http::fallback::path_problem(&error, req)).into()
            }))
            .wrap(from_fn(headers::secure))
            .configure(assets::configure)
            .configure(pages::sign_in::configure)
            .service(
                web::scope("")
                    .wrap(from_fn(session::require))
                    // Outside the session, so that a console write reaches the decision memory
                    // before its redirect is followed (as `/v1` writes do).
                    .wrap(from_fn(crate::http::revision::reflect))
                    .configure(pages::configure)
                    // A console address that serves nothing is a page too, not problem+json.
                    .default_service(web::to(|| async {
                        Err::<actix_web::HttpResponse, _>(refusal::Refusal(
                            crate::error::ApiError::NoRoute,
                        ))
                    })),
            ),
    );
}
