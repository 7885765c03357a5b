//! The SCIM filter language (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): a tokenizer and a
//! recursive-descent parser with the RFC's precedence (`not` and grouping, then `and`, then
//! `or`), bounded in length and nesting so that no input can exhaust the stack.

use std::fmt;

/// The longest filter or path accepted, in bytes.
pub const MAX_LEN: usize = 4096;
/// The deepest nesting of `not`, parentheses and brackets accepted.
pub const MAX_DEPTH: usize = 32;

/// `urn:…:Schema:name.sub`, `name.sub` or `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URI, when the attribute is qualified by one.
    pub uri: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

/// A comparison operator of §3.4.2.2, table 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

impl CompareOp {
    fn from_word(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "lt" => Self::Lt,
            "ge" => Self::Ge,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`; the value is JSON `null`, a boolean, a number or a string.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: serde_json::Value,
    },
    /// `path pr`.
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `path[filter]`: some value of the multi-valued `path` matches `filter`, whose attribute
    /// paths are relative to it.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// A PATCH operation's `path`: an attribute, or the values of a multi-valued attribute that
/// match a filter, optionally narrowed to one sub-attribute (`emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

/// Why a filter or path was refused, and where (a byte offset into the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at character {}", self.message, self.position + 1)
    }
}

impl std::error::Error for ParseError {}

fn error<T>(position: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        position,
        message: message.into(),
    })
}

/// Parses a `filter` query parameter (or `.search` body field).
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    let mut parser = Parser::new(input)?;
    if parser.tokens.is_empty() {
        return error(0, "the filter is empty");
    }
    let filter = parser.or()?;
    parser.end()?;
    Ok(filter)
}

/// Parses a PATCH operation's `path`.
pub fn parse_path(input: &str) -> Result<PatchPath, ParseError> {
    let mut parser = Parser::new(input)?;
    let (attr, at) = parser.attr_path()?;
    let mut path = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if parser.eat(&Token::LBracket) {
        if path.attr.sub.is_some() {
            return error(
                at,
                "a value filter applies to an attribute, not a sub-attribute",
            );
        }
        path.filter = Some(parser.bracketed()?);
        if let Some((Token::Word(word), at)) = parser.peek().cloned()
            && let Some(sub) = word.strip_prefix('.')
        {
            parser.next += 1;
            check_name(sub, at + 1)?;
            path.sub = Some(sub.to_owned());
        }
    }
    parser.end()?;
    Ok(path)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Value(serde_json::Value),
    LParen,
    RParen,
    LBracket,
    RBracket,
}

fn tokenize(input: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let bytes = input.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let token = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'(' => Token::LParen,
            b')' => Token::RParen,
            b'[' => Token::LBracket,
            b']' => Token::RBracket,
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return error(start, "a string is not closed");
                }
                match serde_json::from_str::<String>(&input[start..=i]) {
                    Ok(text) => Token::Value(text.into()),
                    Err(_) => return error(start, "a string has an invalid escape"),
                }
            }
            b'-' | b'0'..=b'9' => {
                while i + 1 < bytes.len()
                    && matches!(bytes[i + 1], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                match serde_json::from_str::<serde_json::Number>(&input[start..=i]) {
                    Ok(number) => Token::Value(number.into()),
                    Err(_) => return error(start, "a number is malformed"),
                }
            }
            c if c.is_ascii_alphabetic() || matches!(c, b'$' | b'.' | b'_') => {
                while i + 1 < bytes.len()
                    && (bytes[i + 1].is_ascii_alphanumeric()
                        || matches!(bytes[i + 1], b'$' | b'.' | b'_' | b'-' | b':'))
                {
                    i += 1;
                }
                Token::Word(input[start..=i].to_owned())
            }
            _ => {
                let shown = input[start..].chars().next().unwrap_or(' ');
                return error(start, format!("unexpected character '{shown}'"));
            }
        };
        tokens.push((token, start));
        i += 1;
    }
    Ok(tokens)
}

