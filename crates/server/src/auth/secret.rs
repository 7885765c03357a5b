//! Where the signing secret comes from: the settings, or (SQLite only) a file beside the database.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;

use crate::settings::{Settings, sqlite_file};

/// The configured secret; with SQLite and none configured, the one kept beside the database
/// file (generated with mode 0600 on first start). With PostgreSQL a secret is required, because
/// several servers share one database and must agree on the key.
pub fn resolve_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = settings.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let url = settings.database_url();
    if !settings.is_sqlite() {
        bail!(
            "ROSTER_JWT_SECRET (or --jwt-secret) must be set when the database is not SQLite: \
             generate one with `openssl rand -base64 48`"
        );
    }
    match sqlite_file(&url) {
        Some(db_file) => load_or_create(&secret_path(&db_file)),
        None => bail!("an in-memory SQLite database needs ROSTER_JWT_SECRET to be set"),
    }
}

/// `data/roster.db` → `data/roster.db.jwt-secret`.
fn secret_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".jwt-secret");
    PathBuf::from(name)
}

fn load_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let secret = existing.trim().as_bytes().to_vec();
        if secret.len() >= super::jwt::MIN_SECRET_BYTES {
            return Ok(secret);
        }
        bail!("the secret file {} is too short", path.display());
    }
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut file = match open_private(path) {
        Ok(file) => file,
        // Another instance starting on the same database wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return load_or_create(path),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot create the secret file {}", path.display()));
        }
    };
    file.write_all(secret.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn settings(url: &str, secret: Option<&str>) -> Settings {
        let mut settings = Settings::for_database(url);
        settings.jwt_secret = secret.map(str::to_owned);
        settings
    }

    #[test]
    fn postgres_requires_a_configured_secret() {
        let error = resolve_secret(&settings("postgres://u@h/db", None)).unwrap_err();
        assert!(error.to_string().contains("ROSTER_JWT_SECRET"), "{error}");
        let secret = "s".repeat(40);
        let resolved = resolve_secret(&settings("postgres://u@h/db", Some(&secret))).unwrap();
        assert_eq!(resolved, secret.as_bytes());
    }

    #[test]
    fn sqlite_keeps_a_private_secret_beside_the_database() {
        let folder = std::env::temp_dir().join(format!("roster-secret-{}", uuid::Uuid::now_v7()));
        let url = format!("sqlite://{}/roster.db?mode=rwc", folder.display());
        let first = resolve_secret(&settings(&url, None)).unwrap();
        let again = resolve_secret(&settings(&url, None)).unwrap();
        assert_eq!(first, again, "the secret survives restarts");
        assert!(first.len() >= crate::auth::jwt::MIN_SECRET_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(folder.join("roster.db.jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(folder).unwrap();
    }
}
