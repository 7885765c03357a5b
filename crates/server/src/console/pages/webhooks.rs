//! Webhooks: the endpoints the viewer may manage (`GET /v1/webhooks`), one endpoint's settings
//! (never its secret) with its delivery log, and the forms that create one (its secret shown
//! once, in the answer to the form itself), enable or disable it (as `PATCH /v1/webhooks/{id}`
//! with `enabled`), redeliver a change, and delete it. Every decision is the webhook services'.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use crate::console::csrf::{self, Submitted};
use crate::console::layout;
use crate::console::people::People;
use crate::console::refusal::{Refusal, inline, problem};
use crate::console::reply::{html_page, see_other};
use crate::console::show::when;
use crate::console::viewer::Viewer;
use crate::error::{ApiError, FieldError};
use crate::http::pagination::PageParams;
use crate::http::routes::webhooks::CreateWebhook;
use crate::services::audit::AuditScope;
use crate::services::webhooks::{self, NewWebhook, WebhookChange};
use crate::services::{groups, projects};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks", web::get().to(list))
        .route("/webhooks", web::post().to(create))
        .route("/webhooks/{id}", web::get().to(show))
        .route("/webhooks/{id}/enabled", web::post().to(set_enabled))
        .route("/webhooks/{id}/delete", web::post().to(delete))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            web::post().to(redeliver),
        );
}

const SECTION: &str = "/console/webhooks";

// As `POST /v1/webhooks` limits them.

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    done: Option<String>,
}

/// The creation form as submitted (every field text, parsed below into the API's input).
#[derive(Debug, Default, Deserialize)]
struct CreateForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    /// Patterns separated by commas or spaces.
    #[serde(default)]
    actions: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    project_id: String,
}

impl CreateForm {
    /// What `POST /v1/webhooks` makes of its body — the API's own parsing, after reading the
    /// form's text fields as the JSON body's (ids typed into a form are checked first).
    fn parse(&self) -> Result<NewWebhook, ApiError> {
        let mut errors = Vec::new();
        let group_id = uuid_field("group_id", &self.group_id, &mut errors);
        let project_id = uuid_field("project_id", &self.project_id, &mut errors);
        let actions: Vec<String> = self
            .actions
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let body = CreateWebhook {
            url: self.url.trim().to_owned(),
            description: Some(self.description.clone()),
            actions: Some(actions),
            group_id,
            project_id,
        };
        match body.parse() {
            Ok(parsed) if errors.is_empty() => Ok(parsed),
            Ok(_) => Err(ApiError::Validation(errors)),
            Err(ApiError::Validation(more)) => {
                errors.extend(more);
                Err(ApiError::Validation(errors))
            }
            Err(other) => Err(other),
        }
    }
}

/// An optional id typed into a form: empty is none, anything else must be a UUID.
fn uuid_field(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Uuid::parse_str(raw)
        .map_err(|_| errors.push(FieldError::new(field, "must be a UUID")))
        .ok()
}

async fn list(viewer: Viewer, query: web::Query<ListQuery>) -> Result<HttpResponse, Refusal> {
    let query = query.into_inner();
    let top = match query.done.as_deref() {
        Some("deleted") => layout::done("The webhook is deleted, with its delivery log."),
        _ => html! {},
    };
    let (status, page) = list_page(
        &viewer,
        query.cursor,
        StatusCode::OK,
        top,
        &CreateForm::default(),
    )
    .await?;
    Ok(html_page(status, page))
}

/// The list with the creation form, `top` above them (a notice, or the refusal of a form).
async fn list_page(
    viewer: &Viewer,
    cursor: Option<String>,
    status: StatusCode,
    top: Markup,
    form: &CreateForm,
) -> Result<(StatusCode, Markup), Refusal> {
    let (status, listing) = match endpoints(viewer, cursor).await {
        Ok(listing) => (status, listing),
        Err(error) => {
            let error = inline(error)?;
            (error.status_and_code().0, problem(&error))
        }
    };
    let body = html! {
        h1 { "Webhooks" }
        (top)
        p class="muted" {
            "The endpoints you may manage: everything for a system admin, a group's subtree "
            "with group.manage_settings there, a project with project.manage_settings."
        }
        (listing)
        h2 { "Add a webhook" }
        (create_form(viewer, form))
    };
    Ok((status, layout::page(viewer, SECTION, "Webhooks", body)))
}

