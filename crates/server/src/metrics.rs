//! Prometheus metrics: requests by route template and status with latency histograms, the
//! database pool, and access decisions. Requests are recorded by the one request middleware,
//! `http::access_log::observe`.
//!
//! The registry is process-wide (as Prometheus registries conventionally are): decisions are
//! counted deep in the services, where threading a handle through every call would add noise
//! to every signature for no benefit.

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::{DatabaseConnection, DbBackend};

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    /// `access_decisions_total`'s four children, by source (route, check) then outcome
    /// (allowed, denied): resolved once, as every decision counts in one.
    decisions: [[IntCounter; 2]; 2],
    pool: IntGaugeVec,
    deliveries: IntCounterVec,
    webhooks: prometheus::GaugeVec,
    memory: MemoryMetrics,
}

/// The decision memory's figures (spec §13), with the labelled children resolved once: a hit
/// costs one atomic increment.
struct MemoryMetrics {
    hits: IntCounter,
    misses: IntCounter,
    bytes: IntGauge,
    evicted: IntGauge,
    lag: IntGauge,
    following: IntGauge,
    fallbacks: IntCounter,
    resets: IntCounter,
    revision_reads: IntCounter,
}

impl MemoryMetrics {
    fn register(registry: &Registry) -> Option<Self> {
        let lookups = IntCounterVec::new(
            Opts::new(
                "decision_memory_lookups_total",
                "Decision facts asked of memory, by outcome (hit, miss: read from the database)",
            ),
            &["outcome"],
        )
        .ok()?;
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).ok();
        let counter = |name: &str, help: &str| IntCounter::new(name, help).ok();
        let metrics = Self {
            hits: lookups.with_label_values(&["hit"]),
            misses: lookups.with_label_values(&["miss"]),
            bytes: gauge(
                "decision_memory_bytes",
                "Estimated bytes the decision facts in memory use",
            )?,
            evicted: gauge(
                "decision_memory_evicted",
                "Decision facts evicted for room since the server started",
            )?,
            lag: gauge(
                "decision_memory_revision_lag",
                "Revisions known to have committed that memory has not applied yet",
            )?,
            following: gauge(
                "decision_memory_following",
                "1 while this server learns of other servers' changes as they commit",
            )?,
            fallbacks: counter(
                "decision_memory_fallbacks_total",
                "minimize_latency decisions answered fully consistent because notifications were lost",
            )?,
            resets: counter(
                "decision_memory_resets_total",
                "Times memory forgot everything (a gap in the history, an unreadable feed)",
            )?,
            revision_reads: counter(
                "decision_memory_revision_reads_total",
                "Revision reads sent for fully_consistent decisions (each serves all waiting)",
            )?,
        };
        registry.register(Box::new(lookups)).ok()?;
        for gauge in [
            &metrics.bytes,
            &metrics.evicted,
            &metrics.lag,
            &metrics.following,
        ] {
            registry.register(Box::new(gauge.clone())).ok()?;
        }
        for counter in [&metrics.fallbacks, &metrics.resets, &metrics.revision_reads] {
            registry.register(Box::new(counter.clone())).ok()?;
        }
        Some(metrics)
    }
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| {
    let registry = Registry::new_custom(Some("roster".into()), None).ok()?;
    let requests = IntCounterVec::new(
        Opts::new(
            "http_requests_total",
            "HTTP requests by route template, method and status",
        ),
        &["route", "method", "status"],
    )
    .ok()?;
    let latency = HistogramVec::new(
        HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(vec![
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ]),
        &["route", "method"],
    )
    .ok()?;
    let decisions = IntCounterVec::new(
        Opts::new(
            "access_decisions_total",
            "Capability decisions by caller and outcome",
        ),
        &["source", "outcome"],
    )
    .ok()?;
    let pool = IntGaugeVec::new(
        Opts::new("db_pool_connections", "Database pool connections by state"),
        &["state"],
    )
    .ok()?;
    let deliveries = IntCounterVec::new(
        Opts::new(
            "webhook_deliveries_total",
            "Webhook delivery attempts by outcome (succeeded, failed, skipped)",
        ),
        &["outcome"],
    )
    .ok()?;
    let webhooks = prometheus::GaugeVec::new(
        Opts::new(
            "webhooks",
            "The outbox as the delivery worker last saw it: lag_seconds (age of the oldest \
             pending delivery) and disabled (endpoints disabled)",
        ),
        &["measure"],
    )
    .ok()?;
    registry.register(Box::new(deliveries.clone())).ok()?;
    registry.register(Box::new(webhooks.clone())).ok()?;
    registry.register(Box::new(requests.clone())).ok()?;
    registry.register(Box::new(latency.clone())).ok()?;
    registry.register(Box::new(decisions.clone())).ok()?;
    registry.register(Box::new(pool.clone())).ok()?;
    let memory = MemoryMetrics::register(&registry)?;
    Some(Metrics {
        registry,
        requests,
        latency,
        decisions: ["route", "check"].map(|source| {
            ["allowed", "denied"].map(|outcome| decisions.with_label_values(&[source, outcome]))
        }),
        pool,
        deliveries,
        webhooks,
        memory,
    })
});

