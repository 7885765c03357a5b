#!/usr/bin/env bash
# The console (spec §12) in a real browser: Playwright drives Debian's Chromium through
# tests/console/browser.py against a demo server on SQLite — signing in with a one-time link,
# browsing the group tree, adding a member and changing a role, a person's access, a "why"
# check, a refused escalation, signing out; a spent or made-up login code and forms posted
# without the session's CSRF token refused — and axe-core scans every page it opens (0 serious
# or critical violations allowed).
#
#   scripts/console-browser.sh                           # the run CI makes
#   scripts/console-browser.sh --screenshots docs/img    # also saves console-<page>.png there
#
# ROSTER_BIN names a roster binary to use; without it the script builds one. Chromium comes
# from Debian (/usr/bin/chromium, installed with apt-get when missing); Playwright never
# downloads a browser here. Playwright and axe-playwright-python (which carries axe-core) live in
# their own venv under ~/.cache/roster, made on the first run, pinned so that a new release
# cannot change the verdict. Prints one line per step and per scanned page, then
# "console-browser: N passed, 0 failed" and the axe totals; exits non-zero on any failure.
set -euo pipefail

# DIR is taken from where the script is called, before it moves to the repository's root.
screenshots=""
while [ $# -gt 0 ]; do
    case "$1" in
        --screenshots) [ $# -ge 2 ] || { echo "--screenshots needs a folder" >&2; exit 2; }
            screenshots="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        *) echo "usage: scripts/console-browser.sh [--screenshots DIR]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."

playwright_version="1.65.3"
axe_version="0.1.8"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/roster/console-browser-$playwright_version-$axe_version"
chromium="/usr/bin/chromium"
started="$(date +%s)"
. scripts/demo-server.sh

if [ ! -x "$chromium" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# The marker file is written last, so an interrupted install is redone.
if [ ! -f "$venv/.installed" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "playwright==$playwright_version" "axe-playwright-python==$axe_version" "greenlet==3.5.6"
    touch "$venv/.installed"
fi

# Loopback webhook targets are refused unless allowed; the scenario registers one.
export ROSTER_WEBHOOK_ALLOW_PRIVATE=true
start_demo_server "" roster_console "console-browser-secret-that-is-long-enough-0123456789"
# The first run prints a one-time console link for admin@localhost.
admin_link="$(grep -m 1 -oE 'http://[^[:space:]]+/console/login\?code=[^[:space:]]+' "$workdir/server.out" || true)"
[ -n "$admin_link" ] || { echo "console-browser: the server printed no console link"; cat "$workdir/server.out"; exit 1; }

status=0
args=(--base-url "http://$ROSTER_BIND" --admin-link "$admin_link" --roster "$roster" --chromium "$chromium")
[ -z "$screenshots" ] || args+=(--screenshots "$screenshots")
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" tests/console/browser.py "${args[@]}" || status=1
if grep -q "panicked" "$workdir/server.err"; then
    echo "the server panicked:"; cat "$workdir/server.err"; status=1
fi
echo "console-browser: $(( $(date +%s) - started )) s on $backend (Chromium $("$chromium" --version 2>/dev/null | grep -oE '[0-9][0-9.]+' | head -n 1), Playwright $playwright_version, axe-playwright-python $axe_version)"
exit "$status"
