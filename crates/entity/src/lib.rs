//! SeaORM entities mirroring Roster's tables, one module per table.
//!
//! | module | table | relations |
//! |---|---|---|
//! | [`users`] | people, by unique lower-case email | has many group and project memberships |
//! | [`groups`] | the organisation tree; `path` is an `ltree` on PostgreSQL | parent, members, projects |
//! | [`group_members`] | one [`MemberRole`](roles::MemberRole) per user per group | belongs to a user and a group |
//! | [`group_member_sources`] | a bound group membership's sources (manual role, IdP groups) | belongs to a membership |
//! | [`projects`] | owned by a group | members, squads |
//! | [`project_members`] | one [`ProjectRole`](roles::ProjectRole) per user per project, a reporting line | project, user, manager |
//! | [`squads`] | teams in a project, nested one level | project, parent, members |
//! | [`squad_members`] | users in a squad, always members of its project | squad, project membership |
//! | [`audit_events`] | the change history; no foreign keys | none |
//! | [`revisions`] | the one-row counter that numbers changes | none |
//! | [`webhooks`], [`webhook_deliveries`] | endpoints and their outbox | endpoint, deliveries |
//! | [`scim_tokens`] | identity providers' bearer tokens, hashed | none |
//! | [`console_login_codes`], [`console_sessions`] | the console's one-time codes and sessions, hashed | a user |
//! | [`idp_groups`], [`idp_group_members`], [`idp_bindings`] | identity providers' groups, their members, what they grant | group; members, bindings |
//!
//! The schema itself (constraints, indexes, the database-enforced invariants) lives in the
//! `migration` crate; these types only mirror it. This crate knows nothing of the domain rules or
//! HTTP: the server converts between [`roles`] and the domain's role types at its boundary.
//!
//! Seed 000 names the `group_members` row types [`GroupMember`] and [`NewGroupMember`].
//!
//! Two backend facts the models encode: ids are UUIDs (16-byte blobs on SQLite, so raw SQL must
//! bind [`uuid::Uuid`] values, never strings), and timestamps are UTC (`timestamp with time zone`
//! on PostgreSQL, RFC 3339 text on SQLite; PostgreSQL keeps microseconds).

// Declared first: `macro_rules!` helpers are visible only to the modules that follow them.
#[macro_use]
mod macros;

pub mod audit_events;
pub mod console_login_codes;
pub mod console_sessions;
pub mod group_member_sources;
pub mod group_members;
pub mod groups;
pub mod idp_bindings;
pub mod idp_group_members;
pub mod idp_groups;
pub mod prelude;
pub mod project_members;
pub mod projects;
pub mod revisions;
pub mod roles;
pub mod scim_tokens;
pub mod squad_members;
pub mod squads;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;

/// A stored group membership (seed 000's `GroupMember`).
pub type GroupMember = group_members::Model;

/// A group membership to insert or update (seed 000's `NewGroupMember`).
pub type NewGroupMember = group_members::ActiveModel;
