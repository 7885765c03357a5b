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
        if self.g1.is_empty() {
            return Ok(());
        }
        writeln!(s, "## G1 — HTTP check vs its own ceiling\n")?;
        writeln!(
            s,
            "One server process (`roster-bench-server`, default settings: pool of 10, one worker per core, `info` request logs to a file), closed loop with 16 connections for the maximum, then open loop at half of each endpoint's own maximum with 64 connections, latency from the scheduled send time. Checks: users whose role at the leaf is inherited from two levels up; capabilities rotate group.view / group.view_members (allowed) / group.manage_members (denied).\n"
        )?;
        writeln!(
            s,
            "| backend | groups / memberships | endpoint | max rps (median) | open-loop rate | p50 ms | p99 ms | p99.9 ms |\n|---|---|---|---|---|---|---|---|"
        )?;
        for r in &self.g1 {
            for arm in &r.arms {
                writeln!(
                    s,
                    "| {} | {} / {} | {} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} |",
                    r.backend.name(),
                    r.groups,
                    r.memberships,
                    arm.name,
                    arm.max_rps(),
                    arm.rate,
                    median(&arm.p50_ms),
                    median(&arm.p99_ms),
                    median(&arm.p999_ms)
                )?;
            }
        }
        writeln!(
            s,
            "\n| backend | check / select1 | check / pk_read | pk_read / select1 | per-rep check / select1 | server peak RSS |\n|---|---|---|---|---|---|"
        )?;
        for r in &self.g1 {
            let col = |k: usize| median(&r.ratios.iter().map(|x| x[k]).collect::<Vec<_>>());
            writeln!(
                s,
                "| {} | {:.3} | {:.3} | {:.3} | {} | {} |",
                r.backend.name(),
                col(0),
                col(1),
                col(2),
                r.ratios
                    .iter()
                    .map(|x| format!("{:.2}", x[0]))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.peak_rss_kib
                    .map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
            )?;
            let check = &r.arms[2];
            goals.push((
                format!("G1 {}: check rps ≥ 0.8 × select1", r.backend.name()),
                format!("{:.3}", col(0)),
                col(0) >= 0.8,
            ));
            let p99 = median(&check.p99_ms);
            goals.push((
                format!(
                    "G1 {}: check p99 ≤ 2 ms at half load ({:.0} rps)",
                    r.backend.name(),
                    check.rate
                ),
                format!(
                    "{p99:.3} ms (p50 {:.3}, p99.9 {:.3})",
                    median(&check.p50_ms),
                    median(&check.p999_ms)
                ),
                p99 <= 2.0,
            ));
        }
        for r in &self.g1 {
            if !r.costs.is_empty() {
                writeln!(
                    s,
                    "\nDatabase traffic per request on {} (counted by a protocol-reading proxy over 200 requests after warm-up):\n",
                    r.backend.name()
                )?;
                writeln!(
                    s,
                    "| endpoint | round trips | statements | parses |\n|---|---|---|---|"
                )?;
                for (name, c) in &r.costs {
                    writeln!(
                        s,
                        "| {name} | {:.2} | {:.2} | {:.2} |",
                        c.round_trips, c.statements, c.parses
                    )?;
                }
            }
        }
        writeln!(s)?;
        Ok(())
    }

    fn write_g2(
        &self,
        s: &mut String,
        goals: &mut Vec<(String, String, bool)>,
    ) -> std::fmt::Result {
        let Some(g2) = &self.g2 else { return Ok(()) };
        writeln!(s, "## G2 — in-process decision vs peers\n")?;
        writeln!(
            s,
            "~10 memberships per group, 1 000 probe checks (inherited teacher roles), all three engines agreeing on {} checks first. Per call, single thread.\n",
            g2.agreement_checks
        )?;
        writeln!(
            s,
            "| groups | memberships | engine | median | p99 | build (once) |\n|---|---|---|---|---|---|"
        )?;
        for sc in &g2.scales {
            let builds = [Some(sc.build_roster), Some(sc.build_cedar), sc.build_casbin];
            for (e, name) in ["Roster", "Cedar", "casbin"].iter().enumerate() {
                let med = g2::median_ratio(&sc.samples, |r| r[e].map(|x| x.median_ns));
                let p99 = g2::median_ratio(&sc.samples, |r| r[e].map(|x| x.p99_ns));
                writeln!(
                    s,
                    "| {} | {} | {name} | {} | {} | {} |",
                    sc.groups,
                    sc.memberships,
                    med.map_or("–".into(), fmt_ns),
                    p99.map_or("–".into(), fmt_ns),
                    builds[e].map_or("–".into(), |d| format!("{d:.2?}"))
                )?;
            }
        }
        writeln!(
            s,
            "\n| groups | Roster / Cedar (median) | Roster / Cedar (p99) | Roster / casbin (median) | Roster / casbin (p99) |\n|---|---|---|---|---|"
        )?;
        let mut cedar_ok = true;
        let mut cedar_text = Vec::new();
        for sc in &g2.scales {
            let rc = g2::median_ratio(&sc.samples, |r| Some(r[0]?.median_ns / r[1]?.median_ns));
            let rc99 = g2::median_ratio(&sc.samples, |r| Some(r[0]?.p99_ns / r[1]?.p99_ns));
            let rk = g2::median_ratio(&sc.samples, |r| Some(r[0]?.median_ns / r[2]?.median_ns));
            let rk99 = g2::median_ratio(&sc.samples, |r| Some(r[0]?.p99_ns / r[2]?.p99_ns));
            let f = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.4}"));
            writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                sc.groups,
                f(rc),
                f(rc99),
                f(rk),
                f(rk99)
            )?;
            cedar_ok &= rc.is_some_and(|x| x <= 0.2) && rc99.is_some_and(|x| x <= 0.2);
            cedar_text.push(format!("{}: {} / {}", sc.groups, f(rc), f(rc99)));
            if sc.groups == 10_000 {
                goals.push((
                    "G2: Roster ≤ 0.01 × casbin at 10⁴ (median / p99)".into(),
                    format!("{} / {}", f(rk), f(rk99)),
                    rk.is_some_and(|x| x <= 0.01) && rk99.is_some_and(|x| x <= 0.01),
                ));
            }
        }
        goals.insert(
            goals.len().saturating_sub(1),
            (
                "G2: Roster median and p99 ≤ 0.2 × Cedar's (every scale)".into(),
                cedar_text.join("; "),
                cedar_ok,
            ),
        );
        let first = g2.scales.first();
        let last = g2.scales.last();
        if let (Some(a), Some(b)) = (first, last) {
            let growth: Vec<f64> = a
                .samples
                .iter()
                .zip(&b.samples)
                .filter_map(|(x, y)| Some(y[0]?.median_ns / x[0]?.median_ns))
                .collect();
            let g = median(&growth);
            writeln!(
                s,
                "\nRoster growth {} → {} groups (median of per-rep ratios): {g:.3}\n",
                a.groups, b.groups
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
            "| {} | {} | {} | {} / {} / {} / {} ms | {} / {} / {} / {} / {} ms | {:.0}× / {}× | {:.1} ms |",
            sc.groups,
            cell(sc, res),
            format!("{}, {}", cell(sc, sub), fmt_size(a.subjects_page_bytes)),
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
