//! A group: where it sits (breadcrumbs), its subgroups and projects, and its members — direct,
//! or with those inherited from its ancestors and where they come from — with forms to add a
//! member, change a role and remove a member. The role lists offer only the roles the domain's
//! no-escalation rule lets the viewer grant; the services decide every change again, and a
//! refusal comes back as the page with the API's problem on top.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::tree::breadcrumbs;
use crate::console::csrf::{self, Submitted};
use crate::console::layout;
use crate::console::people::{self, People};
use crate::console::refusal::{self, Refusal};
use crate::console::reply::{html_page, see_other};
use crate::console::viewer::Viewer;
use crate::error::ApiError;
use crate::http::extract::role_field;
use crate::http::pagination::PageParams;
use crate::services::group_members::{self, GroupMemberFilter};
use crate::services::window::Window;
use crate::services::{access, groups, projects, sources};
use domain::{Capability, GroupRole};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/groups/{id}", web::get().to(show))
        .route("/groups/{id}/members", web::post().to(add))
        .route("/groups/{id}/members/{user_id}", web::post().to(change))
        .route(
            "/groups/{id}/members/{user_id}/remove",
            web::post().to(remove),
        );
}

#[derive(Deserialize, Default)]
struct GroupQuery {
    inherited: Option<bool>,
    cursor: Option<String>,
    done: Option<String>,
}

async fn show(
    viewer: Viewer,
    id: web::Path<Uuid>,
    query: web::Query<GroupQuery>,
) -> Result<HttpResponse, Refusal> {
    let query = query.into_inner();
    let notice = match query.done.as_deref() {
        Some("added") => Some(layout::done("The member was added.")),
        Some("changed") => Some(layout::done("The role was changed.")),
        Some("removed") => Some(layout::done("The member was removed.")),
        _ => None,
    };
    render(&viewer, id.into_inner(), &query, notice, StatusCode::OK).await
}

/// The page, with `notice` on top, answered with `status` (a refusal's, after a failed form).
async fn render(
    viewer: &Viewer,
    id: Uuid,
    query: &GroupQuery,
    notice: Option<Markup>,
    status: StatusCode,
) -> Result<HttpResponse, Refusal> {
    let caller = &viewer.caller;
    let view = groups::get(&caller.facts(), caller.subject, id).await?;
    let ancestors = groups::ancestors(caller.db(), caller.subject, id).await?;
    let first = Window {
        after: None,
        limit: 50,
    };
    let children = groups::children(caller.db(), caller.subject, id, &first).await?;
    let projects = projects::list_in_group(caller.db(), caller.subject, id, &first).await?;
    // Forms only where the API would let them through: `group.manage_members` here.
    let manager = match access::authorize_group_in(
        &caller.facts(),
        caller.subject,
        id,
        Capability::GroupManageMembers,
    )
    .await
    {
        Ok(access) => Some(access.grant.role),
        Err(ApiError::Forbidden(_)) => None,
        Err(other) => return Err(other.into()),
    };
    let members = members(viewer, id, query, manager).await?;
    let grantable = grantable(manager);
    let body = html! {
        (breadcrumbs(&ancestors, &view.group))
        h1 { (view.group.name) }
        @if let Some(notice) = notice { (notice) }
        dl class="facts" {
            dt { "Your role here" }
            dd { @match view.my_role { Some(role) => (role), None => "none" } }
            dt { "Path" }
            dd { (layout::mono(&view.group.path)) }
        }
        p { a href={ "/console/why?resource_type=group&resource_id=" (id) } { "Ask why someone may or may not do something here" } }
        (members)
        @if !grantable.is_empty() {
            h2 id="add-member" { "Add a member" }
            form class="row" method="post" action={ "/console/groups/" (id) "/members" } {
                input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                div {
                    label for="new-user" { "Person (email or id)" }
                    input id="new-user" name="user" type="text" required autocomplete="off";
                }
                div {
                    label for="new-role" { "Role" }
                    (role_select("new-role", &grantable, None))
                }
                button type="submit" { "Add member" }
            }
        }
        h2 { "Subgroups" }
        @if children.is_empty() {
            (layout::none("No subgroups."))
        } @else {
            ul {
                @for child in &children {
                    li { a href={ "/console/groups/" (child.group.id) } { (child.group.name) } }
                }
            }
            @if children.len() > 50 {
                p { a href={ "/console/groups?root=" (id) } { "All subgroups" } }
            }
        }
        h2 { "Projects" }
        @if projects.is_empty() {
            (layout::none("No projects you can see."))
        } @else {
            ul {
                @for p in projects.iter().take(50) {
                    li {
                        a href={ "/console/projects/" (p.project.id) } { (p.project.name) }
                        @if let Some(role) = p.my_role { " " span class="badge" { "you: " (role) } }
                    }
                }
            }
        }
    };
    Ok(html_page(
        status,
        layout::page(viewer, "/console/groups", &view.group.name, body),
    ))
}

