//! Validated text: names, slugs and email addresses ("parse, don't validate").
//!
//! Each type has a private field and a `parse` constructor, so holding one proves the text
//! follows its rule; services never re-check them.
//!
//! Text is compared and stored in Unicode Normalization Form C, so the precomposed `é` and `e`
//! followed by a combining acute are one name and one address. Invisible and look-alike text is
//! refused rather than cleaned: control characters (category Cc) and format characters
//! (category Cf: zero-width spaces and joiners, bidirectional overrides and isolates, the byte
//! order mark, tag characters) in every name and email, and an email whose local part or any
//! domain label mixes scripts (UTS #39's single-script test), which is how a homograph of
//! another address is spelt. Display names may mix scripts: people's names do.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::MixedScript;

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
    /// The name contains an invisible format character (a zero-width space or joiner, a
    /// bidirectional override…), which makes one name look like another or reorders its text.
    #[error("must not contain invisible or bidirectional formatting characters")]
    NameFormatCharacter,
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
    /// The email address contains an invisible format character (a zero-width space or
    /// joiner, a bidirectional override…): it would look like another address.
    #[error("must not contain invisible or bidirectional formatting characters")]
    EmailFormatCharacter,
    /// The local part or a domain label mixes scripts (Latin `a` with Cyrillic `а`): a
    /// homograph of another address.
    #[error(
        "must not mix scripts (such as Latin and Cyrillic) within the part before the @ or within a domain label"
    )]
    EmailMixedScript,
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

/// A display name for a group, project, squad or user: trimmed, in NFC, 1–200 characters, no
/// control or format characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

/// A URL-safe identifier: `[a-z0-9]+(-[a-z0-9]+)*`, at most 63 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

