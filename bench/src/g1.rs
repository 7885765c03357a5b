//! G1 — decisions over real HTTP against the server's own ceiling, `GET /healthz` (no
//! authentication, no database, no body: what one request costs the HTTP stack alone), on one
//! server process per database.
//!
//! Arms (issue 15): `POST /v1/check` asking `at_least_as_fresh` a revision read once before the
//! load (memory alone, no database round trip) and `fully_consistent` (one coalesced revision
//! read per round, then memory); `POST /v1/check/batch` with 100 checks; `GET /v1/users/{id}`
//! (a co-member, visibility decided on memory); and the older ceilings `GET /v1/bench/select1`
//! and `GET /v1/bench/user/{id}`, kept for comparison with earlier runs. Then the same database
//! behind a server with memory off (`ROSTER_DECISION_CACHE_MB=0`: the database path), for the
//! figures before memory.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::load::{self, Req, Target, Workload, median, quantile};
use crate::model::{PROBE_CAPABILITIES, parent};
use crate::pgproxy;
use crate::seed::{Backend, Seeded};

/// The secret the benchmark servers sign tokens with (loopback only, throwaway databases).
pub const SECRET: &str = "roster-bench-secret-not-for-production-0123456789";

/// How G1 runs.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub reps: usize,
    pub closed: Duration,
    pub open: Duration,
    pub connections: usize,
    pub open_connections: usize,
    /// Also measure a server with memory off on the same database.
    pub memory_off: bool,
}

// The arms, as indexes into `workloads`' list.
pub const HEALTHZ: usize = 0;
pub const SELECT1: usize = 1;
pub const PK_READ: usize = 2;
pub const CHECK_FRESH: usize = 3;
pub const CHECK_FULL: usize = 4;
pub const BATCH: usize = 5;
pub const USER_READ: usize = 6;

/// Every arm's name, by index.
pub const NAMES: [&str; 7] = [
    "healthz",
    "select1",
    "pk_read",
    "check_fresh",
    "check_full",
    "batch100",
    "user_read",
];

/// What each arm asks of the server, by index (for the tables).
pub const ASKS: [&str; 7] = [
    "`GET /healthz`",
    "`GET /v1/bench/select1` (default consistency)",
    "`GET /v1/bench/user/{id}` (default consistency)",
    "`POST /v1/check`, `at_least_as_fresh`",
    "`POST /v1/check`, `fully_consistent`",
    "`POST /v1/check/batch` × 100, `at_least_as_fresh`",
    "`GET /v1/users/{id}` (default: `fully_consistent`)",
];

/// The arms of the memory-on server.
pub const ON_ARMS: [usize; 7] = [
    HEALTHZ,
    SELECT1,
    PK_READ,
    CHECK_FRESH,
    CHECK_FULL,
    BATCH,
    USER_READ,
];

/// The arms of the memory-off server: the ceiling and the decisions memory changes.
pub const OFF_ARMS: [usize; 4] = [HEALTHZ, CHECK_FULL, BATCH, USER_READ];

/// Arms whose requests each settle `fully_consistent` (a revision read, coalesced): the
/// default consistency of authentication, and the check that asks for it.
pub const FULLY_CONSISTENT_ARMS: [usize; 4] = [SELECT1, PK_READ, CHECK_FULL, USER_READ];

/// The environment of a server with decision memory off (the database path).
pub const MEMORY_OFF: [(&str, &str); 1] = [("ROSTER_DECISION_CACHE_MB", "0")];

/// Checks per batch: the most one batch may carry.
pub const BATCH_SIZE: usize = 100;

/// One endpoint's figures.
#[derive(Debug, Clone, Default)]
pub struct Arm {
    pub index: usize,
    pub rps_per_rep: Vec<f64>,
    pub rate: f64,
    pub p50_ms: Vec<f64>,
    pub p99_ms: Vec<f64>,
    pub p999_ms: Vec<f64>,
    pub achieved: Vec<f64>,
    /// Requests that failed or answered anything but 2xx, in the measured loops.
    pub errors: u64,
    /// Requests sent in the measured loops (answered or not).
    pub sent: u64,
}

impl Arm {
    pub fn name(&self) -> &'static str {
        NAMES[self.index]
    }

    pub fn max_rps(&self) -> f64 {
        median(&self.rps_per_rep)
    }
}

