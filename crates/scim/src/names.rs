//! Attribute names compare without case (RFC 7643 §2.1): the one lookup of a JSON member by
//! such a name, which filters, PATCH and projections all go through.

use serde_json::{Map, Value};

/// The member of `fields` named `name`, ignoring case, with its key as spelt there.
pub(crate) fn entry<'m>(
    fields: &'m Map<String, Value>,
    name: &str,
) -> Option<(&'m String, &'m Value)> {
    fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
}

/// The member of an object named `name`, ignoring case.
pub fn field<'v>(object: &'v Value, name: &str) -> Option<&'v Value> {
    entry(object.as_object()?, name).map(|(_, value)| value)
}

/// The key `fields` already uses for `name`, else `name` as given (the schema's spelling).
pub(crate) fn key_for(fields: &Map<String, Value>, name: &str) -> String {
    entry(fields, name).map_or_else(|| name.to_owned(), |(key, _)| key.clone())
}
