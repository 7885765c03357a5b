//! `/v1/webhooks` (spec §9): endpoints, their secrets (shown once), ping, the delivery log and
//! redelivery.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::http::extract::{Answer, Caller, Json, Query, Reply};
use crate::http::pagination::{Page, PageParams};
use crate::http::problems::{BodyRejected, Forbidden, Invalid, NotFound, Unauthenticated};
use crate::services::audit::AuditScope;
use crate::services::webhooks::{
    self, NewWebhook, WebhookChange, WithSecret, actions, destination,
};

/// A webhook endpoint. Its secret is never shown again after creation or rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    /// The action patterns it receives; empty for every action.
    #[schema(example = json!(["group_member.*"]))]
    pub actions: Vec<String>,
    /// Its scope: a group's subtree, a project, or (both null) everything.
    #[schema(required = true)]
    pub group_id: Option<Uuid>,
    #[schema(required = true)]
    pub project_id: Option<Uuid>,
    pub created_by: Uuid,
    pub enabled: bool,
    /// Why it is disabled (by a user, or after repeated failures); null while enabled.
    #[schema(required = true)]
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i32,
    /// Until when the secret before the last rotation still signs beside the new one.
    #[schema(required = true)]
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::webhooks::Model> for Webhook {
    fn from(w: entity::webhooks::Model) -> Self {
        Self {
            actions: webhooks::patterns(&w),
            id: w.id,
            url: w.url,
            description: w.description,
            group_id: w.group_id,
            project_id: w.project_id,
            created_by: w.created_by,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            consecutive_failures: w.consecutive_failures,
            previous_secret_until: w.previous_secret_until,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// An endpoint with its signing secret: shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` + base64 of 32 random bytes: verify deliveries with it (Standard Webhooks).
    pub secret: String,
}

impl From<WithSecret> for WebhookWithSecret {
    fn from(w: WithSecret) -> Self {
        Self {
            webhook: w.webhook.into(),
            secret: w.secret,
        }
    }
}

/// One entry of the delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    /// The endpoint it was sent to.
    pub webhook_id: Uuid,
    /// `change` or `ping`.
    pub kind: String,
    /// The change's revision; null for a ping.
    #[schema(required = true)]
    pub revision: Option<i64>,
    /// `pending`, `succeeded`, `failed` (a ping) or `skipped` (the creator may not read it).
    pub state: String,
    /// Attempts made so far.
    pub attempt: i32,
    #[schema(required = true)]
    pub status_code: Option<i32>,
    #[schema(required = true)]
    pub error: Option<String>,
    #[schema(required = true)]
    pub latency_ms: Option<i64>,
    /// When the next attempt is due; null once settled.
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::webhook_deliveries::Model> for Delivery {
    fn from(d: entity::webhook_deliveries::Model) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            kind: d.kind,
            revision: d.revision,
            state: d.state,
            attempt: d.attempts,
            status_code: d.status_code,
            error: d.error,
            latency_ms: d.latency_ms,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

const MAX_DESCRIPTION: usize = 500;
const MAX_ACTIONS: usize = 50;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// `http` or `https`; hosts resolving to private addresses are refused.
    #[schema(max_length = 2048)]
    pub url: String,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// `*`, `resource.*` or an action such as `group_member.create`; none: every action.
    #[schema(max_items = 50)]
    pub actions: Option<Vec<String>>,
    /// Deliver the changes of this group's subtree (group.manage_settings there).
    pub group_id: Option<Uuid>,
    /// Deliver the changes of this project (project.manage_settings there).
    pub project_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(max_length = 2048, required = false)]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(max_length = 500, required = false)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(max_items = 50, required = false)]
    pub actions: Option<Vec<String>>,
    /// Enabling clears the failures and resumes deliveries where they stopped.
    #[serde(default, deserialize_with = "crate::http::extract::not_null")]
    #[schema(required = false)]
    pub enabled: Option<bool>,
}

fn url_field(raw: &str, errors: &mut Vec<FieldError>) -> Option<url::Url> {
    destination::parse(raw)
        .map_err(|e| errors.push(FieldError::new("url", e.to_string())))
        .ok()
}

fn description_field(raw: &str, errors: &mut Vec<FieldError>) -> String {
    if raw.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    raw.trim().to_owned()
}

fn actions_field(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if raw.len() > MAX_ACTIONS {
        errors.push(FieldError::new(
            "actions",
            format!("must list at most {MAX_ACTIONS} patterns"),
        ));
    }
    for (i, pattern) in raw.iter().enumerate() {
        if !actions::is_known(pattern) {
            errors.push(FieldError::new(
                format!("actions[{i}]"),
                "must be `*`, `resource.*` or an action Roster records (see docs/API.md)",
            ));
        }
    }
    let mut patterns = raw.to_vec();
    patterns.sort();
    patterns.dedup();
    patterns
}

