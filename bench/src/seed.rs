//! Databases for the benchmarks, seeded through Roster's own code.
//!
//! Each database is created fresh (PostgreSQL: `roster_bench_*` from the admin URL; SQLite: a
//! file under `bench/target/data`), migrated by Roster's `migration` crate, bootstrapped by
//! Roster's bootstrap service (the first system admin and the root group), then filled with
//! multi-row INSERTs built by Roster's SeaORM entities (1 000 rows per statement), with paths
//! from `domain::GroupPath`. The path indexes are dropped during the load and rebuilt afterwards
//! with the migration's own definitions, which times their builds. `VACUUM ANALYZE` last.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::{
    ActiveValue::Set, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    EntityTrait, Statement,
};
use uuid::Uuid;

use crate::model::{Org, Shape};

/// Which database a seed goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// Where PostgreSQL is and where SQLite files go.
#[derive(Debug, Clone)]
pub struct Places {
    pub postgres_admin_url: String,
    pub data_dir: PathBuf,
}

/// A seeded database and what was put in it.
#[derive(Debug)]
pub struct Seeded {
    pub backend: Backend,
    /// The URL the server and the benchmarks connect with.
    pub url: String,
    /// The PostgreSQL database name (to drop it), or the SQLite file.
    pub name: String,
    pub org: Org,
    pub admin: Uuid,
    pub timings: SeedTimings,
}

/// How long the seed took, by part.
#[derive(Debug, Default, Clone)]
pub struct SeedTimings {
    pub rows: Duration,
    /// `(index name, build time)` of the path indexes rebuilt after the load.
    pub index_builds: Vec<(String, Duration)>,
    pub analyze: Duration,
}

impl Places {
    /// The URL of a fresh, empty database named `roster_bench_{name}`.
    pub async fn fresh(&self, backend: Backend, name: &str) -> anyhow::Result<(String, String)> {
        match backend {
            Backend::Postgres => {
                let db_name = format!("roster_bench_{name}");
                let admin = Database::connect(self.postgres_admin_url.as_str())
                    .await
                    .context("cannot reach PostgreSQL with the admin URL")?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
                    .await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {db_name}"))
                    .await?;
                admin.close().await?;
                Ok((with_database(&self.postgres_admin_url, &db_name), db_name))
            }
            Backend::Sqlite => {
                std::fs::create_dir_all(&self.data_dir)?;
                let file = self.data_dir.join(format!("roster_bench_{name}.db"));
                for suffix in ["", "-wal", "-shm", ".jwt-secret"] {
                    let mut f = file.clone().into_os_string();
                    f.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(f));
                }
                let display = file.display().to_string();
                Ok((format!("sqlite://{display}?mode=rwc"), display))
            }
        }
    }

    /// Drops a database made by [`Places::fresh`].
    pub async fn drop(&self, seeded: &Seeded) -> anyhow::Result<()> {
        match seeded.backend {
            Backend::Postgres => {
                let admin = Database::connect(self.postgres_admin_url.as_str()).await?;
                admin
                    .execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        seeded.name
                    ))
                    .await?;
                admin.close().await?;
            }
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", seeded.name));
                }
            }
        }
        Ok(())
    }
}

/// `postgres://u@h:p/db?x` with the database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Opens a pool the way Roster does (its own `db::connect`), with `pool` connections.
pub async fn connect(url: &str, pool: u32) -> anyhow::Result<DatabaseConnection> {
    let mut settings = roster_server::Settings::for_database(url);
    settings.db_pool_size = pool;
    settings.db_acquire_timeout = Duration::from_secs(30);
    roster_server::db::connect(&settings).await
}

/// A pool with exactly one connection (for sequential query timing).
pub async fn connect_one(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false)
        .test_before_acquire(false);
    Ok(Database::connect(options).await?)
}

/// Creates, migrates, bootstraps and fills a database with an organisation of `shape`.
pub async fn seed(
    places: &Places,
    backend: Backend,
    name: &str,
    shape: Shape,
    seed: u64,
) -> anyhow::Result<Seeded> {
    let (url, db_name) = places.fresh(backend, name).await?;
    let db = connect(&url, 4).await?;
    roster_server::db::migrate(&db).await?;
    let email = domain::Email::parse("admin@bench.example")?;
    let group = domain::Name::parse("Organisation")?;
    let boot = roster_server::services::bootstrap::bootstrap(&db, &email, &group)
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap: {e}"))?
        .context("the fresh database already had a system admin")?;
    let org = Org::generate(shape, boot.group.id, seed)?;
    let started = Instant::now();
    drop_path_indexes(&db, backend).await?;
    insert_groups(&db, &org).await?;
    insert_users(&db, &org).await?;
    insert_memberships(&db, &org).await?;
    let rows = started.elapsed();
    let index_builds = create_path_indexes(&db, backend).await?;
    let started = Instant::now();
    match backend {
        Backend::Postgres => db.execute_unprepared("VACUUM ANALYZE").await?,
        Backend::Sqlite => db.execute_unprepared("ANALYZE").await?,
    };
    let analyze = started.elapsed();
    db.close().await?;
    Ok(Seeded {
        backend,
        url,
        name: db_name,
        org,
        admin: boot.user.id,
        timings: SeedTimings {
            rows,
            index_builds,
            analyze,
        },
    })
}

