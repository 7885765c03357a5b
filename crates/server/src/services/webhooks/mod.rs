//! Webhooks (spec §9): endpoints with a scope and action filters, their secrets (shown once,
//! sealed at rest), and their delivery log. The outbox ([`outbox`]) is filled by the write path;
//! the delivery worker (`crate::delivery`) works it off.
//!
//! Who may manage an endpoint is who may create one in its scope: a system admin for
//! everything, `group.manage_settings` on a group, `project.manage_settings` on a project.
//! Anyone else is answered 404, as for any resource they cannot see.

pub mod actions;
pub mod destination;
pub mod outbox;
pub mod sealing;
pub mod signing;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::access;
use super::audit::{AuditRecord, AuditScope};
use super::guard::Subject;
use super::window::Window;
use super::write::{Written, write_as};
use crate::error::ApiError;
use domain::Capability;
use entity::webhook_deliveries::{self as deliveries, Entity as Deliveries};
use entity::webhooks::{Entity as Webhooks, Model as Webhook};

/// How long the secret before a rotation keeps signing beside the new one.
pub const ROTATION_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Where deliveries may go, and how secrets are kept: what the webhook services need of the
/// server's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub secrets: sealing::SecretBox,
    /// `ROSTER_WEBHOOK_ALLOW_PRIVATE`: tests deliver to loopback.
    pub allow_private: bool,
}

/// A validated new endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: url::Url,
    pub description: String,
    pub actions: Vec<String>,
    pub scope: AuditScope,
}

/// A validated `PATCH`: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub url: Option<url::Url>,
    pub description: Option<String>,
    pub actions: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// An endpoint with the secret that signs for it, shown once (creation and rotation).
#[derive(Debug, Clone)]
pub struct WithSecret {
    pub webhook: Webhook,
    pub secret: String,
}

/// The scope an endpoint delivers from.
pub fn scope_of(webhook: &Webhook) -> AuditScope {
    match (webhook.group_id, webhook.project_id) {
        (Some(group), _) => AuditScope::Group(group),
        (None, Some(project)) => AuditScope::Project(project),
        (None, None) => AuditScope::All,
    }
}

/// The endpoint's action patterns.
pub fn patterns(webhook: &Webhook) -> Vec<String> {
    serde_json::from_value(webhook.actions.clone()).unwrap_or_default()
}

/// Refuses unless `subject` may manage endpoints in `scope`.
async fn authorize_scope(
    db: &impl ConnectionTrait,
    subject: Subject,
    scope: AuditScope,
) -> Result<(), ApiError> {
    match scope {
        AuditScope::All => access::authorize_system(subject, Capability::SystemManage)
            .map_err(|e| e.attempting("managing webhooks of the whole system"))
            .map(|_| ()),
        AuditScope::Group(id) => {
            access::authorize_group(db, subject, id, Capability::GroupManageSettings)
                .await
                .map(|_| ())
        }
        AuditScope::Project(id) => {
            access::authorize_project(db, subject, id, Capability::ProjectManageSettings)
                .await
                .map(|_| ())
        }
    }
}

/// Refuses a destination that resolves to a private address (unless allowed): 400 naming `url`.
async fn check_destination(config: &Config, url: &url::Url) -> Result<(), ApiError> {
    destination::resolve(url, config.allow_private)
        .await
        .map(|_| ())
        .map_err(|refused| ApiError::invalid("url", refused.to_string()))
}

