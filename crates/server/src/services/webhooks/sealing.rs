//! Encrypts webhook signing secrets at rest, so a database dump alone cannot forge deliveries.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

// The version is in both the HKDF info and the output, so a future scheme can coexist with this one.
const KDF_INFO: &[u8] = b"roster webhook secret sealing v1";
const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed secret has an unknown format")]
    UnknownFormat,
    #[error("sealed secret is not valid base64")]
    NotBase64,
    #[error("sealed secret is too short")]
    TooShort,
    #[error("sealed secret was sealed with another key or has been altered")]
    Rejected,
    #[error("sealed secret is not UTF-8")]
    NotUtf8,
    #[error("secret could not be sealed")]
    Encrypt,
}

#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

// By hand, so that logging a SecretBox can never print the key.
impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox").finish_non_exhaustive()
    }
}

impl SecretBox {
    /// Derives a dedicated key, so the server secret is never used directly as a cipher key
    /// and other uses of it cannot collide with this one.
    pub fn new(server_secret: &[u8]) -> SecretBox {
        let mut key = Key::default();
        let Ok(()) = Hkdf::<Sha256>::new(None, server_secret).expand(KDF_INFO, &mut key) else {
            // HKDF-SHA256 can produce up to 8160 bytes; 32 is always within that.
            unreachable!("32 bytes is a valid HKDF-SHA256 output length");
        };
        SecretBox {
            cipher: ChaCha20Poly1305::new(&key),
        }
    }

    /// `v1.` + base64(nonce || ciphertext || tag).
    pub fn seal(&self, plaintext: &str) -> Result<String, SealError> {
        // A random 96-bit nonce is safe for far more secrets than Roster will ever seal under one key.
        let nonce = Nonce::from(rand::random::<[u8; NONCE_LEN]>());
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| SealError::Encrypt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        let encoded = sealed
            .strip_prefix(PREFIX)
            .ok_or(SealError::UnknownFormat)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SealError::NotBase64)?;
        let Some((nonce, ciphertext)) = bytes.split_first_chunk::<NONCE_LEN>() else {
            return Err(SealError::TooShort);
        };
        if ciphertext.len() < TAG_LEN {
            return Err(SealError::TooShort);
        }
        let plaintext = self
            .cipher
            .decrypt(&Nonce::from(*nonce), ciphertext)
            .map_err(|_| SealError::Rejected)?;
        String::from_utf8(plaintext).map_err(|_| SealError::NotUtf8)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn sealer() -> SecretBox {
        SecretBox::new(b"server secret for tests")
    }

    #[test]
    fn round_trips() {
        let sealed = sealer().seal(SECRET).unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains(SECRET));
        assert_eq!(sealer().open(&sealed).unwrap(), SECRET);
        assert_eq!(sealer().open(&sealer().seal("").unwrap()).unwrap(), "");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let s = sealer();
        assert_ne!(s.seal(SECRET).unwrap(), s.seal(SECRET).unwrap());
    }

    #[test]
    fn another_server_secret_cannot_open() {
        let sealed = sealer().seal(SECRET).unwrap();
        let other = SecretBox::new(b"a different server secret");
        assert_eq!(other.open(&sealed), Err(SealError::Rejected));
    }

    #[test]
    fn any_tampered_byte_is_detected() {
        let s = sealer();
        let sealed = s.seal(SECRET).unwrap();
        let bytes = STANDARD.decode(&sealed[PREFIX.len()..]).unwrap();
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            let resealed = format!("{PREFIX}{}", STANDARD.encode(&altered));
            assert_eq!(s.open(&resealed), Err(SealError::Rejected), "byte {i}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        let s = sealer();
        assert_eq!(s.open(""), Err(SealError::UnknownFormat));
        assert_eq!(s.open(SECRET), Err(SealError::UnknownFormat));
        assert_eq!(s.open("v2.AAAA"), Err(SealError::UnknownFormat));
        assert_eq!(s.open("v1.not base64!"), Err(SealError::NotBase64));
        assert_eq!(s.open("v1."), Err(SealError::TooShort));
        let short = STANDARD.encode([0u8; NONCE_LEN + TAG_LEN - 1]);
        assert_eq!(s.open(&format!("v1.{short}")), Err(SealError::TooShort));
        let zeros = STANDARD.encode([0u8; NONCE_LEN + TAG_LEN + 8]);
        assert_eq!(s.open(&format!("v1.{zeros}")), Err(SealError::Rejected));
    }

    #[test]
    fn non_utf8_plaintext_is_refused() {
        // seal takes &str, so build such a value with the cipher directly.
        let s = sealer();
        let nonce = Nonce::from([7u8; NONCE_LEN]);
        let mut bytes = nonce.to_vec();
        bytes.extend(s.cipher.encrypt(&nonce, &[0xff, 0xfe][..]).unwrap());
        let sealed = format!("{PREFIX}{}", STANDARD.encode(bytes));
        assert_eq!(s.open(&sealed), Err(SealError::NotUtf8));
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", sealer()), "SecretBox { .. }");
    }
}
