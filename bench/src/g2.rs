//! G2 — the in-process decision: the same RBAC model (group roles inherited down a 10-ary tree,
//! a stronger role implying a weaker one) in Roster's domain code, in Cedar and in casbin.
//!
//! - Roster: the facts as its services load them (a group's `GroupPath`; the user's memberships
//!   by group), decided by `domain::effective_group_role` + `domain::decide_group`, exactly as
//!   `MembershipIndex::grant_at` and the check service do.
//! - Roster, memory path (issue 15): the server's own decision path on its decision memory —
//!   `services::check::answer` on the memory's facts, through the `bench`-feature entry
//!   `services::memory::bench::decide` — lookups of the user and the group in memory, the
//!   domain decision and the human `reason` string, everything `POST /v1/check` does after
//!   settling its consistency. The memory is a real `Decisions` over a SQLite database seeded
//!   with the same organisation (`seed::seed`), warmed by one pass over the probes (the
//!   agreement checks), so every timed call is a hit.
//! - Cedar: `Group` entities whose parent is the parent group; `User` entities with the sets of
//!   groups where they are student / teacher / group_admin; one policy per tier, `resource in
//!   principal.teacher_in || …`. Entities are built once (timed apart); only `is_authorized` is
//!   timed per check.
//! - casbin: an uncached `Enforcer`; a role per (group, role) — `G_teacher` — with links from
//!   each membership, from each role to the next weaker one in the same group, and from each
//!   group's role to the same role in each child; policies map roles to capabilities
//!   (`g(r.sub, r.obj + "_" + p.sub)`).
//!
//! Before timing, all three must agree on every probe and on random (user, group, capability)
//! checks.

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::io::Write;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use casbin::{CoreApi, DefaultModel, Enforcer, FileAdapter};
use cedar_policy::{
    Authorizer, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request, RestrictedExpression,
};
use domain::{Capability, GroupPath, GroupRole};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use roster_server::services::changes::revision::Clock;
use roster_server::services::check::{Check, Resource};
use roster_server::services::guard::Subject;
use roster_server::services::memory::{Consistency, Decisions};

use crate::load::{median, quantile};
use crate::model::{Org, Probe, Shape};
use crate::seed::{Backend, Places, Seeded};

pub const SCALES: [usize; 3] = [1_000, 10_000, 100_000];

/// The engines, in the order of a sample row.
pub const ENGINES: [&str; 4] = ["Roster", "Roster memory path", "Cedar", "casbin"];
pub const ROSTER: usize = 0;
pub const MEMORY: usize = 1;
pub const CEDAR: usize = 2;
pub const CASBIN: usize = 3;

/// The decision memory's budget: the server's default (`ROSTER_DECISION_CACHE_MB=32`).
const MEMORY_BUDGET: usize = 32 << 20;

/// Every group capability, grouped by the weakest role that has it (spec §3).
const STUDENT_CAPS: [Capability; 2] = [Capability::GroupUseAssignedTools, Capability::GroupView];
const TEACHER_CAPS: [Capability; 5] = [
    Capability::GroupCreateTools,
    Capability::GroupCreateAssignments,
    Capability::GroupViewAnalytics,
    Capability::GroupCreateProjects,
    Capability::GroupViewMembers,
];
const ADMIN_CAPS: [Capability; 3] = [
    Capability::GroupManage,
    Capability::GroupManageMembers,
    Capability::GroupManageSettings,
];

/// Roster's facts in memory, keyed as the database keys them.
pub struct RosterModel {
    paths: HashMap<Uuid, GroupPath>,
    members: HashMap<Uuid, HashMap<Uuid, GroupRole>>,
}

impl RosterModel {
    fn build(org: &Org) -> Self {
        let paths = org
            .tree
            .ids
            .iter()
            .copied()
            .zip(org.tree.paths.iter().cloned())
            .collect();
        let mut members: HashMap<Uuid, HashMap<Uuid, GroupRole>> = HashMap::new();
        for &(user, group, role) in &org.memberships {
            members
                .entry(org.users[user])
                .or_default()
                .insert(org.tree.ids[group], role);
        }
        Self { paths, members }
    }

