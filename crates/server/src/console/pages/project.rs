//! Projects: the list the viewer may see, and a project's page — its group, its members with
//! their roles, reporting lines and sources, the org chart, and its squads — with a page per
//! member ([`member`]) to change their role and reporting line or remove them.
//!
//! Every read and write is a `/v1` handler's service call with that handler's parsing
//! (`GET /v1/projects`, `GET /v1/projects/{id}`, `…/members`, `…/reporting-lines`,
//! `GET /v1/projects/{id}/squads`, `GET /v1/squads/{id}/members`,
//! `PUT`/`DELETE /v1/projects/{id}/members/{user_id}`). The forms offer only the roles the
//! viewer may grant, worked out by the domain's escalation rule from the viewer's effective role
//! at the project ([`here::Here::grantable`]); the service still decides, and a refusal is shown
//! on the form's page.

mod here;
mod member;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use crate::console::csrf;
use crate::console::layout;
use crate::console::refusal::Refusal;
use crate::console::reply::html_page;
use crate::console::viewer::Viewer;
use crate::convert;
use crate::error::ApiError;
use crate::http::pagination::PageParams;
use crate::services::project_members::{self, NamedMember};
use crate::services::window::Window;
use crate::services::{groups, org_chart, projects, sources, squads};
use domain::ProjectRole;
use here::{Here, crumbs, line, line_select, parse_id, person, role_select};

/// Members shown under each squad; a bigger squad says how many more there are not shown.
const SQUAD_MEMBERS: u64 = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects", web::get().to(list))
        .route("/projects/{id}", web::get().to(show))
        .configure(member::configure);
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct ListQuery {
    /// Only projects in this group's subtree (`GET /v1/projects?within=`).
    within: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

async fn list(viewer: Viewer, query: web::Query<ListQuery>) -> Result<HttpResponse, Refusal> {
    let query = query.into_inner();
    let within_text = query.within.as_deref().map(str::trim).unwrap_or_default();
    let within = match within_text {
        "" => None,
        raw => Some(parse_id("within", raw)?),
    };
    let page = PageParams {
        limit: None,
        cursor: query.cursor.clone(),
    }
    .parse()?;
    let caller = &viewer.caller;
    let rows = projects::list_visible(caller.db(), caller.subject, within, &page.by_id()?).await?;
    let found = page.page(rows, |v| v.project.id);
    let body = html! {
        h1 { "Projects" }
        @if query.done.as_deref() == Some("left") { (layout::done("You left the project.")) }
        @if viewer.system_admin {
            p class="muted" { "As a system admin you see every project." }
        }
        @if within.is_some() {
            p { "Projects in the group's subtree only. " a href="/console/projects" { "Show every project you can see" } }
        }
        @if found.items.is_empty() {
            (layout::none("You cannot see any project here."))
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Project" }
                    th scope="col" { "Slug" }
                    th scope="col" { "Your role" }
                    th scope="col" { "Created" }
                } }
                tbody {
                    @for view in &found.items {
                        tr {
                            td { a href={ "/console/projects/" (view.project.id) } { (view.project.name) } }
                            td { (layout::mono(&view.project.slug)) }
                            td { (view.my_role.map_or("", |r| r.as_str())) }
                            td { (layout::mono(&view.project.created_at.format("%Y-%m-%d").to_string())) }
                        }
                    }
                }
            }
        }
        (layout::next_page("/console/projects", &[("within", within_text)], found.next_cursor.as_deref()))
    };
    Ok(html_page(
        StatusCode::OK,
        layout::page(&viewer, "/console/projects", "Projects", body),
    ))
}

// ---------------------------------------------------------------------------------------------
// A project's page
// ---------------------------------------------------------------------------------------------

#[derive(Default, Deserialize)]
struct ShowQuery {
    /// The members' page.
    cursor: Option<String>,
    /// The squads' page (top-level squads, each with its sub-squads).
    squad_cursor: Option<String>,
    done: Option<String>,
}

