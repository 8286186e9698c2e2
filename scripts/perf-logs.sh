#!/usr/bin/env bash
# Performance goals of the trace-log analyzer (checks/tracelog), measured
# here and never asserted in unit tests. Over a generated trace log of
# PERF_LOG_SIZE (default 1G; K, M, G suffixes), the analysis must be
#   1. at least as fast as  grep -o "Reason: '[-0-9]*'" FILE | sort | uniq -c
#   2. within 1.5x of       grep -c 'request failed' FILE
#   3. below 64 MB (64e6 bytes) of peak memory (max RSS), whatever the size.
# The analysis is `$PTACHECK logs -o json FILE` when PTACHECK names a ptacheck
# binary (its exit code must be 0 or 1 and its output must contain the true
# failure count), else scripts/gen-tracelog/analyze, which checks its whole
# result against the generator's ground truth. Each command runs PERF_RUNS times
# (default 5), round-robin (ours, grep -c, grep -o, ours, ...) so all see the
# same background load, from a warm page cache; the ratio is taken round by
# round and the median of those ratios is compared with the goal, so a
# machine whose speed drifts during the run moves both sides of a ratio.
# grep and sort run with LC_ALL=C, their fastest setting.
# Prints one "ok|MISS|info" line per comparison. Exit 2 when a result is
# wrong or a measurement could not be taken (the analysis fails or
# disagrees with the ground truth, the baselines miscount); a missed goal
# exits 0 unless BENCH_STRICT=1 (then 1). The time goals are judged only
# for logs of 256 MiB or more: below that, process start-up and background
# noise (a few ms) outweigh the work, so a smaller PERF_LOG_SIZE is a smoke
# run whose ratios are printed as "info". The memory goal always applies.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/ci-lib.sh"
SIZE=${PERF_LOG_SIZE:-1G}
RUNS=${PERF_RUNS:-5}
export LC_ALL=C

if [ ! -x /usr/bin/time ]; then
	apt_install time || true
	[ -x /usr/bin/time ] || { echo "perf-logs: /usr/bin/time (Debian package time) is needed for the memory goal" >&2; exit 2; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-perf-logs.XXXXXX")
trap 'kill_tree; rm -rf "$WORK"' EXIT
LOG=$WORK/trace.log
(cd "$ROOT" && go build -o "$WORK/gen-tracelog" ./scripts/gen-tracelog && go build -o "$WORK/analyze" ./scripts/gen-tracelog/analyze)

t0=$(date +%s%N)
"$WORK/gen-tracelog" -size "$SIZE" -seed 1 -o "$LOG" -truth "$WORK/truth.json"
t1=$(date +%s%N)
bytes=$(stat -c %s "$LOG")
truth() { sed -n "s/^  \"$1\": \([0-9]*\),\$/\1/p" "$WORK/truth.json"; }
failures=$(truth failures)
unparsed=$(truth unparsed)
calc() { awk "BEGIN { print $1 }"; } # floating point without bc
printf 'perf-logs: %s bytes generated in %.1f s (%s records, %s failures), %s runs each\n' \
	"$bytes" "$(calc "($t1 - $t0) / 1e9")" "$(truth records)" "$failures" "$RUNS"

if [ -n "${PTACHECK:-}" ]; then
	ours=("$PTACHECK" logs -o json "$LOG")
	ours_name="ptacheck logs -o json"
else
	ours=("$WORK/analyze" -truth "$WORK/truth.json" "$LOG")
	ours_name="tracelog.Analyze"
fi

cat "$LOG" >/dev/null # warm the page cache for everyone

run_grep_o() { grep -o "Reason: '[-0-9]*'" "$LOG" | sort | uniq -c >"$WORK/grep-o.out"; }
run_grep_c() { grep -c 'request failed' "$LOG" >"$WORK/grep-c.out" || true; }
run_ours() {
	local rc=0
	/usr/bin/time -f %M -o "$WORK/rss" "${ours[@]}" >"$WORK/ours.json" 2>"$WORK/ours.err" || rc=$?
	# ptacheck may exit 1 when it reports failures; 2 and up are errors.
	if [ "$rc" -ge 2 ] || { [ "$rc" = 1 ] && [ -z "${PTACHECK:-}" ]; }; then
		echo "perf-logs: $ours_name failed (exit $rc):" >&2
		cat "$WORK/ours.err" >&2
		exit 2
	fi
	rss=$(tail -1 "$WORK/rss")
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	return 0
}

max_rss=0
# shellcheck disable=SC2034 # filled by timed, read through goal's nameref
t_ours=() t_grep_c=() t_grep_o=()
timed() { # timed ARRAY FUNC: run FUNC, append its duration (ns) to ARRAY
	local s e
	s=$(date +%s%N)
	"$2"
	e=$(date +%s%N)
	eval "$1+=($((e - s)))"
}
for _ in $(seq "$RUNS"); do
	timed t_ours run_ours
	timed t_grep_c run_grep_c
	timed t_grep_o run_grep_o
done

# A ptacheck run proves it analysed the file by reporting the failure count
# (whatever its JSON schema); the driver compared everything with the truth.
if [ -n "${PTACHECK:-}" ] && ! grep -Eq "(^|[^0-9])$failures([^0-9]|\$)" "$WORK/ours.json"; then
	echo "perf-logs: $ours_name output does not mention the $failures failures of the ground truth" >&2
	exit 2
fi

# The baselines must count what the analysis counts, or the race is unfair.
grep_o_total=$(awk '{n += $1} END {print n + 0}' "$WORK/grep-o.out")
grep_c_total=$(cat "$WORK/grep-c.out")
if [ "$grep_o_total" != "$failures" ] || [ "$grep_c_total" != $((failures + unparsed)) ]; then
	echo "perf-logs: baselines disagree with the ground truth: grep -o $grep_o_total reasons (want $failures), grep -c $grep_c_total lines (want $((failures + unparsed)))" >&2
	exit 2
fi

secs() { calc "$1 / 1e9"; }
missed=0
judged=1
[ "$bytes" -ge $((256 << 20)) ] || judged=0
goal() { # goal NAME THEIRS_ARRAY LIMIT: the median of the per-round ratios
	local -n theirs=$2
	local ratios=() i ratio verdict=ok
	for i in "${!t_ours[@]}"; do ratios+=("$(calc "${t_ours[$i]} / ${theirs[$i]}")"); done
	ratio=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	if [ "$judged" = 0 ]; then
		verdict=info
	elif [ "$(calc "($ratio > $3) ? 1 : 0")" = 1 ]; then
		verdict=MISS
		missed=1
	fi
	printf '  %-4s %s %.3f s vs %s %.3f s (medians): %.2fx, median of %s paired runs (goal <= %.1fx)\n' "$verdict" "$ours_name" \
		"$(secs "$(median "${t_ours[@]}")")" "$1" "$(secs "$(median "${theirs[@]}")")" "$ratio" "$RUNS" "$3"
}
goal "grep -o Reason | sort | uniq -c" t_grep_o 1.0
goal "grep -c 'request failed'" t_grep_c 1.5
verdict=ok # /usr/bin/time reports KiB; 64 MB = 64e6 bytes
[ "$((max_rss * 1024))" -lt 64000000 ] || { verdict=MISS; missed=1; }
printf '  %-4s %s max RSS %.1f MB (goal < 64 MB)\n' "$verdict" "$ours_name" "$(calc "$max_rss * 1024 / 1e6")"
[ "$missed" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ] && exit 1
exit 0