/// The members table: direct members (or, with `inherited`, each user once at their strongest
/// role, naming the ancestor it comes from), a page at a time.
async fn members(
    viewer: &Viewer,
    id: Uuid,
    query: &GroupQuery,
    manager: Option<GroupRole>,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let inherited = query.inherited.unwrap_or(false);
    let page = PageParams {
        limit: None,
        cursor: query.cursor.clone(),
    }
    .parse()?;
    let filter = GroupMemberFilter {
        role: None,
        inherited,
    };
    let rows = group_members::list(caller.db(), caller.subject, id, filter, &page.by_id()?).await?;
    let listed = page.page(rows, |l| l.membership.user_id);
    let mut source_names =
        sources::group_source_names(caller.db(), listed.items.iter().map(|l| l.membership.id))
            .await?;
    let names = People::named(viewer, listed.items.iter().map(|l| l.membership.user_id)).await?;
    let inherited_flag = if inherited { "true" } else { "" };
    Ok(html! {
        h2 { "Members" }
        p {
            @if inherited {
                a href={ "/console/groups/" (id) } { "Show direct members only" }
            } @else {
                a href={ "/console/groups/" (id) "?inherited=true" } { "Include members inherited from parent groups" }
            }
        }
        @if listed.items.is_empty() {
            (layout::none("No members."))
        } @else {
            table {
                caption class="muted" { @if inherited { "Members, direct and inherited" } @else { "Direct members" } }
                thead { tr {
                    th scope="col" { "Person" }
                    th scope="col" { "Role" }
                    th scope="col" { "Sources" }
                    th scope="col" { "Inherited from" }
                    th scope="col" { "Change" }
                } }
                tbody {
                    @for item in &listed.items {
                        @let member = &item.membership;
                        @let role = crate::convert::group_role(member.role);
                        @let shown = source_names.remove(&member.id).unwrap_or_default();
                        tr {
                            td { (names.link(member.user_id)) }
                            td { (role) }
                            td { (sources_list(&shown)) }
                            td {
                                @if let Some(from) = item.inherited_from {
                                    a href={ "/console/groups/" (from) } { "parent group" }
                                } @else { span class="muted" { "direct" } }
                            }
                            td {
                                @if item.inherited_from.is_none() {
                                    (member_actions(viewer, id, member.user_id, role, manager, &names))
                                }
                            }
                        }
                    }
                }
            }
        }
        (layout::next_page(&format!("/console/groups/{id}"), &[("inherited", inherited_flag)], listed.next_cursor.as_deref()))
    })
}

