//! What Roster stores of a SCIM user, declared as `/Schemas` serves it (spec §11: exactly the
//! attributes Roster keeps, with their real mutability and uniqueness). The common attributes
//! `id`, `externalId` and `meta` are not declared here: every resource has them
//! (`scim::schema::COMMON`).

use scim::schema::{Attribute, Kind, ResourceSchema, Schema, attribute};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const fn described(description: &'static str, attribute: Attribute) -> Attribute {
    Attribute {
        description,
        ..attribute
    }
}

/// RFC 7643's User, as far as Roster keeps it.
pub const USER: Schema = Schema {
    id: USER_SCHEMA,
    name: "User",
    description: "A person Roster knows",
    attributes: &[
        Attribute {
            required: true,
            unique: true,
            ..described(
                "The name the identity provider knows the user by; unique ignoring case",
                attribute("userName", Kind::String),
            )
        },
        Attribute {
            required: true,
            ..described(
                "The name Roster shows (the user name when a request gives none)",
                attribute("displayName", Kind::String),
            )
        },
        Attribute {
            sub_attributes: &[
                described("Given name", attribute("givenName", Kind::String)),
                described("Family name", attribute("familyName", Kind::String)),
            ],
            ..described(
                "The parts of the user's name",
                attribute("name", Kind::Complex),
            )
        },
        Attribute {
            multi_valued: true,
            sub_attributes: &[
                Attribute {
                    required: true,
                    unique: true,
                    ..described(
                        "The address, stored lower-case; unique",
                        attribute("value", Kind::String),
                    )
                },
                described(
                    "What kind of address it is: work, home, other",
                    attribute("type", Kind::String),
                ),
            ],
            ..described(
                "The user's email address: Roster keeps at most one",
                attribute("emails", Kind::Complex),
            )
        },
        Attribute {
            required: true,
            ..described(
                "False deactivates the user: their tokens are refused and their memberships \
                 grant nothing, until it is true again",
                attribute("active", Kind::Boolean),
            )
        },
    ],
};

/// RFC 7643's enterprise extension, as far as Roster keeps it: the manager.
pub const ENTERPRISE_USER: Schema = Schema {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "The user's manager",
    attributes: &[Attribute {
        sub_attributes: &[
            Attribute {
                required: true,
                ..described("The manager's id", attribute("value", Kind::String))
            },
            Attribute {
                reference_types: &["User"],
                ..described("The manager's location", attribute("$ref", Kind::Reference))
            },
        ],
        ..described(
            "Another Roster user; forgotten when that user is deleted",
            attribute("manager", Kind::Complex),
        )
    }],
};

/// The User resource type's schemas.
pub const USER_RESOURCE: ResourceSchema = ResourceSchema {
    core: &USER,
    extensions: &[&ENTERPRISE_USER],
};

pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// RFC 7643's Group, as Roster keeps an identity provider's group: its name and its members
/// (users; groups do not nest).
pub const GROUP: Schema = Schema {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "A group of the identity provider's; bindings say what its members hold in Roster",
    attributes: &[
        Attribute {
            required: true,
            ..described("The group's name", attribute("displayName", Kind::String))
        },
        Attribute {
            multi_valued: true,
            sub_attributes: &[
                Attribute {
                    required: true,
                    case_exact: true,
                    ..described("A member's user id", attribute("value", Kind::String))
                },
                Attribute {
                    reference_types: &["User"],
                    ..described("The member's location", attribute("$ref", Kind::Reference))
                },
            ],
            ..described(
                "The group's members: users",
                attribute("members", Kind::Complex),
            )
        },
    ],
};

/// The Group resource type's schemas.
pub const GROUP_RESOURCE: ResourceSchema = ResourceSchema {
    core: &GROUP,
    extensions: &[],
};