async fn endpoints(viewer: &Viewer, cursor: Option<String>) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let page = PageParams {
        limit: None,
        cursor: cursor.filter(|c| !c.is_empty()),
    }
    .parse()?;
    let rows = webhooks::list(caller.db(), caller.subject, &page.by_id()?).await?;
    let found = page.page(rows, |w| w.id);
    let mut scopes = Vec::with_capacity(found.items.len());
    for webhook in &found.items {
        scopes.push(scope_label(viewer, webhook).await?);
    }
    Ok(html! {
        @if found.items.is_empty() {
            (layout::none("There is no webhook you may manage."))
        } @else {
            table {
                thead {
                    tr {
                        th scope="col" { "URL" }
                        th scope="col" { "Description" }
                        th scope="col" { "Scope" }
                        th scope="col" { "Actions" }
                        th scope="col" { "State" }
                    }
                }
                tbody {
                    @for (webhook, scope) in found.items.iter().zip(scopes) {
                        tr {
                            td { a href={ "/console/webhooks/" (webhook.id) } { (webhook.url) } }
                            td { (webhook.description) }
                            td { (scope) }
                            td { (patterns(webhook)) }
                            td { (state(webhook)) }
                        }
                    }
                }
            }
        }
        (layout::next_page(SECTION, &[], found.next_cursor.as_deref()))
    })
}

fn create_form(viewer: &Viewer, form: &CreateForm) -> Markup {
    html! {
        form class="stack" method="post" action=(SECTION) {
            input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
            label for="url" { "URL (http or https)" }
            input id="url" name="url" type="text" inputmode="url" required
                value=(form.url) placeholder="https://example.com/roster-events";
            label for="description" { "Description (optional)" }
            input id="description" name="description" type="text" value=(form.description);
            label for="actions" { "Actions (optional; separated by commas: *, group_member.*, user.create…; none for every action)" }
            input id="actions" name="actions" type="text" value=(form.actions);
            label for="group_id" { "Only a group's subtree (group id, optional)" }
            input id="group_id" name="group_id" type="text" value=(form.group_id);
            label for="project_id" { "Only a project (project id, optional)" }
            input id="project_id" name="project_id" type="text" value=(form.project_id);
            p class="muted" { "With neither a group nor a project, it receives every change (system admins only)." }
            div { button type="submit" { "Create the webhook" } }
        }
    }
}

