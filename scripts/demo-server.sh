# Sourced by the scripts that judge Roster from outside (fuzz-api.sh, client-flow.sh, …): starts a
# demo server (`roster serve --demo`) on a free loopback port, on SQLite in a temporary folder or,
# given a PostgreSQL admin URL, on a fresh database that is dropped on exit.
#
#   start_demo_server ADMIN_URL_OR_EMPTY DB_PREFIX SECRET
#
# Sets `workdir` (removed on exit), `roster` (ROSTER_BIN, or debug/roster built here, under
# CARGO_TARGET_DIR or target), `backend` (SQLite or PostgreSQL), `admin_token` and
# `student_token` (alan@example.org of the demo school), and exports the ROSTER_* settings the
# server runs with.

demo_server_pid=""
demo_db=""
demo_admin_url=""
workdir="$(mktemp -d)"

stop_demo_server() {
    if [ -n "$demo_server_pid" ]; then kill "$demo_server_pid" 2>/dev/null || true; wait "$demo_server_pid" 2>/dev/null || true; fi
    if [ -n "$demo_db" ]; then psql "$demo_admin_url" -qc "DROP DATABASE IF EXISTS $demo_db WITH (FORCE)" >/dev/null || true; fi
    rm -rf "$workdir"
}
trap stop_demo_server EXIT

start_demo_server() {
    demo_admin_url="$1"
    if [ -n "${ROSTER_BIN:-}" ]; then
        roster="$ROSTER_BIN"
    else
        cargo build --quiet -p roster-server
        roster="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
    fi
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    export ROSTER_BIND="127.0.0.1:$port"
    export ROSTER_JWT_SECRET="$3"
    export ROSTER_LOG="warn"
    if [ -n "$demo_admin_url" ]; then
        demo_db="${2}_$(date +%s)_$$"
        psql "$demo_admin_url" -qc "CREATE DATABASE $demo_db" >/dev/null
        export ROSTER_DATABASE_URL="${demo_admin_url%/*}/$demo_db"
        backend="PostgreSQL"
    else
        export ROSTER_DATABASE_URL="sqlite://$workdir/roster.db?mode=rwc"
        backend="SQLite"
    fi
    "$roster" serve --demo > "$workdir/server.out" 2> "$workdir/server.err" &
    demo_server_pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://$ROSTER_BIND/healthz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    admin_token="$(grep -E '^ey' "$workdir/server.out" | head -n 1 || true)"
    student_token="$("$roster" token --user alan@example.org)"
    [ -n "$admin_token" ] && [ -n "$student_token" ] || { cat "$workdir/server.out" "$workdir/server.err"; exit 1; }
}
