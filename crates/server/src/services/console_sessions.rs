//! The console's sign-in (spec §12): `roster login-link` stores a one-time code for a user;
//! opening the link spends the code and opens a session, whose token is the cookie. Only the
//! SHA-256 of either secret is stored (32 random bytes each, so no salt is needed), a code is
//! spent by deleting its row — two requests racing with one code cannot both win — and signing
//! out deletes the session. Neither is Roster data: no revision, no audit event.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::write::{Written, write};
use crate::error::ApiError;
use entity::console_login_codes::{Column as CodeColumn, Entity as LoginCodes};
use entity::console_sessions::{Column as SessionColumn, Entity as Sessions};

/// An open session: whose it is, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// A secret worth 32 random bytes, as URL-safe text.
fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a code or session token.
pub fn hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

fn after(ttl: Duration) -> Result<DateTime<Utc>, ApiError> {
    let ttl =
        chrono::Duration::from_std(ttl).map_err(|_| ApiError::invalid("ttl", "is too long"))?;
    Utc::now()
        .checked_add_signed(ttl)
        .ok_or_else(|| ApiError::invalid("ttl", "is too long"))
}

/// A new login code for `user_id`, valid for `ttl`; the code is returned this once. Codes and
/// sessions that have expired are swept on the way.
pub async fn issue_code(
    db: &DatabaseConnection,
    user_id: Uuid,
    ttl: Duration,
) -> Result<String, ApiError> {
    let expires_at = after(ttl)?;
    write(db, &[], async |tx| {
        sweep(tx).await?;
        let code = new_secret();
        let now = Utc::now();
        entity::console_login_codes::ActiveModel {
            code_hash: Set(hash(&code)),
            user_id: Set(user_id),
            created_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(tx)
        .await?;
        Ok(Written::unchanged(code))
    })
    .await
}

/// Spends `code`: a session for its user, valid for `ttl`, with its token (the cookie). `None`
/// when the code is unknown, spent already, or expired — which of them is not told.
pub async fn redeem(
    db: &DatabaseConnection,
    code: &str,
    ttl: Duration,
) -> Result<Option<(String, Session)>, ApiError> {
    let expires_at = after(ttl)?;
    let code_hash = hash(code);
    write(db, &[], async |tx| {
        let Some(found) = LoginCodes::find_by_id(code_hash.clone()).one(tx).await? else {
            return Ok(Written::unchanged(None));
        };
        // Deleting is the spending: of two requests with one code, one deletes the row.
        let spent = LoginCodes::delete_by_id(code_hash.clone()).exec(tx).await?;
        if spent.rows_affected != 1 || found.expires_at <= Utc::now() {
            return Ok(Written::unchanged(None));
        }
        let token = new_secret();
        entity::console_sessions::ActiveModel {
            token_hash: Set(hash(&token)),
            user_id: Set(found.user_id),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
        }
        .insert(tx)
        .await?;
        let session = Session {
            user_id: found.user_id,
            expires_at,
        };
        Ok(Written::unchanged(Some((token, session))))
    })
    .await
}

/// The session `token` stands for, unless it has ended or expired.
pub async fn find(db: &impl ConnectionTrait, token: &str) -> Result<Option<Session>, ApiError> {
    let found = Sessions::find_by_id(hash(token)).one(db).await?;
    Ok(found
        .filter(|row| row.expires_at > Utc::now())
        .map(|row| Session {
            user_id: row.user_id,
            expires_at: row.expires_at,
        }))
}

/// Signs out: the session `token` stands for ends (nothing happens when it has already).
pub async fn end(db: &DatabaseConnection, token: &str) -> Result<(), ApiError> {
    let token_hash = hash(token);
    write(db, &[], async |tx| {
        Sessions::delete_by_id(token_hash.clone()).exec(tx).await?;
        Ok(Written::unchanged(()))
    })
    .await
}

/// Deletes what has expired, so that neither table grows with codes nobody used.
async fn sweep(tx: &impl ConnectionTrait) -> Result<(), ApiError> {
    let now = Utc::now();
    LoginCodes::delete_many()
        .filter(CodeColumn::ExpiresAt.lte(now))
        .exec(tx)
        .await?;
    Sessions::delete_many()
        .filter(SessionColumn::ExpiresAt.lte(now))
        .exec(tx)
        .await?;
    Ok(())
}