    /// The decision as Roster makes it: the memberships on the group's path, root first.
    #[inline(never)]
    pub fn decide(&self, user: Uuid, group: Uuid, capability: Capability) -> bool {
        let Some(path) = self.paths.get(&group) else {
            return false;
        };
        let on_path: Vec<(Uuid, GroupRole)> = match self.members.get(&user) {
            Some(roles) => path
                .ids()
                .into_iter()
                .filter_map(|id| roles.get(&id).map(|role| (id, *role)))
                .collect(),
            None => Vec::new(),
        };
        let grant = domain::effective_group_role(None, &on_path);
        domain::decide_group(capability, grant).allowed()
    }
}

/// The server's decision path on its decision memory, over a seeded database.
pub struct MemoryModel {
    decisions: Decisions,
    /// The pool memory loads from (also what `/metrics`' rendering reads pool sizes from).
    db: sea_orm::DatabaseConnection,
    /// Who is asked about (by user index); none of the G2 users is a system admin.
    subjects: Vec<Subject>,
}

impl MemoryModel {
    async fn build(seeded: &Seeded) -> anyhow::Result<Self> {
        let db = crate::seed::connect(&seeded.url, 4).await?;
        let clock = Clock::start(&db).await?;
        let decisions = Decisions::new(
            db.clone(),
            clock,
            MEMORY_BUDGET,
            Consistency::FullyConsistent,
        );
        let subjects = seeded
            .org
            .users
            .iter()
            .map(|&user_id| Subject {
                user_id,
                system_admin_at: None,
            })
            .collect();
        Ok(Self {
            decisions,
            db,
            subjects,
        })
    }

    fn check(org: &Org, group: usize, capability: Capability) -> Check {
        Check {
            user_id: None,
            capability,
            resource: Resource::Group(org.tree.ids[group]),
        }
    }

    async fn decide(&self, user: usize, check: &Check) -> anyhow::Result<bool> {
        let answer = roster_server::services::memory::bench::decide(
            &self.decisions,
            self.subjects[user],
            check,
        )
        .await
        .map_err(|e| anyhow::anyhow!("the memory path failed: {e}"))?;
        Ok(answer.allowed)
    }

    /// Facts read from the database because memory lacked them, so far (this process's
    /// `roster_decision_memory_lookups_total{outcome="miss"}`).
    fn misses(&self) -> Option<f64> {
        let text = roster_server::metrics::render(&self.db);
        text.lines().find_map(|line| {
            line.strip_prefix(r#"roster_decision_memory_lookups_total{outcome="miss"} "#)?
                .trim()
                .parse()
                .ok()
        })
    }
}

const CEDAR_POLICIES: &str = r#"
permit(principal, action in [Action::"group.view", Action::"group.use_assigned_tools"], resource)
when { resource in principal.student_in || resource in principal.teacher_in || resource in principal.admin_in };
permit(principal, action in [Action::"group.create_tools", Action::"group.create_assignments", Action::"group.view_analytics", Action::"group.create_projects", Action::"group.view_members"], resource)
when { resource in principal.teacher_in || resource in principal.admin_in };
permit(principal, action in [Action::"group.manage", Action::"group.manage_members", Action::"group.manage_settings"], resource)
when { resource in principal.admin_in };
"#;

pub struct CedarModel {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
}

fn uid(kind: &str, id: &str) -> anyhow::Result<EntityUid> {
    Ok(EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(kind)?,
        EntityId::new(id),
    ))
}

