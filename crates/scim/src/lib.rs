//! SCIM 2.0 pieces that need no I/O (RFC 7643, RFC 7644): the filter language of §3.4.2.2 and
//! the PATCH paths of §3.5.2, parsed into a small syntax tree that the server translates into
//! its own queries ([`filter`]); that tree's meaning over a resource's JSON ([`matching`]);
//! attribute definitions as `/Schemas` declares them ([`schema`]); PATCH requests, read and
//! applied to a resource ([`patch`]); and the attributes an answer carries ([`projection`]).
//! Attribute names and operators are case-insensitive, as the RFC says; names are kept as
//! written and compared without case.

pub mod filter;
#[cfg(test)]
mod fixtures;
pub mod matching;
mod names;
pub mod patch;
pub mod projection;
pub mod query;
pub mod schema;

pub use filter::{AttrPath, CompareOp, Filter, ParseError, PatchPath, parse_filter, parse_path};
pub use matching::{Attributes, matches};
pub use names::field;
