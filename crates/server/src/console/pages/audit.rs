//! The audit log: `GET /console/audit`, what `GET /v1/audit` answers (or, with `group_id` or
//! `project_id`, what `/v1/groups/{id}/audit` and `/v1/projects/{id}/audit` answer), with the
//! API's filters as a form and its order (oldest first), a page of 50 at a time.
//!
//! Also the helpers the change feed, webhook and IdP-group pages share: reading a filter form's
//! query string, and showing times and people.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use crate::console::refusal::{Refusal, problem};
use crate::console::viewer::Viewer;
use crate::console::{layout, pages::sign_in::html_page};
use crate::error::ApiError;
use crate::http::extract::parse_query;
use crate::http::pagination::PageParams;
use crate::http::routes::audit::AuditQuery;
use crate::services::audit::{self, AuditScope};
use crate::services::users;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list));
}

const PATH: &str = "/console/audit";

/// The form's parameters: `GET /v1/audit`'s filters, and the scope of the group and project
/// listings.
const FILTERS: [&str; 6] = [
    "resource_type",
    "resource_id",
    "actor_id",
    "since",
    "group_id",
    "project_id",
];

/// `group_id` / `project_id`: which of the three audit listings of the API the page mirrors.
#[derive(Debug, Deserialize, Validate)]
struct ScopeQuery {
    group_id: Option<Uuid>,
    project_id: Option<Uuid>,
}

impl ScopeQuery {
    fn scope(&self) -> Result<AuditScope, ApiError> {
        match (self.group_id, self.project_id) {
            (None, None) => Ok(AuditScope::All),
            (Some(group), None) => Ok(AuditScope::Group(group)),
            (None, Some(project)) => Ok(AuditScope::Project(project)),
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "project_id",
                "cannot be combined with group_id; an audit listing has one scope",
            )),
        }
    }
}