/// Counts one webhook delivery attempt by its outcome.
pub fn record_delivery(outcome: &'static str) {
    if let Some(m) = METRICS.as_ref() {
        m.deliveries.with_label_values(&[outcome]).inc();
    }
}

/// Records how far behind the outbox is, and how many endpoints are disabled.
pub fn record_outbox(lag_seconds: f64, disabled: u64) {
    if let Some(m) = METRICS.as_ref() {
        m.webhooks
            .with_label_values(&["lag_seconds"])
            .set(lag_seconds);
        // Counts of endpoints stay far below 2^53: exact as a float.
        #[allow(clippy::cast_precision_loss)]
        m.webhooks
            .with_label_values(&["disabled"])
            .set(disabled as f64);
    }
}

/// Counts one decision fact asked of memory.
pub fn record_decision_lookup(hit: bool) {
    if let Some(m) = METRICS.as_ref() {
        if hit {
            m.memory.hits.inc();
        } else {
            m.memory.misses.inc();
        }
    }
}

/// Records the decision memory's size and how many entries it has evicted.
pub fn record_decision_memory(bytes: usize, evicted: u64) {
    if let Some(m) = METRICS.as_ref() {
        m.memory.bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        m.memory
            .evicted
            .set(i64::try_from(evicted).unwrap_or(i64::MAX));
    }
}

/// Records how many known revisions memory has yet to apply.
pub fn record_revision_lag(lag: i64) {
    if let Some(m) = METRICS.as_ref() {
        m.memory.lag.set(lag.max(0));
    }
}

/// Records whether this server follows other servers' changes as they commit.
pub fn record_following(following: bool) {
    if let Some(m) = METRICS.as_ref() {
        m.memory.following.set(i64::from(following));
    }
}

/// Counts a `minimize_latency` decision answered fully consistent (notifications lost).
pub fn record_decision_fallback() {
    if let Some(m) = METRICS.as_ref() {
        m.memory.fallbacks.inc();
    }
}

/// Counts a time memory forgot everything.
pub fn record_decision_reset() {
    if let Some(m) = METRICS.as_ref() {
        m.memory.resets.inc();
    }
}

/// Counts a revision read sent for `fully_consistent` decisions.
pub fn record_revision_read() {
    if let Some(m) = METRICS.as_ref() {
        m.memory.revision_reads.inc();
    }
}

/// Who asked for a decision: a route guard, or `/v1/check`.
#[derive(Debug, Clone, Copy)]
pub enum DecisionSource {
    Route,
    Check,
}

/// Counts one capability decision.
pub fn record_decision(source: DecisionSource, allowed: bool) {
    if let Some(m) = METRICS.as_ref() {
        let source = match source {
            DecisionSource::Route => 0,
            DecisionSource::Check => 1,
        };
        m.decisions[source][usize::from(!allowed)].inc();
    }
}

/// Counts one answered request under its route template (never the raw path, so ids do not
/// explode the label set) and records its latency. Called by the request middleware
/// (`http::access_log::observe`), which resolves the route and status once for the log too.
pub fn record_request(route: &str, method: &actix_web::http::Method, status: u16, seconds: f64) {
    if let Some(m) = METRICS.as_ref() {
        let method = method_label(method);
        m.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        m.latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }
}

/// The method as a label from a bounded set: HTTP's own methods by name, anything a client
/// invents as `other` (a label per invented method would let anyone grow the registry without
/// bound). Routes are bounded already: a request is labelled with the template it matched or
/// `unmatched`, never with its raw path.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method as M;
    match *method {
        M::GET => "GET",
        M::HEAD => "HEAD",
        M::POST => "POST",
        M::PUT => "PUT",
        M::PATCH => "PATCH",
        M::DELETE => "DELETE",
        M::OPTIONS => "OPTIONS",
        M::CONNECT => "CONNECT",
        M::TRACE => "TRACE",
        _ => "other",
    }
}

/// The metrics in Prometheus' text format, with the pool gauges read now.
pub fn render(db: &DatabaseConnection) -> String {
    let Some(m) = METRICS.as_ref() else {
        return String::new();
    };
    let (size, idle) = pool_stats(db);
    m.pool.with_label_values(&["idle"]).set(idle);
    m.pool.with_label_values(&["in_use"]).set(size - idle);
    let mut out = Vec::new();
    if TextEncoder::new()
        .encode(&m.registry.gather(), &mut out)
        .is_err()
    {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

fn pool_stats(db: &DatabaseConnection) -> (i64, i64) {
    // The backend is checked first: the pool getters panic on the other backend.
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    (i64::from(size), i64::try_from(idle).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn invented_methods_share_one_label() {
        for name in ["M1XXXX", "PURGE", "get", "BREW"] {
            let method = Method::from_bytes(name.as_bytes()).unwrap_or(Method::GET);
            assert_eq!(method_label(&method), "other", "{name}");
        }
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
    }
}
