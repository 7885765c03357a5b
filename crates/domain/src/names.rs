//! Validated text: names, slugs and email addresses ("parse, don't validate").
//!
//! Each type has a private field and a `parse` constructor, so holding one proves the text
//! follows its rule; services never re-check them.

use std::fmt;

/// The longest a name may be, in characters, after trimming.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest a slug may be (a DNS label's limit, so slugs fit in host names too).
pub const MAX_SLUG_LEN: usize = 63;
/// The longest an email address may be (RFC 5321's path limit, less the angle brackets).
pub const MAX_EMAIL_LEN: usize = 254;

/// Why a name, slug or email address is refused (HTTP 400 `validation_failed`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The name is empty once trimmed.
    #[error("must not be empty or only whitespace")]
    NameEmpty,
    /// The name is too long once trimmed.
    #[error("must be at most {MAX_NAME_CHARS} characters")]
    NameTooLong,
    /// The name contains a control character (a newline, tab, NUL…), which breaks listings
    /// and logs.
    #[error("must not contain control characters")]
    NameControlCharacter,
    /// The slug does not match `[a-z0-9]+(-[a-z0-9]+)*`.
    #[error("must be lower-case letters and digits in words joined by single hyphens")]
    SlugInvalid,
    /// The slug is too long.
    #[error("must be at most {MAX_SLUG_LEN} characters")]
    SlugTooLong,
    /// A slug derived from a name has no letters or digits left.
    #[error("has no ASCII letters or digits to derive a slug from; give a slug")]
    SlugUnderivable,
    /// The email address is too long.
    #[error("must be at most {MAX_EMAIL_LEN} characters")]
    EmailTooLong,
    /// The email address contains whitespace.
    #[error("must not contain whitespace")]
    EmailWhitespace,
    /// The email address contains a control character (NUL, escape, DEL…).
    #[error("must not contain control characters")]
    EmailControlCharacter,
    /// The email address does not contain exactly one `@`.
    #[error("must contain exactly one @")]
    EmailAt,
    /// Nothing before the `@`.
    #[error("must have a local part before the @")]
    EmailLocalPart,
    /// The domain is not a dotted name (or `localhost`).
    #[error("must have a domain with a dot after the @, such as example.org")]
    EmailDomain,
}

/// A display name for a group, project, squad or user: trimmed, 1–200 characters, no control
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

/// A URL-safe identifier: `[a-z0-9]+(-[a-z0-9]+)*`, at most 63 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

/// An email address: trimmed, stored lower-case, at most 254 characters, one `@` with a
/// non-empty local part and a dotted domain, no whitespace.
///
/// This is deliberately loose (no attempt at RFC 5322): it catches typos, while delivery is the
/// real test of an address. Lower-casing the whole address makes uniqueness case-insensitive, as
/// users expect, at the cost of case-sensitive local parts, which mail systems do not use in
/// practice.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Name {
    /// Trims `raw` and checks it.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::NameEmpty);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ValidationError::NameTooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::NameControlCharacter);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, by value.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl Slug {
    /// Checks `raw` as given: no trimming or lower-casing, since a slug is an identifier the
    /// client chose and silently changing it would surprise them.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.len() > MAX_SLUG_LEN {
            return Err(ValidationError::SlugTooLong);
        }
        let words_ok = raw
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(is_slug_byte));
        if !words_ok {
            return Err(ValidationError::SlugInvalid);
        }
        Ok(Self(raw.to_owned()))
    }

    /// Derives a slug from a name: ASCII letters and digits are kept (lower-cased), every run of
    /// anything else becomes one `-`, leading and trailing `-` are dropped, and the result is cut
    /// to 63 characters without a trailing `-`. Fails if no letter or digit is left.
    pub fn from_name(name: &Name) -> Result<Self, ValidationError> {
        let mut slug = String::new();
        for c in name.as_str().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        // Everything in `slug` is ASCII, so cutting at a byte index is a character boundary.
        slug.truncate(MAX_SLUG_LEN);
        let slug = slug.trim_end_matches('-');
        if slug.is_empty() {
            return Err(ValidationError::SlugUnderivable);
        }
        Self::parse(slug)
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The slug, by value.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl Email {
    /// Trims and lower-cases `raw`, then checks it.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        if email.chars().count() > MAX_EMAIL_LEN {
            return Err(ValidationError::EmailTooLong);
        }
        if email.chars().any(char::is_whitespace) {
            return Err(ValidationError::EmailWhitespace);
        }
        if email.chars().any(char::is_control) {
            return Err(ValidationError::EmailControlCharacter);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(ValidationError::EmailAt);
        };
        if domain.contains('@') {
            return Err(ValidationError::EmailAt);
        }
        if local.is_empty() {
            return Err(ValidationError::EmailLocalPart);
        }
        // `localhost` is accepted as well, because the first system admin the server creates
        // is `admin@localhost` (spec §5).
        let dotted = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if !(dotted || domain == "localhost") {
            return Err(ValidationError::EmailDomain);
        }
        Ok(Self(email))
    }

    /// The address, lower-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, by value.
    pub fn into_inner(self) -> String {
        self.0
    }
}

