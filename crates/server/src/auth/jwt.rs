//! Issuing and verifying HS256 bearer tokens.

use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The smallest secret accepted: HS256 is only as strong as its key.
pub const MIN_SECRET_BYTES: usize = 32;

/// What Roster puts in (and requires of) a token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub exp: i64,
    /// Optional: RFC 7519 requires no claim but Roster's `sub` and `exp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// An `aud` claim: RFC 7519 §4.1.3 allows one string or an array of them. Roster issues one
/// string; which value is accepted is the validation's business, not this type's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The keys and rules for tokens, built once from the settings.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys").finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(
        secret: &[u8],
        issuer: Option<String>,
        audience: Option<String>,
    ) -> anyhow::Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            bail!("the JWT secret must be at least {MIN_SECRET_BYTES} bytes long");
        }
        // HS256 only: `alg: none` and every other algorithm are refused by the validation.
        let mut validation = Validation::new(Algorithm::HS256);
        // jsonwebtoken checks a configured `iss`/`aud` only when the token carries one: a token
        // without them would pass, so a configured one is also a required one.
        let mut required = vec!["exp", "sub"];
        if issuer.is_some() {
            required.push("iss");
        }
        if audience.is_some() {
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        // Off by default in jsonwebtoken; on, it refuses a future `nbf` (past the same leeway as
        // `exp`) and a malformed one.
        validation.validate_nbf = true;
        validation.leeway = 30;
        match &issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer,
            audience,
        })
    }

    /// A token for `user_id`, valid for `ttl`.
    pub fn issue(&self, user_id: Uuid, ttl: Duration) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).context("the token lifetime is too long")?;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: Some(now),
            exp: now.saturating_add(ttl),
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("cannot sign the token")
    }

    /// The user id a valid token names, or why it is not valid.
    pub fn verify(&self, token: &str) -> Result<Uuid, &'static str> {
        check_critical_header(token)?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                match error.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)",
                    ErrorKind::InvalidSignature => "the token's signature is not valid",
                    ErrorKind::InvalidAlgorithm => "the token must be signed with HS256",
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience is not accepted",
                    ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
                        "exp" => "the token lacks the required claim `exp`",
                        "sub" => "the token lacks the required claim `sub`",
                        "iss" => "the token lacks the required claim `iss`",
                        "aud" => "the token lacks the required claim `aud`",
                        _ => "the token lacks a required claim",
                    },
                    ErrorKind::InvalidClaimFormat(claim) => match claim.as_str() {
                        "exp" => "the token's `exp` claim is not a number",
                        "nbf" => "the token's `nbf` claim is not a number",
                        _ => "the token has a malformed claim",
                    },
                    _ => "the token is malformed",
                }
            })?;
        Uuid::parse_str(&data.claims.sub).map_err(|_| "the token's subject is not a user id")
    }
}

/// Refuses a token whose header has a `crit` parameter. RFC 7515 §4.1.11: a recipient must
/// refuse a token whose `crit` lists an extension it does not understand, and `crit` must be a
/// non-empty array of names of parameters that the header carries and that are not the RFC's
/// own. Roster understands no extension, so every well-formed `crit` names one it does not, and
/// every other `crit` (null, empty, not an array of strings) is malformed; both are refused.
///
/// jsonwebtoken parses `crit` into `Option<Vec<String>>` but never acts on it, and loses the
/// difference between absent and `null`, so the first segment is read here. A header that is
/// not base64url JSON is left to jsonwebtoken, which refuses it as malformed.
fn check_critical_header(token: &str) -> Result<(), &'static str> {
    let Some((encoded, _)) = token.split_once('.') else {
        return Ok(());
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(encoded) else {
        return Ok(());
    };
    let Ok(serde_json::Value::Object(header)) = serde_json::from_slice(&bytes) else {
        return Ok(());
    };
    match header.get("crit") {
        None => Ok(()),
        Some(serde_json::Value::Array(names))
            if !names.is_empty() && names.iter().all(serde_json::Value::is_string) =>
        {
            Err("the token's header lists critical extensions (`crit`) Roster does not support")
        }
        Some(_) => Err("the token's `crit` header parameter is malformed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crit_is_refused_in_any_form_and_its_absence_passes() {
        let token = |header: &str| format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(header));
        assert_eq!(check_critical_header(&token(r#"{"alg":"HS256"}"#)), Ok(()));
        for header in [
            r#"{"alg":"HS256","crit":["x"],"x":1}"#,
            r#"{"alg":"HS256","crit":[]}"#,
            r#"{"alg":"HS256","crit":"x"}"#,
            r#"{"alg":"HS256","crit":null}"#,
            r#"{"alg":"HS256","crit":[1]}"#,
        ] {
            assert!(check_critical_header(&token(header)).is_err(), "{header}");
        }
        // Not a JWT at all: jsonwebtoken's to refuse.
        assert_eq!(check_critical_header("garbage"), Ok(()));
    }

    #[test]
    fn claims_accept_an_audience_array_and_no_iat() {
        let claims: Claims = serde_json::from_str(r#"{"sub":"s","exp":1,"aud":["a","b"]}"#)
            .unwrap_or_else(|e| {
                panic!("{e}");
            });
        assert_eq!(
            claims.aud,
            Some(Audience::Many(vec!["a".into(), "b".into()]))
        );
        assert_eq!(claims.iat, None);
    }
}
