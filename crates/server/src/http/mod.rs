//! The HTTP layer: extractors, representations, routes, the OpenAPI document, error fallbacks.

pub mod extract;
pub mod fallback;
pub mod openapi;
pub mod pagination;
pub mod problems;
pub mod repr;
pub mod routes;