/// The path indexes exactly as migration `m0002_create_groups` defines them.
fn path_indexes(backend: Backend) -> Vec<(&'static str, &'static str)> {
    let mut list = vec![(
        "uq_groups_path",
        r#"CREATE UNIQUE INDEX "uq_groups_path" ON "groups" ("path")"#,
    )];
    if backend == Backend::Postgres {
        list.push((
            "ix_groups_path_gist",
            r#"CREATE INDEX "ix_groups_path_gist" ON "groups" USING GIST ("path")"#,
        ));
    }
    list
}

async fn drop_path_indexes(db: &DatabaseConnection, backend: Backend) -> anyhow::Result<()> {
    for (name, _) in path_indexes(backend) {
        db.execute_unprepared(&format!(r#"DROP INDEX "{name}""#))
            .await?;
    }
    Ok(())
}

async fn create_path_indexes(
    db: &DatabaseConnection,
    backend: Backend,
) -> anyhow::Result<Vec<(String, Duration)>> {
    let mut builds = Vec::new();
    for (name, sql) in path_indexes(backend) {
        let started = Instant::now();
        db.execute_unprepared(sql).await?;
        builds.push((name.to_owned(), started.elapsed()));
    }
    Ok(builds)
}

const CHUNK: usize = 1000;

async fn insert_groups(db: &DatabaseConnection, org: &Org) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let tree = &org.tree;
    let mut rows: Vec<entity::groups::ActiveModel> = (1..tree.len())
        .map(|i| entity::groups::ActiveModel {
            id: Set(tree.ids[i]),
            parent_id: Set(Some(tree.ids[crate::model::parent(i)])),
            name: Set(format!("Group {i}")),
            slug: Set(format!("g{i}")),
            path: Set(tree.paths[i].as_str().to_owned()),
            depth: Set(i16::from(tree.paths[i].depth())),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    // The lookup chain hangs under the root, each level under the one before.
    if let Some(lookups) = &org.lookups {
        let mut parent = tree.ids[0];
        for (level, (id, path)) in lookups.chain.iter().enumerate() {
            rows.push(entity::groups::ActiveModel {
                id: Set(*id),
                parent_id: Set(Some(parent)),
                name: Set(format!("Chain {}", level + 1)),
                slug: Set(format!("chain{}", level + 1)),
                path: Set(path.as_str().to_owned()),
                depth: Set(i16::from(path.depth())),
                created_at: Set(now),
                updated_at: Set(now),
            });
            parent = *id;
        }
    }
    // Breadth-first order: every parent is inserted before its children.
    for chunk in rows.chunks(CHUNK) {
        entity::groups::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn insert_users(db: &DatabaseConnection, org: &Org) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let rows: Vec<entity::users::ActiveModel> = org
        .users
        .iter()
        .enumerate()
        .map(|(i, &id)| entity::users::ActiveModel {
            id: Set(id),
            email: Set(Some(format!("user{i}@bench.example"))),
            display_name: Set(format!("User {i}")),
            user_name: Set(format!("user{i}@bench.example")),
            external_id: Set(None),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            given_name: Set(None),
            family_name: Set(None),
            email_type: Set(None),
            manager_id: Set(None),
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        entity::users::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn insert_memberships(db: &DatabaseConnection, org: &Org) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let mut rows: Vec<entity::group_members::ActiveModel> = org
        .memberships
        .iter()
        .map(|&(user, group, role)| entity::group_members::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(org.users[user]),
            group_id: Set(org.tree.ids[group]),
            role: Set(roster_server::convert::stored_group_role(role)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    if let Some(lookups) = &org.lookups {
        rows.extend(lookups.chain_members.iter().map(|&(user, level, role)| {
            entity::group_members::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(org.users[user]),
                group_id: Set(lookups.chain[level].0),
                role: Set(roster_server::convert::stored_group_role(role)),
                created_at: Set(now),
                updated_at: Set(now),
            }
        }));
    }
    for chunk in rows.chunks(CHUNK) {
        entity::group_members::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Sizes of the named indexes (bytes), where the backend can tell.
pub async fn index_sizes(
    db: &DatabaseConnection,
    names: &[&str],
) -> anyhow::Result<Vec<(String, Option<u64>)>> {
    let backend = db.get_database_backend();
    let mut sizes = Vec::new();
    for name in names {
        let sql = match backend {
            DbBackend::Postgres => format!("SELECT pg_relation_size('\"{name}\"')::bigint AS size"),
            _ => format!("SELECT SUM(pgsize) AS size FROM dbstat WHERE name = '{name}'"),
        };
        let size = match db.query_one_raw(Statement::from_string(backend, sql)).await {
            Ok(Some(row)) => row.try_get::<Option<i64>>("", "size").ok().flatten(),
            _ => None,
        };
        sizes.push(((*name).to_owned(), size.and_then(|s| u64::try_from(s).ok())));
    }
    Ok(sizes)
}
