//! The `consistency` field of checks, batches and lookups (spec §13), as SpiceDB spells it:
//! `"fully_consistent"`, `"minimize_latency"` or `{"at_least_as_fresh": "<revision>"}`, the
//! revision being a `Roster-Revision` the caller saw.

use std::borrow::Cow;

use serde::Deserialize;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::error::ApiError;
use crate::http::schemas::RevisionText;
use crate::services::memory::Consistency;

/// How fresh the answer must be; the server's default (`ROSTER_DEFAULT_CONSISTENCY`, itself
/// `fully_consistent` unless configured) when omitted.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = Consistency)]
pub enum ConsistencyChoice {
    /// Reflects every change committed before the request began.
    #[schema(title = "FullyConsistent")]
    FullyConsistent,
    /// From memory as it stands: fastest, stale by at most the notification delay.
    #[schema(title = "MinimizeLatency")]
    MinimizeLatency,
    /// Never from data older than this revision (a `Roster-Revision` header's value).
    #[schema(title = "AtLeastAsFresh")]
    AtLeastAsFresh(RevisionToken),
}

/// A revision as the caller sends it (schema: [`RevisionText`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct RevisionToken(String);

impl PartialSchema for RevisionToken {
    fn schema() -> RefOr<Schema> {
        RevisionText::schema()
    }
}

impl ToSchema for RevisionToken {
    fn name() -> Cow<'static, str> {
        RevisionText::name()
    }
}

/// The field a bad revision is reported under.
pub const REVISION_FIELD: &str = "consistency.at_least_as_fresh";

impl ConsistencyChoice {
    /// The consistency asked for; a revision that is not a positive integer is a 400.
    pub fn parse(&self) -> Result<Consistency, ApiError> {
        Ok(match self {
            Self::FullyConsistent => Consistency::FullyConsistent,
            Self::MinimizeLatency => Consistency::MinimizeLatency,
            Self::AtLeastAsFresh(RevisionToken(text)) => {
                Consistency::AtLeastAsFresh(revision(text)?)
            }
        })
    }
}

/// A revision as a header shows it: digits only (`"+5"` would parse, but no header reads so).
fn revision(text: &str) -> Result<i64, ApiError> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    text.parse::<i64>()
        .ok()
        .filter(|revision| digits && *revision > 0)
        .ok_or_else(|| {
            ApiError::invalid(
                REVISION_FIELD,
                "must be a revision: the value of a Roster-Revision header",
            )
        })
}

/// The consistency of an optional body field.
pub fn parse(choice: Option<&ConsistencyChoice>) -> Result<Option<Consistency>, ApiError> {
    choice.map(ConsistencyChoice::parse).transpose()
}