/// The endpoint `id` if `subject` may manage it; 404 otherwise (also when it does not exist).
pub async fn visible(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Webhook, ApiError> {
    let webhook = Webhooks::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    match authorize_scope(db, subject, scope_of(&webhook)).await {
        Ok(()) => Ok(webhook),
        Err(ApiError::Forbidden(_) | ApiError::NotFound) => Err(ApiError::NotFound),
        Err(other) => Err(other),
    }
}

fn webhook_json(webhook: &Webhook) -> Value {
    // Never the secret, sealed or not.
    json!({
        "id": webhook.id,
        "url": webhook.url,
        "description": webhook.description,
        "actions": webhook.actions,
        "group_id": webhook.group_id,
        "project_id": webhook.project_id,
        "enabled": webhook.enabled,
    })
}

/// The resource type of every audit record of an endpoint.
const RESOURCE_TYPE: &str = "webhook";

/// The audit record of something done to `webhook`, in its scope (`actor` `None`: the server).
pub(crate) fn record(actor: Option<Uuid>, action: &'static str, webhook: &Webhook) -> AuditRecord {
    let mut record = AuditRecord::new(actor, action, RESOURCE_TYPE, webhook.id);
    if let Some(group) = webhook.group_id {
        record = record.in_group(group);
    }
    if let Some(project) = webhook.project_id {
        record = record.in_project(project);
    }
    record
}

/// The endpoints' new version (`outbox`) when `record` is of a change to an endpoint, which
/// every writer's list of endpoints must then learn of.
pub(crate) fn new_version_after(record: &AuditRecord) -> Option<i64> {
    (record.resource_type == RESOURCE_TYPE).then(outbox::new_version)
}

/// `POST /v1/webhooks`.
pub async fn create(
    db: &DatabaseConnection,
    config: &Config,
    subject: Subject,
    new: NewWebhook,
) -> Result<WithSecret, ApiError> {
    // Who may comes first (a refusal says nothing of the url); the destination is resolved
    // before the transaction, so a slow DNS answer holds no lock.
    authorize_scope(db, subject, new.scope).await?;
    check_destination(config, &new.url).await?;
    write_as(db, subject, &[], async |tx, subject| {
        authorize_scope(tx, subject, new.scope).await?;
        let secret = signing::new_secret();
        let sealed = config.secrets.seal(&secret).map_err(ApiError::internal)?;
        let (group_id, project_id) = match new.scope {
            AuditScope::All => (None, None),
            AuditScope::Group(id) => (Some(id), None),
            AuditScope::Project(id) => (None, Some(id)),
        };
        let now = chrono::Utc::now();
        let webhook = entity::webhooks::ActiveModel {
            id: Set(Uuid::now_v7()),
            url: Set(new.url.to_string()),
            description: Set(new.description.clone()),
            actions: Set(json!(new.actions)),
            group_id: Set(group_id),
            project_id: Set(project_id),
            created_by: Set(subject.user_id),
            secret: Set(sealed),
            previous_secret: Set(None),
            previous_secret_until: Set(None),
            enabled: Set(true),
            disabled_reason: Set(None),
            consecutive_failures: Set(0),
            failing_since: Set(None),
            held_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(tx)
        .await?;
        let audit = record(Some(subject.user_id), "webhook.create", &webhook)
            .change(Value::Null, webhook_json(&webhook));
        Ok(Written::changed(WithSecret { webhook, secret }, audit))
    })
    .await
}

/// `GET /v1/webhooks`: the endpoints the caller may manage, in id order.
pub async fn list(
    db: &DatabaseConnection,
    subject: Subject,
    window: &Window<Uuid>,
) -> Result<Vec<Webhook>, ApiError> {
    use entity::webhooks::Column;
    let wanted = usize::try_from(window.fetch()).unwrap_or(usize::MAX);
    let mut after = window.after;
    let mut found = Vec::new();
    // Endpoints are few; each is decided as `visible` decides it, a page at a time.
    loop {
        let batch = Window { after, limit: 99 }
            .read(db, Webhooks::find(), Column::Id)
            .await?;
        let done = batch.len() < 100;
        after = batch.last().map(|w| w.id);
        for webhook in batch {
            if authorize_scope(db, subject, scope_of(&webhook))
                .await
                .is_ok()
            {
                found.push(webhook);
            }
        }
        if done || found.len() >= wanted {
            found.truncate(wanted);
            return Ok(found);
        }
    }
}

/// `PATCH /v1/webhooks/{id}`. Enabling an endpoint clears its failures and resumes its
/// deliveries where they stopped.
pub async fn update(
    db: &DatabaseConnection,
    config: &Config,
    subject: Subject,
    id: Uuid,
    change: WebhookChange,
) -> Result<Webhook, ApiError> {
    if let Some(url) = &change.url {
        visible(db, subject, id).await?;
        check_destination(config, url).await?;
    }
    write_as(db, subject, &[], async |tx, subject| {
        let before = visible(tx, subject, id).await?;
        let mut row = before.clone().into_active_model();
        if let Some(url) = &change.url {
            row.url = Set(url.to_string());
        }
        if let Some(description) = &change.description {
            row.description = Set(description.clone());
        }
        if let Some(actions) = &change.actions {
            row.actions = Set(json!(actions));
        }
        if let Some(enabled) = change.enabled {
            row.enabled = Set(enabled);
            if enabled && !before.enabled {
                row.disabled_reason = Set(None);
                row.consecutive_failures = Set(0);
                row.failing_since = Set(None);
                row.held_until = Set(None);
            }
            if !enabled && before.enabled {
                row.disabled_reason = Set(Some("disabled by a user".to_owned()));
            }
        }
        if !row.is_changed() {
            return Ok(Written::unchanged(before));
        }
        row.updated_at = Set(chrono::Utc::now());
        let after = row.update(tx).await?;
        if webhook_json(&after) == webhook_json(&before) {
            return Ok(Written::unchanged(before));
        }
        let audit = record(Some(subject.user_id), "webhook.update", &after)
            .change(webhook_json(&before), webhook_json(&after));
        Ok(Written::changed(after, audit))
    })
    .await
}

/// `DELETE /v1/webhooks/{id}`, with its delivery log.
pub async fn delete(db: &DatabaseConnection, subject: Subject, id: Uuid) -> Result<(), ApiError> {
    write_as(db, subject, &[], async |tx, subject| {
        let webhook = visible(tx, subject, id).await?;
        Webhooks::delete_by_id(id).exec(tx).await?;
        let audit = record(Some(subject.user_id), "webhook.delete", &webhook)
            .change(webhook_json(&webhook), Value::Null);
        Ok(Written::changed((), audit))
    })
    .await
}

/// `POST /v1/webhooks/{id}/rotate-secret`: a new secret, shown once; the old one keeps signing
/// beside it for [`ROTATION_OVERLAP`].
pub async fn rotate_secret(
    db: &DatabaseConnection,
    config: &Config,
    subject: Subject,
    id: Uuid,
) -> Result<WithSecret, ApiError> {
    write_as(db, subject, &[], async |tx, subject| {
        let before = visible(tx, subject, id).await?;
        let secret = signing::new_secret();
        let now = chrono::Utc::now();
        let mut row = before.clone().into_active_model();
        row.previous_secret = Set(Some(before.secret.clone()));
        row.previous_secret_until = Set(Some(now + ROTATION_OVERLAP));
        row.secret = Set(config.secrets.seal(&secret).map_err(ApiError::internal)?);
        row.updated_at = Set(now);
        let webhook = row.update(tx).await?;
        let mut audit = record(Some(subject.user_id), "webhook.update", &webhook);
        audit.details["rotated_secret"] = json!({ "previous_signs_until": now + ROTATION_OVERLAP });
        Ok(Written::changed(WithSecret { webhook, secret }, audit))
    })
    .await
}

/// `GET /v1/webhooks/{id}/deliveries`: the delivery log, oldest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    subject: Subject,
    id: Uuid,
    window: &Window<Uuid>,
) -> Result<Vec<deliveries::Model>, ApiError> {
    visible(db, subject, id).await?;
    let query = Deliveries::find().filter(deliveries::Column::WebhookId.eq(id));
    Ok(window.read(db, query, deliveries::Column::Id).await?)
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver`: the change is sent again (with
/// the same `webhook-id`), as soon as the endpoint's earlier pending deliveries are through.
pub async fn redeliver(
    db: &DatabaseConnection,
    subject: Subject,
    id: Uuid,
    delivery_id: Uuid,
) -> Result<deliveries::Model, ApiError> {
    write_as(db, subject, &[], async |tx, subject| {
        let webhook = visible(tx, subject, id).await?;
        let delivery = Deliveries::find_by_id(delivery_id)
            .filter(deliveries::Column::WebhookId.eq(id))
            .one(tx)
            .await?
            .ok_or(ApiError::NotFound)?;
        if delivery.kind != "change" {
            return Err(ApiError::Conflict(
                "only a change can be redelivered; send a new ping instead".to_owned(),
            ));
        }
        let mut row = delivery.into_active_model();
        row.state = Set(outbox::PENDING.to_owned());
        row.next_attempt_at = Set(Some(chrono::Utc::now()));
        row.updated_at = Set(chrono::Utc::now());
        let delivery = row.update(tx).await?;
        let mut audit = record(Some(subject.user_id), "webhook.redeliver", &webhook);
        audit.details["delivery"] = json!({ "id": delivery.id, "revision": delivery.revision });
        Ok(Written::changed(delivery, audit))
    })
    .await
}
