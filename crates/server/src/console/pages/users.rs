//! People: the users the viewer may read (searchable, as `GET /v1/users`), and a person's page —
//! their memberships, their effective access from the lookups (`GET /v1/users/{id}/access`:
//! where they hold a role and the membership it comes from) and, in each project, their
//! reporting chain.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::console::layout;
use crate::console::refusal::{self, Refusal};
use crate::console::reply::html_page;
use crate::console::viewer::Viewer;
use crate::error::ApiError;
use crate::http::routes::lookup::{FoundResource, user_access};
use crate::http::routes::users::ListUsersQuery;
use crate::services::{project_members, users};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/{id}", web::get().to(show));
}

async fn list(viewer: Viewer, query: web::Query<ListUsersQuery>) -> Result<HttpResponse, Refusal> {
    let query = query.into_inner();
    let q = query.q.clone().unwrap_or_default();
    let caller = &viewer.caller;
    let (page, window, filter) = query.parse()?;
    let rows = users::list_visible(caller.db(), caller.subject, &filter, &window).await?;
    let found = page.page(rows, |user| user.id);
    let body = html! {
        h1 { "People" }
        form class="search" method="get" action="/console/users" role="search" {
            label for="q" { "Find a person by name or email" }
            input id="q" name="q" type="search" value=(q) autocomplete="off";
            button type="submit" { "Search" }
        }
        @if found.items.is_empty() {
            (layout::none("Nobody you can see matches."))
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Email" }
                    th scope="col" { "Status" }
                } }
                tbody {
                    @for user in &found.items {
                        tr {
                            td { a href={ "/console/users/" (user.id) } { (user.display_name) } }
                            td { (user.email.as_deref().unwrap_or("—")) }
                            td { @if user.active { "active" } @else { "deactivated" } }
                        }
                    }
                }
            }
        }
        (layout::next_page("/console/users", &[("q", &q)], found.next_cursor.as_deref()))
    };
    Ok(html_page(
        StatusCode::OK,
        layout::page(&viewer, "/console/users", "People", body),
    ))
}

async fn show(viewer: Viewer, id: web::Path<Uuid>) -> Result<HttpResponse, Refusal> {
    let id = id.into_inner();
    let caller = &viewer.caller;
    let user = users::read_visible(&caller.facts(), caller.subject, id).await?;
    // Only the person themselves and system admins read someone's access (as the API decides);
    // anyone else sees why not, on an otherwise useful page.
    let access = match user_access(caller, id).await {
        Ok(access) => Ok(access),
        Err(refused @ ApiError::Forbidden(_)) => Err(refused),
        Err(other) => return Err(other.into()),
    };
    let body = html! {
        h1 { (user.display_name) }
        dl class="facts" {
            dt { "Email" } dd { (user.email.as_deref().unwrap_or("—")) }
            dt { "User name" } dd { (user.user_name) }
            dt { "Status" } dd { @if user.active { "active" } @else { "deactivated" } }
            dt { "Id" } dd { (layout::mono(&id.to_string())) }
        }
        @match &access {
            Err(refused) => {
                h2 { "Memberships and effective access" }
                (refusal::problem(refused))
            }
            Ok(access) => {
                (memberships(&viewer, id).await?)
                h2 { "Effective access" }
                @if access.system_admin {
                    p { strong { "System admin:" } " every capability everywhere." }
                }
                h3 { "Groups" }
                (resources(&access.groups, "Group", "/console/groups/"))
                h3 { "Projects" }
                (resources(&access.projects, "Project", "/console/projects/"))
                h2 { "Reporting lines" }
                (chains(&viewer, id, &access.projects).await?)
            }
        }
        p {
            a href={ "/console/why?user=" (id) } { "Ask why " (user.display_name) " may or may not do something" }
        }
    };
    Ok(html_page(
        StatusCode::OK,
        layout::page(&viewer, "/console/users", &user.display_name, body),
    ))
}

/// The person's own memberships, each where it is held and with which role — shown only
/// beside their effective access, to those the API lets read it (themselves, system admins).
async fn memberships(viewer: &Viewer, id: Uuid) -> Result<Markup, Refusal> {
    let db = viewer.caller.db();
    let held = users::memberships_of(db, id).await?;
    let groups: HashMap<Uuid, String> = entity::groups::Entity::find()
        .filter(entity::groups::Column::Id.is_in(held.groups.iter().map(|m| m.group_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let projects: HashMap<Uuid, String> = entity::projects::Entity::find()
        .filter(entity::projects::Column::Id.is_in(held.projects.iter().map(|m| m.project_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let named = |names: &HashMap<Uuid, String>, id: Uuid| {
        names.get(&id).cloned().unwrap_or_else(|| id.to_string())
    };
    Ok(html! {
        h2 { "Memberships" }
        @if held.groups.is_empty() && held.projects.is_empty() {
            (layout::none("No memberships."))
        } @else {
            ul {
                @for m in &held.groups {
                    li {
                        (crate::convert::group_role(m.role)) " in the group "
                        a href={ "/console/groups/" (m.group_id) } { (named(&groups, m.group_id)) }
                    }
                }
                @for m in &held.projects {
                    li {
                        (crate::convert::project_role(m.role)) " in the project "
                        a href={ "/console/projects/" (m.project_id) "/members/" (id) } { (named(&projects, m.project_id)) }
                    }
                }
            }
        }
    })
}

/// Where the person holds a role: each place, the role, the membership it comes from, and
/// whether it covers the subtree below.
fn resources(items: &[FoundResource], kind: &str, base: &str) -> Markup {
    html! {
        @if items.is_empty() {
            (layout::none(&format!("No {} roles.", kind.to_lowercase())))
        } @else {
            table {
                thead { tr {
                    th scope="col" { (kind) }
                    th scope="col" { "Role" }
                    th scope="col" { "Granted by" }
                } }
                tbody {
                    @for item in items {
                        tr {
                            td {
                                a href={ (base) (item.id) } { (item.name) }
                                @if item.subtree { " " span class="badge" { "and everything below" } }
                            }
                            td { (item.role) }
                            td { (granted_by(&item.granted_by)) }
                        }
                    }
                }
            }
        }
    }
}

/// The membership a grant comes from, as a link to where it is held.
pub fn granted_by(by: &crate::http::routes::check::GrantedBy) -> Markup {
    let href = match by.kind {
        "project" => format!("/console/projects/{}", by.id),
        _ => format!("/console/groups/{}", by.id),
    };
    html! { (by.role) " in " a href=(href) { "this " (by.kind) } }
}

/// The person's managers in each project where the viewer may see reporting lines.
async fn chains(viewer: &Viewer, id: Uuid, projects: &[FoundResource]) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let mut rows = Vec::new();
    for project in projects {
        match project_members::chain(caller.db(), caller.subject, project.id, id).await {
            Ok(managers) => rows.push((project, managers)),
            // Not a member there (admin bridged from a group), or lines the viewer may not see.
            Err(ApiError::NotFound | ApiError::Forbidden(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(html! {
        @if rows.is_empty() {
            (layout::none("No reporting lines in projects you can see."))
        } @else {
            ul {
                @for (project, managers) in &rows {
                    li {
                        a href={ "/console/projects/" (project.id) } { (project.name) } ": "
                        @if managers.is_empty() {
                            "reports to nobody"
                        } @else {
                            "reports to "
                            @for (i, manager) in managers.iter().enumerate() {
                                @if i > 0 { " → " }
                                a href={ "/console/users/" (manager.member.user_id) } { (manager.display_name) }
                            }
                        }
                    }
                }
            }
        }
    })
}
