//! Roster's schema as SeaORM migrations, one module per table, for PostgreSQL and SQLite.
//!
//! Each migration branches on the backend where the two differ (PostgreSQL `ltree` and enum types,
//! SQLite text with CHECKs) and names every constraint and index explicitly, because the server
//! maps constraint names to client errors. Migrations are frozen history: this crate never
//! imports `entity`, it spells its tables with its own `DeriveIden` enums, and an applied
//! migration is never edited — a change to the schema is a new migration.
//!
//! Every migration runs in a transaction on both backends (`use_transaction`), so a failed
//! migration leaves neither half a schema nor a `seaql_migrations` row behind.

pub use sea_orm_migration::prelude::*;

mod m0001_create_users;
mod m0002_create_groups;
mod m0003_create_group_members;
mod m0004_create_projects;
mod m0005_create_project_members;
mod m0006_create_squads;
mod m0007_create_squad_members;
mod m0008_create_audit_events;
mod m0009_index_system_admins;
mod m0010_revisions;
mod m0011_webhooks;
mod m0012_counter_upkeep;
mod m0013_scim_tokens;
mod m0014_user_identity;
mod m0015_scim_user_attributes;
mod m0016_idp_groups;
mod m0017_revision_notifications;
mod m0018_console_sessions;
mod support;

/// All of Roster's migrations, oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_create_users::Migration),
            Box::new(m0002_create_groups::Migration),
            Box::new(m0003_create_group_members::Migration),
            Box::new(m0004_create_projects::Migration),
            Box::new(m0005_create_project_members::Migration),
            Box::new(m0006_create_squads::Migration),
            Box::new(m0007_create_squad_members::Migration),
            Box::new(m0008_create_audit_events::Migration),
            Box::new(m0009_index_system_admins::Migration),
            Box::new(m0010_revisions::Migration),
            Box::new(m0011_webhooks::Migration),
            Box::new(m0012_counter_upkeep::Migration),
            Box::new(m0013_scim_tokens::Migration),
            Box::new(m0014_user_identity::Migration),
            Box::new(m0015_scim_user_attributes::Migration),
            Box::new(m0016_idp_groups::Migration),
            Box::new(m0017_revision_notifications::Migration),
            Box::new(m0018_console_sessions::Migration),
        ]
    }
}
