//! End-to-end tests: one binary. `schema` checks the migrated database itself; `http` drives the
//! real server over real HTTP. Every database test runs on SQLite and, with
//! `ROSTER_TEST_POSTGRES_URL` set, on PostgreSQL (see `tests::both_backends!`).
// A test fails by panicking; unwrap and expect are how these tests say "this must hold".
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http;
mod schema;
