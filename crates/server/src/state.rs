//! What every handler shares: the pool, the token keys, the settings, the revision clock and
//! the decision memory.

use sea_orm::DatabaseConnection;

use crate::auth::JwtKeys;
use crate::services::changes::revision::Clock;
use crate::settings::Settings;

/// Built once at start-up and handed to actix as `web::Data`.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub jwt: JwtKeys,
    pub settings: Settings,
    /// The newest committed revision this server knows of.
    pub clock: Clock,
    /// How webhook secrets are sealed and where deliveries may go.
    pub webhooks: crate::services::webhooks::Config,
    /// The facts decisions read, held in memory by revision (spec §13).
    pub decisions: crate::services::memory::Decisions,
}
