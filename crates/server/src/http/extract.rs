//! Request extractors whose every failure is a specific problem+json error.
//!
//! actix's own `web::Json` cannot name the field that failed to deserialize, so bodies are read
//! here: content type first (415), then size (413), then syntax (`malformed_json`), then shape,
//! then control characters, then rules (`validation_failed` naming each field).
//!
//! Control characters (Unicode category Cc: NUL, tab, newline, escape, DEL, the C1 range) are
//! refused once for every request, here, in every string of a JSON body (named by its JSON
//! path) and every query parameter (named by its name), rather than field by field: no field of
//! this API means to hold one, PostgreSQL cannot store NUL in text at all (it fails the whole
//! statement), and a check per field is one a new field forgets.

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::auth::Principal;
use crate::error::{ApiError, FieldError};
use crate::services::guard::Subject;
use crate::state::AppState;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body, deserialized (unknown fields refused by the type) and validated.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = bytes.await.map_err(body_error)?;
            parse_and_validate(&bytes).map(Json)
        })
    }
}

/// A JSON body that may be left out, for routes that take `{}` or nothing: no body is `None`.
/// A body that is there obeys the same rules as [`Json`] — `null` too, which is no object (the
/// published schema is "no body, or the object").
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(body_error)?;
            if bytes.trim_ascii().is_empty() {
                return Ok(OptionalJson(None));
            }
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            parse_and_validate(&bytes).map(|value| OptionalJson(Some(value)))
        })
    }
}

fn parse_and_validate<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = parse::<T>(bytes)?;
    value.validate().map_err(validation_errors)?;
    Ok(value)
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

/// A body that could not be read: too large (413), or cut off or otherwise unreadable.
fn body_error(error: actix_web::Error) -> ApiError {
    if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(MAX_BODY_BYTES)
    } else {
        ApiError::MalformedJson(error.to_string())
    }
}

/// Deserializes `bytes`, telling a syntax error from a wrong shape and naming the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde also builds a struct from a JSON array of its fields in order; every body of this
    // API is an object, so anything else is refused before it can be read that way.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(_) => ApiError::invalid("body", "must be a JSON object"),
            Err(e) => ApiError::MalformedJson(strip_position(&e.to_string())),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::MalformedJson(strip_position(&inner.to_string()));
        }
        let message = strip_position(&inner.to_string());
        ApiError::Validation(vec![FieldError::new(field_name(&path, &message), message)])
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::MalformedJson(strip_position(&e.to_string())))?;
    // The body is valid JSON of the right shape; read it once more as a tree to find every
    // string holding a control character, whichever field (or nested element) it is in.
    let tree = serde_json::from_slice::<serde_json::Value>(bytes)
        .map_err(|e| ApiError::MalformedJson(strip_position(&e.to_string())))?;
    let mut errors = Vec::new();
    control_characters_in(&tree, &mut String::new(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(value)
}

/// What a client is told about a text holding a control character.
pub const CONTROL_CHARACTER: &str = "must not contain control characters";

/// Whether `text` holds a control character (Unicode category Cc, which is what
/// `char::is_control` tests: U+0000–U+001F and U+007F–U+009F).
pub fn has_control_character(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Collects a `{field, message}` for every string under `value` (object keys included) that
/// holds a control character, naming it by its JSON path as serde names a mistyped field
/// (`name`, `resource.type`, `checks[1].user_id`).
fn control_characters_in(value: &serde_json::Value, path: &mut String, out: &mut Vec<FieldError>) {
    use serde_json::Value;
    let here = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(text) if has_control_character(text) => {
            out.push(FieldError::new(here(path), CONTROL_CHARACTER));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                control_characters_in(item, path, out);
                path.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                if has_control_character(key) {
                    // The key itself is no name to report: name the object holding it.
                    out.push(FieldError::new(
                        here(path),
                        "field names must not contain control characters",
                    ));
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                control_characters_in(item, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The field a serde error is about. The path already ends at an unknown or mistyped field; a
/// missing field is named only in the message, below its parent's path.
fn field_name(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (missing, path) {
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_owned(),
        (None, path) => path.to_owned(),
    }
}

/// serde_json appends "at line 1 column 7"; clients get the message without it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters, deserialized with the offending parameter named, then validated.
/// (actix's `web::Query` reports a bad number without saying which parameter it was.)
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string into `T`, naming the parameter that does not fit; then refuses any
/// parameter (of `T` or not) holding a control character, and validates.
pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    let parser = form_urlencoded::parse(query.as_bytes());
    let value: T = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(parser))
        .map_err(|error| {
            let message = error.inner().to_string();
            let field = match error.path().to_string().as_str() {
                // An unknown or missing parameter is named only in the message.
                "." | "" => message
                    .split('`')
                    .nth(1)
                    .filter(|name| !name.is_empty() && !has_control_character(name))
                    .unwrap_or("query")
                    .to_owned(),
                path if has_control_character(path) => "query".to_owned(),
                path => path.to_owned(),
            };
            ApiError::invalid(field, message)
        })?;
    let mut errors = Vec::new();
    for (name, text) in form_urlencoded::parse(query.as_bytes()) {
        if has_control_character(&name) {
            errors.push(FieldError::new(
                "query",
                "parameter names must not contain control characters",
            ));
        } else if has_control_character(&text) {
            errors.push(FieldError::new(name, CONTROL_CHARACTER));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    value.validate().map_err(validation_errors)?;
    Ok(value)
}

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>` field: tells
/// an absent field (`None`, "leave unchanged") from an explicit `null` (`Some(None)`).
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// For `#[serde(default, deserialize_with = "not_null")]` on an `Option<T>` field of a PATCH
/// body whose column cannot be null: absent is `None` ("leave unchanged"), a value is
/// `Some(value)`, and an explicit `null` is refused, naming the field. Every PATCH uses this (or
/// [`present`] where `null` means something), so `{"name": null}` is never a silent no-op.
pub fn not_null<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "must not be null; leave the field out to keep it unchanged",
        )),
    }
}

/// Parses a name field, collecting its error so that one answer lists every bad field.
pub fn name_field(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<domain::Name> {
    domain::Name::parse(raw)
        .map_err(|e| errors.push(FieldError::new(field, e.to_string())))
        .ok()
}

/// Parses an optional `slug` field, collecting its error with the others.
pub fn slug_field(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<domain::Slug> {
    raw.and_then(|raw| {
        domain::Slug::parse(raw)
            .map_err(|e| errors.push(FieldError::new("slug", e.to_string())))
            .ok()
    })
}

/// Flattens validator's nested errors into one `{field, message}` per failure.
pub fn validation_errors(errors: ValidationErrors) -> ApiError {
    let mut out = Vec::new();
    collect(&errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::Validation(out)
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                let message = e
                    .message
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| format!("fails the `{}` rule", e.code));
                FieldError::new(name.clone(), message)
            })),
            ValidationErrorsKind::Struct(inner) => collect(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{name}[{index}]"), out);
                }
            }
        }
    }
}

