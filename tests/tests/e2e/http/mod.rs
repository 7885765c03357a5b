//! HTTP tests: the real server on a random port, on SQLite and (when configured) PostgreSQL.

mod auth;
mod bootstrap;
mod errors;
mod health;
mod users;
