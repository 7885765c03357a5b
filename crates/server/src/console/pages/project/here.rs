//! What the project pages share: where the viewer stands in the project ([`Here`]: the access
//! decision, the reporting tree, every member's name, the roles the viewer may grant), and the
//! small pieces of markup both pages draw (breadcrumbs, people, lines, the two selects).

use std::collections::HashMap;

use maud::{Markup, html};
use uuid::Uuid;

use crate::console::refusal::Refusal;
use crate::console::viewer::Viewer;
use crate::convert;
use crate::error::ApiError;
use crate::services::access;
use crate::services::project_members::{self, NamedMember, ReportingNode};
use domain::{Capability, ProjectRole};

/// The project as the viewer stands in it: the access decision (the project, the viewer's
/// effective grant and held role), and the reporting tree with every member's name.
pub(super) struct Here {
    pub(super) viewer_id: Uuid,
    pub(super) access: access::ProjectAccess,
    pub(super) tree: Vec<ReportingNode>,
    pub(super) names: HashMap<Uuid, NamedMember>,
}

impl Here {
    pub(super) async fn load(viewer: &Viewer, project_id: Uuid) -> Result<Self, Refusal> {
        let caller = &viewer.caller;
        // What `GET /v1/projects/{id}` decides (project.view), keeping the grant itself: the
        // forms offer roles by it, as the write decides by it.
        let access = access::authorize_project_in(
            &caller.facts(),
            caller.subject,
            project_id,
            Capability::ProjectView,
        )
        .await?;
        let tree = project_members::reporting_tree(caller.db(), caller.subject, project_id).await?;
        let mut names = HashMap::new();
        let mut stack: Vec<&ReportingNode> = tree.iter().collect();
        while let Some(node) = stack.pop() {
            names.insert(node.member.member.user_id, node.member.clone());
            stack.extend(&node.reports);
        }
        Ok(Self {
            viewer_id: caller.subject.user_id,
            access,
            tree,
            names,
        })
    }

    pub(super) fn name(&self, user_id: Uuid) -> String {
        self.names
            .get(&user_id)
            .map_or_else(|| user_id.to_string(), |m| m.display_name.clone())
    }

    /// The roles the viewer may give a membership whose current role is `current` (`None`: a
    /// new member): none without project.assign_roles, else those the no-escalation rule
    /// allows (spec §3), strongest first.
    pub(super) fn grantable(&self, current: Option<ProjectRole>) -> Vec<ProjectRole> {
        let grant = self.access.grant;
        if !domain::decide_project(Capability::ProjectAssignRoles, Some(grant)).allowed() {
            return Vec::new();
        }
        ProjectRole::ALL
            .into_iter()
            .filter(|role| domain::check_project_grant(grant.role, current, Some(*role)).is_ok())
            .collect()
    }

    /// Whether the viewer may remove a membership whose role is `current` (leaving one's own
    /// needs no capability).
    pub(super) fn may_remove(&self, user_id: Uuid, current: ProjectRole) -> bool {
        let grant = self.access.grant;
        let leaving = user_id == self.viewer_id;
        leaving
            || (domain::decide_project(Capability::ProjectAssignRoles, Some(grant)).allowed()
                && domain::check_project_grant(grant.role, Some(current), None).is_ok())
    }
}

/// Breadcrumbs: the projects, the project, and a member's page below it.
pub(super) fn crumbs(project: &entity::projects::Model, member: Option<&str>) -> Markup {
    let project_link = html! { a href={ "/console/projects/" (project.id) } { (project.name) } };
    html! {
        nav class="crumbs" aria-label="Breadcrumbs" {
            ol {
                li { a href="/console/projects" { "Projects" } }
                @match member {
                    None => li { a href={ "/console/projects/" (project.id) } aria-current="page" { (project.name) } },
                    Some(name) => {
                        li { (project_link) }
                        li { span aria-current="page" { (name) } }
                    }
                }
            }
        }
    }
}

/// A person's name as a link to their page.
pub(super) fn person(user_id: Uuid, names: &HashMap<Uuid, NamedMember>) -> Markup {
    let name = names
        .get(&user_id)
        .map_or_else(|| user_id.to_string(), |m| m.display_name.clone());
    html! { a href={ "/console/users/" (user_id) } { (name) } }
}

/// Whom a member reports to, and whether the line was chosen by hand.
pub(super) fn line(
    member: &entity::project_members::Model,
    names: &HashMap<Uuid, NamedMember>,
) -> Markup {
    match member.reports_to {
        None => html! { span class="muted" { "nobody" } },
        Some(manager) => html! {
            (person(manager, names))
            @if member.reports_to_explicit { " " span class="badge" { "set by hand" } }
        },
    }
}

pub(super) fn role_select(
    id: &str,
    roles: &[ProjectRole],
    selected: Option<ProjectRole>,
) -> Markup {
    // role filter: which option starts selected (the member's current role), not a decision.
    let options = roles.iter().map(|r| (*r, selected == Some(*r)));
    html! {
        select id=(id) name="role" {
            @for (role, chosen) in options {
                option value=(role.as_str()) selected[chosen] { (role.as_str()) }
            }
        }
    }
}

/// The reporting-line choice: the automatic line, or any other member of a role above
/// `member` (the only ones a line may point at; the service checks it against the role chosen).
pub(super) fn line_select(id: &str, here: &Here, member: Option<Uuid>, selected: &str) -> Markup {
    let mut candidates: Vec<&NamedMember> = here
        .names
        .values()
        .filter(|m| Some(m.member.user_id) != member)
        .filter(|m| domain::may_be_reported_to(convert::project_role(m.member.role)))
        .collect();
    // Strongest first, then by name.
    candidates.sort_by_key(|m| {
        (
            convert::project_role(m.member.role).tier(),
            m.display_name.clone(),
            m.member.user_id,
        )
    });
    html! {
        select id=(id) name="reports_to" {
            option value="auto" selected[selected.is_empty() || selected == "auto"] { "Automatic (the rule decides)" }
            @for m in candidates {
                @let value = m.member.user_id.to_string();
                option value=(value) selected[selected == value] {
                    (m.display_name) " (" (convert::project_role(m.member.role).as_str()) ")"
                }
            }
        }
    }
}

/// A uuid from the path or a form, or a validation error naming `field`.
pub(super) fn parse_id(field: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::invalid(field, "is not a valid id"))
}
