#!/usr/bin/env bash
# Proves that a real client accepts the published contract: generates a Python client with
# openapi-python-client from the live server's own /openapi.json (every endpoint must generate,
# with no warning), then drives a whole session with it (scripts/client_flow.py: users, groups,
# members, projects, roles, reporting lines, squads, checks, audit, problem+json errors,
# pagination, deletes) against a demo server.
#
#   scripts/client-flow.sh                         # SQLite in a temporary folder
#   scripts/client-flow.sh postgres://…/postgres   # PostgreSQL: a fresh database, dropped afterwards
#
# ROSTER_BIN names a roster binary to use; without it the script builds target/debug/roster.
# The generator and the client's libraries live in their own venv under ~/.cache/roster, made on
# the first run. Prints "client flow: N steps passed on SQLite|PostgreSQL"; exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

admin_url="${1:-}"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/roster/openapi-python-client-0.29.1"
. scripts/demo-server.sh

# The generated code needs Python 3.11 or newer (typing.Self, enum.StrEnum).
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "client flow: needs python3 >= 3.11"; exit 1; }
# The generator, and pinned versions of what the generated client imports (httpx, attrs,
# python-dateutil), so a new release of either cannot change the run. The marker file is written
# last, so an interrupted install is redone.
if [ ! -f "$venv/.installed" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "openapi-python-client==0.29.1" "httpx==0.28.1" "attrs==26.1.0" "python-dateutil==2.9.0.post0"
    touch "$venv/.installed"
fi

start_demo_server "$admin_url" roster_flow "client-flow-secret-that-is-long-enough-0123456789"

curl -fsS "http://$ROSTER_BIND/openapi.json" -o "$workdir/openapi.json"
# No post-generation hooks (the default runs ruff to format the code): nothing reads the
# generated code but Python, and a missing ruff would itself be a warning. The org chart
# (`…/reporting-lines.svg`) is text: read it as text, a media type the generator knows.
printf 'post_hooks: []\ncontent_type_overrides:\n  image/svg+xml: text/plain\n' > "$workdir/generator.yaml"
# --fail-on-warning: a schema the generator cannot read, or an endpoint it skips ("Endpoint
# will not be generated"), fails the run instead of leaving a client with pieces missing.
if ! (cd "$workdir" && "$venv/bin/openapi-python-client" generate --path openapi.json --meta none \
        --config generator.yaml --output-path "$workdir/roster_client" --fail-on-warning) > "$workdir/generate.log" 2>&1; then
    cat "$workdir/generate.log"
    echo "client flow: openapi-python-client could not generate a complete client"
    exit 1
fi
cat "$workdir/generate.log"
# Should a later generator report a warning without failing, it still fails here.
if grep -qiE 'warning|unable to|will not be generated' "$workdir/generate.log"; then
    echo "client flow: openapi-python-client warned while generating"
    exit 1
fi
# Belt and braces: every operation of the document has its module in the generated client.
"$venv/bin/python" - "$workdir/openapi.json" "$workdir/roster_client/api" <<'PY'
import json, pathlib, sys
document, api = json.load(open(sys.argv[1])), pathlib.Path(sys.argv[2])
generated = {module.stem for module in api.glob("*/*.py")}
operations = {op["operationId"] for item in document["paths"].values() for op in item.values()
              if isinstance(op, dict) and "operationId" in op}
missing = sorted(operations - generated)
if missing:
    sys.exit(f"client flow: no generated code for {', '.join(missing)}")
print(f"client flow: generated a client for all {len(operations)} operations")
PY

status=0
ROSTER_URL="http://$ROSTER_BIND" ROSTER_ADMIN_TOKEN="$admin_token" ROSTER_STUDENT_TOKEN="$student_token" \
    ROSTER_FLOW_BACKEND="$backend" PYTHONPATH="$workdir" PYTHONDONTWRITEBYTECODE=1 \
    "$venv/bin/python" scripts/client_flow.py || status=1
if grep -q "panicked" "$workdir/server.err"; then
    echo "the server panicked:"; cat "$workdir/server.err"; status=1
fi
exit "$status"