impl CedarModel {
    fn build(org: &Org) -> anyhow::Result<Self> {
        let policies = PolicySet::from_str(CEDAR_POLICIES)?;
        let mut entities = Vec::with_capacity(org.tree.len() + org.users.len());
        let group_uids: Vec<EntityUid> = org
            .tree
            .ids
            .iter()
            .map(|id| uid("Group", &id.to_string()))
            .collect::<anyhow::Result<_>>()?;
        for i in 0..org.tree.len() {
            let parents: HashSet<EntityUid> = if i == 0 {
                HashSet::new()
            } else {
                HashSet::from([group_uids[crate::model::parent(i)].clone()])
            };
            entities.push(Entity::new(group_uids[i].clone(), HashMap::new(), parents)?);
        }
        let mut sets: Vec<[Vec<RestrictedExpression>; 3]> =
            (0..org.users.len()).map(|_| Default::default()).collect();
        for &(user, group, role) in &org.memberships {
            let slot = match role {
                GroupRole::Student => 0,
                GroupRole::Teacher => 1,
                GroupRole::GroupAdmin => 2,
                GroupRole::SystemAdmin => bail!("G2 has no system admins"),
            };
            sets[user][slot].push(RestrictedExpression::new_entity_uid(
                group_uids[group].clone(),
            ));
        }
        for (user, [student, teacher, admin]) in sets.into_iter().enumerate() {
            let attrs = HashMap::from([
                (
                    "student_in".to_owned(),
                    RestrictedExpression::new_set(student),
                ),
                (
                    "teacher_in".to_owned(),
                    RestrictedExpression::new_set(teacher),
                ),
                ("admin_in".to_owned(), RestrictedExpression::new_set(admin)),
            ]);
            entities.push(Entity::new(
                uid("User", &org.users[user].to_string())?,
                attrs,
                HashSet::new(),
            )?);
        }
        let entities = Entities::from_entities(entities, None)?;
        Ok(Self {
            policies,
            entities,
            authorizer: Authorizer::new(),
        })
    }

    fn request(
        org: &Org,
        user: usize,
        group: usize,
        capability: Capability,
    ) -> anyhow::Result<Request> {
        Ok(Request::new(
            uid("User", &org.users[user].to_string())?,
            uid("Action", &capability.to_string())?,
            uid("Group", &org.tree.ids[group].to_string())?,
            cedar_policy::Context::empty(),
            None,
        )?)
    }

    #[inline(never)]
    fn decide(&self, request: &Request) -> bool {
        self.authorizer
            .is_authorized(request, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }
}

const CASBIN_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && g(r.sub, r.obj + "_" + p.sub)
"#;

pub struct CasbinModel {
    enforcer: Enforcer,
}

impl CasbinModel {
    async fn build(org: &Org, file: &std::path::Path) -> anyhow::Result<Self> {
        let mut csv = std::io::BufWriter::new(std::fs::File::create(file)?);
        for (role, caps) in [
            ("student", &STUDENT_CAPS[..]),
            ("teacher", &TEACHER_CAPS[..]),
            ("group_admin", &ADMIN_CAPS[..]),
        ] {
            for cap in caps {
                writeln!(csv, "p, {role}, {cap}")?;
            }
        }
        for i in 0..org.tree.len() {
            let g = org.tree.ids[i];
            writeln!(csv, "g, {g}_group_admin, {g}_teacher")?;
            writeln!(csv, "g, {g}_teacher, {g}_student")?;
            for c in org.tree.children(i) {
                let c = org.tree.ids[c];
                for role in ["group_admin", "teacher", "student"] {
                    writeln!(csv, "g, {g}_{role}, {c}_{role}")?;
                }
            }
        }
        for &(user, group, role) in &org.memberships {
            writeln!(
                csv,
                "g, {}, {}_{}",
                org.users[user],
                org.tree.ids[group],
                role.as_str()
            )?;
        }
        csv.flush()?;
        drop(csv);
        let model = DefaultModel::from_str(CASBIN_MODEL).await?;
        let adapter = FileAdapter::new(file.to_string_lossy().into_owned());
        let enforcer = Enforcer::new(model, adapter).await?;
        Ok(Self { enforcer })
    }

