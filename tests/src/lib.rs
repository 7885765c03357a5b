//! Test support for Roster's end-to-end tests: fresh databases on each backend (`db`) and the
//! real server on a random port with request helpers (`app`).
// Test support may panic on broken preconditions: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod db;
