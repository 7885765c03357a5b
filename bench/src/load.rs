//! A bounded HTTP load generator for 127.0.0.1 only: closed loop (maximum throughput) and
//! open loop (fixed rate, latency measured from each request's *scheduled* time, so queueing
//! is never hidden — the wrk2 / `oha --latency-correction` method).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::sync::Mutex;

/// One prepared request: method, path, bearer token, optional JSON body.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: reqwest::Method,
    pub path: String,
    pub token: String,
    pub body: Option<String>,
}

/// A rotation of requests of one kind (same endpoint, different users and targets).
#[derive(Debug, Clone)]
pub struct Workload {
    pub name: &'static str,
    pub requests: Arc<Vec<Req>>,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub base: String,
    pub client: reqwest::Client,
}

impl Target {
    pub fn new(port: u16, connections: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .tcp_nodelay(true)
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            base: format!("http://127.0.0.1:{port}"),
            client,
        })
    }

    /// The request `req` describes, ready to send.
    fn build(&self, req: &Req) -> reqwest::RequestBuilder {
        let url = format!("{}{}", self.base, req.path);
        let mut builder = self
            .client
            .request(req.method.clone(), url)
            .bearer_auth(&req.token);
        if let Some(body) = &req.body {
            builder = builder
                .header("content-type", "application/json")
                .body(body.clone());
        }
        builder
    }

    async fn send(&self, req: &Req) -> anyhow::Result<()> {
        let response = self.build(req).send().await?;
        let status = response.status();
        let _ = response.bytes().await?;
        if !status.is_success() {
            bail!("{} answered {status}", req.path);
        }
        Ok(())
    }

    /// Sends one request and returns the value of its response header `name` (the request must
    /// succeed).
    pub async fn header(&self, req: &Req, name: &str) -> anyhow::Result<Option<String>> {
        let response = self.build(req).send().await?;
        let status = response.status();
        let value = response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{} answered {status}: {text}", req.path);
        }
        Ok(value)
    }

    /// An unauthenticated `GET` of `path` (health and metrics), its body as text.
    pub async fn get_text(&self, path: &str) -> anyhow::Result<String> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path} answered {status}");
        }
        Ok(text)
    }

    /// Sends one request and returns its body (to check answers before measuring).
    pub async fn fetch(&self, req: &Req) -> anyhow::Result<String> {
        let response = self.build(req).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{} answered {status}: {text}", req.path);
        }
        Ok(text)
    }
}

/// What a closed-loop run measured.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    pub requests: u64,
    pub rps: f64,
    /// Requests that failed or answered anything but 2xx (not counted in `requests`).
    pub errors: u64,
}

/// `connections` clients send back to back for `duration` (and at most `max_requests`).
pub async fn closed_loop(
    target: &Target,
    work: &Workload,
    connections: usize,
    duration: Duration,
    max_requests: u64,
) -> anyhow::Result<Throughput> {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (target, work) = (target.clone(), work.clone());
        let (next, done, errors) = (next.clone(), done.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline && done.load(Ordering::Relaxed) < max_requests {
                let i = next.fetch_add(1, Ordering::Relaxed) % work.requests.len();
                match target.send(&work.requests[i]).await {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (requests, errors) = (done.load(Ordering::Relaxed), errors.load(Ordering::Relaxed));
    if errors > requests / 100 {
        bail!("{}: {errors} errors in {requests} requests", work.name);
    }
    Ok(Throughput {
        requests,
        rps: requests as f64 / elapsed,
        errors,
    })
}

/// Sends every request of `work` once, over `connections` connections, and fails on the first
/// that does not answer 2xx: a pass that both proves every request is answerable and warms
/// whatever the server keeps per user or per resource.
pub async fn pass(target: &Target, work: &Workload, connections: usize) -> anyhow::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (target, work, next) = (target.clone(), work.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(req) = work.requests.get(i) else {
                    return Ok::<(), anyhow::Error>(());
                };
                target.fetch(req).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// What an open-loop run measured.
#[derive(Debug, Clone)]
pub struct Latency {
    pub rate: f64,
    pub achieved_rps: f64,
    /// Sorted latencies in nanoseconds, from each request's scheduled start.
    pub sorted_ns: Vec<u64>,
    pub errors: u64,
}

/// Sends `rate` requests per second for `duration` over up to `connections` connections; a
/// request whose connection is busy waits, and that wait counts in its latency.
pub async fn open_loop(
    target: &Target,
    work: &Workload,
    rate: f64,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Latency> {
    let total = (rate * duration.as_secs_f64()).round().max(1.0) as usize;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let rx = Arc::new(Mutex::new(rx));
    let started = Instant::now() + Duration::from_millis(20);
    // A dedicated thread keeps the schedule: thread sleeps are precise to tens of
    // microseconds, where tokio's timer wheel rounds to milliseconds.
    let period = Duration::from_secs_f64(1.0 / rate);
    let dispatcher = std::thread::spawn(move || {
        for i in 0..total {
            let due = started + period.mul_f64(i as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if tx.send((i, due)).is_err() {
                break;
            }
        }
    });
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (target, work, rx, errors) = (target.clone(), work.clone(), rx.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let next = rx.lock().await.recv().await;
                let Some((i, due)) = next else { break };
                let req = &work.requests[i % work.requests.len()];
                match target.send(req).await {
                    Ok(()) => latencies.push(due.elapsed().as_nanos() as u64),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut all = Vec::with_capacity(total);
    for task in tasks {
        all.extend(task.await?);
    }
    let _ = dispatcher.join();
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let errors = errors.load(Ordering::Relaxed);
    if errors > (total as u64) / 100 {
        bail!("{}: {errors} errors in {total} requests", work.name);
    }
    Ok(Latency {
        rate,
        achieved_rps: all.len() as f64 / elapsed,
        sorted_ns: all,
        errors,
    })
}

/// The `q`-quantile of sorted values (nearest rank).
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The median of floats.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