    #[inline(never)]
    fn decide(&self, user: &str, group: &str, capability: &str) -> anyhow::Result<bool> {
        Ok(self.enforcer.enforce((user, group, capability))?)
    }
}

/// One engine at one scale in one repetition.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub median_ns: f64,
    pub p99_ns: f64,
}

/// One repetition at one scale: a sample per engine (by [`ENGINES`]' order), `None` for an
/// engine not run there.
pub type Row = [Option<Sample>; 4];

#[derive(Debug, Clone)]
pub struct ScaleResult {
    pub groups: usize,
    pub memberships: usize,
    pub build_roster: Duration,
    pub build_cedar: Duration,
    pub build_casbin: Option<Duration>,
    /// Seeding the SQLite database the memory path loads from.
    pub seed_memory: Duration,
    /// Facts the memory path read from the database during the timed calls (0: all hits).
    pub memory_misses: Option<f64>,
    /// Per repetition.
    pub samples: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Result {
    pub scales: Vec<ScaleResult>,
    pub agreement_checks: usize,
}

struct Prepared {
    /// The organisation, as seeded into the memory path's database.
    seeded: Seeded,
    roster: RosterModel,
    memory: MemoryModel,
    cedar: CedarModel,
    casbin: Option<CasbinModel>,
    memory_checks: Vec<Check>,
    cedar_requests: Vec<Request>,
    strings: Vec<(String, String, String)>,
    probes: Vec<Probe>,
}

fn time_calls(n: usize, budget: Duration, mut f: impl FnMut(usize)) -> Sample {
    let mut ns = Vec::with_capacity(n);
    let deadline = Instant::now() + budget;
    for i in 0..n {
        let t = Instant::now();
        f(i);
        ns.push(t.elapsed().as_nanos() as u64);
        if i % 256 == 255 && Instant::now() > deadline {
            break;
        }
    }
    sample(ns)
}

/// As [`time_calls`], for an async call: a tight loop inside one async block on the
/// benchmark's runtime, each call's `.await` timed on its own. A call whose facts are all in
/// memory never waits (memory sits behind a plain `RwLock`), so the time is the call's own
/// work, not the runtime's scheduling.
async fn time_async_calls<F, Fut>(n: usize, budget: Duration, mut f: F) -> anyhow::Result<Sample>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut ns = Vec::with_capacity(n);
    let deadline = Instant::now() + budget;
    for i in 0..n {
        let t = Instant::now();
        f(i).await?;
        ns.push(t.elapsed().as_nanos() as u64);
        if i % 256 == 255 && Instant::now() > deadline {
            break;
        }
    }
    Ok(sample(ns))
}

fn sample(mut ns: Vec<u64>) -> Sample {
    ns.sort_unstable();
    Sample {
        median_ns: quantile(&ns, 0.5) as f64,
        p99_ns: quantile(&ns, 0.99) as f64,
    }
}

