//! A project member's page — their role, reporting line, chain of managers and sources — and
//! the console's writes on project membership: adding a member (by email address), changing a
//! role and reporting line, removing a member or leaving. Each write is the service call of
//! `PUT`/`DELETE /v1/projects/{id}/members/{user_id}` with that route's parsing; success answers
//! 303 to the project's page, a refusal re-renders the form's page with the problem on top.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::here::{Here, crumbs, line, line_select, parse_id, person, role_select};
use super::{AddAttempt, ShowQuery, project_page};
use crate::console::csrf::{self, Submitted};
use crate::console::refusal::{self, Refusal};
use crate::console::reply::{html_page, see_other};
use crate::console::viewer::Viewer;
use crate::console::{layout, people};
use crate::convert;
use crate::error::ApiError;
use crate::http::extract::role_field;
use crate::services::project_members::{self, Assignment};
use crate::services::sources;
use domain::ProjectRole;

/// A member's page, and the membership writes (relative to `/console`).
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}/members", web::post().to(add))
        .route("/projects/{id}/members/{user_id}", web::get().to(show))
        .route("/projects/{id}/members/{user_id}", web::post().to(save))
        .route(
            "/projects/{id}/members/{user_id}/remove",
            web::post().to(remove),
        );
}

// ---------------------------------------------------------------------------------------------
// A member's page
// ---------------------------------------------------------------------------------------------

/// What the member form shows again after the service refused it.
#[derive(Default)]
struct MemberAttempt {
    role: Option<ProjectRole>,
    line: Option<String>,
}

