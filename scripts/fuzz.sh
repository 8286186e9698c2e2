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
# fuzz_target DIR NAME: one run; sets out (its output) and found (1 when it
# saved a new failing input).
fuzz_target() {
	local corpus=$1/testdata/fuzz/$2 before after rc=0
	before=$(find "$corpus" -type f 2>/dev/null | wc -l)
	out=$(cd "$1" && go test -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" "${parallel[@]}" . 2>&1) || rc=$?
	after=$(find "$corpus" -type f 2>/dev/null | wc -l)
	found=0
	[ "$after" -le "$before" ] || found=1
	return $rc
}
n=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(cd "$dir" && { go test -list '^Fuzz' . 2>/dev/null | grep '^Fuzz' || true; })
	for t in $targets; do
		echo "fuzz: ${pkg#github.com/ptacheck/ptacheck/} $t ($FUZZTIME)"
		fuzz_target "$dir" "$t" || {
			# Go's fuzzing engine ends a run with "context deadline
			# exceeded" when a starved worker (a loaded machine) does not
			# answer in time; no input failed then, and none is saved. One
			# more try; a real crasher is written and fails at once.
			if [ "$found" = 0 ] && grep -q 'context deadline exceeded' <<<"$out"; then
				echo "fuzz: $t: the fuzzing engine timed out (no crasher saved): once more"
				fuzz_target "$dir" "$t" && { n=$((n + 1)); continue; }
			fi
			printf '%s\n' "$out" | tail -n 30
			if [ "$found" = 1 ]; then
				echo "FAIL: $t found a crasher, saved under $dir/testdata/fuzz/$t: commit it as a regression test"
			else
				echo "FAIL: $t failed (no crasher saved)"
			fi
			exit 1
		}
		n=$((n + 1))
	done
done
echo "fuzz: $n targets, no crasher"