pub async fn run(places: &Places, reps: usize, keep: bool) -> anyhow::Result<Result> {
    let casbin_max: usize = std::env::var("BENCH_G2_CASBIN_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/data");
    std::fs::create_dir_all(&dir)?;
    let mut prepared = Vec::new();
    let mut results = Vec::new();
    let mut agreement_checks = 0;
    for &groups in &SCALES {
        let shape = Shape {
            groups,
            members_per_group: 10,
            probe_users: 100,
            probes_per_user: 10,
            lookups: false,
        };
        // The memory path needs the organisation in a database; every engine then decides on
        // the organisation that was seeded, so all see the same probes.
        let t = Instant::now();
        let seeded =
            crate::seed::seed(places, Backend::Sqlite, &format!("g2_{groups}"), shape, 2).await?;
        let seed_memory = t.elapsed();
        let org = &seeded.org;
        let t = Instant::now();
        let roster = RosterModel::build(org);
        let build_roster = t.elapsed();
        let t = Instant::now();
        let cedar = CedarModel::build(org)?;
        let build_cedar = t.elapsed();
        let (casbin, build_casbin) = if groups <= casbin_max {
            let t = Instant::now();
            let model = CasbinModel::build(org, &dir.join(format!("casbin-{groups}.csv"))).await?;
            (Some(model), Some(t.elapsed()))
        } else {
            (None, None)
        };
        let memory = MemoryModel::build(&seeded).await?;
        eprintln!(
            "  G2 {groups} groups: seeded {seed_memory:.2?}, built Roster {build_roster:.2?}, Cedar {build_cedar:.2?}, casbin {build_casbin:.2?}"
        );
        let probes = org.probes.clone();
        let memory_checks = probes
            .iter()
            .map(|p| MemoryModel::check(org, p.group, p.capability))
            .collect();
        let cedar_requests = probes
            .iter()
            .map(|p| CedarModel::request(org, p.user, p.group, p.capability))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let strings = probes
            .iter()
            .map(|p| {
                (
                    org.users[p.user].to_string(),
                    org.tree.ids[p.group].to_string(),
                    p.capability.to_string(),
                )
            })
            .collect();
        let memberships = org.memberships.len();
        let p = Prepared {
            seeded,
            roster,
            memory,
            cedar,
            casbin,
            memory_checks,
            cedar_requests,
            strings,
            probes,
        };
        // The agreement checks start with every probe: they are also the pass that warms
        // the memory path.
        agreement_checks += agree(&p).await?;
        prepared.push(p);
        results.push(ScaleResult {
            groups,
            memberships,
            build_roster,
            build_cedar,
            build_casbin,
            seed_memory,
            memory_misses: None,
            samples: Vec::new(),
        });
    }
    // For profiling (docs/PERFORMANCE.md): only the memory path, at the largest scale, for a
    // while; then stop.
    if std::env::var("BENCH_PROFILE_G2").is_ok_and(|v| v == "memory")
        && let Some(p) = prepared.last()
    {
        eprintln!("PROFILE START memory path, pid {}", std::process::id());
        let n = p.probes.len();
        let until = Instant::now() + Duration::from_secs(20);
        let mut calls = 0usize;
        while Instant::now() < until {
            for i in 0..10_000 {
                black_box(
                    p.memory
                        .decide(p.probes[i % n].user, &p.memory_checks[i % n])
                        .await?,
                );
            }
            calls += 10_000;
        }
        eprintln!("PROFILE END {calls} calls");
        bail!("profiling run only");
    }
    let misses_before: Vec<Option<f64>> = prepared.iter().map(|p| p.memory.misses()).collect();
    for rep in 0..reps {
        for (s, p) in prepared.iter().enumerate() {
            let n = p.probes.len();
            let org = &p.seeded.org;
            let mut row: Row = [None; 4];
            for k in 0..ENGINES.len() {
                let engine = (rep + k) % ENGINES.len();
                row[engine] = match engine {
                    ROSTER => Some(time_calls(200_000, Duration::from_secs(2), |i| {
                        let probe = p.probes[i % n];
                        black_box(p.roster.decide(
                            org.users[probe.user],
                            org.tree.ids[probe.group],
                            probe.capability,
                        ));
                    })),
                    MEMORY => Some(
                        time_async_calls(200_000, Duration::from_secs(2), |i| async move {
                            let user = p.probes[i % n].user;
                            black_box(p.memory.decide(user, &p.memory_checks[i % n]).await?);
                            Ok(())
                        })
                        .await?,
                    ),
                    CEDAR => Some(time_calls(50_000, Duration::from_secs(2), |i| {
                        black_box(p.cedar.decide(&p.cedar_requests[i % n]));
                    })),
                    _ => p.casbin.as_ref().map(|c| {
                        time_calls(5_000, Duration::from_secs(2), |i| {
                            let (u, g, a) = &p.strings[i % n];
                            black_box(c.decide(u, g, a).ok());
                        })
                    }),
                };
            }
            let medians: Vec<String> = ENGINES
                .iter()
                .zip(&row)
                .map(|(name, x)| format!("{name} {:?}", x.map(|x| x.median_ns)))
                .collect();
            eprintln!(
                "  G2 rep {rep} {} groups, median ns: {}",
                results[s].groups,
                medians.join(", ")
            );
            results[s].samples.push(row);
        }
    }
    // The metrics are the process's, shared by every scale's memory: the difference over the
    // timed loops of all scales says whether any timed call read the database.
    let misses_after = prepared.first().and_then(|p| p.memory.misses());
    let timed_misses = misses_before
        .first()
        .copied()
        .flatten()
        .zip(misses_after)
        .map(|(before, after)| after - before);
    for result in &mut results {
        result.memory_misses = timed_misses;
    }
    for p in prepared {
        p.memory.db.close().await?;
        if !keep {
            places.drop(&p.seeded).await?;
        }
    }
    Ok(Result {
        scales: results,
        agreement_checks,
    })
}

