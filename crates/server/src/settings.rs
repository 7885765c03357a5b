//! Typed settings: every option is an environment variable and the same-named CLI flag.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// The database used when none is configured: an SQLite file created with its folder.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/roster.db?mode=rwc";

/// `roster` — who belongs where, in which role, and what they may do.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve {
        /// Also load the example organisation (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Print a bearer token for a user, signed with the configured secret.
    Token {
        /// The user's id or email address.
        #[arg(long)]
        user: String,
        /// How long the token is valid, e.g. `30m`, `1h`, `7d`.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        ttl: Duration,
    },
    /// Print a one-time link that signs a user in to the console (spec §12).
    LoginLink {
        /// The user's id or email address.
        #[arg(long)]
        user: String,
        /// How long the link can be opened, e.g. `15m`, `1h`.
        #[arg(long, default_value = "15m", value_parser = parse_duration)]
        ttl: Duration,
    },
    /// Print the change feed, one JSON line per change, oldest first (spec §8).
    Changes {
        /// Start after this revision (0: from the beginning).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Keep running and print changes as they commit.
        #[arg(long)]
        follow: bool,
    },
    /// Make, list or revoke the bearer tokens identity providers use under `/scim/v2`.
    #[command(subcommand)]
    ScimToken(ScimTokenCommand),
    /// Create the first system admin (and its root group) on an empty database; print a token.
    Bootstrap {
        #[arg(long)]
        email: String,
        /// Name of the root group that holds the system admin membership.
        #[arg(long, default_value = "Organisation")]
        group: String,
    },
}

/// `roster scim-token …`.
#[derive(Debug, Clone, Subcommand)]
pub enum ScimTokenCommand {
    /// Make a token and print it (shown this once).
    Create {
        /// Who will use it, e.g. `okta`.
        #[arg(long)]
        name: String,
    },
    /// List the tokens (never the tokens themselves).
    List,
    /// Revoke a token by id: it is deleted, and refused from now on.
    Revoke {
        /// The token's id, as `list` prints it.
        id: uuid::Uuid,
    },
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting of the server. Passed by value; never global.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://…`. Also read from `DATABASE_URL`.
    #[arg(long, global = true, env = "ROSTER_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "ROSTER_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,
    /// HS256 secret for bearer tokens (at least 32 bytes). Required with PostgreSQL.
    #[arg(long, global = true, env = "ROSTER_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// When set, tokens must carry this `iss`, and issued tokens carry it.
    #[arg(long, global = true, env = "ROSTER_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// When set, tokens must carry this `aud`, and issued tokens carry it.
    #[arg(long, global = true, env = "ROSTER_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Apply pending migrations before touching the database.
    #[arg(long, global = true, env = "ROSTER_AUTO_MIGRATE", default_value_t = true, action = ArgAction::Set)]
    pub auto_migrate: bool,
    /// Log filter in `tracing` syntax, e.g. `info,roster_server=debug`.
    #[arg(long, global = true, env = "ROSTER_LOG", default_value = "info")]
    pub log: String,
    /// Log format.
    #[arg(
        long,
        global = true,
        env = "ROSTER_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// Largest number of database connections.
    #[arg(long, global = true, env = "ROSTER_DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before answering 503.
    #[arg(long, global = true, env = "ROSTER_DB_ACQUIRE_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub db_acquire_timeout: Duration,
    /// HTTP worker threads (default: one per core).
    #[arg(long, global = true, env = "ROSTER_WORKERS")]
    pub workers: Option<usize>,
    /// Let webhooks reach loopback, private and link-local addresses (for tests and labs only).
    #[arg(long, global = true, env = "ROSTER_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// How long a webhook receiver has to answer one delivery.
    #[arg(long, global = true, env = "ROSTER_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub webhook_timeout: Duration,
    /// The first retry's delay after a failed delivery; each further retry doubles it.
    #[arg(long, global = true, env = "ROSTER_WEBHOOK_RETRY_BASE", default_value = "5s", value_parser = parse_duration)]
    pub webhook_retry_base: Duration,
    /// Run the webhook delivery worker. `false`: this server still queues deliveries with every
    /// change but leaves sending them to the other servers on the same database.
    #[arg(long, global = true, env = "ROSTER_WEBHOOK_DELIVERY", default_value_t = true, action = ArgAction::Set)]
    pub webhook_delivery: bool,
    /// Memory for the facts decisions read, in MiB (fractions allowed); 0 turns it off and
    /// every decision reads the database. Full memory evicts, it never fails.
    #[arg(long, global = true, env = "ROSTER_DECISION_CACHE_MB", default_value_t = 32.0, value_parser = parse_megabytes)]
    pub decision_cache_mb: f64,
    /// The consistency of a check or lookup that names none, and of every other read route:
    /// `fully_consistent` or `minimize_latency`.
    #[arg(
        long,
        global = true,
        env = "ROSTER_DEFAULT_CONSISTENCY",
        default_value = "fully_consistent"
    )]
    pub default_consistency: crate::services::memory::Consistency,
    /// How long a server waits before opening its PostgreSQL notification connection again
    /// after losing it (meanwhile `minimize_latency` answers as `fully_consistent`).
    #[arg(long, global = true, env = "ROSTER_NOTIFY_RETRY", default_value = "1s", value_parser = parse_duration)]
    pub notify_retry: Duration,
    /// How long a console session lasts after its login link is opened.
    #[arg(long, global = true, env = "ROSTER_CONSOLE_SESSION_TTL", default_value = "8h", value_parser = parse_duration)]
    pub console_session_ttl: Duration,
    /// The address people reach this server at, for the links `roster login-link` prints
    /// (default: `http://` and the listen address).
    #[arg(long, global = true, env = "ROSTER_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl Settings {
    /// Settings from the environment alone, as a test or an embedding program would build them.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut settings = Cli::parse_from(["roster"]).settings;
        settings.database_url = Some(database_url.into());
        settings
    }

    /// Where people reach this server: `ROSTER_PUBLIC_URL` without a trailing slash, else
    /// `http://` and the listen address.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    /// The configured database URL, falling back to `DATABASE_URL`, then the embedded default.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
    }

    /// The decision memory's budget in bytes (0: off).
    pub fn decision_cache_bytes(&self) -> usize {
        // A finite, non-negative number of MiB (checked by `parse_megabytes`).
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let bytes = (self.decision_cache_mb * 1024.0 * 1024.0) as usize;
        bytes
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

/// The file behind an SQLite URL (`sqlite://./data/roster.db?mode=rwc` → `./data/roster.db`),
/// or `None` for an in-memory database or another backend.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Parses `90`, `90s`, `15m`, `1h`, `7d` and `250ms`.
/// A memory size in MiB: a finite, non-negative number.
pub fn parse_megabytes(text: &str) -> anyhow::Result<f64> {
    let mb: f64 = text
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{text:?} is not a number of MiB"))?;
    anyhow::ensure!(mb.is_finite() && mb >= 0.0, "{text:?} is not a size in MiB");
    Ok(mb)
}

pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .with_context(|| format!("`{text}` is not a duration like 30s, 15m, 1h or 7d"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(number)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => bail!("unknown duration unit `{other}`: use ms, s, m, h or d"),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("1y").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn sqlite_files() {
        assert_eq!(
            sqlite_file(DEFAULT_DATABASE_URL),
            Some(PathBuf::from("./data/roster.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
