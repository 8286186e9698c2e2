#!/usr/bin/env bash
# Runs every fuzz target of the module for a short fixed time (FUZZTIME,
# default 5s each) with FUZZ_PARALLEL workers (default: one per CPU; the test
# command uses 1, as it fuzzes beside other steps). Seed corpora come from
# the fixtures and the reference samples in each target; a crasher is
# written under the package's testdata/fuzz and fails the run: commit it as
# a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ci-lib.sh
trap kill_tree EXIT
FUZZTIME=${FUZZTIME:-5s}
parallel=()
[ -z "${FUZZ_PARALLEL:-}" ] || parallel=(-parallel "$FUZZ_PARALLEL")
n=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(cd "$dir" && { go test -list '^Fuzz' . 2>/dev/null | grep '^Fuzz' || true; })
	for t in $targets; do
		echo "fuzz: ${pkg#github.com/ptacheck/ptacheck/} $t ($FUZZTIME)"
		out=$(cd "$dir" && go test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" "${parallel[@]}" . 2>&1) || {
			printf '%s\n' "$out" | tail -n 30
			echo "FAIL: $t failed (a crasher is saved under $dir/testdata/fuzz/$t)"
			exit 1
		}
		n=$((n + 1))
	done
done
echo "fuzz: $n targets, no crasher"