use std::path::PathBuf;

/// All engines answer the same on every probe and on random checks; returns how many checks.
async fn agree(p: &Prepared) -> anyhow::Result<usize> {
    let org = &p.seeded.org;
    let mut rng = StdRng::seed_from_u64(9);
    let mut checks: Vec<(usize, usize, Capability)> = p
        .probes
        .iter()
        .map(|q| (q.user, q.group, q.capability))
        .collect();
    let all_caps: Vec<Capability> = STUDENT_CAPS
        .iter()
        .chain(&TEACHER_CAPS)
        .chain(&ADMIN_CAPS)
        .copied()
        .collect();
    // Random members at groups below one of their memberships (inheritance), and anywhere.
    for _ in 0..1000 {
        let (user, group, _) = org.memberships[rng.random_range(0..org.memberships.len())];
        let mut target = group;
        while let Some(c) = org.tree.children(target).next() {
            if rng.random_bool(0.3) {
                break;
            }
            target = c + rng.random_range(0..org.tree.children(target).len());
        }
        checks.push((user, target, all_caps[rng.random_range(0..all_caps.len())]));
        let anywhere = rng.random_range(0..org.tree.len());
        checks.push((
            user,
            anywhere,
            all_caps[rng.random_range(0..all_caps.len())],
        ));
    }
    let mut allowed = 0;
    for &(user, group, cap) in &checks {
        let r = p.roster.decide(org.users[user], org.tree.ids[group], cap);
        let c = p.cedar.decide(&CedarModel::request(org, user, group, cap)?);
        if r != c {
            bail!(
                "Roster and Cedar disagree on user {user} at group {group} for {cap}: {r} vs {c}"
            );
        }
        let m = p
            .memory
            .decide(user, &MemoryModel::check(org, group, cap))
            .await?;
        if r != m {
            bail!(
                "Roster's domain code and its memory path disagree on user {user} at group {group} for {cap}: {r} vs {m}"
            );
        }
        if let Some(casbin) = &p.casbin {
            let k = casbin
                .decide(
                    &org.users[user].to_string(),
                    &org.tree.ids[group].to_string(),
                    &cap.to_string(),
                )
                .context("casbin")?;
            if r != k {
                bail!(
                    "Roster and casbin disagree on user {user} at group {group} for {cap}: {r} vs {k}"
                );
            }
        }
        allowed += usize::from(r);
    }
    if allowed == 0 || allowed == checks.len() {
        bail!(
            "the agreement checks are degenerate ({allowed} of {} allowed)",
            checks.len()
        );
    }
    Ok(checks.len())
}

/// Median over repetitions of a per-repetition ratio `f(sample row)`.
pub fn median_ratio(samples: &[Row], f: impl Fn(&Row) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = samples.iter().filter_map(f).collect();
    (!v.is_empty()).then(|| median(&v))
}