/// One server's measurements.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    pub arms: Vec<Arm>,
    pub peak_rss_kib: Option<u64>,
    /// The server's resident size at three moments — started, warmed, after the measured
    /// loops — with the decision memory's own estimate of its bytes then: what the peak is
    /// made of.
    pub resident: Vec<Resident>,
    /// The decision memory's counters over the measured loops (memory on only).
    pub memory: Option<MemoryStats>,
}

impl Phase {
    pub fn arm(&self, index: usize) -> Option<&Arm> {
        self.arms.iter().find(|a| a.index == index)
    }

    /// Per repetition, `a`'s maximum rps divided by `b`'s (measured side by side).
    pub fn ratios(&self, a: usize, b: usize) -> Vec<f64> {
        match (self.arm(a), self.arm(b)) {
            (Some(a), Some(b)) => a
                .rps_per_rep
                .iter()
                .zip(&b.rps_per_rep)
                .map(|(x, y)| x / y)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The median of [`Phase::ratios`].
    pub fn ratio(&self, a: usize, b: usize) -> Option<f64> {
        let v = self.ratios(a, b);
        (!v.is_empty()).then(|| median(&v))
    }
}

/// The server's resident size at one moment, and what its decision memory says it holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resident {
    pub rss_kib: Option<u64>,
    pub memory_bytes: f64,
}

impl Resident {
    async fn now(server: &Server, target: &Target) -> anyhow::Result<Self> {
        Ok(Self {
            rss_kib: server.rss_kib(),
            memory_bytes: Snapshot::take(target).await?.bytes,
        })
    }
}

/// What `/metrics` says the decision memory did between two snapshots.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryStats {
    pub hits: f64,
    pub misses: f64,
    /// At the end.
    pub bytes: f64,
    /// Since the server started.
    pub evicted: f64,
    pub revision_reads: f64,
    /// Requests of the arms that settle `fully_consistent`, sent in the same window.
    pub fully_consistent_requests: u64,
}

impl MemoryStats {
    pub fn hit_ratio(&self) -> f64 {
        self.hits / (self.hits + self.misses).max(1.0)
    }
}

/// The counters of `/metrics` this benchmark reads, in the Prometheus text format.
#[derive(Debug, Clone, Copy, Default)]
struct Snapshot {
    hits: f64,
    misses: f64,
    bytes: f64,
    evicted: f64,
    revision_reads: f64,
}

impl Snapshot {
    async fn take(target: &Target) -> anyhow::Result<Self> {
        let text = target.get_text("/metrics").await?;
        let value = |key: &str| {
            text.lines()
                .find_map(|line| {
                    line.strip_prefix(key)?
                        .strip_prefix(' ')?
                        .trim()
                        .parse()
                        .ok()
                })
                .unwrap_or(0.0)
        };
        Ok(Self {
            hits: value(r#"roster_decision_memory_lookups_total{outcome="hit"}"#),
            misses: value(r#"roster_decision_memory_lookups_total{outcome="miss"}"#),
            bytes: value("roster_decision_memory_bytes"),
            evicted: value("roster_decision_memory_evicted"),
            revision_reads: value("roster_decision_memory_revision_reads_total"),
        })
    }

    fn since(&self, before: &Self, fully_consistent_requests: u64) -> MemoryStats {
        MemoryStats {
            hits: self.hits - before.hits,
            misses: self.misses - before.misses,
            bytes: self.bytes,
            evicted: self.evicted,
            revision_reads: self.revision_reads - before.revision_reads,
            fully_consistent_requests,
        }
    }
}

/// What one request costs in database traffic (PostgreSQL, counted by a proxy).
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub round_trips: f64,
    pub statements: f64,
    /// `Parse` messages: statements prepared again (0 when sqlx's statement cache holds them).
    pub parses: f64,
}

impl Cost {
    /// The cost of each of `n` requests sent between two snapshots of the proxy's counters.
    pub fn between(before: (u64, u64, u64), after: (u64, u64, u64), n: usize) -> Self {
        let per = |a: u64, b: u64| (b - a) as f64 / n as f64;
        Self {
            round_trips: per(before.0, after.0),
            statements: per(before.1, after.1),
            parses: per(before.2, after.2),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Result {
    pub backend: Backend,
    pub groups: usize,
    pub memberships: usize,
    /// The `Roster-Revision` the `at_least_as_fresh` arms name.
    pub revision: i64,
    /// The server with memory on (default budget).
    pub on: Phase,
    /// The same database behind a server with memory off.
    pub off: Option<Phase>,
    /// Database traffic per request, memory on, then off (PostgreSQL only).
    pub costs: Vec<(&'static str, Cost)>,
    pub off_costs: Vec<(&'static str, Cost)>,
}

/// A running benchmark server.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    pub async fn start(url: &str, log: PathBuf) -> anyhow::Result<Self> {
        Self::start_with(url, log, &[]).await
    }

    /// Starts a server with extra environment variables.
    pub async fn start_with(url: &str, log: PathBuf, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?
            .parent()
            .context("no folder for the benchmark binary")?
            .join("roster-bench-server");
        let log_file = std::fs::File::create(&log)?;
        let mut child = Command::new(&exe)
            .env("ROSTER_DATABASE_URL", url)
            .env("ROSTER_JWT_SECRET", SECRET)
            .env("ROSTER_BIND", "127.0.0.1:0")
            .env_remove("DATABASE_URL")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("Roster is listening on http://127.0.0.1:") {
                    return Ok::<u16, anyhow::Error>(rest.trim().parse()?);
                }
            }
            bail!(
                "the server stopped before listening (see {})",
                log.display()
            )
        })
        .await
        .context("the server did not start within 120 s")??;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, port })
    }

    /// The peak resident set size so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        self.status_kib("VmHWM:")
    }

    /// The resident set size now (VmRSS), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        self.status_kib("VmRSS:")
    }

    /// A size field of `/proc/{pid}/status`, in KiB.
    fn status_kib(&self, field: &str) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            // SIGTERM: actix stops gracefully.
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// The workloads of every arm over the probes of `seeded`, and what the checks must answer.
pub struct Workloads {
    /// By arm index.
    pub all: Vec<Workload>,
    /// Per check request (both check arms): allowed or not.
    expected: Vec<bool>,
    /// Per batch request, per check.
    expected_batches: Vec<Vec<bool>>,
}

