//! Standard Webhooks (https://www.standardwebhooks.com/) secrets and `webhook-signature` values.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadSecret {
    #[error("webhook secret must start with {SECRET_PREFIX}")]
    MissingPrefix,
    #[error("webhook secret is not valid base64")]
    NotBase64,
    #[error("webhook secret is empty")]
    Empty,
}

/// A fresh secret in the form receivers' Standard Webhooks libraries expect.
pub fn new_secret() -> String {
    // 32 bytes matches the HMAC-SHA256 output size; `rand::random` draws from the OS-seeded CSPRNG.
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC key inside a `whsec_` secret.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, BadSecret> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or(BadSecret::MissingPrefix)?;
    let key = STANDARD.decode(encoded).map_err(|_| BadSecret::NotBase64)?;
    // An empty key would make every signature forgeable by anyone.
    if key.is_empty() {
        return Err(BadSecret::Empty);
    }
    Ok(key)
}

/// One `v1,<base64>` signature over `{msg_id}.{timestamp}.{body}`.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC is defined for keys of any length, so hmac never returns this error.
        unreachable!("HMAC-SHA256 accepts keys of any length");
    };
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header value: while a secret is being rotated both the old
/// and the new key sign, so receivers holding either one keep verifying.
pub fn signature_header(keys: &[Vec<u8>], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| sign(key, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    // From the Standard Webhooks docs, and recomputed with Python's hmac module.
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn matches_the_standard_webhooks_example() {
        let key = secret_key(SECRET).unwrap();
        assert_eq!(sign(&key, MSG_ID, TIMESTAMP, BODY), EXPECTED);
    }

    #[test]
    fn header_carries_one_signature_per_key() {
        let old = secret_key(SECRET).unwrap();
        let new = b"roster-second-key".to_vec();
        let header = signature_header(&[old, new], MSG_ID, TIMESTAMP, BODY);
        // Second value computed independently with Python's hmac module.
        assert_eq!(
            header,
            format!("{EXPECTED} v1,7SVag6pN/HLOK0xTuBEsWDSp246sV4CkOQRfJSnFwMk=")
        );
    }

    #[test]
    fn signature_depends_on_every_input() {
        let key = secret_key(SECRET).unwrap();
        assert_ne!(sign(&key, "msg_other", TIMESTAMP, BODY), EXPECTED);
        assert_ne!(sign(&key, MSG_ID, TIMESTAMP + 1, BODY), EXPECTED);
        assert_ne!(sign(&key, MSG_ID, TIMESTAMP, b"{}"), EXPECTED);
        assert_ne!(sign(b"other key", MSG_ID, TIMESTAMP, BODY), EXPECTED);
    }

    #[test]
    fn new_secrets_are_32_random_bytes() {
        let a = new_secret();
        let b = new_secret();
        assert!(a.starts_with(SECRET_PREFIX));
        assert_ne!(a, b);
        assert_eq!(secret_key(&a).unwrap().len(), 32);
    }

    #[test]
    fn malformed_secrets_are_refused() {
        assert_eq!(
            secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(BadSecret::MissingPrefix)
        );
        assert_eq!(secret_key("whsec_not base64!"), Err(BadSecret::NotBase64));
        assert_eq!(secret_key("whsec_"), Err(BadSecret::Empty));
    }
}
