//! Schema tests, each on SQLite and PostgreSQL: the migrations round-trip, the entities agree with
//! the migrated schema, seed 000's acceptance criteria hold for `group_members`, role names agree
//! across the layers, and the database itself refuses what hand-written SQL must not do.

// A test fails by panicking: `expect` names what was expected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod entities;
mod group_members;
mod integrity;
mod migrations;
mod names;
mod roles;
mod support;