/// An email address: trimmed, stored lower-case in NFC, at most 254 characters, one `@` with a
/// non-empty local part and a dotted domain, no whitespace, control or format characters, and
/// one script per part (the local part, each domain label).
///
/// This is deliberately loose (no attempt at RFC 5322): it catches typos, while delivery is the
/// real test of an address. Lower-casing the whole address makes uniqueness case-insensitive, as
/// users expect, at the cost of case-sensitive local parts, which mail systems do not use in
/// practice.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Name {
    /// Trims `raw`, normalises it to NFC and checks it (the length is counted after both).
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = nfc(raw.trim());
        if name.is_empty() {
            return Err(ValidationError::NameEmpty);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ValidationError::NameTooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::NameControlCharacter);
        }
        if name.chars().any(is_format) {
            return Err(ValidationError::NameFormatCharacter);
        }
        Ok(Self(name))
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
    /// Trims, lower-cases and normalises `raw` to NFC (in that order: lower-casing a decomposed
    /// letter leaves it decomposed), then checks it.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = nfc(&raw.trim().to_lowercase());
        if email.chars().count() > MAX_EMAIL_LEN {
            return Err(ValidationError::EmailTooLong);
        }
        if email.chars().any(char::is_whitespace) {
            return Err(ValidationError::EmailWhitespace);
        }
        if email.chars().any(char::is_control) {
            return Err(ValidationError::EmailControlCharacter);
        }
        if email.chars().any(is_format) {
            return Err(ValidationError::EmailFormatCharacter);
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
        // Per part, as browsers judge internationalised domain names per label: `山田@例え.jp`
        // is fine (each part is one script), `pаypal@example.org` with a Cyrillic `а` is not.
        // Digits and punctuation belong to every script, so they never count as a second one.
        if !std::iter::once(local)
            .chain(domain.split('.'))
            .all(MixedScript::is_single_script)
        {
            return Err(ValidationError::EmailMixedScript);
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

/// `text` in Unicode Normalization Form C, the form every name and address is compared and
/// stored in (and that a search text must be in to find them).
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// Whether `c` is a format character (Unicode category Cf): zero-width spaces, joiners and
/// non-joiners, bidirectional marks, embeddings, overrides and isolates, the byte order mark,
/// the soft hyphen, tag characters. Each is invisible (or reorders what is around it).
fn is_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// Whether a name or an email address may never hold `c`, wherever it stands: a control
/// character (Cc) or a format character (Cf). The API's published patterns are built from this.
pub fn is_refused_in_text(c: char) -> bool {
    c.is_control() || is_format(c)
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
        let max_nfd = "e\u{301}".repeat(200);
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
                ("esc\u{1b}[2J", Err(E::NameControlCharacter)),
                ("c1\u{85}next-line", Err(E::NameControlCharacter)),
                // NFC: a decomposed `é` is stored composed, and counted as one character.
                ("Caf\u{65}\u{301}", Ok("Caf\u{e9}")),
                (&max_nfd, Ok(&max)),
                // Invisible and bidirectional formatting (Cf) is refused, wherever it is.
                ("\u{200b}", Err(E::NameFormatCharacter)),
                ("  \u{200b}  ", Err(E::NameFormatCharacter)),
                ("Sci\u{200b}ence", Err(E::NameFormatCharacter)),
                ("Eve \u{202e}nimda", Err(E::NameFormatCharacter)),
                ("\u{2066}Eve\u{2069}", Err(E::NameFormatCharacter)),
                ("Eve\u{200f}", Err(E::NameFormatCharacter)),
                ("\u{feff}Eve", Err(E::NameFormatCharacter)),
                ("Z\u{200d}W\u{200c}J", Err(E::NameFormatCharacter)),
                ("soft\u{ad}hyphen", Err(E::NameFormatCharacter)),
                ("tag\u{e0041}", Err(E::NameFormatCharacter)),
                // Scripts may mix in a name: people's and teams' names do.
                ("Team \u{3a9}mega", Ok("Team \u{3a9}mega")),
                (
                    "Ivan \u{418}\u{432}\u{430}\u{43d}",
                    Ok("Ivan \u{418}\u{432}\u{430}\u{43d}"),
                ),
            ],
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
                ("a\u{200b}b", Err(E::SlugInvalid)),
                ("\u{202e}ab", Err(E::SlugInvalid)),
                ("a\u{ad}b", Err(E::SlugInvalid)),
                ("a\0", Err(E::SlugInvalid)),
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
                // NFC, after lower-casing: the spellings of one address are one address.
                ("\u{e9}lise@x.org", Ok("\u{e9}lise@x.org")),
                ("e\u{301}lise@x.org", Ok("\u{e9}lise@x.org")),
                ("E\u{301}LISE@X.ORG", Ok("\u{e9}lise@x.org")),
                ("\u{c9}lise@x.org", Ok("\u{e9}lise@x.org")),
                // Invisible and bidirectional formatting (Cf).
                ("ad\u{200b}min@localhost", Err(E::EmailFormatCharacter)),
                ("\u{202e}admin@localhost", Err(E::EmailFormatCharacter)),
                ("\u{200d}@x.org", Err(E::EmailFormatCharacter)),
                ("admin@local\u{2066}host", Err(E::EmailFormatCharacter)),
                ("\u{feff}admin@localhost", Err(E::EmailFormatCharacter)),
                ("ad\u{ad}min@x.org", Err(E::EmailFormatCharacter)),
                // One script per part: a Latin address with a Cyrillic `а` is a homograph.
                ("p\u{430}ypal@example.org", Err(E::EmailMixedScript)),
                ("paypal@ex\u{430}mple.org", Err(E::EmailMixedScript)),
                ("\u{3b1}lpha@x.org", Err(E::EmailMixedScript)),
                (
                    "\u{3b1}\u{3bb}\u{3c6}\u{3b1}@x.org",
                    Ok("\u{3b1}\u{3bb}\u{3c6}\u{3b1}@x.org"),
                ),
                (
                    "\u{430}\u{434}\u{43c}\u{438}\u{43d}@x.org",
                    Ok("\u{430}\u{434}\u{43c}\u{438}\u{43d}@x.org"),
                ),
                (
                    "\u{5c71}\u{7530}\u{305f}\u{308d}\u{3046}@\u{4f8b}\u{3048}.jp",
                    Ok("\u{5c71}\u{7530}\u{305f}\u{308d}\u{3046}@\u{4f8b}\u{3048}.jp"),
                ),
                ("ada.2024+tag_x-y@x.org", Ok("ada.2024+tag_x-y@x.org")),
            ],
        );
    }

    /// A value read the four ways callers read it: `as_str`, `AsRef`, `Display`, `into_inner`.
    fn forms<T: AsRef<str> + fmt::Display>(
        value: T,
        as_str: fn(&T) -> &str,
        into_inner: fn(T) -> String,
    ) -> [String; 4] {
        [
            as_str(&value).to_owned(),
            value.as_ref().to_owned(),
            value.to_string(),
            into_inner(value),
        ]
    }

    #[test]
    fn every_accessor_reads_the_checked_text() {
        // Services store `into_inner`, compare `as_str` and print `Display`: each must be the
        // trimmed, normalised text that `parse` checked, never the raw input.
        let cases = [
            (
                forms(
                    Name::parse("  Caf\u{65}\u{301} ").unwrap(),
                    Name::as_str,
                    Name::into_inner,
                ),
                "Caf\u{e9}",
            ),
            (
                forms(
                    Slug::parse("year-7").unwrap(),
                    Slug::as_str,
                    Slug::into_inner,
                ),
                "year-7",
            ),
            (
                forms(
                    Slug::from_name(&Name::parse("R&D 2024").unwrap()).unwrap(),
                    Slug::as_str,
                    Slug::into_inner,
                ),
                "r-d-2024",
            ),
            (
                forms(
                    Email::parse(" E\u{301}lise@Example.ORG ").unwrap(),
                    Email::as_str,
                    Email::into_inner,
                ),
                "\u{e9}lise@example.org",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, [want; 4].map(str::to_owned), "{want}");
        }
    }

    /// The characters no name or address may hold anywhere are exactly the control and format
    /// characters, which is what the published patterns are built from; white space, letters of
    /// any script and symbols are not among them.
    #[test]
    fn refused_characters_are_control_and_format_characters() {
        let cases = [
            ('\u{0}', true),
            ('\t', true),
            ('\u{7f}', true),
            ('\u{9f}', true),
            ('\u{ad}', true),
            ('\u{200b}', true),
            ('\u{202e}', true),
            ('\u{feff}', true),
            ('\u{e0001}', true),
            (' ', false),
            ('\u{a0}', false),
            ('\u{3000}', false),
            ('a', false),
            ('Ж', false),
            ('山', false),
            ('😀', false),
            ('-', false),
        ];
        for (c, refused) in cases {
            assert_eq!(is_refused_in_text(c), refused, "{:?}", c);
            // Each refused character is refused by the name rule too, wherever it stands.
            let inside = format!("a{c}b");
            assert_eq!(Name::parse(&inside).is_err(), refused, "{inside:?}");
        }
    }

    #[test]
    fn messages_name_the_rule() {
        assert_eq!(E::NameTooLong.to_string(), "must be at most 200 characters");
        assert_eq!(E::SlugTooLong.to_string(), "must be at most 63 characters");
        assert_eq!(E::EmailAt.to_string(), "must contain exactly one @");
    }
}
