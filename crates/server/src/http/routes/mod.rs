//! One module per resource; each registers its handlers with a `configure` function.

pub mod audit;
#[cfg(feature = "bench")]
pub mod bench;
pub mod changes;
pub mod check;
pub mod group_members;
pub mod groups;
pub mod health;
pub mod idp_groups;
pub mod lookup;
pub mod me;
pub mod project_members;
pub mod projects;
pub mod roles;
pub mod scim_tokens;
pub mod squads;
pub mod users;
pub mod webhooks;