async fn list(viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, Refusal> {
    let filters = Filters::read(req.query_string(), &FILTERS);
    let cursor = Filters::read(req.query_string(), &["cursor"]);
    let (status, listing) = match events(&viewer, &filters, cursor.get("cursor")).await {
        Ok(listing) => (StatusCode::OK, listing),
        Err(error) => {
            let error = inline(error)?;
            (error.status_and_code().0, problem(&error))
        }
    };
    let body = html! {
        h1 { "Audit log" }
        p class="muted" {
            "Every recorded change, oldest first, as " code { "GET /v1/audit" } " lists it. "
            "Give a group to see its subtree's events, or a project to see that project's."
        }
        (form(&filters))
        (listing)
    };
    Ok(html_page(
        status,
        layout::page(&viewer, PATH, "Audit log", body),
    ))
}

fn form(filters: &Filters) -> Markup {
    html! {
        form class="row" method="get" action=(PATH) aria-label="Filter the audit log" {
            div {
                label for="resource_type" { "Resource type" }
                input id="resource_type" name="resource_type" type="text"
                    value=(filters.get("resource_type")) placeholder="group_member";
            }
            div {
                label for="resource_id" { "Resource id" }
                input id="resource_id" name="resource_id" type="text"
                    value=(filters.get("resource_id"));
            }
            div {
                label for="actor_id" { "Actor (user id)" }
                input id="actor_id" name="actor_id" type="text" value=(filters.get("actor_id"));
            }
            div {
                label for="since" { "Since (RFC 3339)" }
                input id="since" name="since" type="text" value=(filters.get("since"))
                    placeholder="2026-01-31T00:00:00Z";
            }
            div {
                label for="group_id" { "In group (id)" }
                input id="group_id" name="group_id" type="text" value=(filters.get("group_id"));
            }
            div {
                label for="project_id" { "In project (id)" }
                input id="project_id" name="project_id" type="text"
                    value=(filters.get("project_id"));
            }
            button type="submit" { "Filter" }
        }
    }
}

/// The table of events the filters select, or the API's refusal.
async fn events(viewer: &Viewer, filters: &Filters, cursor: &str) -> Result<Markup, Refusal> {
    let query = filters.query();
    let filter = parse_query::<AuditQuery>(&query)?;
    let scope = parse_query::<ScopeQuery>(&query)?.scope()?;
    let page = PageParams {
        limit: None,
        cursor: (!cursor.is_empty()).then(|| cursor.to_owned()),
    }
    .parse()?;
    let caller = &viewer.caller;
    let rows = audit::list(
        caller.db(),
        caller.subject,
        scope,
        &filter.into(),
        &page.by_id()?,
    )
    .await?;
    let found = page.page(rows, |e| e.id);
    let names = People::named(viewer, found.items.iter().filter_map(|e| e.actor_id)).await?;
    Ok(html! {
        @if found.items.is_empty() {
            (layout::none("No recorded change matches these filters."))
        } @else {
            table {
                caption class="muted" { "Oldest first" }
                thead {
                    tr {
                        th scope="col" { "When" }
                        th scope="col" { "Who" }
                        th scope="col" { "Action" }
                        th scope="col" { "Resource" }
                        th scope="col" { "Revision" }
                        th scope="col" { "Details" }
                    }
                }
                tbody {
                    @for event in &found.items {
                        tr {
                            td { (when(&event.occurred_at)) }
                            td { (names.actor(event.actor_id)) }
                            td { code { (event.action) } }
                            td { (resource(&event.resource_type, event.resource_id)) }
                            td { (event.revision) }
                            td { (details(&event.details)) }
                        }
                    }
                }
            }
        }
        (layout::next_page(PATH, &filters.pairs(), found.next_cursor.as_deref()))
    })
}

/// An event's details: `before` and `after`, and whatever else it recorded, folded away.
pub(super) fn details(details: &serde_json::Value) -> Markup {
    let pretty = |value: &serde_json::Value| {
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    };
    let other: serde_json::Map<String, serde_json::Value> = details
        .as_object()
        .map(|map| {
            map.iter()
                .filter(|(key, _)| *key != "before" && *key != "after")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    html! {
        details {
            summary { "Before and after" }
            p { strong { "Before" } }
            pre { code { (pretty(&details["before"])) } }
            p { strong { "After" } }
            pre { code { (pretty(&details["after"])) } }
            @if !other.is_empty() {
                p { strong { "Also recorded" } }
                pre { code { (pretty(&serde_json::Value::Object(other))) } }
            }
        }
    }
}

/// A resource: its type, and its id, linked to its page where the console has one.
pub(super) fn resource(kind: &str, id: Option<Uuid>) -> Markup {
    let page = match kind {
        "group" => Some("/console/groups/"),
        "project" => Some("/console/projects/"),
        "user" => Some("/console/users/"),
        _ => None,
    };
    html! {
        code { (kind) }
        @if let Some(id) = id {
            br;
            @match page {
                Some(page) => a href={ (page) (id) } { (layout::mono(&id.to_string())) },
                None => (layout::mono(&id.to_string())),
            }
        }
    }
}

/// A time, readable, with its exact value for machines.
pub(super) fn when(at: &DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S UTC")) }
    }
}

/// The display names of the users a page mentions, as far as the viewer may read them.
pub(super) struct People(HashMap<Uuid, String>);

impl People {
    /// Looks each distinct user up as `GET /v1/users/{id}` would for the viewer; those the
    /// viewer may not read stay unnamed.
    pub(super) async fn named(
        viewer: &Viewer,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Self, Refusal> {
        let caller = &viewer.caller;
        let mut names = HashMap::new();
        for id in ids {
            if names.contains_key(&id) {
                continue;
            }
            match users::find_visible(caller.db(), caller.subject, id).await {
                Ok(user) => {
                    names.insert(id, user.display_name);
                }
                Err(ApiError::NotFound | ApiError::Forbidden(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(Self(names))
    }

    /// A user: their name linked to their page, or their id when the viewer may not read them.
    pub(super) fn user(&self, id: Uuid) -> Markup {
        html! {
            a href={ "/console/users/" (id) } {
                @match self.0.get(&id) {
                    Some(name) => (name),
                    None => code { (id) },
                }
            }
        }
    }

    /// Who made a change: a user, or the command line.
    pub(super) fn actor(&self, id: Option<Uuid>) -> Markup {
        match id {
            Some(id) => self.user(id),
            None => html! { span class="muted" { "the command line" } },
        }
    }

    /// Whether the viewer may read `id`.
    pub(super) fn knows(&self, id: Uuid) -> bool {
        self.0.contains_key(&id)
    }
}

/// A refusal the page shows in place (above its form) rather than as an error page: anything
/// but an internal error, which goes to the error page (and the log).
pub(super) fn inline(refusal: Refusal) -> Result<ApiError, Refusal> {
    match refusal.0 {
        ApiError::Internal(_) => Err(refusal),
        error => Ok(error),
    }
}

/// The non-empty values of a filter form's parameters, trimmed: a form submits its empty fields
/// too, which the API's parsing would refuse. The first of repeated parameters counts.
pub(super) struct Filters(Vec<(&'static str, String)>);

impl Filters {
    pub(super) fn read(query: &str, names: &[&'static str]) -> Self {
        let mut kept: Vec<(&'static str, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let Some(name) = names.iter().find(|n| **n == name) else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() || kept.iter().any(|(n, _)| n == name) {
                continue;
            }
            kept.push((name, value.to_owned()));
        }
        Self(kept)
    }

    /// The value of `name`, or `""`.
    pub(super) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The filters as a query string, for the API's parsing.
    pub(super) fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            query.append_pair(name, value);
        }
        query.finish()
    }

    /// The filters as pairs, for the next page's link.
    pub(super) fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_keep_the_named_non_empty_values() {
        let filters = Filters::read(
            "resource_type=+group+&actor_id=&other=x&resource_type=user&cursor=abc",
            &["resource_type", "actor_id"],
        );
        assert_eq!(filters.get("resource_type"), "group");
        assert_eq!(filters.get("actor_id"), "");
        assert_eq!(filters.query(), "resource_type=group");
    }
}
