//! HTTP tests: the real server on a random port, on SQLite and (when configured) PostgreSQL.

mod audit;
mod auth;
mod bootstrap;
mod changes;
mod check;
mod check_everywhere;
mod contract;
mod contract_patterns;
mod demo;
mod errors;
mod group_members;
mod groups;
mod health;
mod input;
mod lookup;
mod matrix;
mod pagination;
mod project_members;
mod projects;
mod protocol;
mod reporting;
mod squads;
mod startup;
mod users;
mod users_admin;
mod webhooks;
