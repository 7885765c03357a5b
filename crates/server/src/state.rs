//! What every handler shares: the pool, the token keys and the settings.

use sea_orm::DatabaseConnection;

use crate::auth::JwtKeys;
use crate::settings::Settings;

/// Built once at start-up and handed to actix as `web::Data`.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub jwt: JwtKeys,
    pub settings: Settings,
}
