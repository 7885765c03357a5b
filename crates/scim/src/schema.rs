//! A resource type's attribute definitions (RFC 7643 §2, §7): what a `/Schemas` document
//! declares, and what filters and PATCH consult — each attribute's name as the schema spells
//! it, its type, whether it is multi-valued or case-exact, and who may write it.

use serde_json::{Value, json};

use crate::filter::AttrPath;
use crate::matching::Attributes;

/// Who may write an attribute (RFC 7643 §2.2 `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the service provider only (`id`, `meta`).
    ReadOnly,
    ReadWrite,
    /// Written once, when it has no value, and never changed.
    Immutable,
}

/// An attribute's data type (RFC 7643 §2.3), as far as Roster stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Boolean,
    DateTime,
    Reference,
    Complex,
}

/// One attribute of a schema.
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: Kind,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    /// Unique across the service provider (`uniqueness: server`), else not at all.
    pub unique: bool,
    /// A complex attribute's sub-attributes.
    pub sub_attributes: &'static [Attribute],
    /// The resource types a reference may point to (`User`, `Group`, `external`).
    pub reference_types: &'static [&'static str],
}

/// An attribute with RFC 7643's defaults: single-valued, optional, not case-exact, read-write,
/// not unique; the constants below and Roster's own schemas change what differs.
pub const fn attribute(name: &'static str, kind: Kind) -> Attribute {
    Attribute {
        name,
        description: "",
        kind,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        unique: false,
        sub_attributes: &[],
        reference_types: &[],
    }
}

/// The attributes every resource has whatever its schema (RFC 7643 §3.1): `id`, `externalId`
/// and `meta`. Schemas do not declare them; filters, sorting and selections may name them.
pub const COMMON: &[Attribute] = &[
    Attribute {
        mutability: Mutability::ReadOnly,
        case_exact: true,
        unique: true,
        ..attribute("id", Kind::String)
    },
    Attribute {
        case_exact: true,
        ..attribute("externalId", Kind::String)
    },
    Attribute {
        mutability: Mutability::ReadOnly,
        sub_attributes: &[
            attribute("resourceType", Kind::String),
            attribute("created", Kind::DateTime),
            attribute("lastModified", Kind::DateTime),
            attribute("location", Kind::Reference),
            Attribute {
                case_exact: true,
                ..attribute("version", Kind::String)
            },
        ],
        ..attribute("meta", Kind::Complex)
    },
];

impl Attribute {
    /// This attribute's sub-attribute `name`, ignoring case.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.sub_attributes
            .iter()
            .find(|sub| sub.name.eq_ignore_ascii_case(name))
    }

    /// The attribute as `/Schemas` declares it (RFC 7643 §7).
    pub fn to_json(&self) -> Value {
        let mut declared = json!({
            "name": self.name,
            "type": match self.kind {
                Kind::String => "string",
                Kind::Boolean => "boolean",
                Kind::DateTime => "dateTime",
                Kind::Reference => "reference",
                Kind::Complex => "complex",
            },
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
            },
            "returned": "default",
            "uniqueness": if self.unique { "server" } else { "none" },
        });
        match self.kind {
            Kind::Complex => {
                declared["subAttributes"] =
                    Value::Array(self.sub_attributes.iter().map(Attribute::to_json).collect());
            }
            Kind::Reference => declared["referenceTypes"] = json!(self.reference_types),
            _ => {}
        }
        declared
    }
}

/// A schema: its URI, its name, and its attributes.
#[derive(Debug)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attribute],
}

impl Schema {
    /// The attribute `name`, ignoring case.
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
    }

    /// The schema as `/Schemas` serves it (RFC 7643 §7).
    pub fn to_json(&self) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
            "meta": { "resourceType": "Schema", "location": format!("/Schemas/{}", self.id) },
        })
    }
}

/// A resource type's schemas: its core schema, whose attributes sit at the top of a resource,
/// and its extensions, each in an object under its URI.
#[derive(Debug)]
pub struct ResourceSchema {
    pub core: &'static Schema,
    pub extensions: &'static [&'static Schema],
}

/// Where an attribute lives: at the top of the resource, or in an extension's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Core,
    Extension(&'static str),
}

