#!/usr/bin/env bash
# Roster's webhook deliveries judged by the `standardwebhooks` package from PyPI: a demo server
# delivers to a receiver that verifies each delivery with it (scripts/webhook-verify.py), while
# 8 concurrent clients make 500 writes; every change must arrive, verified, exactly once per
# `webhook-id`, in revision order, and the feed read from 0 must hold every revision once, in
# order. First the verifier is shown to refuse a signature made with another secret
# and one with a stale timestamp, so a pass means something. Then the server is killed with
# SIGKILL 10 times while writes and deliveries are in flight, and restarted: afterwards every
# acknowledged write must be in the change feed and must have reached the receiver, verified.
#
#   scripts/webhook-verify.sh                       # SQLite in a temporary folder
#   scripts/webhook-verify.sh postgres://…/postgres  # PostgreSQL: a fresh database
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${XDG_CACHE_HOME:-$HOME/.cache}/roster/standardwebhooks-1.1.0"
admin_url="${1:-}"
writes="${WEBHOOK_WRITES:-500}"
. scripts/demo-server.sh

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "standardwebhooks==1.1.0"
fi

echo "--- the verifier refuses what it should"
"$venv/bin/python" - <<'PY'
import base64, hashlib, hmac, os, time
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
body = b'{"revision": 1}'

def headers(key, ts):
    raw = base64.b64decode(key[len("whsec_"):])
    mac = hmac.new(raw, f"msg_1.{ts}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": "msg_1", "webhook-timestamp": str(ts),
            "webhook-signature": "v1," + base64.b64encode(mac).decode()}

now = int(time.time())
Webhook(secret).verify(body, headers(secret, now))
for name, bad in [("another secret", headers(other, now)), ("a stale timestamp", headers(secret, now - 3600))]:
    try:
        Webhook(secret).verify(body, bad)
    except WebhookVerificationError:
        print(f"refused: {name}")
    else:
        raise SystemExit(f"the verifier accepted {name}")
PY

export ROSTER_WEBHOOK_ALLOW_PRIVATE=true
# A short timeout keeps the lease of a killed server's attempt short (timeout + 5 s).
export ROSTER_WEBHOOK_TIMEOUT=2s
start_demo_server "$admin_url" roster_webhooks "webhook-verify-secret-that-is-long-enough-0123"
api="http://$ROSTER_BIND"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

created="$(curl -fsS -X POST "$api/v1/webhooks" -H "Authorization: Bearer $admin_token" \
    -H 'content-type: application/json' \
    -d "{\"url\": \"http://127.0.0.1:$port/hook\", \"description\": \"standardwebhooks verifier\"}")"
secret="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$created")"
hook_id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$created")"
"$venv/bin/python" scripts/webhook-verify.py "$port" "$secret" "$workdir/received.jsonl" &
receiver_pid=$!
trap 'kill $receiver_pid 2>/dev/null || true; stop_demo_server' EXIT
sleep 0.5

first="$(curl -fsS -D - -o /dev/null "$api/v1/me" -H "Authorization: Bearer $admin_token" \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "roster-revision" {print $2}')"
echo "--- $writes writes from 8 clients on $backend, after revision $first"
writers=()
for client in $(seq 1 8); do
    (
        # The writes split over the 8 clients, the first ones taking one more if they do not
        # divide evenly.
        for n in $(seq 1 $((writes / 8 + (client <= writes % 8 ? 1 : 0)))); do
            curl -fsS -o /dev/null -X POST "$api/v1/groups" -H "Authorization: Bearer $admin_token" \
                -H 'content-type: application/json' -d "{\"name\": \"w$client-$n\"}"
        done
    ) &
    writers+=($!)
done
for writer in "${writers[@]}"; do wait "$writer"; done
curl -fsS -o /dev/null -X POST "$api/v1/webhooks/$hook_id/ping" -H "Authorization: Bearer $admin_token"
last="$(curl -fsS -D - -o /dev/null "$api/v1/me" -H "Authorization: Bearer $admin_token" \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "roster-revision" {print $2}')"

