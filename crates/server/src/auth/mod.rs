//! Authentication: bearer JWTs, the secret they are signed with, and the principal of a request.

pub(crate) mod jwt;
mod middleware;
mod principal;
mod secret;

pub use jwt::{Claims, JwtKeys};
pub use middleware::authenticate;
pub(crate) use middleware::bearer_token;
pub(crate) use middleware::caller as principal_of;
pub use principal::{
    Principal, count_other_active_system_admins, count_system_admins, system_admin_group,
};
pub use secret::resolve_secret;