/// The confirmation for each `?done=` word (fixed texts: the query is never echoed).
fn done_text(word: Option<&str>) -> Option<&'static str> {
    match word? {
        "added" => Some("The member is added."),
        "saved" => Some("The membership is saved."),
        "removed" => Some("The member is removed."),
        _ => None,
    }
}

/// What the add-member form shows again after the service refused it.
#[derive(Default)]
struct AddAttempt {
    email: String,
    role: Option<ProjectRole>,
    line: String,
}

async fn show(
    viewer: Viewer,
    id: web::Path<Uuid>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, Refusal> {
    let project_id = id.into_inner();
    let query = query.into_inner();
    let notice = done_text(query.done.as_deref()).map(layout::done);
    project_page(
        &viewer,
        project_id,
        &query,
        notice,
        &AddAttempt::default(),
        StatusCode::OK,
    )
    .await
}

/// The project's page, with `notice` (a confirmation or a refusal) at the top.
async fn project_page(
    viewer: &Viewer,
    project_id: Uuid,
    query: &ShowQuery,
    notice: Option<Markup>,
    attempt: &AddAttempt,
    status: StatusCode,
) -> Result<HttpResponse, Refusal> {
    let caller = &viewer.caller;
    let here = Here::load(viewer, project_id).await?;
    let project = &here.access.project;
    let group = match groups::get(&caller.facts(), caller.subject, project.group_id).await {
        Ok(view) => Some(view.group),
        // A project member need not see the project's group (spec §3): show its id alone.
        Err(ApiError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };

    let page = PageParams {
        limit: None,
        cursor: query.cursor.clone(),
    }
    .parse()?;
    let rows = project_members::list(
        caller.db(),
        caller.subject,
        project_id,
        project_members::ProjectMemberFilter::default(),
        &page.by_id()?,
    )
    .await?;
    let members = page.page(rows, |m| m.user_id);
    let squads = squad_section(viewer, project_id, query, &here.names).await?;
    let chart = org_chart::draw(&format!("Reporting lines of {}", project.name), &here.tree);
    let addable: Vec<ProjectRole> = here.grantable(None);
    let path = format!("/console/projects/{project_id}");
    let squad_cursor = query.squad_cursor.clone().unwrap_or_default();

    let body = html! {
        (crumbs(project, None))
        h1 { (project.name) }
        @if let Some(notice) = notice { (notice) }
        dl class="facts" {
            dt { "Group" }
            dd {
                @match &group {
                    Some(group) => a href={ "/console/groups/" (group.id) } { (group.name) },
                    None => { a href={ "/console/groups/" (project.group_id) } { "The owning group" } " " (layout::mono(&project.group_id.to_string())) },
                }
            }
            dt { "Slug" } dd { (layout::mono(&project.slug)) }
            dt { "Your role" } dd { (here.access.held.as_str()) }
            dt { "Id" } dd { (layout::mono(&project.id.to_string())) }
        }

        h2 { "Members" }
        @if members.items.is_empty() {
            (layout::none("No members on this page."))
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Member" }
                    th scope="col" { "Role" }
                    th scope="col" { "Reports to" }
                    th scope="col" { "Sources" }
                    th scope="col" { "Membership" }
                } }
                tbody {
                    @for m in &members.items {
                        tr {
                            td { (person(m.user_id, &here.names)) }
                            td { (convert::project_role(m.role).as_str()) }
                            td { (line(m, &here.names)) }
                            td { (layout::mono(&sources::names(m.manual_role.is_some(), m.idp_sources.as_deref()).join(", "))) }
                            td {
                                a href={ (path) "/members/" (m.user_id) } {
                                    "Details of " (here.name(m.user_id))
                                }
                            }
                        }
                    }
                }
            }
        }
        (layout::next_page(&path, &[("squad_cursor", &squad_cursor)], members.next_cursor.as_deref()))

        @if !addable.is_empty() {
            h2 { "Add a member" }
            form class="row" method="post" action={ (path) "/members" } {
                input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                div {
                    label for="add-email" { "Email address" }
                    input id="add-email" name="email" type="email" required autocomplete="off" value=(attempt.email);
                }
                div {
                    label for="add-role" { "Project role" }
                    (role_select("add-role", &addable, attempt.role.or(addable.last().copied())))
                }
                div {
                    label for="add-line" { "Reports to" }
                    (line_select("add-line", &here, None, &attempt.line))
                }
                button type="submit" { "Add member" }
            }
        }

        h2 { "Org chart" }
        figure class="chart" {
            (layout::trusted(chart))
            figcaption {
                "Who reports to whom in " (project.name) ". "
                a href={ "/v1/projects/" (project_id) "/reporting-lines.svg" } {
                    "The same picture from the API"
                }
                " (needs a bearer token)."
            }
        }

        h2 { "Squads" }
        (squads)
    };
    Ok(html_page(
        status,
        layout::page(viewer, "/console/projects", &project.name, body),
    ))
}

