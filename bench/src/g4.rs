//! G4 — writes and the change feed (spec §8–§9). Two figures, each on both backends:
//!
//! - write throughput, closed loop, three arms interleaved: `plain` (the same binary with
//!   `ROSTER_BENCH_PLAIN_WRITES=true`: no counter, no deltas, no outbox), `full` (revisions,
//!   effective-access deltas and the outbox, one endpoint subscribed to every change, on a
//!   server with `ROSTER_WEBHOOK_DELIVERY=false`, so the deliveries are queued but sent by
//!   another server afterwards), and `delivering` (the same, with the server's own worker
//!   sending them to a receiver here during the run, on the same two cores). `plain` has its
//!   own database, seeded like the other's. After each `full` and `delivering` run a
//!   delivering server works off the backlog, which also measures deliveries per second;
//! - the latency from a write's commit to a long-polling reader of `GET /v1/changes` and to the
//!   webhook receiver, at a fixed write rate. A change's start is its `occurred_at`, stamped in
//!   the write transaction just before the commit (so the figure slightly overstates the wait),
//!   and its end the moment the feed page or the delivery arrives; both clocks are this
//!   machine's.
//!
//! The writes are real changes, half project renames (each project has a lock of its own, so
//! only the revision counter serialises them) and half new group memberships (deltas to
//! compute), each request unique so that none is an unchanged no-op.

use std::collections::{BTreeMap, HashSet};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::g1::{Cost, SECRET, Server, proxied_url};
use crate::load::{self, Req, Target, Workload, quantile};
use crate::model::Shape;
use crate::pgproxy;
use crate::seed::{self, Backend, Places};

/// The organisation each arm writes into: small, the writes are what is measured.
const SHAPE: Shape = Shape {
    groups: 1_000,
    members_per_group: 10,
    probe_users: 10,
    probes_per_user: 1,
    lookups: false,
};

/// Projects the renames rotate over.
const PROJECTS: usize = 32;

/// At most this many writes in one closed-loop repetition (a bound, not a target).
const MAX_WRITES_PER_REP: usize = 50_000;

/// How long a restarted server is warmed up before it is measured.
const WARM_UP: Duration = Duration::from_secs(1);

/// How G4 runs.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub reps: usize,
    /// Each closed-loop repetition's length.
    pub closed: Duration,
    pub connections: usize,
    /// Writes per second in the latency run, and for how long.
    pub rate: f64,
    pub latency_for: Duration,
}

/// One backend's figures.
#[derive(Debug, Clone)]
pub struct Result {
    pub backend: Backend,
    /// Writes per second per repetition, by arm.
    pub plain_rps: Vec<f64>,
    pub full_rps: Vec<f64>,
    pub delivering_rps: Vec<f64>,
    /// Per repetition: full / plain, and delivering / plain.
    pub ratios: Vec<f64>,
    pub delivering_ratios: Vec<f64>,
    /// Deliveries per second while a backlog was worked off.
    pub deliveries_per_sec: Vec<f64>,
    pub rate: f64,
    pub achieved_rate: f64,
    pub writes: usize,
    /// Commit → long-poll reader, and commit → webhook receiver, in µs, sorted.
    pub feed_us: Vec<u64>,
    pub webhook_us: Vec<u64>,
    /// On PostgreSQL: full with its deliveries, full without them (the write path), plain.
    pub costs: Option<[Cost; 3]>,
}

impl Result {
    pub fn percentile_ms(sorted_us: &[u64], q: f64) -> f64 {
        quantile(sorted_us, q) as f64 / 1000.0
    }
}

/// What arrived, by revision: the first arrival's latency in µs.
type Arrivals = Arc<Mutex<BTreeMap<i64, u64>>>;

/// How long after its `occurred_at` a change arrives now, in µs.
fn since_commit(change: &Value) -> Option<(i64, u64)> {
    let revision = change["revision"].as_i64()?;
    let at = chrono::DateTime::parse_from_rfc3339(change["occurred_at"].as_str()?).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_micros(at.timestamp_micros().max(0) as u64);
    let waited = SystemTime::now().duration_since(at).unwrap_or_default();
    Some((revision, waited.as_micros() as u64))
}

fn record(arrivals: &Arrivals, change: &Value) {
    if let Some((revision, us)) = since_commit(change) {
        arrivals
            .lock()
            .expect("arrivals")
            .entry(revision)
            .or_insert(us);
    }
}