/// `{"at_least_as_fresh": "<revision>"}`: the body field naming a `Roster-Revision`.
fn at_least_as_fresh(revision: i64) -> serde_json::Value {
    serde_json::json!({ "at_least_as_fresh": revision.to_string() })
}

/// Builds every arm's requests. The probes decide who asks what: each probe user is a teacher
/// two levels above the leaves they are asked about (`model::Org::generate`).
pub fn workloads(seeded: &Seeded, revision: i64) -> anyhow::Result<Workloads> {
    let keys = roster_server::auth::JwtKeys::new(SECRET.as_bytes(), None, None)?;
    let org = &seeded.org;
    let mut tokens = HashMap::new();
    for &user in &org.probe_users {
        tokens.insert(
            user,
            keys.issue(org.users[user], Duration::from_secs(6 * 3600))?,
        );
    }
    // The members of each probed leaf: a co-member a probe user may read, because the leaf is
    // below the group where they teach.
    let mut members: HashMap<usize, Vec<usize>> =
        org.probes.iter().map(|p| (p.group, Vec::new())).collect();
    for &(user, group, _) in &org.memberships {
        if let Some(list) = members.get_mut(&group) {
            list.push(user);
        }
    }
    let fresh = at_least_as_fresh(revision);
    let mut arms: Vec<Vec<Req>> = vec![Vec::new(); NAMES.len()];
    let mut expected = Vec::new();
    let get = |path: String, token: &String| Req {
        method: reqwest::Method::GET,
        path,
        token: token.clone(),
        body: None,
    };
    let post = |path: &str, token: &String, body: serde_json::Value| Req {
        method: reqwest::Method::POST,
        path: path.into(),
        token: token.clone(),
        body: Some(body.to_string()),
    };
    for (i, probe) in org.probes.iter().enumerate() {
        let token = &tokens[&probe.user];
        arms[HEALTHZ].push(get("/healthz".into(), token));
        arms[SELECT1].push(get("/v1/bench/select1".into(), token));
        arms[PK_READ].push(get(
            format!("/v1/bench/user/{}", org.users[probe.user]),
            token,
        ));
        let check = |consistency: serde_json::Value| {
            serde_json::json!({
                "capability": probe.capability.to_string(),
                "resource": { "type": "group", "id": org.tree.ids[probe.group] },
                "consistency": consistency,
            })
        };
        arms[CHECK_FRESH].push(post("/v1/check", token, check(fresh.clone())));
        arms[CHECK_FULL].push(post(
            "/v1/check",
            token,
            check(serde_json::json!("fully_consistent")),
        ));
        // Probe users are teachers two levels up: view and view_members yes, manage_members no.
        expected.push(probe.capability != PROBE_CAPABILITIES[2]);
        // Someone else at the probed leaf, a different one per probe where there are several;
        // the probe user themselves where nobody else is there.
        let others: Vec<usize> = members[&probe.group]
            .iter()
            .copied()
            .filter(|&u| u != probe.user)
            .collect();
        let whom = others
            .get(i % others.len().max(1))
            .copied()
            .unwrap_or(probe.user);
        arms[USER_READ].push(get(format!("/v1/users/{}", org.users[whom]), token));
    }
    // One batch per probe user: every leaf under the group where they teach (two levels down),
    // capabilities in the probes' rotation.
    let mut expected_batches = Vec::new();
    let mut batched = std::collections::HashSet::new();
    for probe in &org.probes {
        if !batched.insert(probe.user) {
            continue;
        }
        let anchor = parent(parent(probe.group));
        let leaves: Vec<usize> = org
            .tree
            .children(anchor)
            .flat_map(|c| org.tree.children(c))
            .collect();
        let mut checks = Vec::with_capacity(BATCH_SIZE);
        let mut allowed = Vec::with_capacity(BATCH_SIZE);
        for j in 0..BATCH_SIZE {
            // A group at the edge of the tree may have fewer than 100 leaves: repeat them.
            let leaf = leaves[j % leaves.len()];
            let capability = PROBE_CAPABILITIES[j % PROBE_CAPABILITIES.len()];
            checks.push(serde_json::json!({
                "capability": capability.to_string(),
                "resource": { "type": "group", "id": org.tree.ids[leaf] },
            }));
            allowed.push(capability != PROBE_CAPABILITIES[2]);
        }
        let body = serde_json::json!({ "checks": checks, "consistency": fresh });
        arms[BATCH].push(post("/v1/check/batch", &tokens[&probe.user], body));
        expected_batches.push(allowed);
    }
    let all = arms
        .into_iter()
        .enumerate()
        .map(|(i, requests)| Workload {
            name: NAMES[i],
            requests: Arc::new(requests),
        })
        .collect();
    Ok(Workloads {
        all,
        expected,
        expected_batches,
    })
}

