//! `roster-bench`: seeds databases through Roster's own code, runs G1–G4, writes the results.
//!
//! `roster-bench [all|g1|g2|g3|g4|count] [--out FILE]` — see docs/PERFORMANCE.md; the one command
//! is `scripts/bench.sh`. Environment: `ROSTER_BENCH_POSTGRES_URL` (an admin URL that may
//! create databases), `BENCH_REPS` (5), `BENCH_G3_MAX` (1000000), `BENCH_G3_SQLITE_MAX`
//! (100000), `BENCH_G1_CLOSED_SECS` (3), `BENCH_G1_OPEN_SECS` (5), `BENCH_G4_CLOSED_SECS` (3), `BENCH_G4_RATE` (100),
//! `BENCH_G4_LATENCY_SECS` (10), `BENCH_G4_REPS` (9), `BENCH_G4_BACKEND` (both; `postgresql` or `sqlite`: only that one),
//! `BENCH_G1_MEMORY_OFF` (1; 0 skips G1's memory-off server), `BENCH_G1_GROUPS` (100000; fewer
//! only to try the harness out), `BENCH_KEEP_DBS` (unset).

mod g1;
mod g2;
mod g3;
mod g4;
mod load;
mod model;
mod pgproxy;
mod report;
mod seed;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::model::Shape;
use crate::seed::{Backend, Places};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The G1 organisation: 10⁵ groups, ~10 memberships per group, 200 probe users.
pub const G1_SHAPE: Shape = Shape {
    groups: 100_000,
    members_per_group: 10,
    probe_users: 200,
    probes_per_user: 10,
    lookups: false,
};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map_or("all", String::as_str).to_owned();
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let bench_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let places = Places {
        postgres_admin_url: std::env::var("ROSTER_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        data_dir: bench_dir.join("target/data"),
    };
    let logs = bench_dir.join("target/logs");
    std::fs::create_dir_all(&logs)?;
    let reps = env_or("BENCH_REPS", 5usize).max(1);
    let keep = std::env::var("BENCH_KEEP_DBS").is_ok();
    let started = Instant::now();
    let mut report = report::Report::new(reps);

    if what == "count" {
        // What one request costs in database traffic, on PostgreSQL, memory on and off.
        let seeded = seed::seed(&places, Backend::Postgres, "count", small_shape(), 7).await?;
        let upstream = upstream(&places.postgres_admin_url);
        let on = g1::count_costs(&seeded, &logs, &upstream, &g1::ON_ARMS[1..], &[]).await?;
        let off = g1::count_costs(
            &seeded,
            &logs,
            &upstream,
            &g1::OFF_ARMS[1..],
            &g1::MEMORY_OFF,
        )
        .await?;
        for (label, costs) in [("memory on", on), ("memory off", off)] {
            for (name, cost) in &costs {
                println!(
                    "{label}, {name}: {:.2} round trips, {:.2} statements, {:.2} parses per request",
                    cost.round_trips, cost.statements, cost.parses
                );
            }
        }
        places.drop(&seeded).await?;
        return Ok(());
    }

    if what == "all" || what == "g2" {
        eprintln!("== G2: in-process decision, Roster vs Cedar vs casbin");
        report.g2 = Some(g2::run(&places, reps, keep).await?);
    }

    if what == "all" || what == "g1" {
        let plan = g1::Plan {
            reps,
            closed: Duration::from_secs(env_or("BENCH_G1_CLOSED_SECS", 3u64)),
            open: Duration::from_secs(env_or("BENCH_G1_OPEN_SECS", 5u64)),
            connections: 16,
            open_connections: 64,
            memory_off: env_or("BENCH_G1_MEMORY_OFF", 1u8) != 0,
        };
        // Fewer groups only for trying the harness out; results are at G1_SHAPE.
        let shape = Shape {
            groups: env_or("BENCH_G1_GROUPS", G1_SHAPE.groups),
            ..G1_SHAPE
        };
        for backend in [Backend::Postgres, Backend::Sqlite] {
            eprintln!(
                "== G1 on {}: seeding {} groups",
                backend.name(),
                shape.groups
            );
            let seeded = seed::seed(&places, backend, "g1", shape, 1).await?;
            let mut result = g1::run(&seeded, plan, &logs)
                .await
                .with_context(|| format!("G1 on {}", backend.name()))?;
            if backend == Backend::Postgres {
                // `/healthz` touches no database: nothing to count.
                let upstream = upstream(&places.postgres_admin_url);
                result.costs =
                    g1::count_costs(&seeded, &logs, &upstream, &g1::ON_ARMS[1..], &[]).await?;
                if plan.memory_off {
                    result.off_costs = g1::count_costs(
                        &seeded,
                        &logs,
                        &upstream,
                        &g1::OFF_ARMS[1..],
                        &g1::MEMORY_OFF,
                    )
                    .await?;
                }
            }
            report.g1.push(result);
            if !keep {
                places.drop(&seeded).await?;
            }
        }
    }

    if what == "all" || what == "g3" {
        let pg_max = env_or("BENCH_G3_MAX", 1_000_000usize);
        let sqlite_max = env_or("BENCH_G3_SQLITE_MAX", 100_000usize);
        for (backend, max) in [(Backend::Postgres, pg_max), (Backend::Sqlite, sqlite_max)] {
            eprintln!("== G3 on {}: up to {max} groups", backend.name());
            report
                .g3
                .push(g3::run(&places, backend, max, reps, keep).await?);
        }
    }

    if what == "all" || what == "g4" {
        let plan = g4::Plan {
            // Its arms are short and its ratio moves by ±0.1 between repetitions on a shared
            // machine, so its median takes more of them than the other parts' do.
            reps: env_or("BENCH_G4_REPS", 9usize).max(1),
            closed: Duration::from_secs(env_or("BENCH_G4_CLOSED_SECS", 3u64)),
            connections: 16,
            rate: env_or("BENCH_G4_RATE", 100.0f64),
            latency_for: Duration::from_secs(env_or("BENCH_G4_LATENCY_SECS", 10u64)),
        };
        let only = std::env::var("BENCH_G4_BACKEND").ok();
        for backend in [Backend::Postgres, Backend::Sqlite] {
            if only
                .as_deref()
                .is_some_and(|name| !backend.name().eq_ignore_ascii_case(name))
            {
                continue;
            }
            eprintln!("== G4 on {}: writes and the change feed", backend.name());
            let result = g4::run(&places, backend, plan, &logs, keep)
                .await
                .with_context(|| format!("G4 on {}", backend.name()))?;
            report.g4.push(result);
        }
    }

    report.elapsed = started.elapsed();
    let text = report.render();
    println!("{text}");
    let out = out.unwrap_or_else(|| bench_dir.join("target/results/latest.md"));
    if let Some(folder) = out.parent() {
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(&out, &text)?;
    eprintln!("results written to {}", out.display());
    Ok(())
}

fn small_shape() -> Shape {
    Shape {
        groups: 10_000,
        members_per_group: 10,
        probe_users: 50,
        probes_per_user: 4,
        lookups: false,
    }
}

/// `host:port` of the PostgreSQL admin URL.
fn upstream(admin_url: &str) -> String {
    let rest = admin_url.split_once("://").map_or(admin_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    }
}
