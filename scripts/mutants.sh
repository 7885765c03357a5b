#!/usr/bin/env bash
# Mutation testing of the domain crate: cargo-mutants changes the rules in crates/domain one at a
# time (an operator, a match arm, a return value) and runs the domain crate's own tests against
# each change. Every change that compiles must make a test fail, so these tests alone catch a
# broken rule, not only the end-to-end suite. Fails on any missed or timed-out mutant.
#
#   scripts/mutants.sh            # about 4 minutes on 2 cores; MUTANTS_JOBS=1 for one at a time
#
# Installs the pinned cargo-mutants first if it is missing (about 3.5 minutes). Equivalent
# mutants, which no test can catch, are excluded with a reason each in .cargo/mutants.toml.
# Results, with a log and a diff per mutant, land in target/mutants/mutants.out/.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_MUTANTS_VERSION=27.1.0
out=target/mutants

if ! cargo mutants --version >/dev/null 2>&1; then
    echo "==> installing cargo-mutants $CARGO_MUTANTS_VERSION"
    cargo install --locked "cargo-mutants@$CARGO_MUTANTS_VERSION"
fi

mkdir -p "$out"
# Listing is syntactic (no build): the mutants the config skips are those it no longer lists.
all=$(cargo mutants --package domain --list --no-config | wc -l)
kept=$(cargo mutants --package domain --list | wc -l)

# Two jobs, as one builds while the other tests: 3m44s against 4m38s for one job on 2 cores.
# Each job works in its own copy of the tree, so nothing here touches the working tree.
status=0
cargo mutants --package domain --test-package domain --jobs "${MUTANTS_JOBS:-2}" \
    --output "$out" || status=$?

outcomes=$out/mutants.out/outcomes.json
[ -f "$outcomes" ] || { echo "cargo mutants wrote no $outcomes (exit $status)" >&2; exit 1; }
python3 - "$outcomes" "$((all - kept))" <<'EOF'
import json
import sys

outcomes = json.load(open(sys.argv[1]))
print(
    "mutants: {caught} caught, {missed} missed, {unviable} unviable, {timeout} timeout, "
    "{excluded} excluded-by-config".format(excluded=sys.argv[2], **outcomes)
)
EOF

if [ "$status" -ne 0 ]; then
    # cargo-mutants exits 2 for missed mutants, 3 for timeouts, 4 if the tests fail unmutated.
    for kind in missed timeout; do
        if [ -s "$out/mutants.out/$kind.txt" ]; then
            echo "$kind:"
            sed 's/^/  /' "$out/mutants.out/$kind.txt"
        fi
    done
    echo "cargo mutants failed (exit $status); logs in $out/mutants.out/" >&2
    exit "$status"
fi
