//! The `roster` server: configuration, HTTP API (actix-web), services over SeaORM,
//! authentication and the command line.
//!
//! `main.rs` only parses the command line and calls [`cli::run`]; tests build the same
//! [`startup::Application`] on port 0 against a fresh database.

pub mod auth;
pub mod cli;
pub mod console;
pub mod convert;
pub mod db;
pub mod delivery;
pub mod error;
pub mod http;
mod invariants;
pub mod metrics;
pub mod services;
pub mod settings;
pub mod sql;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use settings::Settings;
pub use startup::Application;
