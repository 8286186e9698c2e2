#!/usr/bin/env bash
# Performance goal of `ptacheck collect` (issue 20: "collect at compression
# speed"), measured here and never asserted in unit tests. Over generated
# trace logs of PERF_COLLECT_SIZE (default 256M; K, M, G suffixes), a whole
#   $PTACHECK collect --fixture healthy --logs DIR --out FILE.zip
# (the operate report, the log summary, the redacted and compressed copy of
# every byte, the manifest) must take at most 1.5x the wall time of
#   gzip -6 < LOG > /dev/null
# on the same bytes, and stay below 200 MB (200e6 bytes) of peak memory. The
# bundle must hold the log whole (its size in the manifest) and be a valid
# zip. Each command runs PERF_RUNS times (default 3), round-robin so both see
# the same background load, from a warm page cache; the ratio is taken run by
# run and its median compared with the goal. The CPU time of both is printed
# too (information: on an idle machine collect compresses on every core,
# gzip on one). Like perf-logs.sh, the time goal is judged only for 256 MiB
# or more ("info" below). PTACHECK names the binary (bench.sh builds one);
# else it is built here. Prints "ok|MISS|info" lines; exit 2 when a result
# is wrong or could not be measured; a missed goal exits 0 unless
# BENCH_STRICT=1 (then 1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/ci-lib.sh"
SIZE=${PERF_COLLECT_SIZE:-256M}
RUNS=${PERF_RUNS:-3}

if [ ! -x /usr/bin/time ]; then
	apt_install time || true
	[ -x /usr/bin/time ] || { echo "perf-collect: /usr/bin/time (Debian package time) is needed" >&2; exit 2; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-perf-collect.XXXXXX")
trap 'kill_tree; rm -rf "$WORK"' EXIT
mkdir "$WORK/logs"
LOG=$WORK/logs/AzureADConnectAuthenticationAgent_trace.log
(cd "$ROOT" && go build -o "$WORK/gen-tracelog" ./scripts/gen-tracelog)
if [ -z "${PTACHECK:-}" ]; then
	PTACHECK=$WORK/ptacheck
	(cd "$ROOT" && go build -o "$PTACHECK" .)
fi
"$WORK/gen-tracelog" -size "$SIZE" -seed 1 -o "$LOG"
bytes=$(stat -c %s "$LOG")
cat "$LOG" >/dev/null # warm the page cache for both
calc() { awk "BEGIN { print $1 }"; }

run_gzip() { /usr/bin/time -f '%U %S' -o "$WORK/gzip.cpu" gzip -6 <"$LOG" >/dev/null; }
run_collect() {
	rm -f "$WORK/b.zip"
	if ! /usr/bin/time -f '%U %S %M' -o "$WORK/collect.cpu" "$PTACHECK" collect --fixture healthy --logs "$WORK/logs" \
		--max-log-bytes "$bytes" --out "$WORK/b.zip" -o json >"$WORK/collect.json" 2>"$WORK/collect.err"; then
		echo "perf-collect: collect failed:" >&2
		cat "$WORK/collect.err" >&2
		exit 2
	fi
	rss=$(awk '{print $3}' "$WORK/collect.cpu")
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	return 0
}
t_gzip=() t_collect=() max_rss=0
timed() { # timed ARRAY FUNC: run FUNC, append its duration (ns) to ARRAY
	local s e
	s=$(date +%s%N)
	"$2"
	e=$(date +%s%N)
	eval "$1+=($((e - s)))"
}
for _ in $(seq "$RUNS"); do
	timed t_collect run_collect
	timed t_gzip run_gzip
done

# The bundle holds the whole log and is a valid archive (CRCs checked with
# unzip -t or Python's zipfile, whichever is installed).
valid() {
	if command -v unzip >/dev/null; then
		unzip -tqq "$WORK/b.zip" >/dev/null
	elif command -v python3 >/dev/null; then
		python3 -c "import sys, zipfile; sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)" "$WORK/b.zip"
	fi
}
if ! grep -q "\"bytes\": $bytes," "$WORK/collect.json" || ! valid; then
	echo "perf-collect: the bundle does not hold the $bytes-byte log whole, or is not a valid zip" >&2
	exit 2
fi

missed=0
judged=1
[ "$bytes" -ge $((256 << 20)) ] || judged=0
ratios=()
for i in "${!t_collect[@]}"; do ratios+=("$(calc "${t_collect[$i]} / ${t_gzip[$i]}")"); done
ratio=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
verdict=ok
if [ "$judged" = 0 ]; then
	verdict=info
elif [ "$(calc "($ratio > 1.5) ? 1 : 0")" = 1 ]; then
	verdict=MISS
	missed=1
fi
cpu() { awk '{printf "%.2f", $1 + $2}' "$1"; }
printf '  %-4s collect of %s bytes %.3f s vs gzip -6 %.3f s (medians): %.2fx, median of %s paired runs (goal <= 1.5x); CPU %s s vs %s s\n' \
	"$verdict" "$bytes" "$(calc "$(median "${t_collect[@]}") / 1e9")" "$(calc "$(median "${t_gzip[@]}") / 1e9")" "$ratio" "$RUNS" \
	"$(cpu "$WORK/collect.cpu")" "$(cpu "$WORK/gzip.cpu")"
verdict=ok # /usr/bin/time reports KiB; 200 MB = 200e6 bytes
[ "$((max_rss * 1024))" -lt 200000000 ] || { verdict=MISS; missed=1; }
printf '  %-4s collect max RSS %.1f MB (goal < 200 MB)\n' "$verdict" "$(calc "$max_rss * 1024 / 1e6")"
[ "$missed" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ] && exit 1
exit 0