/// The project's squads (a page of top-level squads, each with its sub-squads), each with its
/// members.
async fn squad_section(
    viewer: &Viewer,
    project_id: Uuid,
    query: &ShowQuery,
    names: &HashMap<Uuid, NamedMember>,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let page = PageParams {
        limit: None,
        cursor: query.squad_cursor.clone(),
    }
    .parse()
    .map_err(|e| rename_field(e, "squad_cursor"))?;
    let window = page.by_id().map_err(|e| rename_field(e, "squad_cursor"))?;
    let rows = squads::list(caller.db(), caller.subject, project_id, &window).await?;
    let tops = page.page(rows, |t| t.squad.id);
    let mut items = Vec::with_capacity(tops.items.len());
    for tree in &tops.items {
        let mut subs = Vec::with_capacity(tree.sub_squads.len());
        for sub in &tree.sub_squads {
            subs.push(squad_item(viewer, sub, names, html! {}).await?);
        }
        let below = html! {
            @if !subs.is_empty() {
                ul { @for sub in subs { (sub) } }
            }
        };
        items.push(squad_item(viewer, &tree.squad, names, below).await?);
    }
    let next = tops.next_cursor.as_deref().map(|cursor| {
        let mut url = form_urlencoded::Serializer::new(String::new());
        if let Some(members) = &query.cursor {
            url.append_pair("cursor", members);
        }
        url.append_pair("squad_cursor", cursor);
        format!("/console/projects/{project_id}?{}", url.finish())
    });
    Ok(html! {
        @if items.is_empty() {
            (layout::none("This project has no squads."))
        } @else {
            ul class="tree" { @for item in items { (item) } }
        }
        @if let Some(next) = next {
            nav class="pages" aria-label="Squad pages" { a href=(next) rel="next" { "Next page of squads" } }
        }
    })
}

/// One squad with its members (as `GET /v1/squads/{id}/members` lists them) and `below`.
async fn squad_item(
    viewer: &Viewer,
    squad: &entity::squads::Model,
    names: &HashMap<Uuid, NamedMember>,
    below: Markup,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let window = Window {
        after: None,
        limit: SQUAD_MEMBERS,
    };
    let mut members = squads::members(caller.db(), caller.subject, squad.id, &window).await?;
    let more = members.len() as u64 > SQUAD_MEMBERS;
    members.truncate(SQUAD_MEMBERS as usize);
    Ok(html! {
        li {
            strong { (squad.name) }
            @if members.is_empty() {
                " " span class="muted" { "(no members)" }
            } @else {
                ": "
                @for (i, m) in members.iter().enumerate() {
                    @if i > 0 { ", " }
                    (person(m.user_id, names))
                }
                @if more { " " span class="muted" { "and more (the first " (SQUAD_MEMBERS) " are shown)" } }
            }
            (below)
        }
    })
}

/// A validation error about `cursor` renamed to the page parameter that carried it.
fn rename_field(error: ApiError, field: &str) -> ApiError {
    match error {
        ApiError::Validation(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.field == "cursor" {
                        e.field = field.to_owned();
                    }
                    e
                })
                .collect(),
        ),
        other => other,
    }
}
