//! CSRF tokens: every state-changing form carries one, bound to the session it was rendered
//! for. The token is a hash of the session's secret (not of its stored hash), so only someone
//! who holds the cookie can compute it, and no second secret needs storing. `SameSite=Strict`
//! already keeps the cookie off other sites' requests; the token is the second lock.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::refusal::Refusal;
use super::session::SessionToken;
use crate::error::ApiError;

/// The form field that carries the token.
pub const FIELD: &str = "csrf";

/// The token of the session whose cookie is `session_token`.
pub fn token(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"roster console csrf\0");
    hasher.update(session_token.as_bytes());
    format!("{:x}", hasher.finalize())
}

/// Whether `submitted` is the session's token (compared in constant time).
pub fn holds(session_token: &str, submitted: &str) -> bool {
    let expected = token(session_token);
    expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// A submitted form whose CSRF token holds for the request's session: the only way a console
/// handler reads a form, so no state-changing request can skip the check. A form without the
/// token, with another session's, or outside a session is refused (403) before the handler runs.
#[derive(Debug)]
pub struct Submitted<T>(pub T);

#[derive(serde::Deserialize)]
struct Token {
    csrf: Option<String>,
}

impl<T: DeserializeOwned + 'static> FromRequest for Submitted<T> {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.extensions().get::<SessionToken>().cloned();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|_| ApiError::invalid("request", "the form could not be read"))?;
            let submitted = serde_urlencoded::from_bytes::<Token>(&body)
                .ok()
                .and_then(|token| token.csrf);
            let holds = match (&session, &submitted) {
                (Some(session), Some(submitted)) => self::holds(&session.0, submitted),
                _ => false,
            };
            if !holds {
                return Err(Refusal(ApiError::Forbidden(
                    "the form's CSRF token is missing or belongs to another session; reload the \
                     page and try again"
                        .to_owned(),
                )));
            }
            let form = serde_urlencoded::from_bytes::<T>(&body)
                .map_err(|e| ApiError::invalid("form", e.to_string()))?;
            Ok(Self(form))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_holds_for_its_session_only() {
        let mine = token("session-a");
        assert!(holds("session-a", &mine));
        assert!(!holds("session-b", &mine));
        assert!(!holds("session-a", ""));
        assert!(!holds("session-a", &mine[1..]));
    }
}
