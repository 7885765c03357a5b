//! A list request's selection, shared by every resource type: which resources its filter
//! matches (each resource's representation matched by `scim::matches`), in the order `sortBy`
//! gives, and the page `startIndex` and `count` cut.

use scim::schema::ResourceSchema;
use scim::{AttrPath, CompareOp, Filter};
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};
use serde_json::Value;
use uuid::Uuid;

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
        Page {
            total,
            resources: self.window(resources),
        }
    }

    /// The page `startIndex` and `count` cut from `resources`, all of which matched.
    pub fn window(&self, resources: Vec<Value>) -> Vec<Value> {
        resources
            .into_iter()
            .skip(usize::try_from(self.start_index.saturating_sub(1)).unwrap_or(usize::MAX))
            .take(usize::try_from(self.count).unwrap_or(usize::MAX))
            .collect()
    }
}

/// A string equality in a filter's top-level conjunction: the attribute (lower-case, with its
/// sub-attribute) and the value. Every resource the filter matches satisfies each of them, so a
/// resource type may look one up in its table before matching the rest in memory.
#[derive(Debug, Clone, Copy)]
pub struct Equality<'f> {
    pub name: &'f str,
    pub sub: Option<&'f str>,
    pub value: &'f str,
}

impl Equality<'_> {
    fn names(&self, name: &str, sub: Option<&str>) -> bool {
        self.name.eq_ignore_ascii_case(name)
            && match (self.sub, sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }
}

/// The equalities of `filter`'s top-level conjunction, on core attributes.
fn equalities(filter: &Filter) -> Vec<Equality<'_>> {
    match filter {
        Filter::And(left, right) => {
            let mut found = equalities(left);
            found.extend(equalities(right));
            found
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(value),
        } if path.uri.is_none() => vec![Equality {
            name: &path.name,
            sub: path.sub.as_deref(),
            value,
        }],
        _ => Vec::new(),
    }
}

/// How a resource type's table answers an equality on one attribute.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<C> {
    /// The column equals the value as given (case-exact attributes).
    Exact(C),
    /// The column equals the value ignoring case; SQLite lowers ASCII only, so only an ASCII
    /// value is looked up.
    IgnoringCase(C),
    /// The column holds the value lower-cased (stored so).
    Lowered(C),
    /// The column is the resource's id: a value that is no UUID matches nothing.
    Id(C),
}

/// A condition every resource `filter` matches satisfies, from the first of its top-level
/// equalities that `lookups` (attribute, sub-attribute, how) can answer in the table.
pub fn narrowing<C: ColumnTrait + Copy>(
    filter: &Filter,
    lookups: &[(&str, Option<&str>, Lookup<C>)],
) -> Option<Condition> {
    equalities(filter).into_iter().find_map(|equality| {
        let (_, _, lookup) = lookups
            .iter()
            .find(|(name, sub, _)| equality.names(name, *sub))?;
        let condition: SimpleExpr = match *lookup {
            Lookup::Exact(column) => column.eq(equality.value),
            Lookup::IgnoringCase(column) if equality.value.is_ascii() => {
                Expr::expr(Func::lower(Expr::col(column))).eq(equality.value.to_ascii_lowercase())
            }
            Lookup::IgnoringCase(_) => return None,
            Lookup::Lowered(column) => column.eq(equality.value.to_lowercase()),
            Lookup::Id(column) => match Uuid::parse_str(equality.value) {
                Ok(id) => column.eq(id),
                Err(_) => Expr::val(false),
            },
        };
        Some(Condition::all().add(condition))
    })
}