/// The webhook receiver: answers 204 at once and notes each delivery's arrival. Signatures are
/// verified by `scripts/webhook-verify.sh`; here only time is measured.
struct Receiver {
    url: String,
    arrivals: Arrivals,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    fn start() -> anyhow::Result<Self> {
        let arrivals: Arrivals = Arc::default();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let shared = web::Data::new(arrivals.clone());
        let server = HttpServer::new(move || {
            App::new().app_data(shared.clone()).default_service(web::to(
                |arrivals: web::Data<Arrivals>, body: web::Bytes| async move {
                    if let Ok(change) = serde_json::from_slice::<Value>(&body) {
                        record(&arrivals, &change);
                    }
                    HttpResponse::NoContent().finish()
                },
            ))
        })
        .workers(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url,
            arrivals,
            handle,
        })
    }
}

/// The environment of a G4 server: deliveries to loopback allowed; the plain arm's switch;
/// whether this server runs the delivery worker.
fn server_env(plain: bool, delivering: bool) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![
        ("ROSTER_WEBHOOK_ALLOW_PRIVATE", "true"),
        (
            "ROSTER_WEBHOOK_DELIVERY",
            if delivering { "true" } else { "false" },
        ),
    ];
    if plain {
        env.push(("ROSTER_BENCH_PLAIN_WRITES", "true"));
    }
    env
}

/// A server under test, its admin token and the writes it has not been sent yet.
struct Arm {
    plain: bool,
    url: String,
    log: std::path::PathBuf,
    server: Server,
    target: Target,
    connections: usize,
    token: String,
    projects: Vec<Uuid>,
    /// `(user, group)` pairs that hold no membership yet, in a fixed order.
    pairs: Vec<(Uuid, Uuid)>,
    next: usize,
}

impl Arm {
    async fn start(
        places: &Places,
        backend: Backend,
        plain: bool,
        logs: &std::path::Path,
        connections: usize,
    ) -> anyhow::Result<(Self, seed::Seeded)> {
        let name = if plain { "g4_plain" } else { "g4_full" };
        let seeded = seed::seed(places, backend, name, SHAPE, 4).await?;
        let log = logs.join(format!("{name}-{}.log", backend.name()));
        let server = Server::start_with(&seeded.url, log.clone(), &server_env(plain, true)).await?;
        let target = Target::new(server.port, connections)?;
        let keys = roster_server::auth::JwtKeys::new(SECRET.as_bytes(), None, None)?;
        let token = keys.issue(seeded.admin, Duration::from_secs(6 * 3600))?;
        let org = &seeded.org;
        let root = org.tree.ids[0];
        let mut projects = Vec::with_capacity(PROJECTS);
        for i in 0..PROJECTS {
            let body = json!({ "name": format!("Bench project {i}") });
            let created = target
                .fetch(&Req {
                    method: Method::POST,
                    path: format!("/v1/groups/{root}/projects"),
                    token: token.clone(),
                    body: Some(body.to_string()),
                })
                .await?;
            let created: Value = serde_json::from_str(&created)?;
            projects.push(
                created["id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .context("a project id")?,
            );
        }
        // Every user but the admin, in every group but the root, where they are not a member.
        let taken: HashSet<(usize, usize)> =
            org.memberships.iter().map(|&(u, g, _)| (u, g)).collect();
        let pairs = (1..org.tree.len())
            .flat_map(|g| (0..org.users.len()).map(move |u| (u, g)))
            .filter(|&(u, g)| !taken.contains(&(u, g)) && org.users[u] != seeded.admin)
            .take(MAX_WRITES_PER_REP * 20)
            .map(|(u, g)| (org.users[u], org.tree.ids[g]))
            .collect();
        Ok((
            Self {
                plain,
                url: seeded.url.clone(),
                log,
                server,
                target,
                connections,
                token,
                projects,
                pairs,
                next: 0,
            },
            seeded,
        ))
    }

    /// Replaces the server by one that does (or does not) run the delivery worker.
    async fn restart(&mut self, delivering: bool) -> anyhow::Result<()> {
        let env = server_env(self.plain, delivering);
        let next = Server::start_with(&self.url, self.log.clone(), &env).await?;
        std::mem::replace(&mut self.server, next).stop().await;
        self.target = Target::new(self.server.port, self.connections)?;
        self.warm().await
    }

    /// Warms the server up, like the arm it is compared with: its pool's connections open and
    /// their statements prepared, its workers busy once.
    async fn warm(&mut self) -> anyhow::Result<()> {
        let warm = self.writes(5_000)?;
        load::closed_loop(&self.target, &warm, self.connections, WARM_UP, 5_000).await?;
        Ok(())
    }

    /// The next `n` writes, none sent before.
    fn writes(&mut self, n: usize) -> anyhow::Result<Workload> {
        let mut requests = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.next;
            self.next += 1;
            requests.push(if k.is_multiple_of(2) {
                let project = self.projects[(k / 2) % self.projects.len()];
                Req {
                    method: Method::PATCH,
                    path: format!("/v1/projects/{project}"),
                    token: self.token.clone(),
                    body: Some(json!({ "name": format!("Renamed {k}") }).to_string()),
                }
            } else {
                let &(user, group) = self
                    .pairs
                    .get(k / 2)
                    .context("G4 ran out of fresh memberships")?;
                Req {
                    method: Method::PUT,
                    path: format!("/v1/groups/{group}/members/{user}"),
                    token: self.token.clone(),
                    body: Some(json!({ "role": "student" }).to_string()),
                }
            });
        }
        Ok(Workload {
            name: "writes",
            requests: Arc::new(requests),
        })
    }

