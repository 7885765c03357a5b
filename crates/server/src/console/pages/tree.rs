//! The group tree: the viewer's top groups (the forest's roots for a system admin) and what
//! lies below, as nested disclosure widgets (expand and collapse without script), a subtree
//! on its own page with its breadcrumbs, and search by name.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use crate::console::layout;
use crate::console::refusal::Refusal;
use crate::console::reply::{html_page, see_other};
use crate::console::viewer::Viewer;
use crate::http::pagination::PageParams;
use crate::services::groups::{self, GroupView};
use crate::services::window::Window;

/// Levels shown below each top group; deeper groups open on their own page.
const LEVELS: u8 = 3;
/// Groups read for one subtree.
const SUBTREE_LIMIT: u64 = 500;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home))
        .route("/groups", web::get().to(tree));
}

async fn home() -> HttpResponse {
    see_other("/console/groups")
}

#[derive(Deserialize)]
struct TreeQuery {
    /// Search by name.
    q: Option<String>,
    /// Show the subtree of this group.
    root: Option<Uuid>,
    cursor: Option<String>,
}

async fn tree(viewer: Viewer, query: web::Query<TreeQuery>) -> Result<HttpResponse, Refusal> {
    let query = query.into_inner();
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    let page = PageParams {
        limit: None,
        cursor: query.cursor.clone(),
    }
    .parse()?;
    let body = if !q.is_empty() {
        search(&viewer, q, &page).await?
    } else if let Some(root) = query.root {
        subtree(&viewer, root).await?
    } else {
        forest(&viewer, &page).await?
    };
    let body = html! {
        h1 { "Groups" }
        form class="search" method="get" action="/console/groups" role="search" {
            label for="q" { "Find a group by name" }
            input id="q" name="q" type="search" value=(q) autocomplete="off";
            button type="submit" { "Search" }
        }
        (body)
    };
    Ok(html_page(
        actix_web::http::StatusCode::OK,
        layout::page(&viewer, "/console/groups", "Groups", body),
    ))
}

async fn search(
    viewer: &Viewer,
    q: &str,
    page: &crate::http::pagination::PageRequest,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let rows = groups::search(caller.db(), caller.subject, q, &page.by_path()?).await?;
    let found = page.page(rows, |v| v.path.as_str().to_owned());
    Ok(html! {
        h2 { "Groups named like “" (q) "”" }
        @if found.items.is_empty() {
            (layout::none("No group you can see has that in its name."))
        } @else {
            ul class="results" {
                @for view in &found.items {
                    li { (group_link(view)) " " (role_badge(view)) }
                }
            }
        }
        (layout::next_page("/console/groups", &[("q", q)], found.next_cursor.as_deref()))
    })
}

/// The viewer's top groups, each with [`LEVELS`] levels below.
async fn forest(
    viewer: &Viewer,
    page: &crate::http::pagination::PageRequest,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let rows = groups::list_mine(caller.db(), caller.subject, &page.by_id()?).await?;
    let tops = page.page(rows, |v| v.group.id);
    let mut trees = Vec::with_capacity(tops.items.len());
    for top in &tops.items {
        trees.push(branch(viewer, top).await?);
    }
    Ok(html! {
        @if tops.items.is_empty() {
            (layout::none("You are not a member of any group."))
        } @else {
            ul class="tree" { @for tree in trees { (tree) } }
        }
        (layout::next_page("/console/groups", &[], tops.next_cursor.as_deref()))
    })
}

/// One group's subtree on its own, under its breadcrumbs.
async fn subtree(viewer: &Viewer, root: Uuid) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let ancestors = groups::ancestors(caller.db(), caller.subject, root).await?;
    let top = groups::get(&caller.facts(), caller.subject, root).await?;
    Ok(html! {
        (breadcrumbs(&ancestors, &top.group))
        ul class="tree" { (branch(viewer, &top).await?) }
        p { a href="/console/groups" { "Back to all your groups" } }
    })
}

async fn branch(viewer: &Viewer, top: &GroupView) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let window = Window {
        after: None,
        limit: SUBTREE_LIMIT,
    };
    let below = groups::descendants(
        caller.db(),
        caller.subject,
        top.group.id,
        Some(LEVELS),
        &window,
    )
    .await?;
    let mut children: HashMap<Uuid, Vec<&GroupView>> = HashMap::new();
    for view in &below {
        if let Some(parent) = view.group.parent_id {
            children.entry(parent).or_default().push(view);
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.group.name.cmp(&b.group.name));
    }
    let deepest = top.path.depth() + LEVELS;
    Ok(node(top, &children, deepest))
}

fn node(view: &GroupView, children: &HashMap<Uuid, Vec<&GroupView>>, deepest: u8) -> Markup {
    let kids = children.get(&view.group.id);
    html! {
        li {
            @match kids {
                // The link stays outside the summary: a link inside the widget that folds is
                // a control nested in a control (axe `nested-interactive`).
                Some(kids) => {
                    (group_link(view)) " " (role_badge(view))
                    details open[view.path.depth() + 1 < deepest] {
                        summary {
                            (kids.len()) @if kids.len() == 1 { " subgroup" } @else { " subgroups" }
                            span class="visually-hidden" { " of " (view.group.name) }
                        }
                        ul { @for kid in kids { (node(kid, children, deepest)) } }
                    }
                }
                None => {
                    (group_link(view)) " " (role_badge(view))
                    @if view.path.depth() >= deepest {
                        " " a class="more" href={ "/console/groups?root=" (view.group.id) } {
                            "Show what is below " (view.group.name)
                        }
                    }
                }
            }
        }
    }
}

fn group_link(view: &GroupView) -> Markup {
    html! { a href={ "/console/groups/" (view.group.id) } { (view.group.name) } }
}

fn role_badge(view: &GroupView) -> Markup {
    match view.my_role {
        Some(role) => html! { span class="badge" { "you: " (role) } },
        None => html! {},
    }
}

/// Root first, each a link; the group itself last.
pub fn breadcrumbs(ancestors: &[entity::groups::Model], current: &entity::groups::Model) -> Markup {
    html! {
        nav class="crumbs" aria-label="Breadcrumbs" {
            ol {
                li { a href="/console/groups" { "Groups" } }
                @for group in ancestors {
                    li { a href={ "/console/groups/" (group.id) } { (group.name) } }
                }
                li { a href={ "/console/groups/" (current.id) } aria-current="page" { (current.name) } }
            }
        }
    }
}
