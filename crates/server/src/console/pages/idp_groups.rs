//! Identity providers' groups: the list (`GET /v1/idp-groups`), one group with its members as
//! the provider pushed them over SCIM and its bindings (`GET /v1/idp-groups/{id}/bindings`),
//! and the forms that bind it to a Roster group, project or squad with a role, and unbind it.
//! Reading is for those who manage users; binding for whoever may grant the role there. The
//! form offers only the group roles the viewer could grant anywhere; the service decides the
//! rest and its refusal is shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use crate::console::csrf::{self, Submitted};
use crate::console::layout;
use crate::console::people::People;
use crate::console::refusal::inline;
use crate::console::refusal::{Refusal, problem};
use crate::console::reply::{html_page, see_other};
use crate::console::show::when;
use crate::console::viewer::Viewer;
use crate::error::{ApiError, FieldError};
use crate::http::pagination::{PageParams, PageRequest};
use crate::services::idp_bindings::{self, NewBinding, Target};
use crate::services::{access, groups, projects, squads};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/idp-groups", web::get().to(list))
        .route("/idp-groups/{id}", web::get().to(show))
        .route("/idp-groups/{id}/bindings", web::post().to(bind))
        .route(
            "/idp-groups/{id}/bindings/{binding_id}/delete",
            web::post().to(unbind),
        );
}

const SECTION: &str = "/console/idp-groups";

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

fn page_request(cursor: Option<String>) -> Result<PageRequest, ApiError> {
    PageParams {
        limit: None,
        cursor: cursor.filter(|c| !c.is_empty()),
    }
    .parse()
}

async fn list(viewer: Viewer, query: web::Query<ListQuery>) -> Result<HttpResponse, Refusal> {
    let (status, listing) = match idp_groups(&viewer, query.into_inner().cursor).await {
        Ok(listing) => (StatusCode::OK, listing),
        Err(error) => {
            let error = inline(error)?;
            (error.status_and_code().0, problem(&error))
        }
    };
    let body = html! {
        h1 { "IdP groups" }
        p class="muted" {
            "The groups identity providers push over SCIM. The provider owns who is in them; "
            "a binding gives their members a role in a Roster group, project or squad."
        }
        (listing)
    };
    Ok(html_page(
        status,
        layout::page(&viewer, SECTION, "IdP groups", body),
    ))
}

async fn idp_groups(viewer: &Viewer, cursor: Option<String>) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let page = page_request(cursor)?;
    let rows = idp_bindings::list_groups(caller.db(), caller.subject, &page.by_id()?).await?;
    let found = page.page(rows, |g| g.group.id);
    Ok(html! {
        @if found.items.is_empty() {
            (layout::none("No identity provider has pushed a group yet."))
        } @else {
            table {
                thead {
                    tr {
                        th scope="col" { "Name" }
                        th scope="col" { "External id" }
                        th scope="col" { "Members" }
                        th scope="col" { "Updated" }
                    }
                }
                tbody {
                    @for counted in &found.items {
                        tr {
                            td { a href={ (SECTION) "/" (counted.group.id) } { (counted.group.display_name) } }
                            td { @if let Some(external) = &counted.group.external_id { code { (external) } } }
                            td { (counted.members) }
                            td { (when(&counted.group.updated_at)) }
                        }
                    }
                }
            }
        }
        (layout::next_page(SECTION, &[], found.next_cursor.as_deref()))
    })
}

#[derive(Deserialize)]
struct ShowQuery {
    /// The members' page.
    cursor: Option<String>,
    /// The bindings' page.
    bindings_cursor: Option<String>,
    done: Option<String>,
}

/// The binding form as submitted: `POST /v1/idp-groups/{id}/bindings`'s `{type, id, role}`.
#[derive(Debug, Default, Deserialize)]
struct BindForm {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    role: String,
}

