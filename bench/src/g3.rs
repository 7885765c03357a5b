//! G3 — the hierarchy at scale: 10³ → 10⁶ groups on PostgreSQL (10³ → 10⁵ on SQLite).
//!
//! Per scale, on one connection, sequentially, interleaved across scales and queries:
//! - `desc`: Roster's descendants query (`sql::tree::subtree`, ordered by path) of a
//!   subtree of exactly 111 groups (110 rows), and the same rows by a recursive CTE on
//!   `parent_id`; on PostgreSQL also a B-tree range on the ltree column (`p < path < p.g`), the
//!   candidate replacement for `<@`;
//! - `anc`: Roster's ancestors query (ids decoded from the leaf's path, primary-key `IN`), and
//!   the same rows by a recursive CTE from the leaf id;
//! - `role`: the effective role of a user at a leaf (Roster's check service, `check::answer`,
//!   role inherited from two levels up);
//! - `move`: moving the 111-group subtree to another parent and back (Roster's group service,
//!   one write transaction with its audit event).

use std::time::{Duration, Instant};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QueryTrait, Statement,
};
use uuid::Uuid;

use crate::load::{median, quantile};
use crate::model::Shape;
use crate::seed::{self, Backend, Places, Seeded};
use roster_server::services::guard;
use roster_server::services::{check, groups};
use roster_server::sql::tree;

pub const QUERIES: [&str; 7] = [
    "desc_roster",
    "desc_cte",
    "desc_btree",
    "anc_roster",
    "anc_cte",
    "role_roster",
    "move_roster",
];