    /// Counts what `n` sequential writes cost ([`Cost`]: everything the server does meanwhile,
    /// the worker's deliveries included), on a server (`delivering` or not) reached
    /// through the counting proxy, which takes this arm's server's place (the old one stopped,
    /// so that every statement of the writes, and of their deliveries, passes the proxy).
    async fn cost(
        &mut self,
        delivering: bool,
        upstream: &str,
        logs: &std::path::Path,
        n: usize,
    ) -> anyhow::Result<Cost> {
        let (warm, measured) = (self.writes(50)?, self.writes(n)?);
        let (port, counters) = pgproxy::start(upstream.to_owned()).await?;
        let name = if self.plain { "plain" } else { "full" };
        let log = logs.join(format!("g4-count-{name}-{delivering}.log"));
        let env = server_env(self.plain, delivering);
        let proxied = Server::start_with(&proxied_url(&self.url, port), log, &env).await?;
        std::mem::replace(&mut self.server, proxied).stop().await;
        let target = Target::new(self.server.port, 1)?;
        for req in warm.requests.iter() {
            target.fetch(req).await?;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = counters.snapshot();
        for req in measured.requests.iter() {
            target.fetch(req).await?;
        }
        // Deliveries still owed are part of the writes' cost.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(Cost::between(before, counters.snapshot(), n))
    }

    /// The newest committed revision, from the feed.
    async fn revision(&self) -> anyhow::Result<i64> {
        let page = self
            .target
            .fetch(&Req {
                method: Method::GET,
                path: "/v1/changes?limit=1&after=0".into(),
                token: self.token.clone(),
                body: None,
            })
            .await?;
        let page: Value = serde_json::from_str(&page)?;
        page["revision"].as_i64().context("the feed's revision")
    }
}

/// Long-polls the feed from `after` until stopped, noting each change's arrival.
fn follow(
    target: Target,
    token: String,
    after: i64,
    arrivals: Arrivals,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut after = after;
        loop {
            let req = Req {
                method: Method::GET,
                path: format!("/v1/changes?after={after}&limit=500&wait=5"),
                token: token.clone(),
                body: None,
            };
            let text = match target.fetch(&req).await {
                Ok(text) => text,
                Err(error) => {
                    eprintln!("   the feed reader retries after: {error:#}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(page) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            for change in page["items"].as_array().into_iter().flatten() {
                record(&arrivals, change);
            }
            after = page["next_after"].as_i64().unwrap_or(after);
        }
    })
}

/// Waits until `arrivals` holds every revision in `(after, upto]`, at most `limit`.
async fn until_complete(arrivals: &Arrivals, after: i64, upto: i64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let have = arrivals
            .lock()
            .expect("arrivals")
            .range(after + 1..=upto)
            .count() as i64;
        if have == upto - after {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sorted latencies of the revisions in `(after, upto]`.
fn latencies(arrivals: &Arrivals, after: i64, upto: i64) -> Vec<u64> {
    let mut v: Vec<u64> = arrivals
        .lock()
        .expect("arrivals")
        .range(after + 1..=upto)
        .map(|(_, &us)| us)
        .collect();
    v.sort_unstable();
    v
}

/// Lets the full arm's (delivering) server work off what `(before, upto]` owes the receiver,
/// and returns the deliveries per second it managed.
async fn drain(
    receiver: &Receiver,
    backend: Backend,
    before: i64,
    upto: i64,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    if !until_complete(&receiver.arrivals, before, upto, Duration::from_secs(300)).await {
        bail!(
            "G4 on {}: the worker did not deliver {before}..{upto}",
            backend.name()
        );
    }
    Ok((upto - before) as f64 / started.elapsed().as_secs_f64())
}

/// One closed-loop run of fresh writes on `arm`: writes per second.
async fn closed(arm: &mut Arm, plan: Plan) -> anyhow::Result<f64> {
    let work = arm.writes(MAX_WRITES_PER_REP)?;
    let cap = MAX_WRITES_PER_REP as u64;
    Ok(
        load::closed_loop(&arm.target, &work, plan.connections, plan.closed, cap)
            .await?
            .rps,
    )
}

pub async fn run(
    places: &Places,
    backend: Backend,
    plan: Plan,
    logs: &std::path::Path,
    keep: bool,
) -> anyhow::Result<Result> {
    let receiver = Receiver::start()?;
    let (mut full, full_seed) = Arm::start(places, backend, false, logs, plan.connections).await?;
    let (mut plain, plain_seed) = Arm::start(places, backend, true, logs, plan.connections).await?;
    let hook = json!({ "url": receiver.url, "description": "G4 receiver" });
    full.target
        .fetch(&Req {
            method: Method::POST,
            path: "/v1/webhooks".into(),
            token: full.token.clone(),
            body: Some(hook.to_string()),
        })
        .await
        .context("creating the G4 webhook endpoint")?;

    if backend == Backend::Postgres {
        // The seeds' dirty pages written out now, not by a checkpoint in the middle of a run.
        seed::connect(&full_seed.url, 1)
            .await?
            .execute_unprepared("CHECKPOINT")
            .await?;
    }
    // Latency first, on a warm server whose worker owes nothing.
    let before = full.revision().await?;
    full.warm().await?;
    let warmed = full.revision().await?;
    drain(&receiver, backend, before, warmed).await?;
    let feed: Arrivals = Arc::default();
    let start = full.revision().await?;
    let reader = follow(full.target.clone(), full.token.clone(), start, feed.clone());
    let writes = full.writes((plan.rate * plan.latency_for.as_secs_f64()) as usize)?;
    let run = load::open_loop(&full.target, &writes, plan.rate, 8, plan.latency_for).await?;
    let upto = full.revision().await?;
    for (to, arrivals, limit) in [("reader", &feed, 60), ("receiver", &receiver.arrivals, 120)] {
        if !until_complete(arrivals, start, upto, Duration::from_secs(limit)).await {
            let got = arrivals
                .lock()
                .expect("arrivals")
                .range(start + 1..=upto)
                .count();
            bail!("revisions {start}..{upto}: {got} reached the {to}, not all");
        }
    }
    reader.abort();

    let mut result = Result {
        backend,
        plain_rps: vec![],
        full_rps: vec![],
        delivering_rps: vec![],
        ratios: vec![],
        delivering_ratios: vec![],
        deliveries_per_sec: vec![],
        rate: plan.rate,
        achieved_rate: run.achieved_rps,
        writes: writes.requests.len(),
        feed_us: latencies(&feed, start, upto),
        webhook_us: latencies(&receiver.arrivals, start, upto),
        costs: None,
    };
    for rep in 0..plan.reps {
        // Interleaved, the order rotating, so that drift hits every arm alike.
        let mut measured = [0.0f64; 3];
        for k in 0..3 {
            let arm = (rep + k) % 3;
            if arm == 0 {
                measured[0] = closed(&mut plain, plan).await?;
                continue;
            }
            // Between runs the full arm's server delivers (it has just drained).
            let delivering = arm == 2;
            if !delivering {
                full.restart(false).await?;
            }
            let before = full.revision().await?;
            measured[arm] = closed(&mut full, plan).await?;
            let upto = full.revision().await?;
            if !delivering {
                full.restart(true).await?;
            }
            let rate = drain(&receiver, backend, before, upto).await?;
            result.deliveries_per_sec.push(rate);
        }
        eprintln!(
            "   rep {rep}: plain {:.0}, full {:.0}, delivering {:.0} writes/s",
            measured[0], measured[1], measured[2]
        );
        result.plain_rps.push(measured[0]);
        result.full_rps.push(measured[1]);
        result.delivering_rps.push(measured[2]);
        result.ratios.push(measured[1] / measured[0]);
        result.delivering_ratios.push(measured[2] / measured[0]);
    }

    if backend == Backend::Postgres {
        let upstream = crate::upstream(&places.postgres_admin_url);
        result.costs = Some([
            full.cost(true, &upstream, logs, 200).await?,
            full.cost(false, &upstream, logs, 200).await?,
            plain.cost(false, &upstream, logs, 200).await?,
        ]);
    }
    full.server.stop().await;
    plain.server.stop().await;
    drop(receiver.handle.stop(false));
    if !keep {
        places.drop(&full_seed).await?;
        places.drop(&plain_seed).await?;
    }
    Ok(result)
}