/// The `Roster-Revision` a server shows now (read once, before the load, after seeding): the
/// token the `at_least_as_fresh` arms send.
async fn current_revision(target: &Target, seeded: &Seeded) -> anyhow::Result<i64> {
    let keys = roster_server::auth::JwtKeys::new(SECRET.as_bytes(), None, None)?;
    let req = Req {
        method: reqwest::Method::GET,
        path: "/v1/bench/select1".into(),
        token: keys.issue(seeded.admin, Duration::from_secs(600))?,
        body: None,
    };
    let text = target
        .header(&req, "roster-revision")
        .await?
        .context("no Roster-Revision header")?;
    let revision: i64 = text
        .parse()
        .context("a Roster-Revision that is not a number")?;
    if revision < 1 {
        bail!("Roster-Revision is {revision}: at_least_as_fresh needs a committed revision");
    }
    Ok(revision)
}

/// Verifies that checks and batches answer what the model says, granted by the ancestor
/// membership, on the arms `arms` has.
async fn verify(target: &Target, work: &Workloads, arms: &[usize]) -> anyhow::Result<()> {
    let one = |text: &str, allowed: bool| -> anyhow::Result<()> {
        let answer: serde_json::Value = serde_json::from_str(text)?;
        if answer["allowed"] != serde_json::Value::Bool(allowed) || answer["role"] != "teacher" {
            bail!("answered {answer}, expected allowed={allowed} as a teacher");
        }
        Ok(())
    };
    for arm in [CHECK_FRESH, CHECK_FULL] {
        if !arms.contains(&arm) {
            continue;
        }
        for (i, req) in work.all[arm].requests.iter().enumerate().take(30) {
            let text = target.fetch(req).await?;
            one(&text, work.expected[i]).with_context(|| format!("{} {i}", NAMES[arm]))?;
        }
    }
    if arms.contains(&BATCH) {
        for (i, req) in work.all[BATCH].requests.iter().enumerate().take(3) {
            let text = target.fetch(req).await?;
            let answer: serde_json::Value = serde_json::from_str(&text)?;
            let results = answer["results"]
                .as_array()
                .context("a batch without results")?;
            if results.len() != BATCH_SIZE {
                bail!("batch {i} answered {} results", results.len());
            }
            for (j, result) in results.iter().enumerate() {
                one(&result.to_string(), work.expected_batches[i][j])
                    .with_context(|| format!("batch {i}, check {j}"))?;
            }
        }
    }
    Ok(())
}