/// The change and remove forms of a direct membership the viewer may touch (`manager`: their
/// role when they may manage members here).
fn member_actions(
    viewer: &Viewer,
    group: Uuid,
    user: Uuid,
    current: GroupRole,
    manager: Option<GroupRole>,
    names: &People,
) -> Markup {
    let Some(mine) = manager else {
        return html! {};
    };
    if domain::check_group_grant(mine, Some(current), None).is_err() {
        return html! { span class="muted" { "stronger than your role" } };
    }
    let grantable = grantable(manager);
    let who = names.name(user);
    let select_id = format!("role-{user}");
    html! {
        form class="inline" method="post" action={ "/console/groups/" (group) "/members/" (user) } {
            input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
            label class="visually-hidden" for=(select_id) { "Role of " (who) }
            (role_select(&select_id, &grantable, Some(current)))
            button type="submit" class="quiet" { "Change role" }
        }
        " "
        form class="inline" method="post" action={ "/console/groups/" (group) "/members/" (user) "/remove" }
            data-confirm={ "Remove " (who) " from this group?" } {
            input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
            button type="submit" class="danger" aria-label={ "Remove " (who) } { "Remove" }
        }
    }
}

/// The roles the domain's no-escalation rule lets a member manager with role `manager` grant.
fn grantable(manager: Option<GroupRole>) -> Vec<GroupRole> {
    let Some(mine) = manager else {
        return Vec::new();
    };
    GroupRole::ALL
        .into_iter()
        .filter(|role| domain::check_group_grant(mine, None, Some(*role)).is_ok())
        .collect()
}

fn role_select(id: &str, roles: &[GroupRole], current: Option<GroupRole>) -> Markup {
    // role filter: which option starts selected (the member's current role), not a decision.
    let options = roles.iter().map(|r| (*r, current == Some(*r)));
    html! {
        select id=(id) name="role" {
            @for (role, chosen) in options {
                option value=(role) selected[chosen] { (role) }
            }
        }
    }
}

/// `manual`, and a link for each IdP group whose binding grants the membership.
fn sources_list(names: &[String]) -> Markup {
    html! {
        @for (i, name) in names.iter().enumerate() {
            @if i > 0 { ", " }
            @if let Some(idp) = name.strip_prefix("idp_group:") {
                a href={ "/console/idp-groups/" (idp) } { "IdP group" }
            } @else { (name) }
        }
    }
}

#[derive(Deserialize)]
struct AddForm {
    user: String,
    role: String,
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn add(
    viewer: Viewer,
    id: web::Path<Uuid>,
    form: Submitted<AddForm>,
) -> Result<HttpResponse, Refusal> {
    let id = id.into_inner();
    let form = form.0;
    let caller = &viewer.caller;
    let added = async {
        let role = role_field("role", &form.role, &GroupRole::ALL)?;
        let user = people::resolve(&viewer, &form.user, "user").await?;
        group_members::create(caller.db(), caller.subject, id, user, role).await
    }
    .await;
    answer(&viewer, id, added.map(|_| "added")).await
}

async fn change(
    viewer: Viewer,
    path: web::Path<(Uuid, Uuid)>,
    form: Submitted<RoleForm>,
) -> Result<HttpResponse, Refusal> {
    let (id, user) = path.into_inner();
    let caller = &viewer.caller;
    let changed = async {
        let role = role_field("role", &form.0.role, &GroupRole::ALL)?;
        group_members::upsert(caller.db(), caller.subject, id, user, role).await
    }
    .await;
    answer(&viewer, id, changed.map(|_| "changed")).await
}

async fn remove(
    viewer: Viewer,
    path: web::Path<(Uuid, Uuid)>,
    _form: Submitted<serde::de::IgnoredAny>,
) -> Result<HttpResponse, Refusal> {
    let (id, user) = path.into_inner();
    let caller = &viewer.caller;
    let removed = group_members::remove(caller.db(), caller.subject, id, user).await;
    answer(&viewer, id, removed.map(|()| "removed")).await
}

/// After a form: back to the group page (303) on success; else the page again with the
/// refusal on top and the API's status.
async fn answer(
    viewer: &Viewer,
    id: Uuid,
    outcome: Result<&str, ApiError>,
) -> Result<HttpResponse, Refusal> {
    match outcome {
        Ok(done) => Ok(see_other(format!("/console/groups/{id}?done={done}"))),
        Err(error) => {
            let (status, notice) = refusal::shown(error)?;
            render(viewer, id, &GroupQuery::default(), Some(notice), status).await
        }
    }
}