impl BindForm {
    /// What the API makes of its body: the same targets, the same role parsing.
    fn parse(&self) -> Result<NewBinding, ApiError> {
        let mut errors = Vec::new();
        let id = Uuid::parse_str(self.id.trim())
            .map_err(|_| errors.push(FieldError::new("id", "must be a UUID")))
            .ok();
        let target = match self.kind.as_str() {
            "group" => id.map(Target::Group),
            "project" => id.map(Target::Project),
            "squad" => id.map(Target::Squad),
            _ => {
                errors.push(FieldError::new("type", "must be group, project or squad"));
                None
            }
        };
        let role = self
            .role
            .parse::<domain::GroupRole>()
            .map(domain::RoleName::Group)
            .or_else(|_| {
                self.role
                    .parse::<domain::ProjectRole>()
                    .map(domain::RoleName::Project)
            })
            .map_err(|_| {
                errors.push(FieldError::new(
                    "role",
                    "must name a group role or a project role",
                ))
            })
            .ok();
        match (target, role) {
            (Some(target), Some(role)) if errors.is_empty() => Ok(NewBinding { target, role }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

async fn show(
    viewer: Viewer,
    id: web::Path<Uuid>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, Refusal> {
    let id = id.into_inner();
    let query = query.into_inner();
    let top = match query.done.as_deref() {
        Some("bound") => {
            layout::done("The IdP group is bound; its members hold the role there now.")
        }
        Some("unbound") => {
            layout::done("The binding is deleted; its members lost what it granted.")
        }
        _ => html! {},
    };
    let page = detail_page(
        &viewer,
        id,
        (query.cursor, query.bindings_cursor),
        top,
        &BindForm::default(),
    )
    .await?;
    Ok(html_page(StatusCode::OK, page))
}

/// One IdP group's page, `top` above it; `cursors` are the members' and the bindings' pages.
async fn detail_page(
    viewer: &Viewer,
    id: Uuid,
    cursors: (Option<String>, Option<String>),
    top: Markup,
    form: &BindForm,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let (members_cursor, bindings_cursor) = cursors;
    let bindings_page = page_request(bindings_cursor)?;
    let (group, all) = idp_bindings::get_group(caller.db(), caller.subject, id).await?;
    let rows =
        idp_bindings::list_bindings(caller.db(), caller.subject, id, &bindings_page.by_id()?)
            .await?;
    let bindings = bindings_page.page(rows, |b| b.id);
    let path = format!("{SECTION}/{id}");

    // The members, a page at a time (in id order, as every list).
    let members_page = page_request(members_cursor)?;
    let window = members_page.by_id()?;
    let total = all.len();
    let fetch = usize::try_from(window.limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let rows: Vec<Uuid> = all
        .into_iter()
        .filter(|member| window.after.is_none_or(|after| *member > after))
        .take(fetch)
        .collect();
    let members = members_page.page(rows, |m| *m);
    let people = People::named(
        viewer,
        members
            .items
            .iter()
            .copied()
            .chain(bindings.items.iter().filter_map(|b| b.created_by)),
    )
    .await?;

    let mut targets = Vec::with_capacity(bindings.items.len());
    for binding in &bindings.items {
        targets.push(target(viewer, binding).await?);
    }
    let bindings_next = bindings.next_cursor.as_deref().map(|cursor| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("bindings_cursor", cursor);
        format!("{path}?{}", query.finish())
    });

    let body = html! {
        h1 { "IdP group " (group.display_name) }
        (top)
        dl class="facts" {
            dt { "Name" } dd { (group.display_name) }
            dt { "External id" } dd {
                @match &group.external_id { Some(e) => code { (e) }, None => span class="muted" { "none" } }
            }
            dt { "Members" } dd { (total) }
            dt { "Updated" } dd { (when(&group.updated_at)) }
        }

        h2 { "Bindings" }
        @if bindings.items.is_empty() {
            (layout::none("It is bound nowhere: its members hold nothing through it."))
        } @else {
            table {
                thead {
                    tr {
                        th scope="col" { "Bound to" }
                        th scope="col" { "Role" }
                        th scope="col" { "Bound by" }
                        th scope="col" { "Since" }
                        th scope="col" { "Unbind" }
                    }
                }
                tbody {
                    @for (binding, target) in bindings.items.iter().zip(targets) {
                        tr {
                            td { (target) }
                            td { code { (binding.role) } }
                            td { (people.actor(binding.created_by)) }
                            td { (when(&binding.created_at)) }
                            td {
                                form class="inline" method="post"
                                    action={ (path) "/bindings/" (binding.id) "/delete" } {
                                    input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                                    button type="submit" class="danger" { "Delete binding" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(next) = bindings_next {
            nav class="pages" aria-label="Pages of bindings" {
                a href=(next) rel="next" { "Next page of bindings" }
            }
        }

        h2 { "Bind it" }
        (bind_form(viewer, &path, form).await?)

        h2 { "Members" }
        p class="muted" { "As the identity provider pushed them over SCIM." }
        @if members.items.is_empty() {
            (layout::none("The provider has put no one in it."))
        } @else {
            ul class="results" {
                @for member in &members.items {
                    li {
                        @if people.knows(*member) {
                            (people.link(*member))
                        } @else {
                            span class="muted" { "someone you may not see" }
                        }
                    }
                }
            }
        }
        (layout::next_page(&path, &[], members.next_cursor.as_deref()))
        p { a href=(SECTION) { "Back to the IdP groups" } }
    };
    Ok(layout::page(viewer, SECTION, "IdP group", body))
}

/// What a binding binds to, named and linked when the viewer may see it.
async fn target(viewer: &Viewer, binding: &entity::idp_bindings::Model) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let facts = caller.facts();
    let hidden = |e: &ApiError| matches!(e, ApiError::NotFound | ApiError::Forbidden(_));
    let markup = if let Some(id) = binding.project_id {
        let name = match projects::get(&facts, caller.subject, id).await {
            Ok(view) => Some(view.project.name),
            Err(e) if hidden(&e) => None,
            Err(e) => return Err(e.into()),
        };
        html! {
            "Project " a href={ "/console/projects/" (id) } {
                @match name { Some(name) => (name), None => code { (id) } }
            }
        }
    } else if let Some(id) = binding.squad_id {
        match squads::get(&facts, caller.subject, id).await {
            Ok(squad) => {
                // Whoever may see a squad may see its project.
                let project = projects::get(&facts, caller.subject, squad.project_id).await?;
                html! {
                    "Squad " (squad.name) " in project "
                    a href={ "/console/projects/" (squad.project_id) } { (project.project.name) }
                }
            }
            Err(e) if hidden(&e) => html! { "Squad " code { (id) } },
            Err(e) => return Err(e.into()),
        }
    } else if let Some(id) = binding.group_id {
        let name = match groups::get(&facts, caller.subject, id).await {
            Ok(view) => Some(view.group.name),
            Err(e) if hidden(&e) => None,
            Err(e) => return Err(e.into()),
        };
        html! {
            "Group " a href={ "/console/groups/" (id) } {
                @match name { Some(name) => (name), None => code { (id) } }
            }
        }
    } else {
        html! { span class="muted" { "nothing" } }
    };
    Ok(markup)
}

/// The binding form: group roles only as far as the viewer could grant them anywhere (their
/// strongest role decides, as `domain::check_group_grant` does); project roles all, since
/// whether the viewer may grant one depends on the project, which the service checks.
async fn bind_form(viewer: &Viewer, path: &str, form: &BindForm) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let strongest = access::strongest_grant(caller.db(), caller.subject).await?;
    let group_roles: Vec<domain::GroupRole> = domain::GroupRole::ALL
        .into_iter()
        .filter(|role| {
            strongest.is_some_and(|grant| {
                domain::check_group_grant(grant.role, None, Some(*role)).is_ok()
            })
        })
        .collect();
    let kinds = [
        ("group", "A group"),
        ("project", "A project"),
        ("squad", "A squad"),
    ];
    Ok(html! {
        form class="row" method="post" action={ (path) "/bindings" } {
            input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
            div {
                label for="bind-type" { "Bind to" }
                select id="bind-type" name="type" {
                    @for (value, label) in kinds {
                        option value=(value) selected[form.kind == value] { (label) }
                    }
                }
            }
            div {
                label for="bind-id" { "Its id" }
                input id="bind-id" name="id" type="text" required value=(form.id);
            }
            div {
                label for="bind-role" { "Role" }
                select id="bind-role" name="role" {
                    @if !group_roles.is_empty() {
                        optgroup label="Group roles (for a group)" {
                            @for (name, chosen) in chosen(group_roles.iter().map(|r| r.as_str()), &form.role) {
                                option value=(name) selected[chosen] { (name) }
                            }
                        }
                    }
                    optgroup label="Project roles (for a project or a squad)" {
                        @for (name, chosen) in chosen(domain::ProjectRole::ALL.iter().map(|r| r.as_str()), &form.role) {
                            option value=(name) selected[chosen] { (name) }
                        }
                    }
                }
            }
            button type="submit" { "Bind" }
        }
    })
}

/// Each role name with whether the form chose it last time (kept after a refusal).
fn chosen<'a>(
    names: impl Iterator<Item = &'a str>,
    picked: &'a str,
) -> impl Iterator<Item = (&'a str, bool)> {
    // role filter: which option starts selected, not a decision.
    names.map(move |name| (name, name == picked))
}

async fn bind(
    viewer: Viewer,
    id: web::Path<Uuid>,
    form: Submitted<BindForm>,
) -> Result<HttpResponse, Refusal> {
    let id = id.into_inner();
    let form = form.0;
    let caller = &viewer.caller;
    let result = match form.parse() {
        Ok(new) => idp_bindings::create_binding(caller.db(), caller.subject, id, new)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(see_other(format!("{SECTION}/{id}?done=bound"))),
        Err(error) => refused_on_detail(&viewer, id, error, &form).await,
    }
}

async fn unbind(
    viewer: Viewer,
    path: web::Path<(Uuid, Uuid)>,
    _form: Submitted<serde::de::IgnoredAny>,
) -> Result<HttpResponse, Refusal> {
    let (id, binding_id) = path.into_inner();
    let caller = &viewer.caller;
    match idp_bindings::delete_binding(caller.db(), caller.subject, id, binding_id).await {
        Ok(()) => Ok(see_other(format!("{SECTION}/{id}?done=unbound"))),
        Err(error) => refused_on_detail(&viewer, id, error, &BindForm::default()).await,
    }
}

/// A refused form: the group's page again with the refusal on top and the refusal's status;
/// when the group itself cannot be shown to the viewer, the refusal alone.
async fn refused_on_detail(
    viewer: &Viewer,
    id: Uuid,
    error: ApiError,
    form: &BindForm,
) -> Result<HttpResponse, Refusal> {
    let error = inline(Refusal(error))?;
    let status = error.status_and_code().0;
    match detail_page(viewer, id, (None, None), problem(&error), form).await {
        Ok(page) => Ok(html_page(status, page)),
        Err(_) => Err(Refusal(error)),
    }
}