/// Counts the database round trips and statements of `arms`, through a proxy, on a server
/// started with `env`.
pub async fn count_costs(
    seeded: &Seeded,
    logs: &std::path::Path,
    upstream: &str,
    arms: &[usize],
    env: &[(&str, &str)],
) -> anyhow::Result<Vec<(&'static str, Cost)>> {
    let (port, counters) = pgproxy::start(upstream.to_owned()).await?;
    let url = proxied_url(&seeded.url, port);
    let server = Server::start_with(&url, logs.join("count-server.log"), env).await?;
    let target = Target::new(server.port, 8)?;
    let revision = current_revision(&target, seeded).await?;
    let work = workloads(seeded, revision)?;
    let mut costs = Vec::new();
    const N: usize = 200;
    for &arm in arms {
        let requests = &work.all[arm].requests;
        // Warm up: every request once (memory holds its facts; every pooled connection has
        // prepared its statements).
        load::pass(&target, &work.all[arm], 8).await?;
        let before = counters.snapshot();
        for i in 0..N {
            target.fetch(&requests[i % requests.len()]).await?;
        }
        costs.push((NAMES[arm], Cost::between(before, counters.snapshot(), N)));
    }
    server.stop().await;
    Ok(costs)
}

/// The seeded URL, pointed at the proxy (and without TLS, so the proxy can read it).
pub fn proxied_url(url: &str, port: u16) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let rest = &base[scheme_end..];
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority
        .split_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    let mut q = query.to_owned();
    if !q.is_empty() {
        q.push('&');
    }
    q.push_str("sslmode=disable");
    format!("postgres://{user}127.0.0.1:{port}/{path}?{q}")
}

/// Runs G1 on one seeded database: the memory-on server, then (if asked) the memory-off one.
pub async fn run(seeded: &Seeded, plan: Plan, logs: &std::path::Path) -> anyhow::Result<Result> {
    let name = seeded.backend.name();
    let connections = plan.open_connections.max(plan.connections);
    let server = Server::start(&seeded.url, logs.join(format!("g1-{name}.log"))).await?;
    let target = Target::new(server.port, connections)?;
    let revision = current_revision(&target, seeded).await?;
    let work = workloads(seeded, revision)?;
    let started = Resident::now(&server, &target).await?;
    verify(&target, &work, &ON_ARMS).await?;
    warm(&target, &work, &ON_ARMS, plan).await?;
    let warmed = Resident::now(&server, &target).await?;
    // For profiling (docs/PERFORMANCE.md): only load one endpoint for a while, then stop.
    if let Ok(arm) = std::env::var("BENCH_PROFILE_ARM")
        && let Some(w) = work.all.iter().find(|w| w.name == arm)
    {
        eprintln!(
            "PROFILE START {} server pid {:?}",
            w.name,
            server.child.id()
        );
        let t = load::closed_loop(
            &target,
            w,
            plan.connections,
            Duration::from_secs(15),
            u64::MAX,
        )
        .await?;
        eprintln!("PROFILE END {:.0} rps", t.rps);
        server.stop().await;
        bail!("profiling run only");
    }
    let before = Snapshot::take(&target).await?;
    let mut on = measure(&target, &work, &ON_ARMS, plan, &format!("{name} memory on")).await?;
    let fully_consistent_requests = on
        .arms
        .iter()
        .filter(|a| FULLY_CONSISTENT_ARMS.contains(&a.index))
        .map(|a| a.sent)
        .sum();
    on.memory = Some(
        Snapshot::take(&target)
            .await?
            .since(&before, fully_consistent_requests),
    );
    on.peak_rss_kib = server.peak_rss_kib();
    on.resident = vec![started, warmed, Resident::now(&server, &target).await?];
    server.stop().await;

    let off = if plan.memory_off {
        let log = logs.join(format!("g1-{name}-memory-off.log"));
        let server = Server::start_with(&seeded.url, log, &MEMORY_OFF).await?;
        let target = Target::new(server.port, connections)?;
        let started = Resident::now(&server, &target).await?;
        verify(&target, &work, &OFF_ARMS).await?;
        warm(&target, &work, &OFF_ARMS, plan).await?;
        let warmed = Resident::now(&server, &target).await?;
        let mut off = measure(
            &target,
            &work,
            &OFF_ARMS,
            plan,
            &format!("{name} memory off"),
        )
        .await?;
        off.peak_rss_kib = server.peak_rss_kib();
        off.resident = vec![started, warmed, Resident::now(&server, &target).await?];
        server.stop().await;
        Some(off)
    } else {
        None
    };
    Ok(Result {
        backend: seeded.backend,
        groups: seeded.org.tree.len(),
        memberships: seeded.org.memberships.len(),
        revision,
        on,
        off,
        costs: Vec::new(),
        off_costs: Vec::new(),
    })
}

