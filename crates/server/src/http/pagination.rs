//! Keyset pagination: `?limit=&cursor=` in, `{items, next_cursor}` out.
//!
//! The cursor is opaque to clients: the sort key of the last item served, base64url-encoded —
//! its id for lists in id order (ids are UUIDv7, so id order is creation order), its path for
//! lists in tree order. Keyset pages stay stable under concurrent inserts: a new item lands
//! after the cursor or before it, never shifting a page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, FieldError};
use crate::services::window::Window;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// `?limit=` and `?cursor=`, common to every list.
#[derive(Debug, Default, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<crate::http::schemas::CursorText>)]
    pub cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u64,
    /// Serve items whose sort key is strictly greater than this (the decoded cursor).
    pub after: Option<String>,
}

impl PageRequest {
    /// The window of a list in id order; a cursor of another list → 400.
    pub fn by_id(&self) -> Result<Window<Uuid>, ApiError> {
        self.window(|key| Uuid::parse_str(key).ok())
    }

    /// The window of a list in tree order (by group path); a cursor of another list → 400.
    pub fn by_path(&self) -> Result<Window<domain::GroupPath>, ApiError> {
        self.window(|key| domain::GroupPath::parse(key).ok())
    }

    fn window<K>(&self, decode: impl Fn(&str) -> Option<K>) -> Result<Window<K>, ApiError> {
        let after = match self.after.as_deref() {
            None => None,
            Some(key) => Some(decode(key).ok_or_else(bad_cursor)?),
        };
        Ok(Window {
            after,
            limit: self.limit,
        })
    }

    /// The page of `rows` that a service read for this request's window (up to `limit + 1`
    /// rows in key order), with the cursor of its last item when another page follows.
    pub fn page<T, K: ToString>(&self, rows: Vec<T>, key: impl Fn(&T) -> K) -> Page<T> {
        Page::from_rows(rows, self, key)
    }
}

fn bad_cursor() -> ApiError {
    ApiError::invalid("cursor", "is not a cursor this API issued for this list")
}

impl PageParams {
    pub fn parse(&self) -> Result<PageRequest, ApiError> {
        let mut errors = Vec::new();
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match self.cursor.as_deref() {
            None => None,
            Some(text) => match decode_cursor(text) {
                Some(key) => Some(key),
                None => {
                    errors.push(FieldError::new("cursor", "is not a cursor this API issued"));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(PageRequest { limit, after })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    #[schema(value_type = Option<crate::http::schemas::CursorText>, required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in key order: the extra row only tells
    /// that another page exists.
    pub fn from_rows<K: ToString>(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> K,
    ) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => Some(encode_cursor(&key(last).to_string())),
            _ => None,
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

pub fn decode_cursor(text: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    String::from_utf8(bytes).ok().filter(|key| !key.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        let request = |cursor: &str| PageParams {
            limit: None,
            cursor: Some(cursor.to_owned()),
        };
        let parsed = request(&encode_cursor(&id.to_string())).parse().unwrap();
        assert_eq!(parsed.by_id().unwrap().after, Some(id));
        assert!(parsed.by_path().is_err());
        assert!(request("not a cursor!").parse().is_err());
        assert!(
            request(&encode_cursor("a.b"))
                .parse()
                .unwrap()
                .by_id()
                .is_err()
        );
    }

    #[test]
    fn limits_are_bounded() {
        let params = |limit| PageParams {
            limit: Some(limit),
            cursor: None,
        };
        assert!(params(0).parse().is_err());
        assert!(params(501).parse().is_err());
        assert_eq!(params(500).parse().unwrap().limit, 500);
        assert_eq!(PageParams::default().parse().unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let request = PageRequest {
            limit: 2,
            after: None,
        };
        let page = Page::from_rows(ids.clone(), &request, |id| *id);
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next_cursor, Some(encode_cursor(&ids[1].to_string())));
        let last = Page::from_rows(ids[2..].to_vec(), &request, |id| *id);
        assert_eq!(last.next_cursor, None);
    }
}
