//! HTTP tests: the real server on a random port, on SQLite and (when configured) PostgreSQL.

mod audit;
mod auth;
mod bootstrap;
mod check;
mod contract;
mod demo;
mod errors;
mod group_members;
mod groups;
mod health;
mod input;
mod matrix;
mod pagination;
mod project_members;
mod projects;
mod squads;
mod users;
mod users_admin;
