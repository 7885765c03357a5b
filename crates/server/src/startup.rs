//! Building and running the application: what `main` and the tests share.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{self, JwtKeys};
use crate::db;
use crate::delivery::Worker;
use crate::http::extract::MAX_BODY_BYTES;
use crate::http::{fallback, openapi, routes};
use crate::services::changes::revision::Clock;
use crate::services::memory::{self, Decisions};
use crate::services::webhooks;
use crate::settings::Settings;
use crate::state::AppState;

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Connects (and migrates, unless disabled) the database, resolves the token secret and binds
    /// the listener. Port 0 binds a free port, which tests use.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = prepare_database(&settings).await?;
        Self::build_with_database(settings, db).await
    }

    /// As [`Application::build`], on an already-open database.
    pub async fn build_with_database(
        settings: Settings,
        db: DatabaseConnection,
    ) -> anyhow::Result<Self> {
        let secret = auth::resolve_secret(&settings)?;
        let jwt = JwtKeys::new(
            &secret,
            settings.jwt_issuer.clone(),
            settings.jwt_audience.clone(),
        )?;
        let clock = Clock::start(&db)
            .await
            .context("cannot read the revision counter (are the migrations applied?)")?;
        let webhooks = webhooks::Config {
            secrets: webhooks::sealing::SecretBox::new(&secret),
            allow_private: settings.webhook_allow_private,
        };
        let decisions = Decisions::new(
            db.clone(),
            clock.clone(),
            settings.decision_cache_bytes(),
            settings.default_consistency,
        );
        let state = AppState {
            db,
            jwt,
            settings,
            clock,
            webhooks,
            decisions,
        };
        let listener = TcpListener::bind(state.settings.bind)
            .with_context(|| format!("cannot listen on {}", state.settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that stops the server from elsewhere (tests stop theirs when they end).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests finish first (actix's graceful shutdown).
    /// Meanwhile the revision clock follows other servers' commits, SQLite's log is checkpointed
    /// (`db::keep_checkpointing`), and the delivery worker works off the webhook outbox (unless
    /// `ROSTER_WEBHOOK_DELIVERY=false`); all stop with the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state;
        let follow = state.clock.clone().follow(state.db.clone());
        let remember = memory::follow::follow(state.decisions.clone(), state.settings.clone());
        let checkpoint = db::keep_checkpointing(state.db.clone());
        let worker = Worker {
            db: state.db.clone(),
            config: state.webhooks.clone(),
            clock: state.clock.clone(),
            timeout: state.settings.webhook_timeout,
            retry_base: state.settings.webhook_retry_base,
        };
        let delivering = state.settings.webhook_delivery;
        let deliver = async move {
            if delivering {
                worker.run().await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            served = self.server => served,
            () = follow => Ok(()),
            () = remember => Ok(()),
            () = checkpoint => Ok(()),
            () = deliver => Ok(()),
        }
    }
}

/// Opens the configured database and applies pending migrations unless told not to.
pub async fn prepare_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(settings).await?;
    if settings.auto_migrate {
        db::migrate(&db).await?;
    }
    Ok(db)
}

/// The OpenAPI document of every route, as served at `/openapi.json`.
pub fn openapi_document() -> anyhow::Result<utoipa::openapi::OpenApi> {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(register_routes)
        .split_for_parts();
    openapi::finish(doc)
}

/// Every route of the API. utoipa-actix-web records each handler's annotation as it registers,
/// so the OpenAPI document lists exactly the routes served.
fn register_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // Wrapped last, so outermost: refusals of authentication carry `Roster-Revision` too.
    let v1 = scope::scope("/v1")
        .wrap(from_fn(auth::authenticate))
        .wrap(from_fn(crate::http::revision::stamp));
    // Benchmark-only endpoints, behind the same authentication; absent from the default build.
    #[cfg(feature = "bench")]
    let v1 = v1.configure(routes::bench::configure);
    cfg.configure(routes::health::configure).service(
        v1.configure(routes::me::configure)
            .configure(routes::users::configure)
            .configure(routes::groups::configure)
            .configure(routes::group_members::configure)
            .configure(routes::projects::configure)
            .configure(routes::project_members::configure)
            .configure(routes::squads::configure)
            .configure(routes::roles::configure)
            .configure(routes::check::configure)
            .configure(routes::lookup::configure)
            .configure(routes::audit::configure)
            .configure(routes::changes::configure)
            .configure(routes::webhooks::configure)
            .configure(routes::scim_tokens::configure)
            .configure(routes::idp_groups::configure),
    );
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let doc = openapi_document()?;
    let route_table = web::Data::new(openapi::route_table(&doc));
    let workers = state.settings.workers;
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .openapi(openapi::ApiDoc::openapi())
            .app_data(state.clone())
            .app_data(route_table.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .app_data(web::PathConfig::default().error_handler(fallback::path_error))
            .app_data(web::QueryConfig::default().error_handler(fallback::query_error))
            .configure(register_routes)
            .split_for_parts();
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
            .service(web::redirect("/docs", "/docs/"))
            .configure(crate::http::scim::configure)
            .configure(crate::console::configure)
            .default_service(web::to(fallback::no_route))
            .wrap(from_fn(crate::http::head::as_get))
            .wrap(ErrorHandlers::new().default_handler(fallback::ensure_problem))
            .wrap(from_fn(crate::http::access_log::observe))
    })
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
