//! The console's pages, one module per subject; each registers its routes with `configure`.

pub mod sign_in;
mod tree;

use actix_web::web;

/// The routes that need a session.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(sign_in::configure_signed_in)
        .configure(tree::configure);
}
