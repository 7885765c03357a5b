//! The user schema the crate's tests work on: RFC 7643's User as far as they need it, with the
//! enterprise extension's `manager` and a group's `members` (`id` and `meta` are the common
//! attributes; `externalId` is made immutable, to test immutability).

use crate::schema::{Attribute, Kind, Mutability, ResourceSchema, Schema, attribute};

const VALUE: Attribute = attribute("value", Kind::String);
const USER: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:core:2.0:User",
    name: "User",
    description: "",
    attributes: &[
        attribute("userName", Kind::String),
        attribute("displayName", Kind::String),
        attribute("active", Kind::Boolean),
        Attribute {
            mutability: Mutability::Immutable,
            ..attribute("externalId", Kind::String)
        },
        Attribute {
            sub_attributes: &[
                attribute("givenName", Kind::String),
                attribute("familyName", Kind::String),
            ],
            ..attribute("name", Kind::Complex)
        },
        Attribute {
            multi_valued: true,
            sub_attributes: &[
                VALUE,
                attribute("type", Kind::String),
                attribute("primary", Kind::Boolean),
            ],
            ..attribute("emails", Kind::Complex)
        },
        Attribute {
            multi_valued: true,
            sub_attributes: &[VALUE, attribute("display", Kind::String)],
            ..attribute("members", Kind::Complex)
        },
    ],
};
const ENTERPRISE: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    name: "EnterpriseUser",
    description: "",
    attributes: &[Attribute {
        sub_attributes: &[VALUE],
        ..attribute("manager", Kind::Complex)
    }],
};

/// The user schema with its enterprise extension.
pub const SCHEMA: ResourceSchema = ResourceSchema {
    core: &USER,
    extensions: &[&ENTERPRISE],
};