fn is_slug_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use ValidationError as E;

    /// Checks a parser on `(input, expected stored value or error)` pairs.
    fn check<T: AsRef<str> + fmt::Debug>(
        parse: impl Fn(&str) -> Result<T, ValidationError>,
        cases: &[(&str, Result<&str, ValidationError>)],
    ) {
        for (input, want) in cases {
            let got = parse(input);
            let got = got.as_ref().map(AsRef::as_ref).map_err(Clone::clone);
            assert_eq!(got, want.clone(), "{input:?}");
        }
    }

    #[test]
    fn names() {
        let max = "é".repeat(200);
        let over = "é".repeat(201);
        let padded_max = format!("  {max}  ");
        check(
            Name::parse,
            &[
                ("Engineering", Ok("Engineering")),
                ("  Year 7 / Class B  ", Ok("Year 7 / Class B")),
                ("x", Ok("x")),
                ("Zoë's Café 🚀", Ok("Zoë's Café 🚀")),
                (&max, Ok(&max)),
                (&padded_max, Ok(&max)),
                (&over, Err(E::NameTooLong)),
                ("", Err(E::NameEmpty)),
                ("   \t\n ", Err(E::NameEmpty)),
                ("two\nlines", Err(E::NameControlCharacter)),
                ("nul\0byte", Err(E::NameControlCharacter)),
            ],
        );
        let name = Name::parse(" a ").unwrap();
        assert_eq!(
            (name.to_string(), name.into_inner()),
            ("a".into(), "a".into())
        );
    }

    #[test]
    fn slugs() {
        let max = "a".repeat(63);
        let over = "a".repeat(64);
        check(
            Slug::parse,
            &[
                ("engineering", Ok("engineering")),
                ("year-7-class-b", Ok("year-7-class-b")),
                ("7", Ok("7")),
                (&max, Ok(&max)),
                (&over, Err(E::SlugTooLong)),
                ("", Err(E::SlugInvalid)),
                ("-a", Err(E::SlugInvalid)),
                ("a-", Err(E::SlugInvalid)),
                ("a--b", Err(E::SlugInvalid)),
                ("A", Err(E::SlugInvalid)),
                ("a_b", Err(E::SlugInvalid)),
                ("a b", Err(E::SlugInvalid)),
                (" a", Err(E::SlugInvalid)),
                ("café", Err(E::SlugInvalid)),
            ],
        );
    }

    #[test]
    fn slugs_from_names() {
        let long = format!("{} tail", "a".repeat(62));
        let cut_at_hyphen = format!("{}-b", "a".repeat(61));
        let long_word = "b".repeat(70);
        let b63 = "b".repeat(63);
        check(
            |raw| Slug::from_name(&Name::parse(raw).unwrap()),
            &[
                ("Engineering", Ok("engineering")),
                ("Year 7 / Class B", Ok("year-7-class-b")),
                ("  --Hello,   World!--  ", Ok("hello-world")),
                ("Zoë's Café", Ok("zo-s-caf")),
                ("R&D 2024", Ok("r-d-2024")),
                ("ÉCOLE", Ok("cole")),
                (&long, Ok(&"a".repeat(62))),
                (&cut_at_hyphen, Ok(&cut_at_hyphen)),
                (&long_word, Ok(&b63)),
                ("日本語", Err(E::SlugUnderivable)),
                ("---", Err(E::SlugUnderivable)),
                ("🚀", Err(E::SlugUnderivable)),
            ],
        );
    }

    #[test]
    fn emails() {
        let local = "a".repeat(64);
        let at_max = format!("{local}@{}.org", "d".repeat(254 - 64 - 1 - 4));
        let over_max = format!("{local}@{}.org", "d".repeat(254 - 64 - 1 - 3));
        check(
            Email::parse,
            &[
                ("ada@example.org", Ok("ada@example.org")),
                (
                    "  Ada.Lovelace+roster@Example.ORG ",
                    Ok("ada.lovelace+roster@example.org"),
                ),
                ("admin@localhost", Ok("admin@localhost")),
                ("a@b.c", Ok("a@b.c")),
                (&at_max, Ok(&at_max)),
                (&over_max, Err(E::EmailTooLong)),
                ("", Err(E::EmailAt)),
                ("ada", Err(E::EmailAt)),
                ("ada.example.org", Err(E::EmailAt)),
                ("a@b@example.org", Err(E::EmailAt)),
                ("@example.org", Err(E::EmailLocalPart)),
                ("ada@", Err(E::EmailDomain)),
                ("ada@example", Err(E::EmailDomain)),
                ("ada@.example.org", Err(E::EmailDomain)),
                ("ada@example.org.", Err(E::EmailDomain)),
                ("ada@example..org", Err(E::EmailDomain)),
                ("ada lovelace@example.org", Err(E::EmailWhitespace)),
                ("ada@exa\tmple.org", Err(E::EmailWhitespace)),
                ("nul\0@x.org", Err(E::EmailControlCharacter)),
                ("esc\u{1b}@x.org", Err(E::EmailControlCharacter)),
                ("del\u{7f}@x.org", Err(E::EmailControlCharacter)),
            ],
        );
    }

    #[test]
    fn messages_name_the_rule() {
        assert_eq!(E::NameTooLong.to_string(), "must be at most 200 characters");
        assert_eq!(E::SlugTooLong.to_string(), "must be at most 63 characters");
        assert_eq!(E::EmailAt.to_string(), "must contain exactly one @");
    }
}
