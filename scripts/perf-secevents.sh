#!/usr/bin/env bash
# Performance goals of the Security-event reader (checks/secevents),
# measured here and never asserted in unit tests. Over generated exported
# Security events (Event Viewer's Save as XML shape) of PERF_SEC_SIZE
# (default 1G; K, M, G suffixes), reading them must be
#   1. within 2x of   grep -c '<EventID>4625</EventID>' FILE
#   2. below 64 MB (64e6 bytes) of peak memory (max RSS), whatever the size.
# The reader is `$PTACHECK logs -o json FILE` when PTACHECK names a ptacheck
# binary (its output must contain the true count of the agent's failures),
# else scripts/gen-secevents/analyze, which checks its whole result against
# the generator's ground truth. Each runs PERF_RUNS times (default 3),
# round-robin, from a warm page cache, with LC_ALL=C for grep; the ratio is
# taken run by run and its median compared with the goal. The time goal is
# judged only at 256 MiB and more (below, start-up and noise outweigh the
# work: "info"). Prints one "ok|MISS|info" line per goal. Exit 2 when a
# result is wrong or a measurement could not be taken; a missed goal exits
# 0 unless BENCH_STRICT=1 (then 1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/ci-lib.sh"
SIZE=${PERF_SEC_SIZE:-1G}
RUNS=${PERF_RUNS:-3}
export LC_ALL=C
if [ ! -x /usr/bin/time ]; then
	apt_install time || true
	[ -x /usr/bin/time ] || { echo "perf-secevents: /usr/bin/time (Debian package time) is needed for the memory goal" >&2; exit 2; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-perf-secevents.XXXXXX")
trap 'kill_tree; rm -rf "$WORK"' EXIT
XML=$WORK/security.xml
(cd "$ROOT" && go build -o "$WORK/gen" ./scripts/gen-secevents && go build -o "$WORK/analyze" ./scripts/gen-secevents/analyze)
"$WORK/gen" -size "$SIZE" -seed 1 -shape viewer -o "$XML" -truth "$WORK/truth.json"
bytes=$(stat -c %s "$XML")
failures=$(sed -n 's/^  "failures": \([0-9]*\),$/\1/p' "$WORK/truth.json")
calc() { awk "BEGIN { print $1 }"; }
printf 'perf-secevents: %s bytes of Security events (%s failures of the agent), %s runs each\n' "$bytes" "$failures" "$RUNS"

if [ -n "${PTACHECK:-}" ]; then
	ours=("$PTACHECK" logs -o json "$XML")
	ours_name="ptacheck logs -o json"
else
	ours=("$WORK/analyze" -truth "$WORK/truth.json" "$XML")
	ours_name="secevents.Analyze"
fi
cat "$XML" >/dev/null

max_rss=0 t_ours=() t_grep=()
run_ours() {
	local rc=0
	/usr/bin/time -f %M -o "$WORK/rss" "${ours[@]}" >"$WORK/ours.out" 2>"$WORK/ours.err" || rc=$?
	if [ "$rc" -ge 2 ] || { [ "$rc" = 1 ] && [ -z "${PTACHECK:-}" ]; }; then
		echo "perf-secevents: $ours_name failed (exit $rc):" >&2
		cat "$WORK/ours.err" >&2
		exit 2
	fi
	rss=$(tail -1 "$WORK/rss")
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	return 0
}
run_grep() { grep -c '<EventID>4625</EventID>' "$XML" >"$WORK/grep.out" || true; }
timed() { # timed ARRAY FUNC: run FUNC, append its duration (ns) to ARRAY
	local s e
	s=$(date +%s%N)
	"$2"
	e=$(date +%s%N)
	eval "$1+=($((e - s)))"
}
for _ in $(seq "$RUNS"); do
	timed t_ours run_ours
	timed t_grep run_grep
done
if [ -n "${PTACHECK:-}" ] && ! grep -q "\"failures\": $failures," "$WORK/ours.out"; then
	echo "perf-secevents: $ours_name output does not hold the $failures failures of the ground truth" >&2
	exit 2
fi

missed=0
verdict=ok
ratios=()
for i in "${!t_ours[@]}"; do ratios+=("$(calc "${t_ours[$i]} / ${t_grep[$i]}")"); done
ratio=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
if [ "$bytes" -lt $((256 << 20)) ]; then
	verdict=info
elif [ "$(calc "($ratio > 2.0) ? 1 : 0")" = 1 ]; then
	verdict=MISS
	missed=1
fi
printf '  %-4s %s %.3f s vs grep -c %.3f s (medians): %.2fx, median of %s paired runs (goal <= 2.0x)\n' "$verdict" "$ours_name" \
	"$(calc "$(median "${t_ours[@]}") / 1e9")" "$(calc "$(median "${t_grep[@]}") / 1e9")" "$ratio" "$RUNS"
verdict=ok
[ "$((max_rss * 1024))" -lt 64000000 ] || { verdict=MISS; missed=1; }
printf '  %-4s %s max RSS %.1f MB (goal < 64 MB)\n' "$verdict" "$ours_name" "$(calc "$max_rss * 1024 / 1e6")"
[ "$missed" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ] && exit 1
exit 0
