//! The change feed: `GET /console/changes?after=N`, what `GET /v1/changes` answers (oldest
//! first, with its filters and its visibility), never held open: the console reads with
//! `wait=0` and offers a link to look again. A cursor older than the retained history (410
//! `gone`) is said so, with a link to where the history starts.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use uuid::Uuid;

use crate::console::filters::Filters;
use crate::console::layout;
use crate::console::people::People;
use crate::console::refusal::inline;
use crate::console::refusal::{Refusal, problem};
use crate::console::reply::html_page;
use crate::console::show::{details, resource, when};
use crate::console::viewer::Viewer;
use crate::error::ApiError;
use crate::http::extract::parse_query;
use crate::http::pagination::DEFAULT_LIMIT;
use crate::http::routes::changes::{AccessDelta, ChangesQuery};
use crate::services::changes::feed::{self, FeedQuery, Reader};
use crate::services::changes::revision;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/changes", web::get().to(list));
}

const PATH: &str = "/console/changes";

/// `GET /v1/changes`'s parameters but `limit` (a page is 50) and `wait` (never held).
const FILTERS: [&str; 4] = ["after", "resource_type", "group_id", "project_id"];

/// Users named on one page at most (each is a lookup).
const NAMED: usize = 200;

/// Deltas shown without unfolding; a change with more (a subtree move) folds them away.
const OPEN_DELTAS: usize = 10;

async fn list(viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, Refusal> {
    let filters = Filters::read(req.query_string(), &FILTERS);
    let (status, listing) = match changes(&viewer, &filters).await {
        Ok(listing) => (StatusCode::OK, listing),
        Err(error) => {
            let error = inline(error)?;
            let restart = match &error {
                ApiError::Gone { retained_after, .. } => Some(*retained_after),
                _ => None,
            };
            let listing = html! {
                (problem(&error))
                @if let Some(start) = restart {
                    p {
                        a href=(link(&filters, start)) {
                            "Read from revision " (start) ", where the retained history starts"
                        }
                    }
                }
            };
            (error.status_and_code().0, listing)
        }
    };
    let body = html! {
        h1 { "Changes" }
        p class="muted" {
            "The change feed, oldest first, as " code { "GET /v1/changes" } " serves it: each "
            "change with its revision and whose effective access it altered. Give a group for "
            "its subtree's changes, or a project for that project's."
        }
        (form(&filters))
        (listing)
    };
    Ok(html_page(
        status,
        layout::page(&viewer, PATH, "Changes", body),
    ))
}

fn form(filters: &Filters) -> Markup {
    html! {
        form class="row" method="get" action=(PATH) aria-label="Filter the changes" {
            (filters.input("after", "After revision", Some("0")))
            (filters.input("resource_type", "Resource type", Some("group_member")))
            (filters.input("group_id", "In group (id)", None))
            (filters.input("project_id", "In project (id)", None))
            button type="submit" { "Show changes" }
        }
    }
}

/// This page with the same filters, reading after `after`.
fn link(filters: &Filters, after: i64) -> String {
    let after = after.to_string();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters.pairs() {
        if name != "after" {
            query.append_pair(name, value);
        }
    }
    query.append_pair("after", &after);
    format!("{PATH}?{}", query.finish())
}

async fn changes(viewer: &Viewer, filters: &Filters) -> Result<Markup, Refusal> {
    let query = parse_query::<ChangesQuery>(&filters.query())?;
    let caller = &viewer.caller;
    // Without `after` the API starts at 0, which is `gone` once old history is dropped; the
    // console starts where the retained history does instead (an explicit older `after` is
    // still answered `gone`).
    let after = match query.after {
        Some(after) => after,
        None => revision::read(caller.db()).await?.retained_after,
    };
    let feed_query = FeedQuery {
        scope: query.scope()?,
        resource_type: query.resource_type.clone(),
        after,
        limit: DEFAULT_LIMIT,
    };
    let reader = Reader::Caller(caller.subject);
    let page = feed::read(
        caller.db(),
        caller.clock(),
        reader,
        &feed_query,
        std::time::Duration::ZERO,
    )
    .await?;
    let full = u64::try_from(page.items.len()).is_ok_and(|n| n >= feed_query.limit);
    let mut changes = Vec::with_capacity(page.items.len());
    for event in &page.items {
        let access: Vec<AccessDelta> =
            serde_json::from_value(event.access.clone()).map_err(ApiError::internal)?;
        changes.push((event, access));
    }
    // The people a page mentions are named (up to a bound: a subtree move can touch thousands,
    // who are then shown by id).
    let mentioned: BTreeSet<Uuid> = changes
        .iter()
        .flat_map(|(event, access)| {
            event
                .actor_id
                .into_iter()
                .chain(access.iter().map(|delta| delta.user_id))
        })
        .take(NAMED)
        .collect();
    let people = People::named(viewer, mentioned).await?;
    let mut rows = Vec::with_capacity(changes.len());
    for (event, access) in &changes {
        rows.push(html! {
            article class="change" aria-labelledby={ "rev-" (event.revision) } {
                h2 id={ "rev-" (event.revision) } {
                    "Revision " (event.revision) ": " code { (event.action) }
                }
                dl class="facts" {
                    dt { "When" } dd { (when(&event.occurred_at)) }
                    dt { "Who" } dd { (people.actor(event.actor_id)) }
                    dt { "Resource" } dd { (resource(&event.resource_type, event.resource_id)) }
                    dt { "Details" } dd { (details(&event.details)) }
                    dt { "Access" } dd { (deltas(access, &people)) }
                }
            }
        });
    }
    Ok(html! {
        p {
            "The newest revision is " strong { (page.revision) } "."
            @if feed_query.after > 0 {
                " Showing the changes after revision " (feed_query.after) "."
            }
        }
        @if rows.is_empty() {
            (layout::none("No change you may read has happened after this revision."))
        }
        @for row in rows { (row) }
        nav class="pages" aria-label="Pages" {
            @if full {
                a href=(link(filters, page.next_after)) rel="next" { "Next page" }
            } @else {
                a href=(link(filters, page.next_after)) { "Look for newer changes" }
            }
        }
    })
}

/// The effective-access changes a change carries: whose role where, before and after.
fn deltas(access: &[AccessDelta], people: &People) -> Markup {
    if access.is_empty() {
        return html! { span class="muted" { "No one's effective access changed." } };
    }
    html! {
        details open[access.len() <= OPEN_DELTAS] {
            summary {
                (access.len())
                @if access.len() == 1 { " effective-access change" } @else { " effective-access changes" }
            }
            table {
                thead {
                    tr {
                        th scope="col" { "User" }
                        th scope="col" { "Where" }
                        th scope="col" { "Before" }
                        th scope="col" { "After" }
                    }
                }
                tbody {
                    @for delta in access {
                        tr {
                            td { (people.link(delta.user_id)) }
                            td { (resource(&delta.node_type, Some(delta.id))) }
                            td { (role(delta.before.as_deref())) }
                            td { (role(delta.after.as_deref())) }
                        }
                    }
                }
            }
        }
    }
}

fn role(role: Option<&str>) -> Markup {
    match role {
        Some(role) => html! { code { (role) } },
        None => html! { span class="muted" { "none" } },
    }
}