impl ResourceSchema {
    /// The attribute `path` names (its sub-attribute aside) and where it lives: a URI selects
    /// the core schema or an extension; a bare name is the core schema's (RFC 7644 §3.10), or
    /// one of the [`COMMON`] attributes.
    pub fn attribute(&self, path: &AttrPath) -> Option<(Scope, &'static Attribute)> {
        match path.uri.as_deref() {
            None => self.core_attribute(&path.name),
            Some(uri) if uri.eq_ignore_ascii_case(self.core.id) => self.core_attribute(&path.name),
            Some(uri) => {
                let extension = self.extension(uri)?;
                let attribute = extension.attribute(&path.name)?;
                Some((Scope::Extension(extension.id), attribute))
            }
        }
    }

    fn core_attribute(&self, name: &str) -> Option<(Scope, &'static Attribute)> {
        let common = || COMMON.iter().find(|a| a.name.eq_ignore_ascii_case(name));
        self.core
            .attribute(name)
            .or_else(common)
            .map(|a| (Scope::Core, a))
    }

    /// The extension whose URI is `uri`, ignoring case.
    pub fn extension(&self, uri: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .copied()
            .find(|extension| extension.id.eq_ignore_ascii_case(uri))
    }
}

impl Attributes for ResourceSchema {
    fn case_exact(&self, path: &AttrPath) -> bool {
        let Some((_, attribute)) = self.attribute(path) else {
            return false;
        };
        match &path.sub {
            Some(sub) => attribute.sub_attribute(sub).is_some_and(|s| s.case_exact),
            None => attribute.case_exact,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    const NAME: Attribute = Attribute {
        name: "name",
        description: "The user's name",
        kind: Kind::Complex,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        unique: false,
        sub_attributes: &[Attribute {
            name: "givenName",
            description: "",
            kind: Kind::String,
            multi_valued: false,
            required: false,
            case_exact: true,
            mutability: Mutability::ReadWrite,
            unique: false,
            sub_attributes: &[],
            reference_types: &[],
        }],
        reference_types: &[],
    };
    const USER_NAME: Attribute = Attribute {
        name: "userName",
        description: "Unique",
        kind: Kind::String,
        multi_valued: false,
        required: true,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        unique: true,
        sub_attributes: &[],
        reference_types: &[],
    };
    const USER: Schema = Schema {
        id: "urn:ietf:params:scim:schemas:core:2.0:User",
        name: "User",
        description: "People",
        attributes: &[USER_NAME, NAME],
    };
    const RESOURCE: ResourceSchema = ResourceSchema {
        core: &USER,
        extensions: &[],
    };

    fn path(uri: Option<&str>, name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            uri: uri.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        }
    }

    #[test]
    fn the_document_declares_each_attribute_as_defined() {
        let document = USER.to_json();
        assert_eq!(document["id"], USER.id);
        let attributes = document["attributes"].as_array().expect("a list");
        assert_eq!(attributes[0]["name"], "userName");
        assert_eq!(attributes[0]["uniqueness"], "server");
        assert_eq!(attributes[0]["required"], true);
        assert_eq!(attributes[1]["type"], "complex");
        assert_eq!(attributes[1]["subAttributes"][0]["caseExact"], true);
        assert!(attributes[0].get("subAttributes").is_none());
    }

    #[test]
    fn attributes_are_found_ignoring_case_and_by_their_schema() {
        let found = RESOURCE.attribute(&path(None, "USERNAME", None));
        assert_eq!(
            found.map(|(scope, a)| (scope, a.name)),
            Some((Scope::Core, "userName"))
        );
        let qualified = path(
            Some("URN:ietf:params:scim:schemas:core:2.0:User"),
            "name",
            None,
        );
        assert!(RESOURCE.attribute(&qualified).is_some());
        let elsewhere = path(Some("urn:example:other"), "name", None);
        assert!(RESOURCE.attribute(&elsewhere).is_none());
        assert!(RESOURCE.case_exact(&path(None, "name", Some("givenname"))));
        assert!(!RESOURCE.case_exact(&path(None, "userName", None)));
        assert!(!RESOURCE.case_exact(&path(None, "nothing", None)));
    }
}