check_received() {
python3 - "$workdir/received.jsonl" "$@" <<'PY'
import json, sys, time
path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
acknowledged = sys.argv[4] if len(sys.argv) > 4 else None
expected = list(range(first + 1, last + 1))
deadline = time.time() + 60
while True:
    lines = [json.loads(l) for l in open(path)] if __import__("os").path.exists(path) else []
    changes = {}
    for line in lines:
        if line["revision"] is not None:
            changes.setdefault(line["webhook_id"], line)
    got = sorted(c["revision"] for c in changes.values() if c["revision"] > first)
    if got == expected or time.time() > deadline:
        break
    time.sleep(0.2)
unverified = [l for l in lines if not l["verified"]]
order = [l["revision"] for l in lines if l["revision"] is not None and l["revision"] > first]
firsts = []
for r in order:
    if r not in firsts:
        firsts.append(r)
print(f"{len(lines)} deliveries received, {len(unverified)} unverified, "
      f"{len(got)} of {len(expected)} changes after revision {first}, "
      f"pings: {sum(1 for l in lines if l['type'] == 'ping')}")
assert not unverified, unverified[:3]
assert got == expected, f"missing: {sorted(set(expected) - set(got))[:10]}"
assert firsts == expected, "not in revision order"
if acknowledged is None:
    assert any(l["type"] == "ping" for l in lines), "the ping did not arrive"
else:
    acked = {int(r) for r in open(acknowledged).read().split()}
    assert acked, "no write was acknowledged"
    assert acked <= set(got), f"acknowledged writes never delivered: {sorted(acked - set(got))[:10]}"
    print(f"{len(acked)} acknowledged writes, all delivered")
print("OK: every change arrived once per webhook-id, in revision order, verified by standardwebhooks")
PY
}
check_received "$first" "$last"
# The change feed after revision $1 as the system admin reads it, page by page: one revision a
# line, in the order served.
feed_revisions() {
python3 - "$api" "$admin_token" "$1" <<'PY'
import json, sys, urllib.request
api, token, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
while True:
    req = urllib.request.Request(f"{api}/v1/changes?after={after}&limit=500",
                                 headers={"Authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req))
    for change in page["items"]:
        print(change["revision"])
    if not page["items"]:
        break
    after = page["next_after"]
PY
}

# The feed, read from 0, holds every revision up to the last exactly once, in order: those
# writes and everything before them.
feed_revisions 0 > "$workdir/feed"
python3 - "$workdir/feed" "$last" <<'PY'
import sys
revisions, last = [int(r) for r in open(sys.argv[1]).read().split()], int(sys.argv[2])
upto = [r for r in revisions if r <= last]
assert upto == list(range(1, last + 1)), \
    f"the feed from 0 is not every revision once, in order: {len(upto)} of {last}"
print(f"the feed from 0 holds revisions 1..{last}, each once, in order")
PY

revision_now() {
    curl -fsS -D - -o /dev/null "$api/v1/me" -H "Authorization: Bearer $admin_token" \
        | tr -d '\r' | awk -F': ' 'tolower($1) == "roster-revision" {print $2}'
}

restart_server() {
    "$roster" serve > "$workdir/server.out" 2>> "$workdir/server.err" &
    demo_server_pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "$api/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$workdir/server.err"; exit 1
}

echo "--- SIGKILL 10 times during writes and deliveries"
crash_first="$(revision_now)"
: > "$workdir/acknowledged"
for round in $(seq 1 10); do
    writers=()
    for client in 1 2 3 4; do
        (
            # Until the server dies under it; a 201 is an acknowledged write, with its revision.
            for n in $(seq 1 1000); do
                headers="$(curl -sS -D - -o /dev/null -w '%{http_code}' -X POST "$api/v1/groups" \
                    -H "Authorization: Bearer $admin_token" -H 'content-type: application/json' \
                    -d "{\"name\": \"k$round-$client-$n\"}" 2>/dev/null)" || break
                case "$headers" in
                    *201) printf '%s\n' "$headers" | tr -d '\r' \
                        | awk -F': ' 'tolower($1) == "roster-revision" {print $2}' >> "$workdir/acknowledged" ;;
                    *) break ;;
                esac
            done
        ) &
        writers+=($!)
    done
    sleep "0.$((RANDOM % 6 + 3))"
    kill -9 "$demo_server_pid"; wait "$demo_server_pid" 2>/dev/null || true
    for writer in "${writers[@]}"; do wait "$writer" || true; done
    restart_server
done
crash_last="$(revision_now)"
echo "acknowledged before the kills: $(wc -l < "$workdir/acknowledged") writes, revisions $crash_first..$crash_last"
# Every acknowledged write is in the feed…
feed_revisions "$crash_first" > "$workdir/feed-after-crashes"
python3 - "$workdir/feed-after-crashes" "$workdir/acknowledged" <<'PY'
import sys
seen = {int(r) for r in open(sys.argv[1]).read().split()}
acked = {int(r) for r in open(sys.argv[2]).read().split()}
missing = acked - seen
assert not missing, f"acknowledged but not in the feed: {sorted(missing)[:10]}"
print(f"the feed holds all {len(acked)} acknowledged writes")
PY
# …and reached the receiver.
check_received "$crash_first" "$crash_last" "$workdir/acknowledged"
