//! The HTTP layer: extractors, representations, routes, the OpenAPI document, error fallbacks.

pub mod access_log;
pub mod consistency;
pub mod extract;
pub mod fallback;
pub mod head;
pub mod openapi;
pub mod pagination;
pub mod problems;
pub mod repr;
pub mod revision;
pub mod routes;
pub mod schemas;
pub mod scim;
