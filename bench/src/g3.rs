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
//!   one write transaction with its audit event);
//! - `lookup_res`: the resource lookup (`lookup::resources::group_roots`, `group.view`, first
//!   page of 50) for a user with exactly ten memberships at depth-2 groups (ten disjoint
//!   subtrees, about 1 % of the tree each): ten subtree roots;
//! - `lookup_sub`: the subject lookup (`lookup::subjects::subjects`, `group.view`, first page of
//!   50, asked by the system admin) at the leaf of a chain of 20 groups under the root with 5
//!   members per level (`model::LookupFixtures`: the 10-ary tree is only 6 deep at 10⁶);
//! - `lookup_roots_all` / `lookup_expand_all`: the same user's whole answer walked page by page
//!   (limit 500) as subtree roots and expanded (`lookup::resources::groups`, every group where
//!   `group.view` holds) — what Roster serves vs the id list a ListObjects-style engine must
//!   return; with item counts and the bytes of the JSON pages the route would serve.
//!
//! Lookup timings include building the page and serializing it as the route does
//! (`Page<FoundResource>` / `Page<FoundSubject>` through serde_json): everything but HTTP.

use std::time::{Duration, Instant};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QueryTrait, Statement,
};
use uuid::Uuid;

use crate::load::{median, quantile};
use crate::model::Shape;
use crate::seed::{self, Backend, Places, Seeded};
use roster_server::http::pagination::{Page, PageRequest};
use roster_server::http::routes::lookup::{FoundResource, FoundSubject};
use roster_server::services::changes::revision::Clock;
use roster_server::services::guard;
use roster_server::services::lookup::{resources, subjects};
use roster_server::services::memory::{self, Consistency, Decisions};
use roster_server::services::{check, groups};
use roster_server::sql::tree;

pub const QUERIES: [&str; 11] = [
    "desc_roster",
    "desc_cte",
    "desc_btree",
    "anc_roster",
    "anc_cte",
    "role_roster",
    "move_roster",
    "lookup_res_roster",
    "lookup_sub_roster",
    "lookup_roots_all",
    "lookup_expand_all",
];

/// The first [`QUERIES`] are the tree queries; the rest are the lookups.
pub const TREE_QUERIES: usize = 7;

/// Index in [`QUERIES`] of a query.
pub fn index_of(query: &str) -> usize {
    QUERIES
        .iter()
        .position(|q| *q == query)
        .unwrap_or(usize::MAX)
}

/// First-page size of the lookups (the routes' default) and the page size of the walks (the
/// routes' maximum).
const FIRST_PAGE: u64 = 50;
const WALK_PAGE: u64 = 500;

