//! SCIM tokens (spec §11): the bearer tokens an identity provider provisions through. A system
//! admin makes one (here or with `roster scim-token create`), sees it once, and may revoke it.
//! Only its SHA-256 is stored: the token is 32 random bytes, so a hash without salt is as hard
//! to reverse as the token is to guess, and a lookup by hash is one indexed read.
//!
//! A SCIM token is not a user's token: it is accepted under `/scim/v2` only, and a user's token
//! is refused there (`http::scim`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::access;
use super::audit::AuditRecord;
use super::guard::Subject;
use super::window::Window;
use super::write::{Written, write, write_as};
use crate::error::ApiError;
use domain::Capability;
use entity::scim_tokens::{Column, Entity as ScimTokens, Model as ScimToken};

/// What every SCIM token starts with, so that secret scanners and people can tell one.
pub const PREFIX: &str = "roster_scim_";

/// A token and the row that stands for it: the token is shown this once.
#[derive(Debug, Clone)]
pub struct Made {
    pub row: ScimToken,
    pub token: String,
}

/// The stored form of `token`.
fn hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn token_json(row: &ScimToken) -> Value {
    // Never the token, nor its hash.
    json!({ "id": row.id, "name": row.name, "created_by": row.created_by })
}

/// `POST /v1/scim-tokens`: a new token named `name`, made by a system admin.
pub async fn create(
    db: &DatabaseConnection,
    subject: Subject,
    name: &domain::Name,
) -> Result<Made, ApiError> {
    authorize(subject)?;
    write_as(db, subject, &[], async |tx, subject| {
        authorize(subject)?;
        insert(tx, Some(subject.user_id), name).await
    })
    .await
}

/// `roster scim-token create`: the command line acts as no user.
pub async fn create_on_command_line(
    db: &DatabaseConnection,
    name: &domain::Name,
) -> Result<Made, ApiError> {
    write(db, &[], async |tx| insert(tx, None, name).await).await
}

async fn insert(
    tx: &impl ConnectionTrait,
    actor: Option<Uuid>,
    name: &domain::Name,
) -> Result<Written<Made>, ApiError> {
    let token = format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let now = chrono::Utc::now();
    let row = entity::scim_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.as_str().to_owned()),
        token_hash: Set(hash(&token)),
        created_by: Set(actor),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx)
    .await?;
    let audit = AuditRecord::new(actor, "scim_token.create", "scim_token", row.id)
        .change(Value::Null, token_json(&row));
    Ok(Written::changed(Made { row, token }, audit))
}

/// `GET /v1/scim-tokens`: every token, in id order.
pub async fn list(
    db: &DatabaseConnection,
    subject: Subject,
    window: &Window<Uuid>,
) -> Result<Vec<ScimToken>, ApiError> {
    authorize(subject)?;
    Ok(window.read(db, ScimTokens::find(), Column::Id).await?)
}

/// `GET /v1/scim-tokens/{id}`.
pub async fn get(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<ScimToken, ApiError> {
    authorize(subject)?;
    ScimTokens::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `DELETE /v1/scim-tokens/{id}`: the token is deleted, and refused from now on.
pub async fn revoke(db: &DatabaseConnection, subject: Subject, id: Uuid) -> Result<(), ApiError> {
    authorize(subject)?;
    write_as(db, subject, &[], async |tx, subject| {
        authorize(subject)?;
        revoke_in(tx, Some(subject.user_id), id).await
    })
    .await
}

/// `roster scim-token revoke ID`.
pub async fn revoke_on_command_line(db: &DatabaseConnection, id: Uuid) -> Result<(), ApiError> {
    write(db, &[], async |tx| revoke_in(tx, None, id).await).await
}

async fn revoke_in(
    tx: &impl ConnectionTrait,
    actor: Option<Uuid>,
    id: Uuid,
) -> Result<Written<()>, ApiError> {
    let row = ScimTokens::find_by_id(id)
        .one(tx)
        .await?
        .ok_or(ApiError::NotFound)?;
    ScimTokens::delete_by_id(id).exec(tx).await?;
    let audit = AuditRecord::new(actor, "scim_token.revoke", "scim_token", id)
        .change(token_json(&row), Value::Null);
    Ok(Written::changed((), audit))
}

/// The token `token` stands for, if it exists: how `/scim/v2` authenticates.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<ScimToken>, ApiError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    Ok(ScimTokens::find()
        .filter(Column::TokenHash.eq(hash(token)))
        .one(db)
        .await?)
}

/// Only a system admin manages SCIM tokens.
fn authorize(subject: Subject) -> Result<(), ApiError> {
    access::authorize_system(subject, Capability::SystemManage)
        .map_err(|e| e.attempting("managing SCIM tokens"))
        .map(|_| ())
}
