//! A list request's selection, shared by every resource type: which resources its filter
//! matches (each resource's representation matched by `scim::matches`), in the order `sortBy`
//! gives, and the page `startIndex` and `count` cut.

use scim::schema::ResourceSchema;
use scim::{AttrPath, Filter};
use serde_json::Value;

use super::invalid;
use crate::error::ApiError;

/// A list request, its parameters read.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// The attribute to sort by, and whether descending.
    pub sort: Option<(AttrPath, bool)>,
    /// 1-based.
    pub start_index: u64,
    pub count: u64,
}

/// One page of a list: how many resources match in all, and the page's representations.
#[derive(Debug)]
pub struct Page {
    pub total: u64,
    pub resources: Vec<Value>,
}

impl ListQuery {
    /// Refuses a filter naming an attribute `schema` does not have (`invalidFilter`).
    pub fn check(&self, schema: &ResourceSchema) -> Result<(), ApiError> {
        if let Some(filter) = &self.filter {
            scim::query::check_filter(filter, schema)
                .map_err(|detail| invalid("invalidFilter", detail))?;
        }
        if let Some((by, _)) = &self.sort {
            scim::query::check_path(by, schema)
                .map_err(|detail| invalid("invalidValue", format!("sortBy: {detail}")))?;
        }
        Ok(())
    }

    /// Filters, sorts and pages `candidates`, representations of resources under `schema`.
    pub fn page(&self, candidates: Vec<Value>, schema: &ResourceSchema) -> Page {
        let mut resources: Vec<Value> = candidates
            .into_iter()
            .filter(|resource| {
                self.filter
                    .as_ref()
                    .is_none_or(|filter| scim::matches(filter, resource, schema))
            })
            .collect();
        if let Some((by, descending)) = &self.sort {
            scim::query::sort(&mut resources, by, *descending, schema);
        }
        let total = resources.len() as u64;
        let resources = resources
            .into_iter()
            .skip(usize::try_from(self.start_index.saturating_sub(1)).unwrap_or(usize::MAX))
            .take(usize::try_from(self.count).unwrap_or(usize::MAX))
            .collect();
        Page { total, resources }
    }
}