impl CreateWebhook {
    /// The body checked: the endpoint to make (also how the console reads its form).
    pub(crate) fn parse(self) -> Result<NewWebhook, ApiError> {
        let mut errors = Vec::new();
        let url = url_field(&self.url, &mut errors);
        let description = description_field(self.description.as_deref().unwrap_or(""), &mut errors);
        let actions = actions_field(self.actions.as_deref().unwrap_or(&[]), &mut errors);
        let scope = match (self.group_id, self.project_id) {
            (None, None) => AuditScope::All,
            (Some(group), None) => AuditScope::Group(group),
            (None, Some(project)) => AuditScope::Project(project),
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "project_id",
                    "cannot be combined with group_id; an endpoint has one scope",
                ));
                AuditScope::All
            }
        };
        match url {
            Some(url) if errors.is_empty() => Ok(NewWebhook {
                url,
                description,
                actions,
                scope,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

impl UpdateWebhook {
    fn parse(self) -> Result<WebhookChange, ApiError> {
        let mut errors = Vec::new();
        let change = WebhookChange {
            url: self
                .url
                .as_deref()
                .and_then(|raw| url_field(raw, &mut errors)),
            description: self
                .description
                .as_deref()
                .map(|raw| description_field(raw, &mut errors)),
            actions: self
                .actions
                .as_deref()
                .map(|raw| actions_field(raw, &mut errors)),
            enabled: self.enabled,
        };
        if errors.is_empty() {
            Ok(change)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// Create an endpoint; the answer holds its secret, shown this once.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "the new endpoint with its secret", body = WebhookWithSecret, headers(("Location" = String, description = "the endpoint's URL"))),
        Invalid, Unauthenticated, Forbidden, NotFound, BodyRejected,
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(caller: Caller, body: Json<CreateWebhook>) -> Answer {
    let input = body.into_inner().parse()?;
    let created = webhooks::create(caller.db(), caller.webhooks(), caller.subject, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/webhooks/{}", created.webhook.id),
        ))
        .json(WebhookWithSecret::from(created)))
}

/// The endpoints the caller may manage, in id order.
#[utoipa::path(
    tag = "webhooks",
    params(PageParams),
    responses((status = 200, description = "a page of endpoints", body = Page<Webhook>), Invalid, Unauthenticated)
)]
#[get("/webhooks")]
pub async fn list_webhooks(caller: Caller, page: Query<PageParams>) -> Reply<Page<Webhook>> {
    let page = page.into_inner().parse()?;
    let rows = webhooks::list(caller.db(), caller.subject, &page.by_id()?).await?;
    Ok(web::Json(page.page(rows, |w| w.id).map(Webhook::from)))
}

/// An endpoint (404 unless the caller may manage it).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")),
    responses((status = 200, description = "the endpoint", body = Webhook), Invalid, Unauthenticated, NotFound)
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(caller: Caller, id: web::Path<Uuid>) -> Reply<Webhook> {
    let webhook = webhooks::visible(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(web::Json(webhook.into()))
}

/// Change an endpoint's url, description, actions or `enabled`.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")),
    request_body = UpdateWebhook,
    responses((status = 200, description = "the endpoint", body = Webhook), Invalid, Unauthenticated, NotFound, BodyRejected)
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UpdateWebhook>,
) -> Reply<Webhook> {
    let change = body.into_inner().parse()?;
    let webhook = webhooks::update(
        caller.db(),
        caller.webhooks(),
        caller.subject,
        id.into_inner(),
        change,
    )
    .await?;
    Ok(web::Json(webhook.into()))
}

/// Delete an endpoint and its delivery log.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")),
    responses((status = 204, description = "deleted"), Invalid, Unauthenticated, NotFound)
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(caller: Caller, id: web::Path<Uuid>) -> Answer {
    webhooks::delete(caller.db(), caller.subject, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new secret, shown once; the old one keeps signing beside it for 24 hours.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")),
    responses((status = 200, description = "the endpoint with its new secret", body = WebhookWithSecret), Invalid, Unauthenticated, NotFound)
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    caller: Caller,
    id: web::Path<Uuid>,
) -> Reply<WebhookWithSecret> {
    let rotated = webhooks::rotate_secret(
        caller.db(),
        caller.webhooks(),
        caller.subject,
        id.into_inner(),
    )
    .await?;
    Ok(web::Json(rotated.into()))
}

/// Send a signed `ping` now and answer with its delivery.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id")),
    responses((status = 200, description = "the ping's delivery, with its outcome", body = Delivery), Invalid, Unauthenticated, NotFound)
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(caller: Caller, id: web::Path<Uuid>) -> Reply<Delivery> {
    let timeout = caller.settings().webhook_timeout;
    let delivery = crate::delivery::ping(
        caller.db(),
        caller.webhooks(),
        timeout,
        caller.subject,
        id.into_inner(),
    )
    .await?;
    Ok(web::Json(delivery.into()))
}

/// The delivery log, oldest first.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id"), PageParams),
    responses((status = 200, description = "a page of deliveries", body = Page<Delivery>), Invalid, Unauthenticated, NotFound)
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Reply<Page<Delivery>> {
    let page = page.into_inner().parse()?;
    let rows =
        webhooks::deliveries(caller.db(), caller.subject, id.into_inner(), &page.by_id()?).await?;
    Ok(web::Json(page.page(rows, |d| d.id).map(Delivery::from)))
}

/// Send a change again (same `webhook-id`), after the endpoint's earlier pending deliveries.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "the endpoint's id"), ("delivery_id" = Uuid, Path, description = "the delivery's id")),
    responses(
        (status = 202, description = "queued again", body = Delivery),
        Invalid, Unauthenticated, NotFound,
        (status = 409, description = "a ping cannot be redelivered", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver_webhook_delivery(caller: Caller, path: web::Path<(Uuid, Uuid)>) -> Answer {
    let (id, delivery_id) = path.into_inner();
    let delivery = webhooks::redeliver(caller.db(), caller.subject, id, delivery_id).await?;
    Ok(HttpResponse::Accepted().json(Delivery::from(delivery)))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(rotate_webhook_secret)
        .service(ping_webhook)
        .service(list_webhook_deliveries)
        .service(redeliver_webhook_delivery);
}
