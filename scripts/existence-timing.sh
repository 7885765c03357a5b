#!/usr/bin/env bash
# Existence by timing: how much longer a user with no role waits for a hidden project or squad
# than for one that does not exist (both answer 404). Starts the `roster` binary given (default:
# target/debug/roster) on a database URL (default: a fresh SQLite file), creates a project and a
# squad as the first admin, then times 300 interleaved reads of each as a stranger and prints the
# medians and their ratio. A ratio near 1 means the two paths do the same work.
#   scripts/existence-timing.sh [BINARY] [DATABASE_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/roster}
WORK=$(mktemp -d)
DB=${2:-sqlite://$WORK/timing.db?mode=rwc}
PORT=18090
export ROSTER_DATABASE_URL="$DB" ROSTER_BIND=127.0.0.1:$PORT
export ROSTER_JWT_SECRET=existence-timing-secret-0123456789abcdef
"$BIN" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -sf "localhost:$PORT/healthz" >/dev/null && break; sleep 0.2; done
ADMIN=$(grep -o 'eyJ[A-Za-z0-9._-]*' "$WORK/server.log" | head -n 1)
curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"email":"stranger@timing.test","display_name":"Stranger"}' "localhost:$PORT/v1/users" >/dev/null
STRANGER=$("$BIN" token --user stranger@timing.test 2>/dev/null | grep -o 'eyJ[A-Za-z0-9._-]*')
python3 - "$PORT" "$ADMIN" "$STRANGER" <<'PY'
import http.client, json, random, statistics, sys, time, uuid
port, admin, stranger = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, token, body=None):
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else None), time.perf_counter() - started
_, group, _ = call("POST", "/v1/groups", admin, {"name": "Timing"})
_, project, _ = call("POST", f"/v1/groups/{group['id']}/projects", admin, {"name": "Hidden"})
_, squad, _ = call("POST", f"/v1/projects/{project['id']}/squads", admin, {"name": "Hidden"})
for kind, hidden in [("projects", project["id"]), ("squads", squad["id"])]:
    for _ in range(30):  # warm up
        call("GET", f"/v1/{kind}/{hidden}", stranger)
    samples = {"hidden": [], "missing": []}
    for _ in range(300):
        for which in random.sample(["hidden", "missing"], 2):
            target = hidden if which == "hidden" else uuid.uuid4()
            status, _, seconds = call("GET", f"/v1/{kind}/{target}", stranger)
            assert status == 404, status
            samples[which].append(seconds * 1e6)
    h, m = statistics.median(samples["hidden"]), statistics.median(samples["missing"])
    print(f"{kind}: median hidden {h:.0f} µs, missing {m:.0f} µs, ratio {h / m:.3f}")
PY
