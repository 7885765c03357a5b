//! The named schemas of the API's constrained values — names, slugs, email addresses, cursors,
//! role and capability names — each built from the domain rule that checks it, so that the
//! published contract is exactly as strict as the server and generated clients get one type each.
//!
//! Fields name them with `#[schema(value_type = …)]`; utoipa then writes a `$ref` and adds the
//! component. Patterns spell BMP characters as `\uXXXX` (read alike by ECMA-262, Python and Rust
//! regexes) and the few astral ones in the refused classes as themselves.

use std::borrow::Cow;
use std::fmt::Write;

use domain::names::{MAX_EMAIL_LEN, MAX_NAME_CHARS, MAX_SLUG_LEN, is_refused_in_text};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

/// Declares a marker type whose schema is the component `$name`.
macro_rules! named_schema {
    ($(#[$doc:meta])* $marker:ident = $name:literal, $build:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $marker;

        impl PartialSchema for $marker {
            fn schema() -> RefOr<Schema> {
                // Built once: utoipa asks for it at every reference, and the character classes
                // of some patterns take a walk over every Unicode scalar value to build.
                static BUILT: std::sync::OnceLock<RefOr<Schema>> = std::sync::OnceLock::new();
                BUILT
                    .get_or_init(|| {
                        let build: fn() -> ObjectBuilder = $build;
                        RefOr::T(Schema::Object(build().build()))
                    })
                    .clone()
            }
        }

        impl ToSchema for $marker {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

named_schema!(
    /// A display name: see [`domain::Name::parse`].
    NameText = "Name",
    || {
        let core = MAX_NAME_CHARS - 2;
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(format!(
                "A display name: 1–{MAX_NAME_CHARS} characters once trimmed of white space and \
                 normalised to NFC, with no control (Cc) or format (Cf) character anywhere."
            )))
            .pattern(Some(format!(
                "^{space}*{solid}(?:{any}{{0,{core}}}{solid})?{space}*$",
                space = class(false, |c| c.is_whitespace() && !is_refused_in_text(c)),
                solid = class(true, |c| c.is_whitespace() || is_refused_in_text(c)),
                any = class(true, is_refused_in_text),
            )))
            .examples(["Science"])
    }
);

named_schema!(
    /// A slug: see [`domain::Slug::parse`].
    SlugText = "Slug",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(format!(
                "A URL-safe identifier, checked as given: lower-case letters and digits in \
                 words joined by single hyphens, at most {MAX_SLUG_LEN} characters."
            )))
            .max_length(Some(MAX_SLUG_LEN))
            .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$"))
            .examples(["science"])
    }
);

named_schema!(
    /// An email address: see [`domain::Email::parse`].
    EmailText = "Email",
    || {
        let local = class(true, |c| {
            c == '@' || c.is_whitespace() || is_refused_in_text(c)
        });
        let label = class(true, |c| {
            c == '@' || c == '.' || c.is_whitespace() || is_refused_in_text(c)
        });
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("idn-email".into())))
            .description(Some(format!(
                "An email address, trimmed, stored lower-case in NFC: at most {MAX_EMAIL_LEN} \
                 characters, one `@` after a non-empty local part, a dotted domain (or \
                 `localhost`), no white space, control or format character, and each part in \
                 one script (which no pattern can say: `docs/API.md`)."
            )))
            .max_length(Some(MAX_EMAIL_LEN))
            .pattern(Some(format!(
                "^{space}*{local}+@(?:{label}+(?:\\.{label}+)+|{localhost}){space}*$",
                space = class(false, |c| c.is_whitespace() && !is_refused_in_text(c)),
                localhost = "[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]",
            )))
            .examples(["ada@example.org"])
    }
);

named_schema!(
    /// A page cursor.
    CursorText = "Cursor",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "Opaque: pass back the `next_cursor` of the previous page of the same list, \
                 unchanged. Any other text is refused with 400 `validation_failed`.",
            ))
            .min_length(Some(2))
            .pattern(Some("^[A-Za-z0-9_-]+$"))
    }
);

named_schema!(
    /// A revision as `Roster-Revision` shows it (spec §8): a positive integer, in decimal text.
    RevisionText = "Revision",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A revision, as a `Roster-Revision` header shows it. A revision that has not \
                 committed is refused with 400 `validation_failed`.",
            ))
            .pattern(Some("^[1-9][0-9]{0,17}$"))
    }
);

named_schema!(
    /// A group role name, from the domain's role table.
    GroupRoleName = "GroupRole",
    || names(
        "A role in a group, strongest first.",
        domain::GroupRole::ALL.map(|r| r.as_str())
    )
);

named_schema!(
    /// A project role name, from the domain's role table.
    ProjectRoleName = "ProjectRole",
    || names(
        "A role in a project, strongest first.",
        domain::ProjectRole::ALL.map(|r| r.as_str())
    )
);

named_schema!(
    /// A capability name, from the domain's capability table.
    CapabilityName = "Capability",
    || names(
        "A capability; its prefix is the kind of resource it applies to.",
        domain::Capability::ALL.map(|c| c.as_str())
    )
);

named_schema!(
    /// A resource kind name.
    ResourceKindName = "ResourceKind",
    || names(
        "The kind of a resource.",
        domain::ResourceKind::ALL.map(|k| k.as_str())
    )
);

/// A string enum of `values`, in the table's order.
fn names<const N: usize>(description: &str, values: [&'static str; N]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
}

/// A regex character class, as ranges: of the characters `member` holds for, or (`negated`) of
/// every other character.
fn class(negated: bool, member: impl Fn(char) -> bool) -> String {
    let mut out = String::from(if negated { "[^" } else { "[" });
    let mut start: Option<char> = None;
    let mut last = '\0';
    for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
        let contiguous = start.is_some() && c as u32 == last as u32 + 1;
        match (member(c), start) {
            (true, Some(_)) if contiguous => {}
            (true, _) => {
                if let Some(first) = start {
                    push_range(&mut out, first, last);
                }
                start = Some(c);
            }
            (false, Some(first)) => {
                push_range(&mut out, first, last);
                start = None;
            }
            (false, None) => {}
        }
        last = c;
    }
    if let Some(first) = start {
        push_range(&mut out, first, last);
    }
    out.push(']');
    out
}

fn push_range(out: &mut String, first: char, last: char) {
    push_char(out, first);
    if last != first {
        if last as u32 > first as u32 + 1 {
            out.push('-');
        }
        push_char(out, last);
    }
}

fn push_char(out: &mut String, c: char) {
    if (c as u32) < 0x10000 {
        let _ = write!(out, "\\u{:04X}", c as u32);
    } else {
        out.push(c);
    }
}
