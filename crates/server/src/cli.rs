//! The subcommands: `serve` (default), `token`, `login-link`, `changes`, `scim-token` and
//! `bootstrap`.

use anyhow::{Context, bail};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::{JwtKeys, resolve_secret};
use crate::services::bootstrap::{self, Bootstrapped};
use crate::services::demo;
use crate::settings::{Cli, Command, ScimTokenCommand, Settings};
use crate::startup::{Application, prepare_database};

/// How long the token printed on first start stays valid.
const FIRST_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// How long the console link printed on first start can be opened.
const FIRST_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Token { user, ttl } => {
            let db = prepare_database(&settings).await?;
            let keys = keys(&settings)?;
            let user = find_user(&db, &user).await?;
            println!("{}", keys.issue(user.id, ttl)?);
            Ok(())
        }
        Command::LoginLink { user, ttl } => {
            let db = prepare_database(&settings).await?;
            let user = find_user(&db, &user).await?;
            if !user.active {
                bail!("{} is deactivated and cannot sign in", user.user_name);
            }
            println!(
                "{}",
                login_link(&db, &settings.public_url(), user.id, ttl).await?
            );
            Ok(())
        }
        Command::Changes { after, follow } => {
            let db = prepare_database(&settings).await?;
            print_changes(db, after, follow).await
        }
        Command::ScimToken(command) => {
            let db = prepare_database(&settings).await?;
            scim_token(&db, command).await
        }
        Command::Bootstrap { email, group } => {
            let email = domain::Email::parse(&email).context("--email")?;
            let group = domain::Name::parse(&group).context("--group")?;
            let db = prepare_database(&settings).await?;
            let keys = keys(&settings)?;
            match bootstrap::bootstrap(&db, &email, &group).await? {
                Some(created) => {
                    print_first_admin(&keys, &created)?;
                    Ok(())
                }
                None => bail!(
                    "a system admin already exists; use `roster token --user <email>` for a token"
                ),
            }
        }
    }
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let keys = keys(&settings)?;
    let db = prepare_database(&settings).await?;
    let email = domain::Email::parse(bootstrap::DEFAULT_ADMIN_EMAIL)?;
    let group = domain::Name::parse(bootstrap::DEFAULT_ROOT_GROUP)?;
    let created = bootstrap::bootstrap(&db, &email, &group).await?;
    if demo {
        load_demo(&db).await?;
    }
    let app = Application::build_with_database(settings, db).await?;
    let address = format!("http://{}:{}", app.state().settings.bind.ip(), app.port());
    println!("Roster is listening on {address}");
    println!("API docs: {address}/docs/");
    println!("Console:  {address}/console (sign in with `roster login-link --user <email>`)");
    if let Some(created) = created {
        print_first_admin(&keys, &created)?;
        let base = match &app.state().settings.public_url {
            Some(_) => app.state().settings.public_url(),
            None => address.clone(),
        };
        let link = login_link(&app.state().db, &base, created.user.id, FIRST_LINK_TTL).await?;
        println!("Open the console as them (the link works once, within an hour):");
        println!();
        println!("{link}");
        println!();
    }
    tracing::info!(%address, "serving");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Prints the changes after `after` as JSON lines; with `follow`, waits for more for ever.
async fn print_changes(db: DatabaseConnection, after: i64, follow: bool) -> anyhow::Result<()> {
    use crate::http::routes::changes::{Change, MAX_WAIT_SECONDS};
    use crate::services::changes::feed::{self, FeedQuery, Reader};
    use crate::services::changes::revision::Clock;
    use std::io::Write;
    let clock = Clock::start(&db).await?;
    let following = clock.clone().follow(db.clone());
    let printing = async {
        let wait = std::time::Duration::from_secs(if follow { MAX_WAIT_SECONDS } else { 0 });
        let mut query = FeedQuery {
            scope: crate::services::audit::AuditScope::All,
            resource_type: None,
            after,
            limit: crate::http::pagination::MAX_LIMIT,
        };
        loop {
            let page = feed::read(&db, &clock, Reader::CommandLine, &query, wait)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let done = page.items.is_empty() && !follow;
            let mut out = std::io::stdout().lock();
            for event in page.items {
                let change = Change::try_from(event).map_err(|e| anyhow::anyhow!("{e}"))?;
                // A reader that went away (`| head`) ends the command, not as an error.
                match writeln!(out, "{}", serde_json::to_string(&change)?)
                    .and_then(|()| out.flush())
                {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                    written => written?,
                }
            }
            drop(out);
            if done {
                return Ok(());
            }
            query.after = page.next_after;
        }
    };
    tokio::select! {
        printed = printing => printed,
        () = following => Ok(()),
    }
}