/// Routes take the subject straight from the authenticated request (the `Principal` the
/// middleware stored); like `Principal`, it fails closed outside the middleware.
impl FromRequest for Subject {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(
            Principal::from_request(req, payload)
                .into_inner()
                .map(|principal| Self::from(&principal)),
        )
    }
}

/// The authenticated caller of a `/v1` route and the database their request works on: what
/// every handler hands to its service.
pub struct Caller {
    state: web::Data<AppState>,
    pub subject: Subject,
}

impl Caller {
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.db
    }

    /// How webhook secrets are sealed and where deliveries may go.
    pub fn webhooks(&self) -> &crate::services::webhooks::Config {
        &self.state.webhooks
    }

    /// The server's settings.
    pub fn settings(&self) -> &crate::settings::Settings {
        &self.state.settings
    }

    /// The server's revision clock (long polls wait on it).
    pub fn clock(&self) -> &crate::services::changes::revision::Clock {
        &self.state.clock
    }

    /// The facts a read route decides on: memory (the authentication middleware brought it to
    /// the server's default consistency), or the database when memory is off.
    pub(crate) fn facts(&self) -> crate::services::memory::facts::Source<'_> {
        crate::services::memory::facts::Source::of(&self.state.decisions)
    }

    /// The facts to decide on at the freshness the body's `consistency` asks (the server's
    /// default when absent), with the caller as they stand at that freshness.
    pub(crate) async fn deciding(
        &self,
        consistency: Option<&crate::http::consistency::ConsistencyChoice>,
    ) -> Result<(crate::services::memory::facts::Source<'_>, Subject), ApiError> {
        let consistency = crate::http::consistency::parse(consistency)?;
        self.state
            .decisions
            .deciding(
                consistency,
                crate::http::consistency::REVISION_FIELD,
                self.subject,
            )
            .await
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the app state is not registered")));
        let caller = state.and_then(|state| {
            let subject = Subject::from_request(req, payload).into_inner()?;
            Ok(Self { state, subject })
        });
        std::future::ready(caller)
    }
}

/// What a handler that answers JSON returns.
pub type Reply<T> = Result<web::Json<T>, ApiError>;

/// What a handler that builds its own response (a status, headers) returns.
pub type Answer = Result<actix_web::HttpResponse, ApiError>;

