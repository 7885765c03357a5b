#!/usr/bin/env bash
# Roster's /scim/v2 judged by scim2-tester (the `scim2 test` command of scim2-cli): a demo server
# gets a SCIM token from the command line (`roster scim-token create`), and the tester discovers
# /ServiceProviderConfig, /ResourceTypes and /Schemas, then exercises every resource type they
# declare — create, read, replace, PATCH of each declared attribute, delete, attributes /
# excludedAttributes, /.search. Every check must be SUCCESS and the tester must exit 0.
#
#   scripts/scim-tester.sh                         # SQLite in a temporary folder
#   scripts/scim-tester.sh postgres://…/postgres   # PostgreSQL: a fresh database, dropped afterwards
#
# ROSTER_BIN names a roster binary to use; without it the script builds one. The tester lives in
# its own venv under ~/.cache/roster, made on the first run, with its libraries pinned so that a
# new release cannot change the verdict. Prints one count line per status, then
# "scim2-tester: N checks, all SUCCESS on SQLite|PostgreSQL"; exits non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

admin_url="${1:-}"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/roster/scim2-tester-0.5.2"
. scripts/demo-server.sh

# The marker file is written last, so an interrupted install is redone.
if [ ! -f "$venv/.installed" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "scim2-cli==0.6.0" "scim2-tester==0.5.2" "scim2-client==0.13.2" "scim2-models==0.12.3"
    touch "$venv/.installed"
fi

start_demo_server "$admin_url" roster_scim "scim-tester-secret-that-is-long-enough-0123456789"
# The token is the last line the command prints (its id and name go to stderr).
token="$("$roster" scim-token create --name scim2-tester 2>/dev/null | tail -n 1)"
[ -n "$token" ] || { echo "scim2-tester: no SCIM token was made"; exit 1; }

status=0
"$venv/bin/scim2" --url "http://$ROSTER_BIND/scim/v2" -h "Authorization: Bearer $token" test \
    > "$workdir/scim2-test.out" 2>&1 || status=$?
cat "$workdir/scim2-test.out"

# A check's line starts with its status; the lines indented under it are its reason.
statuses='SUCCESS|COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED'
echo "--- scim2-tester on $backend"
grep -oE "^($statuses) " "$workdir/scim2-test.out" | sort | uniq -c || true
checks="$(grep -cE "^($statuses) " "$workdir/scim2-test.out" || true)"
others="$(grep -E "^($statuses) " "$workdir/scim2-test.out" | grep -cv '^SUCCESS ' || true)"
if grep -q "panicked" "$workdir/server.err"; then
    echo "the server panicked:"; cat "$workdir/server.err"; exit 1
fi
if [ "$status" -ne 0 ] || [ "$checks" -eq 0 ] || [ "$others" -ne 0 ]; then
    echo "scim2-tester: exit $status, $checks checks, $others not SUCCESS on $backend"
    exit 1
fi
echo "scim2-tester: $checks checks, all SUCCESS on $backend"