/// `name` is an ATTRNAME: a letter (or `$`, for `$ref`), then letters, digits, `-` and `_`.
fn check_name(name: &str, at: usize) -> Result<(), ParseError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else {
        error(at, format!("'{name}' is not an attribute name"))
    }
}

/// Splits `word` into an attribute path: an optional `urn:` schema URI up to the last `:`,
/// then a name and at most one sub-attribute.
fn attr_path(word: &str, at: usize) -> Result<AttrPath, ParseError> {
    let (uri, rest, offset) = if word.len() > 4 && word[..4].eq_ignore_ascii_case("urn:") {
        // The word starts with `urn:`, so there is a last colon.
        let colon = word.rfind(':').unwrap_or(3);
        (
            Some(word[..colon].to_owned()),
            &word[colon + 1..],
            colon + 1,
        )
    } else if word.contains(':') {
        return error(
            at,
            format!("'{word}': only a urn: schema URI may contain ':'"),
        );
    } else {
        (None, word, 0)
    };
    let mut parts = rest.split('.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        return error(at, format!("'{word}' has more than one sub-attribute"));
    }
    check_name(name, at + offset)?;
    if let Some(sub) = sub {
        check_name(sub, at + offset + name.len() + 1)?;
    }
    Ok(AttrPath {
        uri,
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    end: usize,
    depth: usize,
    in_brackets: bool,
}

impl Parser {
    fn new(input: &str) -> Result<Self, ParseError> {
        if input.len() > MAX_LEN {
            return error(MAX_LEN, format!("longer than {MAX_LEN} bytes"));
        }
        Ok(Self {
            tokens: tokenize(input)?,
            next: 0,
            end: input.len(),
            depth: 0,
            in_brackets: false,
        })
    }

    fn peek(&self) -> Option<&(Token, usize)> {
        self.tokens.get(self.next)
    }

    /// Where the next token starts (the input's end when there is none).
    fn here(&self) -> usize {
        self.peek().map_or(self.end, |(_, at)| *at)
    }

    fn eat(&mut self, token: &Token) -> bool {
        let found = self.peek().is_some_and(|(t, _)| t == token);
        if found {
            self.next += 1;
        }
        found
    }

    /// Takes the next token when it is the keyword `word` (any case).
    fn keyword(&mut self, word: &str) -> bool {
        let found =
            matches!(self.peek(), Some((Token::Word(w), _)) if w.eq_ignore_ascii_case(word));
        if found {
            self.next += 1;
        }
        found
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), ParseError> {
        if self.eat(token) {
            Ok(())
        } else {
            error(self.here(), format!("expected {what}"))
        }
    }

    fn end(&self) -> Result<(), ParseError> {
        match self.peek() {
            None => Ok(()),
            Some((_, at)) => error(*at, "unexpected text after the end"),
        }
    }

    fn or(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return error(self.here(), format!("nested deeper than {MAX_DEPTH}"));
        }
        let negated = matches!(
            (self.peek(), self.tokens.get(self.next + 1)),
            (Some((Token::Word(w), _)), Some((Token::LParen, _))) if w.eq_ignore_ascii_case("not")
        );
        if negated {
            self.next += 1;
        }
        let filter = if self.eat(&Token::LParen) {
            let inner = self.or()?;
            self.expect(&Token::RParen, "')'")?;
            if negated {
                Filter::Not(Box::new(inner))
            } else {
                inner
            }
        } else {
            self.attr_expr()?
        };
        self.depth -= 1;
        Ok(filter)
    }

    fn attr_path(&mut self) -> Result<(AttrPath, usize), ParseError> {
        match self.peek().cloned() {
            Some((Token::Word(word), at)) => {
                self.next += 1;
                Ok((attr_path(&word, at)?, at))
            }
            _ => error(self.here(), "expected an attribute"),
        }
    }

    /// The filter inside `[` … `]` (the `[` taken already).
    fn bracketed(&mut self) -> Result<Filter, ParseError> {
        if self.in_brackets {
            return error(self.here(), "a value filter cannot hold another");
        }
        self.in_brackets = true;
        let filter = self.or()?;
        self.expect(&Token::RBracket, "']'")?;
        self.in_brackets = false;
        Ok(filter)
    }

    fn attr_expr(&mut self) -> Result<Filter, ParseError> {
        let (path, at) = self.attr_path()?;
        if self.eat(&Token::LBracket) {
            if path.sub.is_some() {
                return error(
                    at,
                    "a value filter applies to an attribute, not a sub-attribute",
                );
            }
            let filter = Box::new(self.bracketed()?);
            return Ok(Filter::ValuePath { path, filter });
        }
        if self.keyword("pr") {
            return Ok(Filter::Present(path));
        }
        let op = match self.peek() {
            Some((Token::Word(word), _)) => CompareOp::from_word(word),
            _ => None,
        };
        let Some(op) = op else {
            return error(
                self.here(),
                "expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr)",
            );
        };
        self.next += 1;
        let value = match self.peek().cloned() {
            Some((Token::Value(value), _)) => value,
            Some((Token::Word(word), _)) if word.eq_ignore_ascii_case("true") => true.into(),
            Some((Token::Word(word), _)) if word.eq_ignore_ascii_case("false") => false.into(),
            Some((Token::Word(word), _)) if word.eq_ignore_ascii_case("null") => {
                serde_json::Value::Null
            }
            _ => {
                return error(
                    self.here(),
                    "expected a value: a string, a number, true, false or null",
                );
            }
        };
        self.next += 1;
        Ok(Filter::Compare { path, op, value })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn path(name: &str) -> AttrPath {
        AttrPath {
            uri: None,
            name: name.into(),
            sub: None,
        }
    }

    fn eq(name: &str, value: serde_json::Value) -> Filter {
        Filter::Compare {
            path: path(name),
            op: CompareOp::Eq,
            value,
        }
    }

    #[test]
    fn a_comparison_of_each_kind_of_value() {
        assert_eq!(
            parse_filter(r#"userName eq "bjensen""#).unwrap(),
            eq("userName", json!("bjensen"))
        );
        assert_eq!(
            parse_filter("active EQ True").unwrap(),
            eq("active", json!(true))
        );
        assert_eq!(parse_filter("x eq null").unwrap(), eq("x", json!(null)));
        assert_eq!(parse_filter("n eq -1.5e2").unwrap(), eq("n", json!(-150.0)));
        assert_eq!(
            parse_filter(r#"s eq "a \"q\" \u00e9""#).unwrap(),
            eq("s", json!("a \"q\" é"))
        );
    }

    #[test]
    fn every_operator_in_any_case() {
        for (word, op) in [
            ("eq", CompareOp::Eq),
            ("NE", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("Sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("lt", CompareOp::Lt),
            ("ge", CompareOp::Ge),
            ("le", CompareOp::Le),
        ] {
            let parsed = parse_filter(&format!(
                "meta.lastModified {word} \"2011-05-13T04:42:34Z\""
            ));
            let Ok(Filter::Compare {
                op: found, path, ..
            }) = parsed
            else {
                panic!("{word}")
            };
            assert_eq!(found, op);
            assert_eq!(
                (path.name.as_str(), path.sub.as_deref()),
                ("meta", Some("lastModified"))
            );
        }
        assert_eq!(
            parse_filter("title PR").unwrap(),
            Filter::Present(path("title"))
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        let a = || eq("a", json!(1));
        let b = || eq("b", json!(2));
        let c = || eq("c", json!(3));
        let and = |l, r| Filter::And(Box::new(l), Box::new(r));
        let or = |l, r| Filter::Or(Box::new(l), Box::new(r));
        assert_eq!(
            parse_filter("a eq 1 or b eq 2 and c eq 3").unwrap(),
            or(a(), and(b(), c()))
        );
        assert_eq!(
            parse_filter("(a eq 1 or b eq 2) and c eq 3").unwrap(),
            and(or(a(), b()), c())
        );
        assert_eq!(
            parse_filter("a eq 1 and b eq 2 or c eq 3").unwrap(),
            or(and(a(), b()), c())
        );
        assert_eq!(
            parse_filter("not (a eq 1) and b eq 2").unwrap(),
            and(Filter::Not(Box::new(a())), b())
        );
    }

    #[test]
    fn value_filters_and_schema_uris() {
        let parsed = parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        let Filter::ValuePath { path: p, filter } = parsed else {
            panic!("a value path")
        };
        assert_eq!(p, path("emails"));
        assert!(matches!(*filter, Filter::And(..)));
        let parsed = parse_filter(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
        )
        .unwrap();
        let Filter::Compare { path: p, .. } = parsed else {
            panic!("a comparison")
        };
        assert_eq!(
            p.uri.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            (p.name.as_str(), p.sub.as_deref()),
            ("manager", Some("value"))
        );
        assert_eq!(parse_filter(r#"members[$ref eq "x"]"#).map(|_| ()), Ok(()));
    }

    #[test]
    fn patch_paths() {
        let simple = parse_path("name.givenName").unwrap();
        assert_eq!(
            (simple.attr.name.as_str(), simple.attr.sub.as_deref()),
            ("name", Some("givenName"))
        );
        assert_eq!(simple.filter, None);
        let narrowed = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(narrowed.attr, path("emails"));
        assert_eq!(narrowed.filter, Some(eq("type", json!("work"))));
        assert_eq!(narrowed.sub.as_deref(), Some("value"));
        let members =
            parse_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
        assert_eq!(members.sub, None);
    }

    #[test]
    fn malformed_input_is_refused_with_a_position() {
        let cases = [
            ("", 0, "empty"),
            ("userName", 8, "operator"),
            (r#"userName eq"#, 11, "value"),
            (r#"userName xx "a""#, 9, "operator"),
            (r#"userName eq "open"#, 12, "not closed"),
            (r#"s eq "\q""#, 5, "escape"),
            ("n eq 1.2.3", 5, "number"),
            (r#"(a eq 1"#, 7, "')'"),
            (r#"a eq 1 b eq 2"#, 7, "after the end"),
            (r#"emails[type eq "work""#, 21, "']'"),
            (r#"a[b[c eq 1]]"#, 4, "another"),
            (r#"name.givenName[x eq 1]"#, 0, "sub-attribute"),
            ("a.b.c eq 1", 0, "more than one"),
            ("1abc eq 1", 0, "attribute"),
            ("foo:bar eq 1", 0, "urn:"),
            ("a eq 1 & b eq 2", 7, "unexpected character"),
            ("a-b eq 1 and 9 eq 1", 13, "attribute"),
            ("not a eq 1", 4, "operator"),
        ];
        for (input, position, words) in cases {
            let error = parse_filter(input).expect_err(input);
            assert!(error.message.contains(words), "{input}: {error}");
            assert_eq!(error.position, position, "{input}: {error}");
        }
        let error = parse_path(r#"emails[type eq "work"].1"#).expect_err("a bad sub-attribute");
        assert_eq!(error.position, 23, "{error}");
    }

    #[test]
    fn length_and_nesting_are_bounded() {
        let long = format!("a eq \"{}\"", "x".repeat(MAX_LEN));
        assert!(parse_filter(&long).unwrap_err().message.contains("longer"));
        let deep = format!(
            "{}a eq 1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(parse_filter(&deep).unwrap_err().message.contains("nested"));
        let fits = format!(
            "{}a eq 1{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(parse_filter(&fits).is_ok());
    }
}