/// `roster scim-token create|list|revoke`, acting as no user (the audit's actor is null).
async fn scim_token(db: &DatabaseConnection, command: ScimTokenCommand) -> anyhow::Result<()> {
    use crate::services::scim_tokens;
    let failed = |e: crate::error::ApiError| anyhow::anyhow!("{e}");
    match command {
        ScimTokenCommand::Create { name } => {
            let name = domain::Name::parse(&name).context("--name")?;
            let made = scim_tokens::create_on_command_line(db, &name)
                .await
                .map_err(failed)?;
            eprintln!(
                "SCIM token {} ({}), shown once:",
                made.row.id, made.row.name
            );
            println!("{}", made.token);
        }
        ScimTokenCommand::List => {
            for row in entity::scim_tokens::Entity::find().all(db).await? {
                println!("{}  {:<24} made {}", row.id, row.name, row.created_at);
            }
        }
        ScimTokenCommand::Revoke { id } => {
            scim_tokens::revoke_on_command_line(db, id)
                .await
                .map_err(|e| match e {
                    crate::error::ApiError::NotFound => {
                        anyhow::anyhow!("no SCIM token has the id {id}")
                    }
                    other => failed(other),
                })?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// Loads the example organisation as the first system admin, once.
async fn load_demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    let admin = entity::group_members::Entity::find()
        .filter(
            entity::group_members::Column::Role.eq(crate::convert::stored_group_role(
                domain::GroupRole::SystemAdmin,
            )),
        )
        .one(db)
        .await?
        .context("no system admin to load the demo as")?;
    let admin = crate::services::guard::Subject::load(db, admin.user_id).await?;
    match demo::load(db, admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        Some(loaded) => {
            println!(
                "Loaded the demo organisation 'Springfield High' and its project 'Science Fair'."
            );
            println!("Demo users (tokens: `roster token --user <email>`):");
            for (email, role) in loaded.users {
                println!("  {email:<22} {role}");
            }
        }
        None => println!("The demo organisation is already loaded."),
    }
    Ok(())
}

fn keys(settings: &Settings) -> anyhow::Result<JwtKeys> {
    let secret = resolve_secret(settings)?;
    JwtKeys::new(
        &secret,
        settings.jwt_issuer.clone(),
        settings.jwt_audience.clone(),
    )
}

fn print_first_admin(keys: &JwtKeys, created: &Bootstrapped) -> anyhow::Result<()> {
    let token = keys.issue(created.user.id, FIRST_TOKEN_TTL)?;
    println!();
    println!(
        "Created the first system admin {} in the root group '{}'.",
        created.user.user_name, created.group.name
    );
    println!("Their token (valid 24 h; shown once — `roster token --user <email>` makes more):");
    println!();
    println!("{token}");
    println!();
    Ok(())
}

/// A user by id or email.
async fn find_user(db: &DatabaseConnection, key: &str) -> anyhow::Result<entity::users::Model> {
    let found = match Uuid::parse_str(key) {
        Ok(id) => entity::users::Entity::find_by_id(id).one(db).await?,
        Err(_) => {
            entity::users::Entity::find()
                .filter(entity::users::Column::Email.eq(key.trim().to_lowercase()))
                .one(db)
                .await?
        }
    };
    found.with_context(|| format!("no user has the id or email `{key}`"))
}

/// A one-time console sign-in link for `user_id`, valid for `ttl`.
async fn login_link(
    db: &DatabaseConnection,
    base_url: &str,
    user_id: Uuid,
    ttl: std::time::Duration,
) -> anyhow::Result<String> {
    let code = crate::services::console_sessions::issue_code(db, user_id, ttl)
        .await
        .map_err(|e| anyhow::anyhow!("cannot store the login code: {e}"))?;
    Ok(format!("{base_url}/console/login?code={code}"))
}