/// A role name of one of the role tables (`all` is the table's `ALL`): anything else is a 400
/// naming `field` and listing the table's names, so the message follows the table.
pub fn role_field<R: Copy + std::str::FromStr + std::fmt::Display>(
    field: &str,
    raw: &str,
    all: &[R],
) -> Result<R, ApiError> {
    R::from_str(raw).map_err(|_| {
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        ApiError::invalid(field, format!("must be one of {}", names.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u8,
    }

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_bad_field() {
        assert_eq!(
            fields(parse::<Body>(br#"{"name":"a","count":"x"}"#).unwrap_err()),
            ["count"]
        );
        assert_eq!(
            fields(parse::<Body>(br#"{"name":"a","count":1,"role":"x"}"#).unwrap_err()),
            ["role"]
        );
        assert_eq!(
            fields(parse::<Body>(br#"{"count":1}"#).unwrap_err()),
            ["name"]
        );
    }

    #[test]
    fn only_objects_are_bodies() {
        assert_eq!(fields(parse::<Body>(br#"["a", 1]"#).unwrap_err()), ["body"]);
        assert_eq!(fields(parse::<Body>(b" null").unwrap_err()), ["body"]);
        assert!(matches!(
            parse::<Body>(b"[1,").unwrap_err(),
            ApiError::MalformedJson(_)
        ));
    }

    /// One rule for every PATCH body: `null` on a field that cannot be null is a 400 naming it;
    /// `parent_id: null` still parses (a root group, a top-level squad).
    #[test]
    fn every_patch_refuses_null_where_it_means_nothing() {
        use crate::http::routes::{groups, projects, squads, users};
        fn refused<T: DeserializeOwned + std::fmt::Debug>(field: &str) {
            let body = format!(r#"{{"{field}": null}}"#);
            assert_eq!(fields(parse::<T>(body.as_bytes()).unwrap_err()), [field]);
        }
        refused::<groups::UpdateGroup>("name");
        refused::<groups::UpdateGroup>("slug");
        refused::<projects::UpdateProject>("name");
        refused::<projects::UpdateProject>("slug");
        refused::<squads::UpdateSquad>("name");
        refused::<users::UpdateUser>("email");
        refused::<users::UpdateUser>("display_name");
        let group = parse::<groups::UpdateGroup>(br#"{"parent_id": null}"#).unwrap();
        assert_eq!((group.name, group.parent_id), (None, Some(None)));
        let squad = parse::<squads::UpdateSquad>(br#"{"parent_id": null}"#).unwrap();
        assert_eq!((squad.name, squad.parent_id), (None, Some(None)));
        let unchanged = parse::<groups::UpdateGroup>(b"{}").unwrap();
        assert_eq!((unchanged.name, unchanged.parent_id), (None, None));
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Nested {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        kind: String,
    }

    #[test]
    fn control_characters_are_refused_by_json_path() {
        let body = "{\"name\":\"a\\u0000b\",\"items\":[{\"kind\":\"ok\"},{\"kind\":\"\u{85}\"}]}";
        assert_eq!(
            fields(parse::<Nested>(body.as_bytes()).unwrap_err()),
            ["items[1].kind", "name"]
        );
        for text in ["\\t", "\\n", "\\u001b", "\\u007f", "\u{9f}"] {
            let body = format!(r#"{{"name":"x{text}","count":1}}"#);
            assert_eq!(
                fields(parse::<Body>(body.as_bytes()).unwrap_err()),
                ["name"],
                "{text}"
            );
        }
        // Everything else passes, invisible characters included: the names decide on those.
        let body = r#"{"name":"Zoë \u200b 🚀","count":1}"#;
        assert_eq!(
            parse::<Body>(body.as_bytes()).unwrap().name,
            "Zoë \u{200b} 🚀"
        );
    }

    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Filter {
        q: Option<String>,
        limit: Option<u8>,
    }

    #[test]
    fn query_parameters_are_named() {
        let refused = |query: &str| fields(parse_query::<Filter>(query).unwrap_err());
        assert_eq!(refused("q=%00"), ["q"]);
        assert_eq!(refused("q=a%0Ab&limit=2"), ["q"]);
        assert_eq!(refused("q=%C2%85"), ["q"]);
        assert_eq!(refused("limit=x"), ["limit"]);
        assert_eq!(refused("colour=red"), ["colour"]);
        assert_eq!(refused("q%00=a"), ["query"]);
        assert_eq!(
            parse_query::<Filter>("q=caf%C3%A9").unwrap().q.as_deref(),
            Some("café")
        );
    }

    #[test]
    fn tells_syntax_from_shape() {
        assert!(matches!(
            parse::<Body>(br#"{"name": "#).unwrap_err(),
            ApiError::MalformedJson(_)
        ));
        assert!(matches!(
            parse::<Body>(br#"{"name":"a","count":1} x"#).unwrap_err(),
            ApiError::MalformedJson(_)
        ));
    }
}