async fn create(viewer: Viewer, form: Submitted<CreateForm>) -> Result<HttpResponse, Refusal> {
    let form = form.0;
    let created = match form.parse() {
        Ok(input) => {
            let caller = &viewer.caller;
            webhooks::create(caller.db(), caller.webhooks(), caller.subject, input).await
        }
        Err(error) => Err(error),
    };
    match created {
        Ok(created) => {
            let top = html! {
                div class="notice ok" role="status" {
                    p { "The webhook is created. Its signing secret is shown this once: copy it now." }
                    p { "Secret: " code class="secret" { (created.secret) } }
                }
            };
            let page = detail_page(&viewer, created.webhook.id, None, top).await?;
            Ok(html_page(StatusCode::CREATED, page))
        }
        Err(error) => {
            let error = inline(Refusal(error))?;
            let status = error.status_and_code().0;
            let (status, page) = list_page(&viewer, None, status, problem(&error), &form).await?;
            Ok(html_page(status, page))
        }
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    cursor: Option<String>,
    done: Option<String>,
}

async fn show(
    viewer: Viewer,
    id: web::Path<Uuid>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, Refusal> {
    let id = id.into_inner();
    let query = query.into_inner();
    let top = match query.done.as_deref() {
        Some("enabled") => {
            layout::done("The webhook is enabled; deliveries resume where they stopped.")
        }
        Some("disabled") => {
            layout::done("The webhook is disabled; nothing is delivered until it is enabled.")
        }
        Some("redelivered") => layout::done("The change is queued to be sent again."),
        _ => html! {},
    };
    let page = detail_page(&viewer, id, query.cursor, top).await?;
    Ok(html_page(StatusCode::OK, page))
}

/// One endpoint's page, `top` above it. A refusal of the endpoint itself (404) is the page's.
async fn detail_page(
    viewer: &Viewer,
    id: Uuid,
    cursor: Option<String>,
    top: Markup,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let webhook = webhooks::visible(caller.db(), caller.subject, id).await?;
    let scope = scope_label(viewer, &webhook).await?;
    let people = People::named(viewer, [webhook.created_by]).await?;
    let log = match deliveries(viewer, &webhook, cursor).await {
        Ok(log) => log,
        Err(error) => problem(&inline(error)?),
    };
    let path = format!("/console/webhooks/{}", webhook.id);
    let body = html! {
        h1 { "Webhook " (webhook.url) }
        (top)
        dl class="facts" {
            dt { "URL" } dd { code { (webhook.url) } }
            dt { "Description" } dd { (webhook.description) }
            dt { "Scope" } dd { (scope) }
            dt { "Actions" } dd { (patterns(&webhook)) }
            dt { "State" } dd { (state(&webhook)) }
            dt { "Failures in a row" } dd { (webhook.consecutive_failures) }
            @if let Some(until) = &webhook.previous_secret_until {
                dt { "Previous secret signs until" } dd { (when(until)) }
            }
            dt { "Created by" } dd { (people.link(webhook.created_by)) }
            dt { "Created" } dd { (when(&webhook.created_at)) }
            dt { "Updated" } dd { (when(&webhook.updated_at)) }
        }
        div class="actions" {
            form class="inline" method="post" action={ (path) "/enabled" } {
                input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                @if webhook.enabled {
                    input type="hidden" name="enabled" value="false";
                    button type="submit" class="quiet" { "Disable" }
                } @else {
                    input type="hidden" name="enabled" value="true";
                    button type="submit" { "Enable" }
                }
            }
            form class="inline" method="post" action={ (path) "/delete" } {
                input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                button type="submit" class="danger" { "Delete this webhook" }
            }
        }
        h2 { "Deliveries" }
        (log)
        p { a href=(SECTION) { "Back to the webhooks" } }
    };
    Ok(layout::page(viewer, SECTION, "Webhook", body))
}

async fn deliveries(
    viewer: &Viewer,
    webhook: &entity::webhooks::Model,
    cursor: Option<String>,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    let page = PageParams {
        limit: None,
        cursor: cursor.filter(|c| !c.is_empty()),
    }
    .parse()?;
    let rows =
        webhooks::deliveries(caller.db(), caller.subject, webhook.id, &page.by_id()?).await?;
    let found = page.page(rows, |d| d.id);
    let path = format!("/console/webhooks/{}", webhook.id);
    Ok(html! {
        @if found.items.is_empty() {
            (layout::none("Nothing has been delivered yet."))
        } @else {
            table {
                caption class="muted" { "Oldest first" }
                thead {
                    tr {
                        th scope="col" { "Queued" }
                        th scope="col" { "Kind" }
                        th scope="col" { "Revision" }
                        th scope="col" { "State" }
                        th scope="col" { "Attempts" }
                        th scope="col" { "Status code" }
                        th scope="col" { "Last error" }
                        th scope="col" { "Latency" }
                        th scope="col" { "Next attempt" }
                        th scope="col" { "Again" }
                    }
                }
                tbody {
                    @for d in &found.items {
                        tr {
                            td { (when(&d.created_at)) }
                            td { (d.kind) }
                            td { @if let Some(r) = d.revision { (r) } }
                            td { (d.state) }
                            td { (d.attempts) }
                            td { @if let Some(code) = d.status_code { (code) } }
                            td { @if let Some(error) = &d.error { (error) } }
                            td { @if let Some(ms) = d.latency_ms { (ms) " ms" } }
                            td { @if let Some(at) = &d.next_attempt_at { (when(at)) } }
                            td {
                                @if d.kind == "change" {
                                    form class="inline" method="post"
                                        action={ (path) "/deliveries/" (d.id) "/redeliver" } {
                                        input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                                        button type="submit" class="quiet" { "Redeliver" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (layout::next_page(&path, &[], found.next_cursor.as_deref()))
    })
}

#[derive(Deserialize)]
struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

async fn set_enabled(
    viewer: Viewer,
    id: web::Path<Uuid>,
    form: Submitted<EnabledForm>,
) -> Result<HttpResponse, Refusal> {
    let id = id.into_inner();
    let enabled = match form.0.enabled.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid("enabled", "must be true or false")),
    };
    let result = match enabled {
        Ok(enabled) => {
            let caller = &viewer.caller;
            let change = WebhookChange {
                enabled: Some(enabled),
                ..WebhookChange::default()
            };
            webhooks::update(caller.db(), caller.webhooks(), caller.subject, id, change)
                .await
                .map(|w| w.enabled)
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(true) => Ok(see_other(format!("/console/webhooks/{id}?done=enabled"))),
        Ok(false) => Ok(see_other(format!("/console/webhooks/{id}?done=disabled"))),
        Err(error) => refused_on_detail(&viewer, id, error).await,
    }
}

async fn delete(
    viewer: Viewer,
    id: web::Path<Uuid>,
    _form: Submitted<serde::de::IgnoredAny>,
) -> Result<HttpResponse, Refusal> {
    let id = id.into_inner();
    let caller = &viewer.caller;
    match webhooks::delete(caller.db(), caller.subject, id).await {
        Ok(()) => Ok(see_other("/console/webhooks?done=deleted".to_owned())),
        Err(error) => refused_on_detail(&viewer, id, error).await,
    }
}

async fn redeliver(
    viewer: Viewer,
    path: web::Path<(Uuid, Uuid)>,
    _form: Submitted<serde::de::IgnoredAny>,
) -> Result<HttpResponse, Refusal> {
    let (id, delivery_id) = path.into_inner();
    let caller = &viewer.caller;
    match webhooks::redeliver(caller.db(), caller.subject, id, delivery_id).await {
        Ok(_) => Ok(see_other(format!(
            "/console/webhooks/{id}?done=redelivered"
        ))),
        Err(error) => refused_on_detail(&viewer, id, error).await,
    }
}

/// A refused form on an endpoint's page: the page again with the refusal on top, with the
/// refusal's status; when the endpoint itself cannot be shown, the refusal alone.
async fn refused_on_detail(
    viewer: &Viewer,
    id: Uuid,
    error: ApiError,
) -> Result<HttpResponse, Refusal> {
    let error = inline(Refusal(error))?;
    let status = error.status_and_code().0;
    match detail_page(viewer, id, None, problem(&error)).await {
        Ok(page) => Ok(html_page(status, page)),
        Err(_) => Err(Refusal(error)),
    }
}

/// An endpoint's scope: everything, or a group or project named and linked when the viewer
/// may see it.
async fn scope_label(
    viewer: &Viewer,
    webhook: &entity::webhooks::Model,
) -> Result<Markup, Refusal> {
    let caller = &viewer.caller;
    Ok(match webhooks::scope_of(webhook) {
        AuditScope::All => html! { "Everything" },
        AuditScope::Group(id) => {
            let name = match groups::get(&caller.facts(), caller.subject, id).await {
                Ok(view) => Some(view.group.name),
                Err(ApiError::NotFound | ApiError::Forbidden(_)) => None,
                Err(other) => return Err(other.into()),
            };
            html! {
                "Group "
                a href={ "/console/groups/" (id) } {
                    @match name { Some(name) => (name), None => code { (id) } }
                }
            }
        }
        AuditScope::Project(id) => {
            let name = match projects::get(&caller.facts(), caller.subject, id).await {
                Ok(view) => Some(view.project.name),
                Err(ApiError::NotFound | ApiError::Forbidden(_)) => None,
                Err(other) => return Err(other.into()),
            };
            html! {
                "Project "
                a href={ "/console/projects/" (id) } {
                    @match name { Some(name) => (name), None => code { (id) } }
                }
            }
        }
    })
}

fn patterns(webhook: &entity::webhooks::Model) -> Markup {
    let patterns = webhooks::patterns(webhook);
    html! {
        @if patterns.is_empty() {
            "every action"
        } @else {
            @for (i, pattern) in patterns.iter().enumerate() {
                @if i > 0 { ", " }
                code { (pattern) }
            }
        }
    }
}

fn state(webhook: &entity::webhooks::Model) -> Markup {
    html! {
        @if webhook.enabled {
            span class="allowed" { "Enabled" }
        } @else {
            span class="denied" { "Disabled" }
            @if let Some(reason) = &webhook.disabled_reason { ": " (reason) }
        }
    }
}
