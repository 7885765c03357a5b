//! The "why" explorer: a person × a capability × a resource → `/v1/check`'s answer, with the
//! role held there, the membership that grants it and the reason. The form is a GET, so every
//! question has a stable URL to share. The check is asked exactly as `POST /v1/check` asks it:
//! the same parsing, the same decision, the same refusal when a non-admin asks about others.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::users::granted_by;
use crate::console::refusal::{self, Refusal};
use crate::console::reply::html_page;
use crate::console::viewer::Viewer;
use crate::console::{layout, people};
use crate::error::ApiError;
use crate::http::routes::check::{CheckAnswer, ResourceRef, parse_check};
use crate::services::check;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/why", web::get().to(why));
}

/// The question, as the form sends it (all text, so that each bad field gets a message).
#[derive(Deserialize, Default)]
struct Question {
    /// Email or id; empty for the viewer themselves.
    user: Option<String>,
    capability: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
}

async fn why(viewer: Viewer, query: web::Query<Question>) -> Result<HttpResponse, Refusal> {
    let question = query.into_inner();
    let asked = question
        .capability
        .as_deref()
        .is_some_and(|c| !c.is_empty());
    let (answer, status) = if asked {
        match ask(&viewer, &question).await {
            Ok(answer) => (Some(shown(&answer)), StatusCode::OK),
            Err(error) => (Some(refusal::problem(&error)), error.status_and_code().0),
        }
    } else {
        (None, StatusCode::OK)
    };
    let body = html! {
        h1 { "Why?" }
        p { "Ask whether a person may use a capability on a resource, and why — the answer " code { "POST /v1/check" } " gives." }
        (form(&viewer, &question))
        @if let Some(answer) = answer {
            h2 { "Answer" }
            (answer)
        }
    };
    Ok(html_page(
        status,
        layout::page(&viewer, "/console/why", "Why?", body),
    ))
}

async fn ask(viewer: &Viewer, question: &Question) -> Result<CheckAnswer, ApiError> {
    let caller = &viewer.caller;
    let user = match question.user.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(people::resolve(viewer, text, "user").await?),
    };
    let resource_id = match question.resource_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            Uuid::parse_str(text).map_err(|_| ApiError::invalid("resource.id", "is not a UUID"))?,
        ),
    };
    let resource = ResourceRef {
        kind: question.resource_type.clone().unwrap_or_default(),
        id: resource_id,
    };
    let mut errors = Vec::new();
    let capability = question.capability.as_deref().unwrap_or_default();
    let parsed = parse_check(user, capability, &resource, "", &mut errors);
    let asked = parsed.ok_or(ApiError::Validation(errors))?;
    let (facts, subject) = caller.deciding(None).await?;
    Ok(check::answer_for(&facts, subject, &asked).await?.into())
}

fn shown(answer: &CheckAnswer) -> Markup {
    html! {
        div class={ "notice " @if answer.allowed { "ok" } @else { "error" } } role="status" {
            p class=(if answer.allowed { "allowed" } else { "denied" }) {
                @if answer.allowed { "Allowed" } @else { "Denied" }
            }
            p { (answer.reason) }
            dl class="facts" {
                dt { "Role there" }
                dd { (answer.role.unwrap_or("none")) }
                dt { "Granted by" }
                dd { @match &answer.granted_by { Some(by) => (granted_by(by)), None => "nothing" } }
            }
        }
    }
}

fn form(viewer: &Viewer, question: &Question) -> Markup {
    let chosen_capability = question.capability.as_deref().unwrap_or_default();
    let chosen_kind = question.resource_type.as_deref().unwrap_or("group");
    html! {
        form class="stack" method="get" action="/console/why" {
            label for="why-user" { "Person (email or id; empty for you, " (viewer.user.display_name) ")" }
            input id="why-user" name="user" type="text" autocomplete="off" value=(question.user.as_deref().unwrap_or_default());
            label for="why-capability" { "Capability" }
            select id="why-capability" name="capability" {
                @for capability in domain::Capability::ALL {
                    option value=(capability) selected[capability.as_str() == chosen_capability] { (capability) }
                }
            }
            label for="why-type" { "Resource type" }
            select id="why-type" name="resource_type" {
                @for kind in domain::ResourceKind::ALL {
                    option value=(kind.as_str()) selected[kind.as_str() == chosen_kind] { (kind.as_str()) }
                }
            }
            label for="why-id" { "Resource id (empty for the system)" }
            input id="why-id" name="resource_id" type="text" autocomplete="off" value=(question.resource_id.as_deref().unwrap_or_default());
            div { button type="submit" { "Ask" } }
        }
    }
}