/// What the two whole answers hold, from the untimed census walks at each scale.
#[derive(Debug, Clone, Default)]
pub struct AnswerSizes {
    pub roots_items: usize,
    pub roots_pages: usize,
    /// JSON bytes of the pages as the route serializes them (`Page<FoundResource>`).
    pub roots_bytes: usize,
    pub expanded_items: usize,
    pub expanded_pages: usize,
    pub expanded_bytes: usize,
    /// The expanded answer as a bare list of `{type, id, role}` per item (serde_json): the
    /// least an expanded id list must carry.
    pub expanded_min_bytes: usize,
    /// The slowest page of the first expanded walk: its time and the key it started after.
    pub slowest_page_ms: f64,
    pub slowest_after: Option<String>,
    /// JSON bytes of the subject lookup's first page.
    pub subjects_page_bytes: usize,
}

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
    pub answers: AnswerSizes,
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
    /// The user of the resource lookups (exactly ten memberships).
    lookup_user: guard::Subject,
    /// The chain's leaf (subject lookup).
    chain_leaf: Uuid,
    /// How many groups the expanded answer must hold.
    expanded: usize,
    answers: AnswerSizes,
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
            lookups: true,
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
        let lookups = seeded
            .org
            .lookups
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("G3 seeds the lookup fixtures"))?;
        let lookup_user = guard::Subject::load(&pool, seeded.org.users[lookups.user]).await?;
        let chain_leaf = lookups.leaf();
        let expanded = lookups.expanded;
        let memberships = seeded.org.memberships.len() + lookups.chain_members.len();
        results.push(ScaleResult {
            groups,
            memberships,
            seed_rows: seeded.timings.rows,
            index_builds: seeded.timings.index_builds.clone(),
            analyze: seeded.timings.analyze,
            index_sizes,
            samples: Vec::new(),
            plans: Vec::new(),
            answers: AnswerSizes::default(),
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
            lookup_user,
            chain_leaf,
            expanded,
            answers: AnswerSizes::default(),
        });
    }
    for subject in &mut subjects {
        census(subject).await?;
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
    for (subject, result) in subjects.iter().zip(results.iter_mut()) {
        result.answers = subject.answers.clone();
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
/// Expanded walks per repetition, at most, and the time after which no further walk starts.
const EXPAND_WALKS: usize = 5;
const EXPAND_BUDGET: Duration = Duration::from_secs(15);

fn lookup_failed(what: &str, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{what}: {e}")
}

/// One page of the lookup user's `group.view` groups, built and serialized as
/// `POST /v1/lookup/resources` does (roots, or every group with `expand`); with its JSON size.
async fn resource_page(
    subject: &Subject,
    expand: bool,
    limit: u64,
    after: Option<String>,
) -> anyhow::Result<(Page<FoundResource>, usize)> {
    let request = PageRequest { limit, after };
    let window = request.by_path().map_err(|e| lookup_failed("window", e))?;
    let lookup = resources::Lookup {
        capability: domain::Capability::GroupView,
        within: None,
    };
    let user = subject.lookup_user;
    // The route reads the subject's memberships first (from memory, or as here the database).
    let held = roster_server::services::access::MembershipIndex::load(&subject.one, user, None)
        .await
        .map_err(|e| lookup_failed("memberships", e))?;
    let rows = if expand {
        resources::groups(&subject.one, user, &held, lookup, &window).await
    } else {
        resources::group_roots(&subject.one, user, &held, lookup, &window).await
    }
    .map_err(|e| lookup_failed("resource lookup", e))?;
    let page = request
        .page(rows, |item| item.group.path.clone())
        .map(FoundResource::from);
    let bytes = serde_json::to_vec(&page)?.len();
    Ok((page, bytes))
}

/// The first page of who may `group.view` the chain's leaf, asked by the system admin, built and
/// serialized as `POST /v1/lookup/subjects` does; with its JSON size.
async fn subject_page(subject: &Subject) -> anyhow::Result<(Page<FoundSubject>, usize)> {
    let request = PageRequest {
        limit: FIRST_PAGE,
        after: None,
    };
    let window = request.by_id().map_err(|e| lookup_failed("window", e))?;
    let rows = subjects::subjects(
        &subject.one,
        subject.admin,
        domain::Capability::GroupView,
        check::Resource::Group(subject.chain_leaf),
        &window,
    )
    .await
    .map_err(|e| lookup_failed("subject lookup", e))?;
    let page = request
        .page(rows, |item| item.user_id)
        .map(|item| FoundSubject {
            user_id: item.user_id,
            role: item.role.as_str(),
            granted_by: item.granted_by.into(),
        });
    let bytes = serde_json::to_vec(&page)?.len();
    Ok((page, bytes))
}

/// Sizes both whole answers and the subject lookup's first page once, untimed (this also
/// warms the caches for the timed runs), and checks them against the model.
async fn census(subject: &mut Subject) -> anyhow::Result<()> {
    let roots = walk(subject, false, false).await?;
    let expanded = walk(subject, true, true).await?;
    let (page, subjects_page_bytes) = subject_page(subject).await?;
    if roots.items != crate::model::LOOKUP_MEMBERSHIPS
        || expanded.items != subject.expanded
        || page.items.len() as u64 != FIRST_PAGE
    {
        anyhow::bail!(
            "lookups: {} roots, {} expanded (expected {}), {} subjects",
            roots.items,
            expanded.items,
            subject.expanded,
            page.items.len()
        );
    }
    subject.answers = AnswerSizes {
        roots_items: roots.items,
        roots_pages: roots.pages,
        roots_bytes: roots.bytes,
        expanded_items: expanded.items,
        expanded_pages: expanded.pages,
        expanded_bytes: expanded.bytes,
        expanded_min_bytes: expanded.min_bytes,
        slowest_page_ms: expanded.slowest.0 as f64 / 1e6,
        slowest_after: expanded.slowest.1,
        subjects_page_bytes,
    };
    Ok(())
}

/// A whole answer, page by page.
struct Walk {
    items: usize,
    pages: usize,
    bytes: usize,
    min_bytes: usize,
    /// The slowest page (ns) and the key it started after.
    slowest: (u64, Option<String>),
}

/// Walks the lookup user's whole `group.view` answer with pages of [`WALK_PAGE`], following
/// each page's last path as the cursor does; `census` also sizes the bare id list (untimed
/// walks only).
async fn walk(subject: &Subject, expand: bool, census: bool) -> anyhow::Result<Walk> {
    let mut walk = Walk {
        items: 0,
        pages: 0,
        bytes: 0,
        min_bytes: 0,
        slowest: (0, None),
    };
    let mut after = None;
    // Bounded: the tree has at most 10⁶ groups, 2 001 pages of 500.
    for _ in 0..=(2_000_000 / WALK_PAGE) {
        let t = Instant::now();
        let (page, bytes) = resource_page(subject, expand, WALK_PAGE, after.clone()).await?;
        let ns = t.elapsed().as_nanos() as u64;
        if ns > walk.slowest.0 {
            walk.slowest = (ns, after.clone());
        }
        walk.items += page.items.len();
        walk.pages += 1;
        walk.bytes += bytes;
        if census {
            let ids: Vec<serde_json::Value> = page
                .items
                .iter()
                .map(
                    |item| serde_json::json!({"type": item.kind, "id": item.id, "role": item.role}),
                )
                .collect();
            walk.min_bytes += serde_json::to_vec(&ids)?.len();
        }
        if page.next_cursor.is_none() {
            return Ok(walk);
        }
        after = page.items.last().and_then(|item| item.path.clone());
    }
    anyhow::bail!("the walk did not end")
}

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
            // The check service on the database, as a server with decision memory off answers
            // (memory budget 0): the one statement of `access::load_group_facts`.
            let clock = Clock::start(&subject.one).await?;
            let database =
                Decisions::new(subject.one.clone(), clock, 0, Consistency::FullyConsistent);
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
                let answer = memory::bench::decide(&database, subject_of, &c)
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
        "lookup_res_roster" => {
            for _ in 0..QUERY_ITERS {
                let t = Instant::now();
                let (page, _) = resource_page(subject, false, FIRST_PAGE, None).await?;
                ns.push(t.elapsed().as_nanos() as u64);
                let want = crate::model::LOOKUP_MEMBERSHIPS;
                if page.items.len() != want || page.next_cursor.is_some() {
                    anyhow::bail!("{query}: {} roots, expected {want}", page.items.len());
                }
            }
        }
        "lookup_sub_roster" => {
            for _ in 0..QUERY_ITERS {
                let t = Instant::now();
                let (page, _) = subject_page(subject).await?;
                ns.push(t.elapsed().as_nanos() as u64);
                if page.items.len() as u64 != FIRST_PAGE || page.next_cursor.is_none() {
                    anyhow::bail!("{query}: {} subjects on a first page", page.items.len());
                }
            }
        }
        "lookup_roots_all" | "lookup_expand_all" => {
            let expand = query == "lookup_expand_all";
            // The expanded walk takes seconds at 10⁶: a few walks, bounded in time.
            let (iters, budget) = if expand {
                (EXPAND_WALKS, EXPAND_BUDGET)
            } else {
                (QUERY_ITERS, Duration::MAX)
            };
            let started = Instant::now();
            for _ in 0..iters {
                let t = Instant::now();
                let walk = walk(subject, expand, false).await?;
                ns.push(t.elapsed().as_nanos() as u64);
                let want = if expand {
                    subject.expanded
                } else {
                    crate::model::LOOKUP_MEMBERSHIPS
                };
                if walk.items != want {
                    anyhow::bail!("{query}: {} items, expected {want}", walk.items);
                }
                if started.elapsed() >= budget {
                    break;
                }
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

/// The lookup services' statements, rebuilt with the same SeaORM builders as
/// `services::lookup` (which keeps them private), for `EXPLAIN` only: `(name, statement)`.
async fn lookup_statements(subject: &Subject) -> anyhow::Result<Vec<(String, Statement)>> {
    use entity::{group_members, groups as g, users};
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Condition, Query};
    let pg = DbBackend::Postgres;
    let org = &subject.seeded.org;
    let lookups = org
        .lookups
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no lookup fixtures"))?;
    let user = subject.lookup_user.user_id;
    let roots: Vec<&domain::GroupPath> =
        lookups.groups.iter().map(|&i| &org.tree.paths[i]).collect();
    let mut out = vec![
        (
            "lookup_res: the user's memberships (MembershipIndex::load)".to_owned(),
            group_members::Entity::find()
                .filter(group_members::Column::UserId.eq(user))
                .build(pg),
        ),
        (
            "lookup_res: their groups (groups_by_id)".to_owned(),
            g::Entity::find()
                .filter(g::Column::Id.is_in(lookups.groups.iter().map(|&i| org.tree.ids[i])))
                .build(pg),
        ),
    ];
    let any_root = roots.iter().fold(Condition::any(), |any, path| {
        any.add(tree::subtree(pg, path, true))
    });
    let expand = g::Entity::find().filter(any_root);
    out.push((
        "lookup_expand: first page (resources::groups, Window::read)".to_owned(),
        expand
            .clone()
            .order_by_asc(g::Column::Path)
            .limit(WALK_PAGE + 1)
            .build(pg),
    ));
    if let Some(after) = &subject.answers.slowest_after {
        out.push((
            format!(
                "lookup_expand: the slowest page of a walk ({:.1} ms in the census walk)",
                subject.answers.slowest_page_ms
            ),
            expand
                .filter(g::Column::Path.gt(after.clone()))
                .order_by_asc(g::Column::Path)
                .limit(WALK_PAGE + 1)
                .build(pg),
        ));
    }
    let path = lookups.chain[lookups.chain.len() - 1].1.ids();
    let system_admin = roster_server::convert::stored_group_role(domain::GroupRole::SystemAdmin);
    let in_groups = Query::select()
        .column(group_members::Column::UserId)
        .from(group_members::Entity)
        .cond_where(
            Condition::any()
                .add(group_members::Column::GroupId.is_in(path.clone()))
                .add(group_members::Column::Role.eq(system_admin)),
        )
        .to_owned();
    let candidates = users::Entity::find()
        .filter(Condition::any().add(users::Column::Id.in_subquery(in_groups)))
        .select_only()
        .column(users::Column::Id)
        .order_by_asc(users::Column::Id)
        .limit(500)
        .build(pg);
    let ids: Vec<Uuid> = subject
        .one
        .query_all_raw(candidates.clone())
        .await?
        .iter()
        .filter_map(|row| row.try_get::<Uuid>("", "id").ok())
        .collect();
    out.push((
        "lookup_sub: candidates (subjects::candidates)".to_owned(),
        candidates,
    ));
    out.push((
        "lookup_sub: system_admin memberships of the batch (Facts::load)".to_owned(),
        group_members::Entity::find()
            .filter(group_members::Column::UserId.is_in(ids.clone()))
            .filter(group_members::Column::Role.eq(system_admin))
            .build(pg),
    ));
    out.push((
        "lookup_sub: the batch's memberships on the path (Facts::load)".to_owned(),
        group_members::Entity::find()
            .filter(group_members::Column::UserId.is_in(ids))
            .filter(group_members::Column::GroupId.is_in(path))
            .build(pg),
    ));
    Ok(out)
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of the read queries at the largest scale.
async fn plans(subject: &Subject) -> anyhow::Result<Vec<(String, String)>> {
    let mut named = Vec::new();
    for query in [
        "desc_roster",
        "desc_cte",
        "desc_btree",
        "anc_roster",
        "anc_cte",
    ] {
        if let Some(statement) = statements(subject, Backend::Postgres, query) {
            named.push((query.to_owned(), statement));
        }
    }
    named.extend(lookup_statements(subject).await?);
    let mut out = Vec::new();
    for (query, statement) in named {
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
        out.push((query, text));
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
