//! The results table: machine, date, medians, ratios, and each goal marked met or not met.

use std::fmt::Write;
use std::time::Duration;

use crate::load::median;
use crate::seed::Backend;
use crate::{g1, g2, g3, g4};

pub struct Report {
    pub reps: usize,
    pub g1: Vec<g1::Result>,
    pub g2: Option<g2::Result>,
    pub g3: Vec<g3::Result>,
    pub g4: Vec<g4::Result>,
    pub elapsed: Duration,
}

fn verdict(met: bool) -> &'static str {
    if met { "**met**" } else { "**not met**" }
}

fn shell(cmd: &str) -> String {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn fmt_ms(ms: Option<f64>) -> String {
    ms.map_or("–".into(), |m| format!("{m:.3}"))
}

fn fmt_bytes(b: Option<u64>) -> String {
    match b {
        Some(b) if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        Some(b) => format!("{:.0} KiB", b as f64 / 1024.0),
        None => "n/a".into(),
    }
}

impl Report {
    pub fn new(reps: usize) -> Self {
        Self {
            reps,
            g1: Vec::new(),
            g2: None,
            g3: Vec::new(),
            g4: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = self.write(&mut s);
        s
    }

    fn write(&self, s: &mut String) -> std::fmt::Result {
        writeln!(s, "# Roster benchmark results\n")?;
        writeln!(s, "| | |\n|---|---|")?;
        writeln!(s, "| date | {} |", shell("date -u '+%Y-%m-%d %H:%M UTC'"))?;
        writeln!(
            s,
            "| CPU | {} |",
            shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")
        )?;
        writeln!(s, "| cores (`nproc`) | {} |", shell("nproc"))?;
        writeln!(
            s,
            "| memory (`free -h`) | {} |",
            shell("free -h | awk '/Mem:/ {print $2\" total, \"$7\" available\"}'")
        )?;
        writeln!(s, "| kernel | {} |", shell("uname -r"))?;
        writeln!(s, "| rustc | {} |", shell("rustc --version"))?;
        writeln!(
            s,
            "| PostgreSQL | {} |",
            shell(
                "psql \"${ROSTER_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}\" -Atc 'SHOW server_version' 2>/dev/null"
            )
        )?;
        writeln!(
            s,
            "| repetitions | {} (interleaved; medians of per-repetition ratios) |",
            self.reps
        )?;
        writeln!(
            s,
            "| run time | {:.1} min |\n",
            self.elapsed.as_secs_f64() / 60.0
        )?;
        let mut goals: Vec<(String, String, bool)> = Vec::new();
        self.write_g1(s, &mut goals)?;
        self.write_g2(s, &mut goals)?;
        self.write_g3(s, &mut goals)?;
        self.write_g4(s, &mut goals)?;
        writeln!(s, "## Goals\n")?;
        writeln!(s, "| goal | measured | verdict |\n|---|---|---|")?;
        for (goal, measured, met) in &goals {
            writeln!(s, "| {goal} | {measured} | {} |", verdict(*met))?;
        }
        Ok(())
    }

    fn write_g1(
        &self,
        s: &mut String,
        goals: &mut Vec<(String, String, bool)>,
    ) -> std::fmt::Result {
        use g1::{BATCH, CHECK_FRESH, CHECK_FULL, HEALTHZ, USER_READ};
        if self.g1.is_empty() {
            return Ok(());
        }
        writeln!(
            s,
            "## G1 — decisions over HTTP vs the server's own ceiling\n"
        )?;
        writeln!(
            s,
            "One server process per database (`roster-bench-server`, default settings: pool of 10, one worker per core, `info` request logs to a file, decision memory of 32 MiB, default consistency `fully_consistent`). Every request of every arm is sent once first (each must answer 2xx; memory then holds every probe's facts), then 2 s of closed loop per arm. Closed loop with 16 connections for the maximum, then open loop at half of each arm's own maximum with 64 connections, latency from the scheduled send time; arms interleaved, their order rotating. Checks: users whose role at the leaf is inherited from two levels up; capabilities rotate group.view / group.view_members (allowed) / group.manage_members (denied). `check_fresh` names the `Roster-Revision` read once before the load (revision {}); a batch is one probe user's 100 leaves under their group; `user_read` reads a co-member at the probed leaf. Then the same database behind a second server with memory off (`ROSTER_DECISION_CACHE_MB=0`, the database path).\n",
            self.g1
                .iter()
                .map(|r| format!("{} on {}", r.revision, r.backend.name()))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        let table = |s: &mut String,
                     title: &str,
                     pick: &dyn Fn(&g1::Result) -> Option<&g1::Phase>|
         -> std::fmt::Result {
            writeln!(s, "{title}\n")?;
            writeln!(
                s,
                "| backend | groups / memberships | arm | request | max rps (median) | ÷ healthz | open-loop rate (achieved) | p50 ms | p99 ms | p99.9 ms | errors / sent |\n|---|---|---|---|---|---|---|---|---|---|---|"
            )?;
            for r in &self.g1 {
                let Some(phase) = pick(r) else { continue };
                for arm in &phase.arms {
                    writeln!(
                        s,
                        "| {} | {} / {} | {} | {} | {:.0} | {} | {:.0} ({:.0}) | {:.3} | {:.3} | {:.3} | {} / {} |",
                        r.backend.name(),
                        r.groups,
                        r.memberships,
                        arm.name(),
                        g1::ASKS[arm.index],
                        arm.max_rps(),
                        phase
                            .ratio(arm.index, HEALTHZ)
                            .map_or("–".into(), |x| format!("{x:.3}")),
                        arm.rate,
                        median(&arm.achieved),
                        median(&arm.p50_ms),
                        median(&arm.p99_ms),
                        median(&arm.p999_ms),
                        arm.errors,
                        arm.sent
                    )?;
                }
            }
            writeln!(s)
        };
        table(s, "### Memory on", &|r| Some(&r.on))?;
        if self.g1.iter().any(|r| r.off.is_some()) {
            table(
                s,
                "### Memory off (`ROSTER_DECISION_CACHE_MB=0`, same database, measured after)",
                &|r| r.off.as_ref(),
            )?;
        }
        let rss =
            |k: Option<u64>| k.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        let ratio = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.3}"));
        let per_rep = |v: Vec<f64>| {
            v.iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            s,
            "Per repetition (closed loop, same repetition's healthz):\n\n| backend | check_fresh ÷ healthz | check_full ÷ healthz | check_fresh ÷ batch100 | user_read ÷ check_full |\n|---|---|---|---|---|"
        )?;
        for r in &self.g1 {
            writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                r.backend.name(),
                per_rep(r.on.ratios(CHECK_FRESH, HEALTHZ)),
                per_rep(r.on.ratios(CHECK_FULL, HEALTHZ)),
                per_rep(r.on.ratios(CHECK_FRESH, BATCH)),
                per_rep(r.on.ratios(USER_READ, CHECK_FULL)),
            )?;
        }
        if self.g1.iter().any(|r| r.off.is_some()) {
            writeln!(
                s,
                "\nBefore and after: memory off → on (each ratio against its own server's healthz).\n\n| backend | check_full ÷ healthz | check_full rps | check_full p99 ms | batch100 rps | user_read rps | server peak RSS |\n|---|---|---|---|---|---|---|"
            )?;
            for r in &self.g1 {
                let Some(off) = &r.off else { continue };
                let rps = |p: &g1::Phase, a| p.arm(a).map_or(f64::NAN, g1::Arm::max_rps);
                let p99 = |p: &g1::Phase, a| p.arm(a).map_or(f64::NAN, |x| median(&x.p99_ms));
                writeln!(
                    s,
                    "| {} | {} → {} | {:.0} → {:.0} | {:.3} → {:.3} | {:.0} → {:.0} | {:.0} → {:.0} | {} → {} |",
                    r.backend.name(),
                    ratio(off.ratio(CHECK_FULL, HEALTHZ)),
                    ratio(r.on.ratio(CHECK_FULL, HEALTHZ)),
                    rps(off, CHECK_FULL),
                    rps(&r.on, CHECK_FULL),
                    p99(off, CHECK_FULL),
                    p99(&r.on, CHECK_FULL),
                    rps(off, BATCH),
                    rps(&r.on, BATCH),
                    rps(off, USER_READ),
                    rps(&r.on, USER_READ),
                    rss(off.peak_rss_kib),
                    rss(r.on.peak_rss_kib),
                )?;
            }
        }
        writeln!(
            s,
            "\nServer memory: resident size (VmRSS) when started, after the warm-up (every request once, then 2 s per arm) and after the measured loops; the peak (VmHWM); the decision memory's own estimate of its facts at the same moments.\n\n| backend | server | VmRSS started / warmed / end | VmHWM | memory's estimate started / warmed / end |\n|---|---|---|---|---|"
        )?;
        for r in &self.g1 {
            for (label, phase) in [("memory on", Some(&r.on)), ("memory off", r.off.as_ref())] {
                let Some(phase) = phase else { continue };
                if phase.resident.is_empty() {
                    continue;
                }
                let join = |f: &dyn Fn(&g1::Resident) -> String| {
                    phase.resident.iter().map(f).collect::<Vec<_>>().join(" / ")
                };
                writeln!(
                    s,
                    "| {} | {label} | {} | {} | {} |",
                    r.backend.name(),
                    join(&|x| rss(x.rss_kib)),
                    rss(phase.peak_rss_kib),
                    join(&|x| fmt_bytes(Some(x.memory_bytes as u64))),
                )?;
            }
        }
        writeln!(
            s,
            "\nThe decision memory over the measured loops (the server's `/metrics`, after minus before; bytes and evictions as they stand at the end):\n\n| backend | lookups | hit ratio | misses | bytes | evicted | revision reads | requests settling `fully_consistent` | requests per revision read |\n|---|---|---|---|---|---|---|---|---|"
        )?;
        for r in &self.g1 {
            let Some(m) = r.on.memory else { continue };
            writeln!(
                s,
                "| {} | {:.0} | {:.5} | {:.0} | {} | {:.0} | {:.0} | {} | {:.2} |",
                r.backend.name(),
                m.hits + m.misses,
                m.hit_ratio(),
                m.misses,
                fmt_bytes(Some(m.bytes as u64)),
                m.evicted,
                m.revision_reads,
                m.fully_consistent_requests,
                m.fully_consistent_requests as f64 / m.revision_reads.max(1.0)
            )?;
        }
        for r in &self.g1 {
            if r.costs.is_empty() {
                continue;
            }
            writeln!(
                s,
                "\nDatabase traffic per request on {} (a protocol-reading proxy, 200 requests one at a time after a pass over every request; the server's background reads meanwhile included):\n",
                r.backend.name()
            )?;
            writeln!(
                s,
                "| arm | memory on: round trips / statements / parses | memory off: round trips / statements / parses |\n|---|---|---|"
            )?;
            for (name, c) in &r.costs {
                let off =
                    r.off_costs
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("–".into(), |(_, o)| {
                            format!(
                                "{:.2} / {:.2} / {:.2}",
                                o.round_trips, o.statements, o.parses
                            )
                        });
                writeln!(
                    s,
                    "| {name} | {:.2} / {:.2} / {:.2} | {off} |",
                    c.round_trips, c.statements, c.parses
                )?;
            }
        }
        writeln!(s)?;
        for r in &self.g1 {
            let name = r.backend.name();
            let on = &r.on;
            for (arm, mode, goal) in [
                (CHECK_FRESH, "at_least_as_fresh", 0.4),
                (CHECK_FULL, "fully_consistent", 0.25),
            ] {
                let x = on.ratio(arm, HEALTHZ);
                goals.push((
                    format!("G1 {name}: check rps ≥ {goal} × healthz ({mode})"),
                    ratio(x),
                    x.is_some_and(|x| x >= goal),
                ));
            }
            if let Some(check) = on.arm(CHECK_FRESH) {
                let p99 = median(&check.p99_ms);
                goals.push((
                    format!(
                        "G1 {name}: check p99 ≤ 1 ms, open loop at half its max ({:.0} rps, at_least_as_fresh)",
                        check.rate
                    ),
                    format!(
                        "{p99:.3} ms (p50 {:.3}, p99.9 {:.3})",
                        median(&check.p50_ms),
                        median(&check.p999_ms)
                    ),
                    p99 <= 1.0,
                ));
            }
            let peak = on.peak_rss_kib.map(|k| k as f64 / 1024.0);
            goals.push((
                format!("G1 {name}: server peak RSS ≤ 96 MiB (VmHWM, memory on)"),
                peak.map_or("n/a".into(), |m| format!("{m:.1} MiB")),
                peak.is_some_and(|m| m <= 96.0),
            ));
            let batch = on.ratio(CHECK_FRESH, BATCH);
            let latency = match (on.arm(BATCH), on.arm(CHECK_FRESH)) {
                (Some(b), Some(c)) => format!(
                    "; open-loop p50 {:.3} vs {:.3} ms",
                    median(&b.p50_ms),
                    median(&c.p50_ms)
                ),
                _ => String::new(),
            };
            goals.push((
                format!(
                    "G1 {name}: a batch of 100 costs ≤ 10 × one check (check rps ÷ batch rps, both at_least_as_fresh)"
                ),
                format!("{}{latency}", ratio(batch)),
                batch.is_some_and(|x| x <= 10.0),
            ));
            let user = on.ratio(USER_READ, CHECK_FULL);
            goals.push((
                format!("G1 {name}: GET /v1/users/{{id}} rps ≥ check rps (both fully_consistent)"),
                ratio(user),
                user.is_some_and(|x| x >= 1.0),
            ));
        }
        Ok(())
    }

    fn write_g2(
        &self,
        s: &mut String,
        goals: &mut Vec<(String, String, bool)>,
    ) -> std::fmt::Result {
        use g2::{CASBIN, CEDAR, MEMORY, ROSTER};
        let Some(g2) = &self.g2 else { return Ok(()) };
        writeln!(s, "## G2 — in-process decision vs peers\n")?;
        writeln!(
            s,
            "~10 memberships per group, 1 000 probe checks (inherited teacher roles), all four engines agreeing on {} checks first. Per call, single thread. `Roster` = the domain decision on prebuilt maps; `Roster memory path` = the server's `services::check::answer` on its decision memory (a real `Decisions` over a SQLite database seeded with the same organisation, warmed by the agreement pass; the user's and the group's facts looked up in memory, the domain decision, the human `reason` string), timed per call as one `.await` in a tight loop inside one async block on the benchmark's tokio runtime. Facts the memory path read from the database during the timed calls: {}.\n",
            g2.agreement_checks,
            g2.scales
                .first()
                .and_then(|x| x.memory_misses)
                .map_or("n/a".into(), |m| format!("{m:.0}"))
        )?;
        writeln!(
            s,
            "| groups | memberships | engine | median | p99 | build (once) |\n|---|---|---|---|---|---|"
        )?;
        for sc in &g2.scales {
            let builds = [
                Some(sc.build_roster),
                Some(sc.seed_memory),
                Some(sc.build_cedar),
                sc.build_casbin,
            ];
            for (e, name) in g2::ENGINES.iter().enumerate() {
                let med = g2::median_ratio(&sc.samples, |r| r[e].map(|x| x.median_ns));
                let p99 = g2::median_ratio(&sc.samples, |r| r[e].map(|x| x.p99_ns));
                let build = builds[e].map_or("–".into(), |d| {
                    if e == MEMORY {
                        format!("{d:.2?} (seeding its database; memory fills on use)")
                    } else {
                        format!("{d:.2?}")
                    }
                });
                writeln!(
                    s,
                    "| {} | {} | {name} | {} | {} | {build} |",
                    sc.groups,
                    sc.memberships,
                    med.map_or("–".into(), fmt_ns),
                    p99.map_or("–".into(), fmt_ns),
                )?;
            }
        }
        writeln!(
            s,
            "\n| groups | memory path / Cedar (median) | memory path / Cedar (p99) | Roster / Cedar (median) | Roster / Cedar (p99) | Roster / casbin (median) | Roster / casbin (p99) |\n|---|---|---|---|---|---|---|"
        )?;
        let f = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.4}"));
        let ratio = |sc: &g2::ScaleResult, a: usize, b: usize, p99: bool| {
            g2::median_ratio(&sc.samples, |r| {
                let (x, y) = (r[a]?, r[b]?);
                Some(if p99 {
                    x.p99_ns / y.p99_ns
                } else {
                    x.median_ns / y.median_ns
                })
            })
        };
        let (mut memory_ok, mut memory_text) = (true, Vec::new());
        let (mut cedar_ok, mut cedar_text) = (true, Vec::new());
        let mut casbin_goal = None;
        for sc in &g2.scales {
            let (mc, mc99) = (
                ratio(sc, MEMORY, CEDAR, false),
                ratio(sc, MEMORY, CEDAR, true),
            );
            let (rc, rc99) = (
                ratio(sc, ROSTER, CEDAR, false),
                ratio(sc, ROSTER, CEDAR, true),
            );
            let (rk, rk99) = (
                ratio(sc, ROSTER, CASBIN, false),
                ratio(sc, ROSTER, CASBIN, true),
            );
            writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                sc.groups,
                f(mc),
                f(mc99),
                f(rc),
                f(rc99),
                f(rk),
                f(rk99)
            )?;
            memory_ok &= mc.is_some_and(|x| x <= 0.1);
            memory_text.push(format!("{}: {} (p99 {})", sc.groups, f(mc), f(mc99)));
            cedar_ok &= rc.is_some_and(|x| x <= 0.2) && rc99.is_some_and(|x| x <= 0.2);
            cedar_text.push(format!("{}: {} / {}", sc.groups, f(rc), f(rc99)));
            if sc.groups == 10_000 {
                casbin_goal = Some((
                    "G2: Roster ≤ 0.01 × casbin at 10⁴ (median / p99)".to_owned(),
                    format!("{} / {}", f(rk), f(rk99)),
                    rk.is_some_and(|x| x <= 0.01) && rk99.is_some_and(|x| x <= 0.01),
                ));
            }
        }
        goals.push((
            "G2: the decision path on memory (lookups, decision, reason) ≤ 0.1 × Cedar's `is_authorized`, median, every scale".into(),
            memory_text.join("; "),
            memory_ok,
        ));
        goals.push((
            "G2: Roster median and p99 ≤ 0.2 × Cedar's (every scale)".into(),
            cedar_text.join("; "),
            cedar_ok,
        ));
        goals.extend(casbin_goal);
        let first = g2.scales.first();
        let last = g2.scales.last();
        if let (Some(a), Some(b)) = (first, last) {
            let growth = |e: usize| {
                let v: Vec<f64> = a
                    .samples
                    .iter()
                    .zip(&b.samples)
                    .filter_map(|(x, y)| Some(y[e]?.median_ns / x[e]?.median_ns))
                    .collect();
                median(&v)
            };
            let g = growth(ROSTER);
            writeln!(
                s,
                "\nGrowth {} → {} groups (median of per-rep ratios): Roster {g:.3}, memory path {:.3}\n",
                a.groups,
                b.groups,
                growth(MEMORY)
            )?;
            goals.push((
                format!("G2: Roster at {} ≤ 1.5 × at {}", b.groups, a.groups),
                format!("{g:.3}"),
                g <= 1.5,
            ));
        }
        Ok(())
    }

    fn write_g3(
        &self,
        s: &mut String,
        goals: &mut Vec<(String, String, bool)>,
    ) -> std::fmt::Result {
        if self.g3.is_empty() {
            return Ok(());
        }
        writeln!(s, "## G3 — hierarchy at scale\n")?;
        writeln!(
            s,
            "10-ary trees, one membership per group (plus the lookup fixtures: one user with 10 memberships, a chain of 20 groups under the root with 5 members per level); one connection, sequential; milliseconds, median (p99) of {} runs per query per repetition, medians over repetitions. `desc` = 110 descendants of a 111-group subtree, `anc` = ancestors of a deepest leaf, `role` = the check service at a leaf (role inherited two levels up), `move` = moving the 111-group subtree (one write transaction with audit). Lookups below.\n",
            300
        )?;
        for r in &self.g3 {
            writeln!(s, "### {}\n", r.backend.name())?;
            write!(s, "| groups |")?;
            for q in &g3::QUERIES[..g3::TREE_QUERIES] {
                write!(s, " {q} |")?;
            }
            writeln!(s, "\n|---|{}", "---|".repeat(g3::TREE_QUERIES))?;
            for sc in &r.scales {
                write!(s, "| {} |", sc.groups)?;
                for q in 0..g3::TREE_QUERIES {
                    let med = g3::median_of(&sc.samples, |row| row[q].map(|x| x.median_ms));
                    let p99 = g3::median_of(&sc.samples, |row| row[q].map(|x| x.p99_ms));
                    write!(s, " {} ({}) |", fmt_ms(med), fmt_ms(p99))?;
                }
                writeln!(s)?;
            }
            writeln!(
                s,
                "\n| groups | memberships | load rows | index builds | ANALYZE | index sizes |\n|---|---|---|---|---|---|"
            )?;
            for sc in &r.scales {
                writeln!(
                    s,
                    "| {} | {} | {:.1?} | {} | {:.1?} | {} |",
                    sc.groups,
                    sc.memberships,
                    sc.seed_rows,
                    sc.index_builds
                        .iter()
                        .map(|(n, d)| format!("{n} {d:.2?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    sc.analyze,
                    sc.index_sizes
                        .iter()
                        .map(|(n, b)| format!("{n} {}", fmt_bytes(*b)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            }
            let (Some(a), Some(b)) = (r.scales.first(), r.scales.last()) else {
                continue;
            };
            let growth = |q: usize| {
                let v: Vec<f64> = a
                    .samples
                    .iter()
                    .zip(&b.samples)
                    .filter_map(|(x, y)| Some(y[q]?.median_ms / x[q]?.median_ms))
                    .collect();
                median(&v)
            };
            writeln!(
                s,
                "\nGrowth {} → {} (median of per-rep ratios of medians):\n",
                a.groups, b.groups
            )?;
            writeln!(s, "| query | growth |\n|---|---|")?;
            for (q, name) in g3::QUERIES.iter().enumerate() {
                let g = growth(q);
                if g.is_finite() {
                    writeln!(s, "| {name} | {g:.3} |")?;
                }
            }
            let ratio = |x: usize, y: usize| {
                g3::median_of(&b.samples, |row| {
                    Some(row[x]?.median_ms / row[y]?.median_ms)
                })
            };
            let d = ratio(0, 1);
            let d_alt = ratio(2, 1);
            let an = ratio(3, 4);
            writeln!(
                s,
                "\nAt {}: desc Roster / CTE = {}, desc B-tree range / CTE = {}, anc Roster / CTE = {}\n",
                b.groups,
                fmt_ms(d),
                fmt_ms(d_alt),
                fmt_ms(an)
            )?;
            let full = r.backend == Backend::Postgres && b.groups >= 1_000_000;
            let label = format!("{} {}→{}", r.backend.name(), a.groups, b.groups);
            for (q, name) in [(0, "descendants"), (3, "ancestors"), (5, "effective role")] {
                let g = growth(q);
                let text = format!("G3 {label}: {name} growth ≤ 1.5×");
                goals.push((
                    if full {
                        text
                    } else {
                        format!("{text} (reduced scale)")
                    },
                    format!("{g:.3}"),
                    g <= 1.5,
                ));
            }
            if r.backend == Backend::Postgres {
                goals.push((
                    format!(
                        "G3 {label}: descendants ≤ 0.5 × recursive CTE at {}",
                        b.groups
                    ),
                    fmt_ms(d),
                    d.is_some_and(|x| x <= 0.5),
                ));
                goals.push((
                    format!(
                        "G3 {label}: ancestors ≤ 0.8 × recursive CTE at {}",
                        b.groups
                    ),
                    fmt_ms(an),
                    an.is_some_and(|x| x <= 0.8),
                ));
            }
            write_lookups(s, r, &label, full, goals)?;
            for sc in &r.scales {
                if sc.plans.is_empty() {
                    continue;
                }
                writeln!(
                    s,
                    "<details><summary>EXPLAIN (ANALYZE, BUFFERS) at {} groups</summary>\n",
                    sc.groups
                )?;
                for (name, plan) in &sc.plans {
                    writeln!(s, "`{name}`:\n```\n{plan}\n```")?;
                }
                writeln!(s, "</details>\n")?;
            }
        }
        Ok(())
    }

    fn write_g4(
        &self,
        s: &mut String,
        goals: &mut Vec<(String, String, bool)>,
    ) -> std::fmt::Result {
        if self.g4.is_empty() {
            return Ok(());
        }
        writeln!(s, "## G4 — writes and the change feed\n")?;
        writeln!(
            s,
            "Writes: half project renames, half new group memberships, each a real change, by a system admin over 16 connections, closed loop, {} repetitions with the three arms interleaved. `plain` = the same binary with `ROSTER_BENCH_PLAIN_WRITES=true` (no counter, no deltas, no outbox); `full` = revisions, access deltas and the outbox with one endpoint subscribed to every change, on a server with `ROSTER_WEBHOOK_DELIVERY=false` (the deliveries are queued, and sent afterwards by a delivering server: `deliveries/s`); `delivering` = the same with the server's own worker sending to a receiver on loopback during the run, on the same two cores. Latency: writes at a fixed rate, from each change's `occurred_at` (stamped just before its commit) to its arrival at a long-polling `GET /v1/changes?wait=` reader and at the webhook receiver.\n",
            self.g4[0].plain_rps.len()
        )?;
        writeln!(
            s,
            "| backend | plain writes/s | full writes/s (÷ plain) | delivering writes/s (÷ plain) | deliveries/s | rate asked / achieved | changes | feed p50 / p99 / max ms | webhook p50 / p99 / max ms |\n|---|---|---|---|---|---|---|---|---|"
        )?;
        let p = |v: &[u64], q| g4::Result::percentile_ms(v, q);
        for r in &self.g4 {
            let ratio = median(&r.ratios);
            writeln!(
                s,
                "| {} | {:.0} | {:.0} ({ratio:.3}) | {:.0} ({:.3}) | {:.0} | {:.0} / {:.1} | {} | {:.2} / {:.2} / {:.2} | {:.2} / {:.2} / {:.2} |",
                r.backend.name(),
                median(&r.plain_rps),
                median(&r.full_rps),
                median(&r.delivering_rps),
                median(&r.delivering_ratios),
                median(&r.deliveries_per_sec),
                r.rate,
                r.achieved_rate,
                r.writes,
                p(&r.feed_us, 0.5),
                p(&r.feed_us, 0.99),
                p(&r.feed_us, 1.0),
                p(&r.webhook_us, 0.5),
                p(&r.webhook_us, 0.99),
                p(&r.webhook_us, 1.0),
            )?;
            let name = r.backend.name();
            goals.push((
                format!("G4 {name}: write throughput with revisions and outbox ≥ 0.8 × without"),
                format!(
                    "{ratio:.3} (delivering on the same cores: {:.3})",
                    median(&r.delivering_ratios)
                ),
                ratio >= 0.8,
            ));
            for (to, v) in [
                ("long-poll reader", &r.feed_us),
                ("webhook receiver", &r.webhook_us),
            ] {
                let (p50, p99) = (p(v, 0.5), p(v, 0.99));
                goals.push((
                    format!(
                        "G4 {name}: commit → {to} p50 ≤ 20 ms, p99 ≤ 100 ms at {:.0} writes/s",
                        r.rate
                    ),
                    format!("{p50:.2} / {p99:.2} ms"),
                    p50 <= 20.0 && p99 <= 100.0,
                ));
            }
        }
        for r in &self.g4 {
            if let Some([delivered, full, plain]) = r.costs {
                writeln!(
                    s,
                    "\n{}, one write at a time through the counting proxy, everything the server does meanwhile included: plain {:.2} statements ({:.2} round trips) per write; full {:.2} ({:.2}); full with each change delivered {:.2} ({:.2}).",
                    r.backend.name(),
                    plain.statements,
                    plain.round_trips,
                    full.statements,
                    full.round_trips,
                    delivered.statements,
                    delivered.round_trips,
                )?;
            }
        }
        writeln!(s)?;
        Ok(())
    }
}

fn fmt_size(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20))
    } else if b >= 1 << 10 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

/// G3's lookups: first pages, and the subtree-roots answer against the expanded one.
fn write_lookups(
    s: &mut String,
    r: &g3::Result,
    label: &str,
    full: bool,
    goals: &mut Vec<(String, String, bool)>,
) -> std::fmt::Result {
    let res = g3::index_of("lookup_res_roster");
    let sub = g3::index_of("lookup_sub_roster");
    let roots = g3::index_of("lookup_roots_all");
    let expand = g3::index_of("lookup_expand_all");
    writeln!(
        s,
        "#### Lookups on {}\n\n`lookup_res` = first page (limit 50) of `group_roots`, `group.view`, for a user with 10 memberships at depth-2 groups (10 roots); `lookup_sub` = first page (limit 50) of `subjects` at the leaf of a 20-group chain (5 members per level); both answers walked whole with limit 500: roots vs expanded (every group). Bytes are the JSON pages as the route serializes them (`Page<FoundResource>`), and for the expanded answer also a bare `[{{type, id, role}}]` list. Times include page building and serialization; the expanded walk is timed over at most 5 walks per repetition (15 s budget), so its p99 is the slowest walk.\n",
        r.backend.name()
    )?;
    writeln!(
        s,
        "| groups | lookup_res first page | lookup_sub first page | roots: items / pages / bytes / time | expanded: items / pages / bytes / bare list / time | expanded ÷ roots: bytes / time | slowest expanded page |\n|---|---|---|---|---|---|---|"
    )?;
    let cell = |sc: &g3::ScaleResult, q: usize| {
        let med = g3::median_of(&sc.samples, |row| row[q].map(|x| x.median_ms));
        let p99 = g3::median_of(&sc.samples, |row| row[q].map(|x| x.p99_ms));
        format!("{} ({})", fmt_ms(med), fmt_ms(p99))
    };
    let mut compare = Vec::new();
    let mut smaller_and_faster = true;
    for sc in &r.scales {
        let a = &sc.answers;
        let time_ratio = g3::median_of(&sc.samples, |row| {
            Some(row[expand]?.median_ms / row[roots]?.median_ms)
        });
        let bytes_ratio = a.expanded_bytes as f64 / a.roots_bytes.max(1) as f64;
        writeln!(
            s,
            "| {} | {} | {}, {} | {} / {} / {} / {} ms | {} / {} / {} / {} / {} ms | {:.0}× / {}× | {:.1} ms |",
            sc.groups,
            cell(sc, res),
            cell(sc, sub),
            fmt_size(a.subjects_page_bytes),
            a.roots_items,
            a.roots_pages,
            fmt_size(a.roots_bytes),
            cell(sc, roots),
            a.expanded_items,
            a.expanded_pages,
            fmt_size(a.expanded_bytes),
            fmt_size(a.expanded_min_bytes),
            cell(sc, expand),
            bytes_ratio,
            time_ratio.map_or("–".into(), |t| format!("{t:.0}")),
            a.slowest_page_ms
        )?;
        smaller_and_faster &= bytes_ratio > 1.0 && time_ratio.is_some_and(|t| t > 1.0);
        compare.push(format!(
            "{}: {:.0}× bytes, {}× time",
            sc.groups,
            bytes_ratio,
            time_ratio.map_or("–".into(), |t| format!("{t:.0}"))
        ));
    }
    writeln!(s)?;
    let (Some(first), Some(last)) = (r.scales.first(), r.scales.last()) else {
        return Ok(());
    };
    let suffix = if full { "" } else { " (reduced scale)" };
    if r.backend == Backend::Postgres {
        for (q, name) in [(res, "resource"), (sub, "subject")] {
            let med = g3::median_of(&last.samples, |row| row[q].map(|x| x.median_ms));
            goals.push((
                format!(
                    "G3 lookups {label}: {name} lookup first page ≤ 5 ms median at {}{suffix}",
                    last.groups
                ),
                format!("{} ms", fmt_ms(med)),
                med.is_some_and(|m| m <= 5.0),
            ));
        }
    }
    for (q, name) in [(res, "resource"), (sub, "subject")] {
        let v: Vec<f64> = first
            .samples
            .iter()
            .zip(&last.samples)
            .filter_map(|(x, y)| Some(y[q]?.median_ms / x[q]?.median_ms))
            .collect();
        let g = median(&v);
        goals.push((
            format!("G3 lookups {label}: {name} lookup growth ≤ 1.5×{suffix}"),
            format!("{g:.3}"),
            g <= 1.5,
        ));
    }
    goals.push((
        format!(
            "G3 lookups {label}: subtree roots smaller and faster than the expanded answer (every scale; expanded ÷ roots)"
        ),
        compare.join("; "),
        smaller_and_faster,
    ));
    Ok(())
}
