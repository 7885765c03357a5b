//! SCIM 2.0 pieces that need no I/O (RFC 7644): today the filter language of §3.4.2.2 and the
//! PATCH paths of §3.5.2, parsed into a small syntax tree that the server translates into its
//! own queries. Attribute names and operators are case-insensitive, as the RFC says; names are
//! kept as written and compared by the caller.

pub mod filter;

pub use filter::{AttrPath, CompareOp, Filter, ParseError, PatchPath, parse_filter, parse_path};