#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub median_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone)]
pub struct ScaleResult {
    pub groups: usize,
    pub memberships: usize,
    pub seed_rows: Duration,
    pub index_builds: Vec<(String, Duration)>,
    pub analyze: Duration,
    pub index_sizes: Vec<(String, Option<u64>)>,
    /// Per repetition, per query of [`QUERIES`] (None where it does not apply).
    pub samples: Vec<Vec<Option<Sample>>>,
    pub plans: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Result {
    pub backend: Backend,
    pub scales: Vec<ScaleResult>,
}

struct Subject {
    seeded: Seeded,
    one: DatabaseConnection,
    pool: DatabaseConnection,
    admin: guard::Subject,
    subtree_root: usize,
    parents: [Uuid; 2],
    moves: usize,
    leaf: usize,
}

fn scales(max: usize) -> Vec<usize> {
    [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&s| s <= max)
        .collect()
}

pub async fn run(
    places: &Places,
    backend: Backend,
    max: usize,
    reps: usize,
    keep: bool,
) -> anyhow::Result<Result> {
    let mut subjects = Vec::new();
    let mut results = Vec::new();
    for groups in scales(max) {
        let shape = Shape {
            groups,
            members_per_group: 1,
            probe_users: 20,
            probes_per_user: 5,
        };
        let t = Instant::now();
        let seeded = seed::seed(places, backend, &format!("g3_{groups}"), shape, 3).await?;
        eprintln!(
            "  G3 {} {groups} groups seeded in {:.1?} (rows {:.1?}, indexes {:?})",
            backend.name(),
            t.elapsed(),
            seeded.timings.rows,
            seeded.timings.index_builds
        );
        let one = seed::connect_one(&seeded.url).await?;
        let pool = seed::connect(&seeded.url, 2).await?;
        let mut names = vec!["uq_groups_path", "uq_group_members_user_group"];
        if backend == Backend::Postgres {
            names.extend(["ix_groups_path_gist", "pk_groups", "uq_groups_parent_slug"]);
        }
        let index_sizes = seed::index_sizes(&one, &names).await?;
        let tree = &seeded.org.tree;
        let subtree_root = tree
            .full_subtree_of_111()
            .ok_or_else(|| anyhow::anyhow!("no full subtree at {groups}"))?;
        let home = crate::model::parent(subtree_root);
        // Another group at the same depth as the current parent: the subtree keeps its depth.
        let other = if home > 0 { home - 1 } else { home + 1 };
        let admin = guard::Subject::load(&pool, seeded.admin).await?;
        let leaf = tree.len() - 1;
        results.push(ScaleResult {
            groups,
            memberships: seeded.org.memberships.len(),
            seed_rows: seeded.timings.rows,
            index_builds: seeded.timings.index_builds.clone(),
            analyze: seeded.timings.analyze,
            index_sizes,
            samples: Vec::new(),
            plans: Vec::new(),
        });
        subjects.push(Subject {
            parents: [tree.ids[other], tree.ids[home]],
            seeded,
            one,
            pool,
            admin,
            subtree_root,
            moves: 0,
            leaf,
        });
    }
    for rep in 0..reps {
        for (s, subject) in subjects.iter_mut().enumerate() {
            let mut row: Vec<Option<Sample>> = vec![None; QUERIES.len()];
            for k in 0..QUERIES.len() {
                let q = (rep + k) % QUERIES.len();
                row[q] = measure(subject, backend, QUERIES[q]).await?;
            }
            eprintln!(
                "  G3 {} rep {rep} {} groups: {}",
                backend.name(),
                results[s].groups,
                QUERIES
                    .iter()
                    .zip(&row)
                    .filter_map(|(n, x)| x.map(|x| format!("{n} {:.3}", x.median_ms)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            results[s].samples.push(row);
        }
    }
    if backend == Backend::Postgres
        && let (Some(subject), Some(result)) = (subjects.last(), results.last_mut())
    {
        result.plans = plans(subject).await?;
    }
    for subject in subjects {
        subject.one.close().await?;
        subject.pool.close().await?;
        if !keep {
            places.drop(&subject.seeded).await?;
        }
    }
    Ok(Result {
        backend,
        scales: results,
    })
}

fn statements(subject: &Subject, backend: Backend, query: &str) -> Option<Statement> {
    let db_backend = match backend {
        Backend::Postgres => DbBackend::Postgres,
        Backend::Sqlite => DbBackend::Sqlite,
    };
    let tree = &subject.seeded.org.tree;
    let root = &tree.paths[subject.subtree_root];
    let root_id = tree.ids[subject.subtree_root];
    let leaf = &tree.paths[subject.leaf];
    let leaf_id = tree.ids[subject.leaf];
    let cols_pg = r#"g.id, g.parent_id, g.name, g.slug, CAST(g.path AS text) AS path, g.depth, g.created_at, g.updated_at"#;
    let cols_lite =
        "g.id, g.parent_id, g.name, g.slug, g.path, g.depth, g.created_at, g.updated_at";
    Some(match (query, backend) {
        ("desc_roster", _) => entity::groups::Entity::find()
            .filter(tree::subtree(db_backend, root, false))
            .order_by_asc(entity::groups::Column::Path)
            .build(db_backend),
        ("desc_cte", Backend::Postgres) => Statement::from_sql_and_values(
            db_backend,
            format!(
                "WITH RECURSIVE sub(id) AS (SELECT id FROM groups WHERE parent_id = $1 \
                 UNION ALL SELECT c.id FROM groups c JOIN sub ON c.parent_id = sub.id) \
                 SELECT {cols_pg} FROM groups g JOIN sub ON g.id = sub.id ORDER BY g.path"
            ),
            [root_id.into()],
        ),
        ("desc_cte", Backend::Sqlite) => Statement::from_sql_and_values(
            db_backend,
            format!(
                "WITH RECURSIVE sub(id) AS (SELECT id FROM groups WHERE parent_id = ? \
                 UNION ALL SELECT c.id FROM groups c JOIN sub ON c.parent_id = sub.id) \
                 SELECT {cols_lite} FROM groups g JOIN sub ON g.id = sub.id ORDER BY g.path"
            ),
            [root_id.into()],
        ),
        ("desc_btree", Backend::Postgres) => Statement::from_sql_and_values(
            db_backend,
            format!(
                "SELECT {cols_pg} FROM groups g WHERE g.path > CAST($1 AS ltree) \
                 AND g.path < CAST($2 AS ltree) ORDER BY g.path"
            ),
            [root.as_str().into(), format!("{}.g", root.as_str()).into()],
        ),
        ("anc_roster", _) => entity::groups::Entity::find()
            .filter(entity::groups::Column::Id.is_in(leaf.ancestor_ids()))
            .build(db_backend),
        ("anc_cte", Backend::Postgres) => Statement::from_sql_and_values(
            db_backend,
            format!(
                "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM groups WHERE id = $1 \
                 UNION ALL SELECT p.id, p.parent_id FROM groups p JOIN up ON p.id = up.parent_id) \
                 SELECT {cols_pg} FROM groups g JOIN up ON g.id = up.id WHERE g.id <> $1"
            ),
            [leaf_id.into()],
        ),
        ("anc_cte", Backend::Sqlite) => Statement::from_sql_and_values(
            db_backend,
            format!(
                "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM groups WHERE id = ?1 \
                 UNION ALL SELECT p.id, p.parent_id FROM groups p JOIN up ON p.id = up.parent_id) \
                 SELECT {cols_lite} FROM groups g JOIN up ON g.id = up.id WHERE g.id <> ?1"
            ),
            [leaf_id.into()],
        ),
        _ => return None,
    })
}

const QUERY_ITERS: usize = 300;
const MOVE_ITERS: usize = 10;

async fn measure(
    subject: &mut Subject,
    backend: Backend,
    query: &str,
) -> anyhow::Result<Option<Sample>> {
    let mut ns = Vec::new();
    match query {
        "role_roster" => {
            let org = &subject.seeded.org;
            let probes = &org.probes;
            for i in 0..QUERY_ITERS {
                let probe = probes[i % probes.len()];
                let subject_of = guard::Subject {
                    user_id: org.users[probe.user],
                    system_admin_at: None,
                };
                let c = check::Check {
                    user_id: None,
                    capability: probe.capability,
                    resource: check::Resource::Group(org.tree.ids[probe.group]),
                };
                let t = Instant::now();
                let answer = check::answer(&subject.one, subject_of, &c)
                    .await
                    .map_err(|e| anyhow::anyhow!("check: {e}"))?;
                ns.push(t.elapsed().as_nanos() as u64);
                if answer.role.map(|r| r.as_str()) != Some("teacher") {
                    anyhow::bail!("probe {i}: expected an inherited teacher, got {answer:?}");
                }
            }
        }
        "move_roster" => {
            let id = subject.seeded.org.tree.ids[subject.subtree_root];
            for _ in 0..MOVE_ITERS {
                let target = subject.parents[subject.moves % 2];
                let change = groups::GroupChange {
                    parent: Some(Some(target)),
                    ..Default::default()
                };
                let t = Instant::now();
                groups::update(&subject.pool, subject.admin, id, change)
                    .await
                    .map_err(|e| anyhow::anyhow!("move: {e}"))?;
                ns.push(t.elapsed().as_nanos() as u64);
                subject.moves += 1;
            }
            // Always measure from the same place: end at home.
            if subject.moves % 2 == 1 {
                let change = groups::GroupChange {
                    parent: Some(Some(subject.parents[1])),
                    ..Default::default()
                };
                groups::update(&subject.pool, subject.admin, id, change)
                    .await
                    .map_err(|e| anyhow::anyhow!("move: {e}"))?;
                subject.moves += 1;
            }
        }
        _ => {
            let Some(statement) = statements(subject, backend, query) else {
                return Ok(None);
            };
            let expected = match query {
                "desc_roster" | "desc_cte" | "desc_btree" => 110,
                _ => subject.seeded.org.tree.paths[subject.leaf]
                    .ancestor_ids()
                    .len(),
            };
            for _ in 0..QUERY_ITERS {
                let t = Instant::now();
                let rows = entity::groups::Entity::find()
                    .from_raw_sql(statement.clone())
                    .all(&subject.one)
                    .await?;
                ns.push(t.elapsed().as_nanos() as u64);
                if rows.len() != expected {
                    anyhow::bail!("{query}: {} rows, expected {expected}", rows.len());
                }
            }
        }
    }
    ns.sort_unstable();
    Ok(Some(Sample {
        median_ms: quantile(&ns, 0.5) as f64 / 1e6,
        p99_ms: quantile(&ns, 0.99) as f64 / 1e6,
    }))
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of the read queries at the largest scale.
async fn plans(subject: &Subject) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for query in [
        "desc_roster",
        "desc_cte",
        "desc_btree",
        "anc_roster",
        "anc_cte",
    ] {
        let Some(statement) = statements(subject, Backend::Postgres, query) else {
            continue;
        };
        let explain = Statement {
            sql: format!("EXPLAIN (ANALYZE, BUFFERS) {}", statement.sql),
            ..statement
        };
        let rows = subject.one.query_all_raw(explain).await?;
        let text = rows
            .iter()
            .filter_map(|r| r.try_get::<String>("", "QUERY PLAN").ok())
            .collect::<Vec<_>>()
            .join("\n");
        out.push((query.to_owned(), text));
    }
    Ok(out)
}

/// Median over repetitions of `f(row)`.
pub fn median_of(
    samples: &[Vec<Option<Sample>>],
    f: impl Fn(&[Option<Sample>]) -> Option<f64>,
) -> Option<f64> {
    let v: Vec<f64> = samples.iter().filter_map(|r| f(r)).collect();
    (!v.is_empty()).then(|| median(&v))
}
