#!/usr/bin/env bash
# The one benchmark command (docs/PERFORMANCE.md): builds the standalone `bench/` package in
# release mode, makes sure PostgreSQL answers, seeds fresh `roster_bench_*` databases through
# Roster's own code, runs G1 (decisions over HTTP against the server's own ceiling, `GET
# /healthz`: checks asking `at_least_as_fresh` and `fully_consistent`, a batch of 100, `GET
# /v1/users/{id}`, on a server with decision memory on and then on one with it off), G2 (the
# in-process decision — Roster's domain code and its decision path on memory — vs Cedar and
# casbin), G3 (hierarchy at 10³–10⁶ groups: descendants, ancestors, effective role, move, and the
# lookups — resource and subject first pages, subtree roots vs the expanded answer), G4 (write
# throughput with revisions, deltas and the outbox vs. the same server writing the plain way;
# commit → long-poll reader and → webhook receiver latency at 100 writes/s), and writes the
# results table (machine, date, medians, ratios, goals) to bench/target/results/latest.md (or
# $BENCH_OUT).
#
#   scripts/bench.sh            # everything (about 35 minutes on 2 cores, build excluded)
#   scripts/bench.sh g1|…|g4    # one part (g1: about 20 minutes, seeding included; g2: about 2)
#   scripts/bench.sh count      # database round trips and statements per request, memory on/off
#
# Environment: ROSTER_BENCH_POSTGRES_URL (admin URL that may create databases; default
# postgres://postgres@127.0.0.1:5432/postgres), BENCH_REPS (5), BENCH_G3_MAX (1000000; 100000
# for a quicker run), BENCH_G3_SQLITE_MAX (100000), BENCH_G1_CLOSED_SECS (3),
# BENCH_G1_OPEN_SECS (5), BENCH_G1_MEMORY_OFF (1; 0 skips G1's memory-off server),
# BENCH_G1_GROUPS (100000; fewer only to try the harness out),
# BENCH_G4_CLOSED_SECS (3), BENCH_G4_RATE (100), BENCH_G4_LATENCY_SECS (10), BENCH_G4_REPS (9),
# BENCH_G4_BACKEND (postgresql or sqlite: G4 on that one only), BENCH_KEEP_DBS (set to keep the
# databases), BENCH_OUT; for profiling, BENCH_PROFILE_ARM (a G1 arm) and BENCH_PROFILE_G2=memory.
# All load goes to 127.0.0.1 only, and every loop is bounded in count and time.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never
export ROSTER_BENCH_POSTGRES_URL="${ROSTER_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

step() { printf '\n==> %s\n' "$*" >&2; }

ensure_postgres() {
    if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
        return 0
    fi
    step "PostgreSQL is not answering; starting it"
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib
    fi
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && return 0
        sleep 1
    done
    echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
    return 1
}

command -v cargo >/dev/null || { echo "cargo is not installed (see README)" >&2; exit 1; }
ensure_postgres
psql "$ROSTER_BENCH_POSTGRES_URL" -qtAc 'SELECT 1' >/dev/null \
    || { echo "cannot connect to $ROSTER_BENCH_POSTGRES_URL" >&2; exit 1; }

step "building bench/ (release; its own Cargo.lock and bench/target)"
cargo build --release --manifest-path bench/Cargo.toml --bins

step "running ${1:-all}"
out="${BENCH_OUT:-bench/target/results/latest.md}"
bench/target/release/roster-bench "${1:-all}" --out "$out"
