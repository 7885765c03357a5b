//! G1 — `POST /v1/check` against its own ceilings, over real HTTP on one server process:
//! `GET /v1/bench/select1` (authentication + `SELECT 1` on the same pool) and
//! `GET /v1/bench/user/{id}` (authentication + a one-row primary-key read).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::load::{self, Req, Target, Workload, median, quantile};
use crate::model::PROBE_CAPABILITIES;
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
}

/// One endpoint's figures.
#[derive(Debug, Clone, Default)]
pub struct Arm {
    pub name: &'static str,
    pub rps_per_rep: Vec<f64>,
    pub rate: f64,
    pub p50_ms: Vec<f64>,
    pub p99_ms: Vec<f64>,
    pub p999_ms: Vec<f64>,
    pub achieved: Vec<f64>,
}

impl Arm {
    pub fn max_rps(&self) -> f64 {
        median(&self.rps_per_rep)
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
    pub arms: Vec<Arm>,
    /// Per repetition: check / select1, check / user, user / select1.
    pub ratios: Vec<[f64; 3]>,
    pub peak_rss_kib: Option<u64>,
    pub costs: Vec<(&'static str, Cost)>,
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
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
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

/// The three workloads over the probes of `seeded`.
pub fn workloads(seeded: &Seeded) -> anyhow::Result<(Vec<Workload>, Vec<bool>)> {
    let keys = roster_server::auth::JwtKeys::new(SECRET.as_bytes(), None, None)?;
    let org = &seeded.org;
    let mut tokens = std::collections::HashMap::new();
    for &user in &org.probe_users {
        tokens.insert(
            user,
            keys.issue(org.users[user], Duration::from_secs(6 * 3600))?,
        );
    }
    let mut select1 = Vec::new();
    let mut user_row = Vec::new();
    let mut check = Vec::new();
    let mut expected = Vec::new();
    for probe in &org.probes {
        let token = tokens[&probe.user].clone();
        select1.push(Req {
            method: reqwest::Method::GET,
            path: "/v1/bench/select1".into(),
            token: token.clone(),
            body: None,
        });
        user_row.push(Req {
            method: reqwest::Method::GET,
            path: format!("/v1/bench/user/{}", org.users[probe.user]),
            token: token.clone(),
            body: None,
        });
        let body = serde_json::json!({
            "capability": probe.capability.to_string(),
            "resource": { "type": "group", "id": org.tree.ids[probe.group] },
        });
        check.push(Req {
            method: reqwest::Method::POST,
            path: "/v1/check".into(),
            token,
            body: Some(body.to_string()),
        });
        // Probe users are teachers two levels up: view and view_members yes, manage_members no.
        expected.push(probe.capability != PROBE_CAPABILITIES[2]);
    }
    let w = |name, v: Vec<Req>| Workload {
        name,
        requests: Arc::new(v),
    };
    Ok((
        vec![
            w("select1", select1),
            w("pk_read", user_row),
            w("check", check),
        ],
        expected,
    ))
}

/// Verifies that the checks answer what the model says, granted by the ancestor membership.
async fn verify(target: &Target, check: &Workload, expected: &[bool]) -> anyhow::Result<()> {
    for (i, req) in check.requests.iter().enumerate().take(30) {
        let text = target.fetch(req).await?;
        let answer: serde_json::Value = serde_json::from_str(&text)?;
        if answer["allowed"] != serde_json::Value::Bool(expected[i]) || answer["role"] != "teacher"
        {
            bail!(
                "check {i} answered {text}, expected allowed={}",
                expected[i]
            );
        }
    }
    Ok(())
}

/// Counts the database round trips and statements of each workload, through a proxy.
pub async fn count_costs(
    seeded: &Seeded,
    logs: &std::path::Path,
    upstream: &str,
) -> anyhow::Result<Vec<(&'static str, Cost)>> {
    let (port, counters) = pgproxy::start(upstream.to_owned()).await?;
    let url = proxied_url(&seeded.url, port);
    let server = Server::start(&url, logs.join("count-server.log")).await?;
    let target = Target::new(server.port, 1)?;
    let (workloads, _) = workloads(seeded)?;
    let mut costs = Vec::new();
    const N: usize = 200;
    for work in &workloads {
        // Warm up: every pooled connection has prepared the statements once.
        for req in work.requests.iter().take(50) {
            target.fetch(req).await?;
        }
        let before = counters.snapshot();
        for i in 0..N {
            target
                .fetch(&work.requests[i % work.requests.len()])
                .await?;
        }
        costs.push((work.name, Cost::between(before, counters.snapshot(), N)));
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

/// Runs G1 on one seeded database.
pub async fn run(seeded: &Seeded, plan: Plan, logs: &std::path::Path) -> anyhow::Result<Result> {
    let log = logs.join(format!("g1-{}.log", seeded.backend.name()));
    let server = Server::start(&seeded.url, log).await?;
    let target = Target::new(server.port, plan.open_connections.max(plan.connections))?;
    let (workloads, expected) = workloads(seeded)?;
    verify(&target, &workloads[2], &expected).await?;
    for work in &workloads {
        load::closed_loop(
            &target,
            work,
            plan.connections,
            Duration::from_secs(2),
            u64::MAX,
        )
        .await?;
    }
    // For profiling (docs/PERFORMANCE.md): only load one endpoint for a while, then stop.
    if let Ok(arm) = std::env::var("BENCH_PROFILE_ARM")
        && let Some(work) = workloads.iter().find(|w| w.name == arm)
    {
        eprintln!(
            "PROFILE START {} server pid {:?}",
            work.name,
            server.child.id()
        );
        let t = load::closed_loop(
            &target,
            work,
            plan.connections,
            Duration::from_secs(15),
            u64::MAX,
        )
        .await?;
        eprintln!("PROFILE END {:.0} rps", t.rps);
        server.stop().await;
        bail!("profiling run only");
    }
    let mut arms: Vec<Arm> = workloads
        .iter()
        .map(|w| Arm {
            name: w.name,
            ..Arm::default()
        })
        .collect();
    let mut ratios = Vec::new();
    for rep in 0..plan.reps {
        let mut rps = [0.0; 3];
        for k in 0..3 {
            let a = (rep + k) % 3;
            let t = load::closed_loop(
                &target,
                &workloads[a],
                plan.connections,
                plan.closed,
                5_000_000,
            )
            .await?;
            rps[a] = t.rps;
            arms[a].rps_per_rep.push(t.rps);
        }
        eprintln!(
            "  G1 {} rep {rep}: select1 {:.0} rps, pk_read {:.0}, check {:.0}",
            seeded.backend.name(),
            rps[0],
            rps[1],
            rps[2]
        );
        ratios.push([rps[2] / rps[0], rps[2] / rps[1], rps[1] / rps[0]]);
    }
    for arm in &mut arms {
        arm.rate = (arm.max_rps() / 2.0).round();
    }
    for rep in 0..plan.reps {
        for k in 0..3 {
            let a = (rep + k) % 3;
            let l = load::open_loop(
                &target,
                &workloads[a],
                arms[a].rate,
                plan.open_connections,
                plan.open,
            )
            .await?;
            let ms = |q| quantile(&l.sorted_ns, q) as f64 / 1e6;
            arms[a].p50_ms.push(ms(0.5));
            arms[a].p99_ms.push(ms(0.99));
            arms[a].p999_ms.push(ms(0.999));
            arms[a].achieved.push(l.achieved_rps);
        }
        eprintln!(
            "  G1 {} open rep {rep}: check p50 {:.3} ms p99 {:.3} ms at {} rps",
            seeded.backend.name(),
            arms[2].p50_ms[rep],
            arms[2].p99_ms[rep],
            arms[2].rate
        );
    }
    let peak_rss_kib = server.peak_rss_kib();
    server.stop().await;
    Ok(Result {
        backend: seeded.backend,
        groups: seeded.org.tree.len(),
        memberships: seeded.org.memberships.len(),
        arms,
        ratios,
        peak_rss_kib,
        costs: Vec::new(),
    })
}
