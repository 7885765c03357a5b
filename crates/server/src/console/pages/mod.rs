//! The console's pages, one module per subject; each registers its routes with `configure`.

mod audit;
mod changes;
mod group;
mod idp_groups;
mod project;
pub mod sign_in;
mod tree;
mod users;
mod webhooks;
mod why;

use actix_web::web;

/// The routes that need a session.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(sign_in::configure_signed_in)
        .configure(tree::configure)
        .configure(group::configure)
        .configure(project::configure)
        .configure(users::configure)
        .configure(why::configure)
        .configure(audit::configure)
        .configure(changes::configure)
        .configure(webhooks::configure)
        .configure(idp_groups::configure);
}
