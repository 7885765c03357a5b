//! The audit log: `GET /console/audit`, what `GET /v1/audit` answers (or, with `group_id` or
//! `project_id`, what `/v1/groups/{id}/audit` and `/v1/projects/{id}/audit` answer), with the
//! API's filters as a form and its order (oldest first), a page of 50 at a time.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use crate::console::filters::Filters;
use crate::console::layout;
use crate::console::people::People;
use crate::console::refusal::{Refusal, inline, problem};
use crate::console::reply::html_page;
use crate::console::show::{details, resource, when};
use crate::console::viewer::Viewer;
use crate::error::ApiError;
use crate::http::extract::parse_query;
use crate::http::pagination::PageParams;
use crate::http::routes::audit::AuditQuery;
use crate::services::audit::{self, AuditScope};

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
        AuditScope::of(self.group_id, self.project_id, "an audit listing")
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
            (filters.input("resource_type", "Resource type", Some("group_member")))
            (filters.input("resource_id", "Resource id", None))
            (filters.input("actor_id", "Actor (user id)", None))
            (filters.input("since", "Since (RFC 3339)", Some("2026-01-31T00:00:00Z")))
            (filters.input("group_id", "In group (id)", None))
            (filters.input("project_id", "In project (id)", None))
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
