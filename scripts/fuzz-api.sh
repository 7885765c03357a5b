#!/usr/bin/env bash
# Validates the live API's own /openapi.json against the OpenAPI 3.1 schema (openapi-spec-validator:
# 0 errors, or the run fails), then fuzzes the API with Schemathesis generated from it, once as a
# system admin and once as a low-privilege user (a student of the demo school): every check
# (`--checks all`, positive data acceptance included) in every phase, the stateful one following
# the document's links. The expectations no schema can carry are in scripts/schemathesis.toml.
#
#   scripts/fuzz-api.sh                      # SQLite in a temporary folder
#   scripts/fuzz-api.sh postgres://…/postgres  # PostgreSQL: a fresh database, dropped afterwards
#
# FUZZ_EXAMPLES sets the examples per operation (default 25). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${FUZZ_EXAMPLES:-25}"
admin_url="${1:-}"
venv="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/roster/schemathesis-4.32.5}"
validator_venv="${XDG_CACHE_HOME:-$HOME/.cache}/roster/openapi-spec-validator-0.9.0"
config="$PWD/scripts/schemathesis.toml"
. scripts/demo-server.sh

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi
# A venv of its own, so its dependencies never move Schemathesis's.
if [ ! -x "$validator_venv/bin/openapi-spec-validator" ]; then
    python3 -m venv "$validator_venv"
    "$validator_venv/bin/pip" install --quiet "openapi-spec-validator==0.9.0"
fi

start_demo_server "$admin_url" roster_fuzz "fuzzing-secret-that-is-long-enough-0123456789"

curl -fsS "http://$ROSTER_BIND/openapi.json" -o "$workdir/openapi.json"
"$validator_venv/bin/openapi-spec-validator" "$workdir/openapi.json"

# A long poll of the change feed may rightly hold its answer for `wait` seconds (at most 30):
# the client must wait longer than that before it calls the server unresponsive.
request_timeout=35
total=0
status=0
for who in admin student; do
    token_var="${who}_token"
    log="$workdir/schemathesis-$who.log"
    (cd "$workdir" && "$venv/bin/schemathesis" --config-file "$config" run "http://$ROSTER_BIND/openapi.json" \
        -H "Authorization: Bearer ${!token_var}" \
        -n "$examples" \
        --checks all \
        --workers 1 --seed 1 --generation-database none \
        --request-timeout "$request_timeout") > "$log" 2>&1 || status=1
    generated="$(grep -Eo '[0-9]+ generated' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)"
    total=$((total + generated))
    scenarios="$(grep -Eo 'Scenarios: +[0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)"
    links="$(grep -Eo 'API Links: +[0-9]+ covered / [0-9]+' "$log" | sed 's/API Links: *//' || echo none)"
    echo "schemathesis as $who: $generated generated test cases, $scenarios stateful scenarios, links $links ($(tail -n 1 "$log" | tr -d '='))"
    if [ "$status" -ne 0 ]; then sed -n '/ERRORS\|FAILURES/,$p' "$log" | head -n 200; fi
done
if grep -q "panicked" "$workdir/server.err"; then
    echo "the server panicked:"; cat "$workdir/server.err"; status=1
fi
echo "fuzz: $total generated test cases on $backend, exit $status"
exit "$status"
