//! Test support for Roster's end-to-end tests: fresh databases on each backend (`db`), the real
//! server on a random port with request helpers (`app`) and typed helpers per resource (`api`),
//! the shared fixture world (`world`), the catalogue of `/v1` routes (`routes`) and a SCIM client
//! for `/scim/v2` (`scim`).
// Test support may panic on broken preconditions: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod api;
pub mod app;
pub mod console;
pub mod db;
pub mod receiver;
pub mod routes;
pub mod scim;
pub mod world;