async fn show(viewer: Viewer, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, Refusal> {
    let (project_id, user_id) = path.into_inner();
    member_page(
        &viewer,
        project_id,
        user_id,
        None,
        &MemberAttempt::default(),
        StatusCode::OK,
    )
    .await
}

/// A member's page (what `GET /v1/projects/{id}/members/{user_id}` and `…/chain` show), with
/// the forms the viewer may use, and `notice` at the top.
async fn member_page(
    viewer: &Viewer,
    project_id: Uuid,
    user_id: Uuid,
    notice: Option<Markup>,
    attempt: &MemberAttempt,
    status: StatusCode,
) -> Result<HttpResponse, Refusal> {
    let caller = &viewer.caller;
    let here = Here::load(viewer, project_id).await?;
    let m = project_members::get(caller.db(), caller.subject, project_id, user_id).await?;
    let managers = project_members::chain(caller.db(), caller.subject, project_id, user_id).await?;
    let current = convert::project_role(m.role);
    let given = m.manual_role.map(convert::project_role);
    let roles = here.grantable(Some(current));
    // A membership that only IdP bindings grant goes when they do; removing it is refused.
    let removable = m.manual_role.is_some() && here.may_remove(user_id, current);
    let leaving = user_id == here.viewer_id;
    let name = here.name(user_id);
    let project = &here.access.project;
    let path = format!("/console/projects/{project_id}/members/{user_id}");
    let line_now = match (m.reports_to, m.reports_to_explicit) {
        (Some(manager), true) => manager.to_string(),
        _ => "auto".to_owned(),
    };
    let selected_line = attempt.line.clone().unwrap_or(line_now);
    let title = format!("{name} in {}", project.name);

    let body = html! {
        (crumbs(project, Some(&name)))
        h1 { (title) }
        @if let Some(notice) = notice { (notice) }
        dl class="facts" {
            dt { "Person" } dd { (person(user_id, &here.names)) }
            dt { "Project role" }
            dd {
                (current.as_str())
                @if let Some(given) = given.filter(|g| *g != current) {
                    " " span class="muted" { "(given by hand: " (given.as_str()) "; an IdP group grants more)" }
                }
            }
            dt { "Reports to" }
            dd {
                (line(&m, &here.names))
                @if m.reports_to.is_some() && !m.reports_to_explicit { " " span class="muted" { "(automatic)" } }
            }
            dt { "Chain of managers" }
            dd {
                @if managers.is_empty() {
                    span class="muted" { "nobody" }
                } @else {
                    @for (i, manager) in managers.iter().enumerate() {
                        @if i > 0 { " → " }
                        a href={ "/console/users/" (manager.member.user_id) } { (manager.display_name) }
                    }
                }
            }
            dt { "Sources" }
            dd { (layout::mono(&sources::names(m.manual_role.is_some(), m.idp_sources.as_deref()).join(", "))) }
            dt { "Member since" }
            dd { (layout::mono(&m.created_at.format("%Y-%m-%d %H:%M UTC").to_string())) }
        }

        @if roles.is_empty() {
            p class="muted" { "Your role in this project does not let you change this membership." }
        } @else {
            h2 { "Change the role and reporting line" }
            form class="stack" method="post" action=(path) {
                input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                label for="role" { "Project role" }
                (role_select("role", &roles, attempt.role.or(given).or(Some(current))))
                label for="reports_to" { "Reports to" }
                (line_select("reports_to", &here, Some(user_id), &selected_line))
                div { button type="submit" { "Save" } }
            }
        }

        @if removable {
            h2 { @if leaving { "Leave the project" } @else { "Remove from the project" } }
            @let question = confirm_question(leaving, &name, &project.name);
            form class="inline" method="post" action={ (path) "/remove" } data-confirm=(question) {
                input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                button class="danger" type="submit" {
                    @if leaving { "Leave " (project.name) } @else { "Remove " (name) " from the project" }
                }
            }
        } @else if m.manual_role.is_none() {
            p class="muted" { "IdP group bindings grant this membership: it ends when they do." }
        }
        p { a href={ "/console/projects/" (project_id) } { "Back to " (project.name) } }
    };
    Ok(html_page(
        status,
        layout::page(viewer, "/console/projects", &title, body),
    ))
}

// ---------------------------------------------------------------------------------------------
// The writes
// ---------------------------------------------------------------------------------------------

/// The member form: a role and a reporting line (`auto`, or a member's id).
#[derive(Deserialize)]
struct MemberForm {
    role: Option<String>,
    reports_to: Option<String>,
}

/// The add form: whom (by email address), with a role and a reporting line.
#[derive(Deserialize)]
struct AddForm {
    email: Option<String>,
    role: Option<String>,
    reports_to: Option<String>,
}

/// `PUT /v1/projects/{id}/members/{user_id}` from the member page.
async fn save(
    viewer: Viewer,
    path: web::Path<(Uuid, Uuid)>,
    form: Submitted<MemberForm>,
) -> Result<HttpResponse, Refusal> {
    let (project_id, user_id) = path.into_inner();
    let form = form.0;
    let caller = &viewer.caller;
    let saved = match assignment(form.role.as_deref(), form.reports_to.as_deref()) {
        Ok(assignment) => {
            project_members::upsert(caller.db(), caller.subject, project_id, user_id, assignment)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(see_other(format!(
            "/console/projects/{project_id}?done=saved"
        ))),
        Err(e) => {
            let (status, notice) = refusal::shown(e)?;
            let attempt = MemberAttempt {
                role: form.role.as_deref().and_then(|r| r.parse().ok()),
                line: form.reports_to,
            };
            member_page(&viewer, project_id, user_id, Some(notice), &attempt, status).await
        }
    }
}

/// `PUT /v1/projects/{id}/members/{user_id}` for the user with the form's email address (found
/// as `GET /v1/users?email=` finds them: only a user the viewer may see).
async fn add(
    viewer: Viewer,
    id: web::Path<Uuid>,
    form: Submitted<AddForm>,
) -> Result<HttpResponse, Refusal> {
    let project_id = id.into_inner();
    let form = form.0;
    match add_by_email(&viewer, project_id, &form).await {
        Ok(true) => Ok(see_other(format!(
            "/console/projects/{project_id}?done=added"
        ))),
        Ok(false) => Ok(see_other(format!(
            "/console/projects/{project_id}?done=saved"
        ))),
        Err(e) => {
            let (status, notice) = refusal::shown(e)?;
            let attempt = AddAttempt {
                email: form.email.unwrap_or_default(),
                role: form.role.as_deref().and_then(|r| r.parse().ok()),
                line: form.reports_to.unwrap_or_default(),
            };
            let query = ShowQuery::default();
            project_page(&viewer, project_id, &query, Some(notice), &attempt, status).await
        }
    }
}

/// Adds (or, for a member already there, updates) the membership; whether it was new.
async fn add_by_email(viewer: &Viewer, project_id: Uuid, form: &AddForm) -> Result<bool, ApiError> {
    let raw = form.email.as_deref().unwrap_or_default();
    let assignment = assignment(form.role.as_deref(), form.reports_to.as_deref());
    let user = people::resolve(viewer, raw, "email").await;
    let (user, assignment) = match (user, assignment) {
        (Ok(user), Ok(assignment)) => (user, assignment),
        (user, assignment) => return Err(merged([user.err(), assignment.err()])),
    };
    let caller = &viewer.caller;
    let upserted =
        project_members::upsert(caller.db(), caller.subject, project_id, user, assignment).await?;
    Ok(upserted.created())
}

/// `DELETE /v1/projects/{id}/members/{user_id}`: removing someone, or leaving.
async fn remove(
    viewer: Viewer,
    path: web::Path<(Uuid, Uuid)>,
    _form: Submitted<serde::de::IgnoredAny>,
) -> Result<HttpResponse, Refusal> {
    let (project_id, user_id) = path.into_inner();
    let caller = &viewer.caller;
    match project_members::remove(caller.db(), caller.subject, project_id, user_id).await {
        // Someone who left may no longer see the project.
        Ok(()) if user_id == caller.subject.user_id => {
            Ok(see_other("/console/projects?done=left".to_owned()))
        }
        Ok(()) => Ok(see_other(format!(
            "/console/projects/{project_id}?done=removed"
        ))),
        Err(e) => {
            let (status, notice) = refusal::shown(e)?;
            let attempt = MemberAttempt::default();
            member_page(&viewer, project_id, user_id, Some(notice), &attempt, status).await
        }
    }
}

/// What the remove button asks before it submits (with the console's script).
fn confirm_question(leaving: bool, name: &str, project: &str) -> String {
    if leaving {
        format!("Leave {project}?")
    } else {
        format!("Remove {name} from {project}?")
    }
}

/// A role and a line as `PUT /v1/projects/{id}/members/{user_id}` parses them: the role by the
/// role table, the line `auto` (the API's `null`) or a member's id; every bad field named.
fn assignment(role: Option<&str>, line: Option<&str>) -> Result<Assignment, ApiError> {
    let role = match role.map(str::trim).unwrap_or_default() {
        "" => Err(ApiError::invalid("role", "is required")),
        raw => role_field("role", raw, &ProjectRole::ALL),
    };
    let line = match line.map(str::trim).unwrap_or_default() {
        "" | "auto" => Ok(domain::LineRequest::Automatic),
        raw => parse_id("reports_to", raw).map(domain::LineRequest::Explicit),
    };
    match (role, line) {
        (Ok(role), Ok(line)) => Ok(Assignment { role, line }),
        (role, line) => Err(merged([role.err(), line.err()])),
    }
}

/// Several validation errors as one, naming every field.
fn merged(errors: [Option<ApiError>; 2]) -> ApiError {
    let mut fields = Vec::new();
    for error in errors.into_iter().flatten() {
        match error {
            ApiError::Validation(more) => fields.extend(more),
            other => return other,
        }
    }
    ApiError::Validation(fields)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_form_parses_as_the_api_parses_its_body() {
        let a = assignment(Some("squad_lead"), Some("auto")).unwrap();
        assert_eq!(a.role, ProjectRole::SquadLead);
        assert_eq!(a.line, domain::LineRequest::Automatic);
        let manager = Uuid::now_v7();
        let a = assignment(Some(" pm "), Some(&manager.to_string())).unwrap();
        assert_eq!(a.line, domain::LineRequest::Explicit(manager));
        // A missing line is the automatic one, as for a new member through the API.
        let a = assignment(Some("member"), None).unwrap();
        assert_eq!(a.line, domain::LineRequest::Automatic);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            fields(assignment(Some("boss"), Some("nobody")).unwrap_err()),
            ["role", "reports_to"]
        );
        assert_eq!(fields(assignment(None, None).unwrap_err()), ["role"]);
    }
}
