//! The parameters of a list request (RFC 7644 §3.4.2–§3.4.3), read from a query string (`GET
//! /Users?filter=…`) or from a `/.search` body alike: `filter`, `sortBy`, `sortOrder`,
//! `startIndex`, `count`, `attributes`, `excludedAttributes`; and the ListResponse they get.

use std::collections::HashMap;

use ::scim::projection::{Selection, parse_selection, project};
use ::scim::schema::ResourceSchema;
use serde_json::{Value, json};

use super::{ScimError, scim_json};
use crate::services::scim::listing::{ListQuery, Page};

/// The most resources one page carries (`filter.maxResults`); a larger `count` gets this many.
pub const MAX_RESULTS: u64 = 200;
/// The page size when `count` is not given.
const DEFAULT_COUNT: u64 = 100;

const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A list request: what to select, and how its resources are shown.
#[derive(Debug)]
pub struct ListRequest {
    pub query: ListQuery,
    pub selection: Selection,
}

/// Reads the parameters of `GET /Users?…`.
pub fn from_query(query: &str, schema: &ResourceSchema) -> Result<ListRequest, ScimError> {
    let params: HashMap<String, String> = serde_urlencoded::from_str(query)
        .map_err(|e| ScimError::invalid("invalidSyntax", format!("query: {e}")))?;
    let get = |name: &str| params.get(name).map(String::as_str);
    let number = |name: &str| -> Result<Option<i64>, ScimError> {
        get(name)
            .map(|raw| {
                raw.trim().parse::<i64>().map_err(|_| {
                    ScimError::invalid("invalidValue", format!("{name} must be an integer"))
                })
            })
            .transpose()
    };
    read(
        Parameters {
            filter: get("filter"),
            sort_by: get("sortBy"),
            sort_order: get("sortOrder"),
            start_index: number("startIndex")?,
            count: number("count")?,
            attributes: get("attributes").map(str::to_owned),
            excluded: get("excludedAttributes").map(str::to_owned),
        },
        schema,
    )
}

/// Reads a `POST /.search` body (RFC 7644 §3.4.3): the same parameters as JSON, the attribute
/// lists as arrays.
pub fn from_search(body: &Value, schema: &ResourceSchema) -> Result<ListRequest, ScimError> {
    let names_search = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(SEARCH_SCHEMA)));
    if !names_search {
        return Err(ScimError::invalid(
            "invalidSyntax",
            format!("schemas must list {SEARCH_SCHEMA}"),
        ));
    }
    let text = |name: &str| -> Result<Option<&str>, ScimError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ScimError::invalid(
                "invalidValue",
                format!("{name} must be a string"),
            )),
        }
    };
    let number = |name: &str| -> Result<Option<i64>, ScimError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value.as_i64().map(Some).ok_or_else(|| {
                ScimError::invalid("invalidValue", format!("{name} must be an integer"))
            }),
        }
    };
    let names = |name: &str| -> Result<Option<String>, ScimError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_owned).ok_or_else(|| {
                        ScimError::invalid("invalidValue", format!("{name} must list strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|items| Some(items.join(","))),
            Some(_) => Err(ScimError::invalid(
                "invalidValue",
                format!("{name} must be a list of attribute names"),
            )),
        }
    };
    read(
        Parameters {
            filter: text("filter")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
            start_index: number("startIndex")?,
            count: number("count")?,
            attributes: names("attributes")?,
            excluded: names("excludedAttributes")?,
        },
        schema,
    )
}

/// The parameters as given, before they are checked.
struct Parameters<'a> {
    filter: Option<&'a str>,
    sort_by: Option<&'a str>,
    sort_order: Option<&'a str>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Option<String>,
    excluded: Option<String>,
}

fn read(given: Parameters<'_>, schema: &ResourceSchema) -> Result<ListRequest, ScimError> {
    let filter = given
        .filter
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            ::scim::parse_filter(f)
                .map_err(|e| ScimError::invalid("invalidFilter", format!("filter: {e}")))
        })
        .transpose()?;
    let descending = match given.sort_order {
        None => false,
        Some(order) if order.eq_ignore_ascii_case("ascending") => false,
        Some(order) if order.eq_ignore_ascii_case("descending") => true,
        Some(_) => {
            return Err(ScimError::invalid(
                "invalidValue",
                "sortOrder must be ascending or descending",
            ));
        }
    };
    let sort = given
        .sort_by
        .filter(|s| !s.trim().is_empty())
        .map(|by| {
            let path = ::scim::parse_path(by)
                .map_err(|e| ScimError::invalid("invalidValue", format!("sortBy: {e}")))?;
            if path.filter.is_some() {
                return Err(ScimError::invalid(
                    "invalidValue",
                    "sortBy names an attribute, without a value filter",
                ));
            }
            Ok((path.attr, descending))
        })
        .transpose()?;
    // RFC 7644 §3.4.2.4: a start below 1 is 1, a negative count is 0.
    let start_index = given.start_index.map_or(1, |i| i.max(1)).unsigned_abs();
    let count = given
        .count
        .map_or(DEFAULT_COUNT, |c| c.max(0).unsigned_abs())
        .min(MAX_RESULTS);
    let selection = parse_selection(
        given.attributes.as_deref(),
        given.excluded.as_deref(),
        schema,
    )
    .map_err(|e| ScimError::invalid("invalidValue", e.message))?;
    Ok(ListRequest {
        query: ListQuery {
            filter,
            sort,
            start_index,
            count,
        },
        selection,
    })
}

/// The ListResponse of `page`, each resource shown as `selection` asks.
pub fn answer(
    page: &Page,
    start_index: u64,
    selection: &Selection,
    schema: &ResourceSchema,
) -> actix_web::HttpResponse {
    let resources: Vec<Value> = page
        .resources
        .iter()
        .map(|resource| project(resource, selection, schema))
        .collect();
    list_response(page.total, start_index, resources)
}

/// A ListResponse (RFC 7644 §3.4.2): `total` matches, of which `resources` from `start_index`.
pub fn list_response(
    total: u64,
    start_index: u64,
    resources: Vec<Value>,
) -> actix_web::HttpResponse {
    scim_json(&json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    }))
}
