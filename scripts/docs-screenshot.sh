#!/usr/bin/env bash
# Proves the interactive docs page renders with no network: starts the server, opens /docs/ in
# headless Chromium (network limited to this machine's loopback), checks the rendered page lists
# the API's routes, and saves a screenshot.
#
#   scripts/docs-screenshot.sh [OUT.png]     # default: docs/img/docs-page.png
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/img/docs-page.png}"
workdir="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

command -v chromium >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
}
cargo build --quiet -p roster-server
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ROSTER_BIND="127.0.0.1:$port" ROSTER_LOG=warn \
    ROSTER_DATABASE_URL="sqlite://$workdir/roster.db?mode=rwc" \
    target/debug/roster > "$workdir/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

# Every host but this one resolves nowhere: the page must come entirely from the binary.
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$workdir/profile" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    --virtual-time-budget=10000 --window-size=1280,1600)
"${chrome[@]}" --dump-dom "http://127.0.0.1:$port/docs/" > "$workdir/dom.html" 2>/dev/null
for expected in "Roster" "/v1/groups/{id}/members" "/v1/check" "Authorize"; do
    grep -qF "$expected" "$workdir/dom.html" || { echo "the docs page does not show '$expected'"; exit 1; }
done
mkdir -p "$(dirname "$out")"
"${chrome[@]}" --screenshot="$out" "http://127.0.0.1:$port/docs/" 2>/dev/null
[ -s "$out" ] || { echo "no screenshot was written"; exit 1; }
echo "docs page rendered offline with its routes; screenshot: $out ($(stat -c %s "$out") bytes)"
