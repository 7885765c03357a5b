//! Revisions and the change feed (spec §8): every committed change is numbered in commit order
//! and records whose effective access it changed; `GET /v1/changes` reads them in order.

pub mod deltas;
pub mod feed;
pub mod revision;

pub use deltas::{Node, Watch};