/// Before measuring: every request of every arm once (each must answer 2xx; memory then holds
/// every probe's facts), then two seconds of closed loop per arm (connections opened, pools and
/// caches warm).
async fn warm(target: &Target, work: &Workloads, arms: &[usize], plan: Plan) -> anyhow::Result<()> {
    for &arm in arms {
        load::pass(target, &work.all[arm], plan.connections)
            .await
            .with_context(|| format!("warming {}", NAMES[arm]))?;
    }
    for &arm in arms {
        load::closed_loop(
            target,
            &work.all[arm],
            plan.connections,
            Duration::from_secs(2),
            u64::MAX,
        )
        .await?;
    }
    Ok(())
}

/// The closed loops (maximum rps), then the open loops at half of each arm's own maximum, with
/// the arms interleaved and their order rotating every repetition.
async fn measure(
    target: &Target,
    work: &Workloads,
    arms: &[usize],
    plan: Plan,
    label: &str,
) -> anyhow::Result<Phase> {
    let mut phase = Phase {
        arms: arms
            .iter()
            .map(|&index| Arm {
                index,
                ..Arm::default()
            })
            .collect(),
        ..Phase::default()
    };
    let n = arms.len();
    for rep in 0..plan.reps {
        for k in 0..n {
            let a = (rep + k) % n;
            let t = load::closed_loop(
                target,
                &work.all[arms[a]],
                plan.connections,
                plan.closed,
                5_000_000,
            )
            .await?;
            let arm = &mut phase.arms[a];
            arm.rps_per_rep.push(t.rps);
            arm.errors += t.errors;
            arm.sent += t.requests + t.errors;
        }
        let line: Vec<String> = phase
            .arms
            .iter()
            .map(|a| format!("{} {:.0}", a.name(), a.rps_per_rep[rep]))
            .collect();
        eprintln!("  G1 {label} rep {rep} rps: {}", line.join(", "));
    }
    for arm in &mut phase.arms {
        arm.rate = (arm.max_rps() / 2.0).round().max(1.0);
    }
    for rep in 0..plan.reps {
        for k in 0..n {
            let a = (rep + k) % n;
            let arm = &mut phase.arms[a];
            let l = load::open_loop(
                target,
                &work.all[arms[a]],
                arm.rate,
                plan.open_connections,
                plan.open,
            )
            .await?;
            let ms = |q| quantile(&l.sorted_ns, q) as f64 / 1e6;
            arm.p50_ms.push(ms(0.5));
            arm.p99_ms.push(ms(0.99));
            arm.p999_ms.push(ms(0.999));
            arm.achieved.push(l.achieved_rps);
            if l.achieved_rps < 0.95 * l.rate {
                // The schedule slipped: the latencies still count from the scheduled times,
                // but the arm was not offered its full rate.
                eprintln!(
                    "  G1 {label}: {} achieved {:.0} of {:.0} rps",
                    arm.name(),
                    l.achieved_rps,
                    l.rate
                );
            }
            arm.errors += l.errors;
            arm.sent += l.sorted_ns.len() as u64 + l.errors;
        }
        let line: Vec<String> = phase
            .arms
            .iter()
            .map(|a| format!("{} {:.3}", a.name(), a.p99_ms[rep]))
            .collect();
        eprintln!("  G1 {label} open rep {rep} p99 ms: {}", line.join(", "));
    }
    Ok(phase)
}
