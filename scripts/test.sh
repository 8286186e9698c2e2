#!/usr/bin/env bash
# test.sh: every test of ptacheck, the test command (.ci/run runs it).
# docs/testing.md describes each step, what it needs and its measured goals.
#
#   bash scripts/test.sh                   everything
#   bash scripts/test.sh --only STEP,...   some steps (names below)
#   bash scripts/test.sh --list            the steps
#
# As root (CI) it installs every Debian package the steps need, in one apt-get
# run in the background from the start; the steps that need a package wait
# for it. A step whose tool can be installed and started must work: as root
# with apt-get nothing of that kind says SKIP. Without root nothing is
# installed and the root-only parts print "SKIP: reason".
#
# Order: from the start, side by side (they share nothing), go test, the
# Samba AD DC tests, Wine, fuzzing, the network namespace end-to-end test and
# the field scripts, each in the background with its output kept and printed
# whole, with its status, duration and CPU time, when it ends; a second Samba
# DC gets the 10,000 users of the signin goal meanwhile. In the foreground
# meanwhile: gofmt, vet, staticcheck and the builds (a failure there ends
# the run at once). Then the performance measurements, printed with their
# goals. The summary lists every step's duration and CPU time, every SKIP
# line of the run and the total. Everything this run starts (DCs, network
# namespaces, dnsmasq, wineserver, listeners, background jobs) is stopped
# when it ends, whichever way it ends (success, failure, SIGTERM, SIGINT).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ci-lib.sh

STEPS=(gofmt vet staticcheck build gotest samba wine fuzz netns field bench)
# The Debian packages of each step (root installs them; see lane_packages).
BASE_PACKAGES=(gcc libc6-dev jq)
SAMBA_PACKAGES=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind krb5-user ldap-utils dnsutils openssl)
WINE_PACKAGES=(wine64 gcc-mingw-w64-x86-64)
NETNS_PACKAGES=(iptables dnsmasq-base iproute2)
FIELD_PACKAGES=(python3 shellcheck osslsigncode openssl ansible ansible-lint)
BENCH_PACKAGES=(time "${SAMBA_PACKAGES[@]}" "${NETNS_PACKAGES[@]}")

# ---------------------------------------------------------------------------
# Concurrent steps ("lanes"): each runs as `test.sh --lane NAME` in a process
# group of its own (setsid), its output kept in $RUN/NAME.log.

# gotest_report JSON: one line per package, the counts, every skipped test
# with its reason, and the whole output of each failed test or build.
# shellcheck disable=SC2016 # a jq program
GOTEST_REPORT='
def pkg: .Package | sub("^github.com/ptacheck/ptacheck"; ".");
def k: "\(.Package)\u0000\(.Test // "")";
(reduce (.[] | select(.Action == "output")) as $e ({}; .[$e | k] += $e.Output)) as $out
| (map(select(.Test == null and .Action == "fail")) | map(.Package)) as $failedpkgs
| (.[] | select(.Test == null and (.Action == "pass" or .Action == "fail")) |
    "\(if .Action == "pass" then "ok  " else "FAIL" end) \(pkg) \(.Elapsed // 0)s"),
  (map(select(.Test != null)) |
    "tests: \(map(select(.Action == "pass")) | length) passed, \(map(select(.Action == "skip")) | length) skipped, \(map(select(.Action == "fail")) | length) failed"),
  (.[] | select(.Test != null and .Action == "skip") |
    "SKIP: \(pkg) \(.Test): \(($out[k] // "") | [splits("\n")] | map(select(test("^\\s+\\S+\\.go:[0-9]+: "))) | (first // "(no reason given)") | sub("^\\s+"; ""))"),
  (.[] | select(.Test != null and .Action == "fail") | "--- FAIL: \(pkg) \(.Test)\n\($out[k] // "" | rtrimstr("\n"))"),
  (.[] | select(.Action == "build-output") | .Output | rtrimstr("\n")),
  ($failedpkgs[] as $p | .[] | select(.Package == $p and .Test == null and .Action == "output") | .Output | rtrimstr("\n"))
'
# The failed top-level tests of a go test -json log, "PACKAGE TEST" a line;
# "NORETRY" when a package failed without a failed test (a build failure, a
# crash, a timeout of the whole binary).
# shellcheck disable=SC2016 # a jq program
GOTEST_FAILED='
(map(select(.Action == "fail" and .Test != null and (.Test | contains("/") | not)))) as $ft
| ($ft | map(.Package)) as $withtests
| if [.[] | select(.Action == "fail" and .Test == null) | .Package | select(. as $p | $withtests | index($p) | not)] | length > 0
  then "NORETRY" else ($ft[] | "\(.Package) \(.Test)") end
'

# gotest ARGS...: go test with a readable report (needs jq; plain otherwise).
# A test that fails is run once more, alone (its package, -run '^Name$'):
# one that passes then failed on the machine's load (a deadline, a wall-clock
# bound), not on the code; it is reported as "FLAKY: ..." with its first
# failure above, and does not fail the step. A test that fails twice, a
# build failure or a crashed test binary fails it.
gotest() {
	local rc=0 json retry=() pkgs=() a pkg failed again line
	if ! command -v jq >/dev/null; then
		go test "$@"
		return
	fi
	json=$(mktemp "$TMPDIR/gotest.XXXXXX")
	go test -json "$@" >"$json" 2>&1 || rc=$?
	if ! jq -rs "$GOTEST_REPORT" "$json" 2>/dev/null; then
		cat "$json" # not JSON: go itself failed (a bad flag, no module)
		rm -f "$json"
		return "$rc"
	fi
	failed=$(jq -rs "$GOTEST_FAILED" "$json" 2>/dev/null || echo NORETRY)
	rm -f "$json"
	if [ "$rc" = 0 ] || [ -z "$failed" ] || [ "$failed" = NORETRY ]; then
		return "$rc"
	fi
	for a in "$@"; do
		case $a in ./* | .) ;; *) retry+=("$a") ;; esac
	done
	mapfile -t pkgs < <(awk '{ print $1 }' <<<"$failed" | sort -u)
	rc=0
	for pkg in "${pkgs[@]}"; do
		local names
		names=$(awk -v p="$pkg" '$1 == p { print $2 }' <<<"$failed" | paste -sd'|')
		local short=.${pkg#github.com/ptacheck/ptacheck}
		echo "retrying once, alone: $short $names"
		again=$(mktemp "$TMPDIR/gotest.XXXXXX")
		if go test -json "${retry[@]}" -run "^($names)\$" "$pkg" >"$again" 2>&1; then
			for line in ${names//|/ }; do
				echo "FLAKY: $short $line failed (above), then passed alone: a bound the machine's load broke"
			done
		else
			echo "the retry failed too:"
			jq -rs "$GOTEST_REPORT" "$again" 2>/dev/null || cat "$again"
			rc=1
		fi
		rm -f "$again"
	done
	return "$rc"
}

secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# set_race: RACE=(-race) where a C compiler is (the race detector needs cgo).
set_race() {
	RACE=()
	if command -v gcc >/dev/null; then RACE=(-race); fi
}

# lane_packages: apt-get for the packages of the selected steps, in the
# background from the start (a cold cache downloads about 300 MB), group by
# group: each done group is marked ($RUN/pkg-GROUP.ok) and the steps that
# wait for it go on (need_packages). gcc first (go test -race), Samba next
# (its DC's 10,000 users take longest), Wine, the biggest, last.
lane_packages() {
	local group pkgs
	for group in base samba netns field bench wine; do
		pkgs=()
		case $group in
		base) pkgs=("${BASE_PACKAGES[@]}") ;;
		samba) if selected samba || selected bench; then pkgs=("${SAMBA_PACKAGES[@]}"); fi ;;
		netns) if selected netns || selected bench; then pkgs=("${NETNS_PACKAGES[@]}"); fi ;;
		field) if selected field; then pkgs=("${FIELD_PACKAGES[@]}"); fi ;;
		bench) if selected bench; then pkgs=("${BENCH_PACKAGES[@]}"); fi ;;
		wine) if selected wine; then pkgs=("${WINE_PACKAGES[@]}"); fi ;;
		esac
		local t0
		t0=$(now_ms)
		if [ ${#pkgs[@]} -gt 0 ] && ! apt_install "${pkgs[@]}"; then
			touch "$RUN/pkg-failed"
			return 1
		fi
		touch "$RUN/pkg-$group.ok"
		[ ${#pkgs[@]} = 0 ] || echo "$group: ${pkgs[*]}: ready in $(secs $(($(now_ms) - t0))) s"
	done
}

# need_packages GROUP: waits until this run's install has the group's
# packages (when it installs anything).
need_packages() {
	[ "${PACKAGES_LANE:-}" = 1 ] || return 0
	local t0
	t0=$(now_ms)
	while [ ! -f "$RUN/pkg-$1.ok" ]; do
		if [ -f "$RUN/pkg-failed" ]; then
			echo "FAIL: the Debian packages of this step could not be installed (see the packages step)"
			return 1
		fi
		sleep 1
	done
	[ $(($(now_ms) - t0)) -lt 1000 ] || echo "(waited $(secs $(($(now_ms) - t0))) s for the Debian packages)"
}

lane_gotest() {
	need_packages base || return 1
	set_race
	[ ${#RACE[@]} = 1 ] || echo "NOTE: no C compiler, so no race detector: go test without -race"
	if [ "$(id -u)" = 0 ] && [ "${SAMBA_STEP:-}" = 1 ]; then
		# The tests that need a Samba DC run in the samba step, against one.
		echo "(the *Samba* tests run in the samba step, against a real DC)"
		gotest "${RACE[@]}" -count=1 -skip Samba ./...
	else
		gotest "${RACE[@]}" -count=1 ./...
	fi
}

# dc_start NAME: a Samba AD DC in a network namespace of its own
# ($NS_PREFIX-NAME), its directory $RUN/dc-NAME; prints nothing on success.
dc_start() {
	local ns=$NS_PREFIX-$1 dir=$RUN/dc-$1 rc=0
	ip netns add "$ns"
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" env PTACHECK_SAMBA_DIR="$dir" bash scripts/samba-dc.sh start >"$RUN/dc-$1.out" || rc=$?
	grep -v "^$dir/env\$" "$RUN/dc-$1.out" || true
	return "$rc"
}

# The Samba AD DC tests: a DC of their own, used by nothing else while they
# run (a failed bind writes badPwdCount: a concurrent writer such as the
# bulk-user creation would hold sam.ldb's write lock for seconds and stall
# the single-process DC's LDAP and DNS with it).
lane_samba() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: Samba AD DC tests: a Samba AD DC needs root"
		return 0
	fi
	need_packages base && need_packages samba || return 1
	dc_start tests || return 1
	[ -f "$RUN/dc-tests/env" ] || return 0 # its SKIP line is above
	local rc=0
	ip netns exec "$NS_PREFIX-tests" env PTACHECK_SAMBA_ENV="$RUN/dc-tests/env" bash "$0" --lane samba-go || rc=1
	PTACHECK_SAMBA_DIR=$RUN/dc-tests bash scripts/samba-dc.sh stop >/dev/null
	ip netns del "$NS_PREFIX-tests"
	return "$rc"
}
# lane_samba_go: inside the DC's namespace.
lane_samba_go() {
	local rc=0
	echo "the directory client against the DC (PTACHECK_SAMBA_BULK_USERS=${PTACHECK_SAMBA_BULK_USERS:=500}):"
	set_race
	PTACHECK_SAMBA_BULK_USERS=$PTACHECK_SAMBA_BULK_USERS gotest "${RACE[@]}" -count=1 -run Samba ./checks/directory/ || rc=1
	echo "the built binary's ad.* and signin checks against the DC:"
	gotest -count=1 -run Samba . || rc=1
	return "$rc"
}

# The DC of the perf goals: its 10,000 users take minutes to create, so it
# starts with the other lanes and the bench waits for it.
lane_samba_perf() {
	need_packages samba || return 1
	dc_start perf || return 1
	[ -f "$RUN/dc-perf/env" ] || return 0
	ip netns exec "$NS_PREFIX-perf" env PTACHECK_SAMBA_ENV="$RUN/dc-perf/env" bash scripts/samba-bulk-users.sh 10000
}

lane_wine() { need_packages wine && bash scripts/windows-wine.sh; }
# One fuzzing worker: the other steps run at the same time.
lane_fuzz() { FUZZ_PARALLEL=1 bash scripts/fuzz.sh; }
lane_netns() { need_packages netns && bash scripts/e2e-netns.sh; }
lane_field() { need_packages field && bash scripts/test-field.sh; }
# bench: the measurements, alone at the end; it waits for its packages like a lane.
bench() {
	need_packages bench && need_packages samba && need_packages netns &&
		env ${PERF_ENV:+PTACHECK_SAMBA_ENV=$PERF_ENV} bash scripts/bench.sh
}

selected() { [ -z "${ONLY:-}" ] || [[ $ONLY == *,$1,* ]]; }

# test.sh --lane NAME: one lane, in the background (job_start). On exit it
# leaves its end time and its CPU time (user + system, its children's
# included) for the summary.
if [ "${1:-}" = --lane ]; then
	: "${RUN:?--lane is for test.sh itself}"
	# shellcheck disable=SC2064 # $2 now
	trap "now_ms >'$RUN/$2.end'; times >'$RUN/$2.times'; tail -n 1 '$RUN/$2.times' >'$RUN/$2.cpu'" EXIT
	"lane_${2//-/_}"
	exit
fi

# ---------------------------------------------------------------------------
# The run.

ONLY=
case ${1:-} in
--only) ONLY=,${2:?--only needs STEP,...},; shift 2 ;;
--list) printf '%s\n' "${STEPS[@]}"; exit 0 ;;
-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
"") ;;
*) echo "usage: $0 [--only STEP,...|--list]" >&2; exit 2 ;;
esac
[ $# = 0 ] || { echo "usage: $0 [--only STEP,...|--list]" >&2; exit 2; }
export ONLY
if [ -n "$ONLY" ]; then
	for s in ${ONLY//,/ }; do
		[[ " ${STEPS[*]} " == *" $s "* ]] || { echo "test.sh: unknown step $s (steps: ${STEPS[*]})" >&2; exit 2; }
	done
fi

T0=$(now_ms)
RUN=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-test.XXXXXX")
mkdir -p "$RUN/tmp"
# Everything's temporary files live in this run's directory.
export RUN TMPDIR=$RUN/tmp
export NS_PREFIX=ptacheck-test-$$-$RANDOM
declare -A JOB_PID=() JOB_T0=()
SUMMARY=()
failed=()


cleanup() {
	local rc=$? name pid i ns
	trap - EXIT
	# The lanes still running: SIGTERM to their process groups (each script's
	# own EXIT trap stops its servers), then SIGKILL after 15 s.
	for name in "${!JOB_PID[@]}"; do
		pid=${JOB_PID[$name]}
		kill -0 "$pid" 2>/dev/null && echo "stopping $name" && kill -TERM -- "-$pid" 2>/dev/null
	done
	for i in $(seq 150); do
		local alive=
		for pid in "${JOB_PID[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
		[ -n "$alive" ] || break
		sleep 0.1
	done
	for pid in "${JOB_PID[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
	# The DCs (samba runs in a session of its own) and their namespaces.
	for d in "$RUN"/dc-*/; do
		[ -d "$d" ] && PTACHECK_SAMBA_DIR=${d%/} bash scripts/samba-dc.sh stop >/dev/null 2>&1
	done
	for ns in $(ip netns list 2>/dev/null | awk -v p="$NS_PREFIX-" 'index($1, p) == 1 { print $1 }'); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	kill_tree
	rm -rf "$RUN"
	exit "$rc"
}
# No INT/TERM trap: bash would wait for the foreground command before
# running it; without one, bash runs the EXIT trap at once on SIGTERM/SIGINT.
trap cleanup EXIT

# step NAME CMD...: a step in the foreground, its output as it comes.
step() {
	local name=$1 t0 rc=0
	shift
	printf '\n== %s\n' "$name"
	t0=$(now_ms)
	set +e
	{
		TIMEFORMAT='%U %S'
		time {
			"$@" 2>&1 | tee "$RUN/$name.log"
			echo "${PIPESTATUS[0]}" >"$RUN/$name.rc"
		}
	} 2>"$RUN/$name.time"
	set -e
	rc=$(cat "$RUN/$name.rc")
	awk '{ printf "%.1f", $1 + $2 }' "$RUN/$name.time" >"$RUN/$name.cpu"
	# A failed step in the foreground ends the run (its output is above).
	done_step "$name" "$rc" $(($(now_ms) - t0)) || finish
}

# cpu_of NAME: the CPU seconds (user + system) a step used, from its .cpu
# file: "1.5" (a foreground step) or bash's `times` line "1m2.500s 0m3.100s".
cpu_of() {
	[ -s "$RUN/$1.cpu" ] || { echo "?"; return; }
	awk '{ t = 0; for (i = 1; i <= NF; i++) { v = $i; m = 0; if (v ~ /m/) { split(v, p, "m"); m = p[1]; v = p[2] }
		sub(/s$/, "", v); t += m * 60 + v } printf "%.0f", t }' "$RUN/$1.cpu"
}

# done_step NAME RC MS: its status line, and the step in the summary.
done_step() {
	local status=ok cpu
	[ "$2" = 0 ] || status="FAIL (exit $2)"
	cpu=$(cpu_of "$1")
	SUMMARY+=("$(printf '%-12s %-14s %7s s  (CPU %s s)' "$1" "$status" "$(secs "$3")" "$cpu")")
	printf -- '-- %s: %s in %s s (CPU %s s)\n' "$1" "$status" "$(secs "$3")" "$cpu"
	if [ "$2" != 0 ]; then
		failed+=("$1")
		return 1
	fi
}

# finish: the summary (each step's status and duration, every SKIP line of
# the run, the total) and the exit: 1 when a step failed.
finish() {
	local skips total flaky
	printf '\n== summary\n'
	printf '%s\n' "${SUMMARY[@]}"
	skips=$(cat "$RUN"/*.log 2>/dev/null | grep -E '(^|: )SKIP[: ]' | sed -E 's/^ *//' | sort -u || true)
	if [ -n "$skips" ]; then
		echo "SKIP lines of this run:"
		printf '%s\n' "$skips" | sed 's/^/  /'
	else
		echo "no SKIP line in this run"
	fi
	flaky=$(cat "$RUN"/*.log 2>/dev/null | grep -E '^FLAKY: ' | sort -u || true)
	if [ -n "$flaky" ]; then
		echo "tests that failed, then passed alone (load-sensitive bounds: fix them):"
		printf '%s\n' "$flaky" | sed 's/^/  /'
	fi
	total=$(($(now_ms) - T0))
	printf 'total: %d min %d s\n' $((total / 60000)) $((total % 60000 / 1000))
	if [ ${#failed[@]} -gt 0 ]; then
		echo "FAILED: ${failed[*]}"
		exit 1
	fi
	echo "all tests passed"
	exit 0
}

# What asserts no timing runs at a lower priority (nice 5): the code checks
# in the foreground, Wine, the field scripts, fuzzing and the bulk users.
# When the machine is short of CPU, the timing-sensitive tests (go test, the
# Samba and network tests, whose deadlines are product promises) get it
# first; the others still use every idle cycle.
declare -A LANE_NICE=([wine]=5 [field]=5 [fuzz]=5 [samba-perf]=5)

# job_start NAME: starts lane NAME in the background.
job_start() {
	JOB_T0[$1]=$(now_ms)
	nice -n "${LANE_NICE[$1]:-0}" setsid bash "$0" --lane "$1" </dev/null >"$RUN/$1.log" 2>&1 &
	JOB_PID[$1]=$!
	printf '   started %s in the background\n' "$1"
}

# job_wait NAME...: waits for these lanes; prints each one's output whole,
# with its status and duration, as it ends. Returns 1 if one failed.
job_wait() {
	local pending=("$@") name rc any=0 still
	while [ ${#pending[@]} -gt 0 ]; do
		still=()
		for name in "${pending[@]}"; do
			if kill -0 "${JOB_PID[$name]}" 2>/dev/null; then
				still+=("$name")
				continue
			fi
			rc=0
			wait "${JOB_PID[$name]}" || rc=$?
			printf '\n== %s (ran in the background)\n' "$name"
			cat "$RUN/$name.log"
			unset "JOB_PID[$name]"
			local end
			end=$(cat "$RUN/$name.end" 2>/dev/null || now_ms)
			done_step "$name" "$rc" $((end - JOB_T0[$name])) || any=1
		done
		pending=("${still[@]}")
		[ ${#pending[@]} = 0 ] || sleep 0.5
	done
	return $any
}

# --- what this machine can do ---------------------------------------------
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "root with apt-get: every step runs; missing Debian packages are installed"
	export PACKAGES_LANE=1
	job_start packages
else
	echo "NOTE: not root (or no apt-get): nothing is installed; the root-only parts say SKIP"
fi
# The DC of the signin goal needs minutes for its 10,000 users: from the start.
needs_dc=
if selected bench && [ "$(id -u)" = 0 ]; then
	needs_dc=1
	job_start samba-perf
fi

# --- side by side from the start: each waits for its own packages ----------
lanes=()
selected samba && export SAMBA_STEP=1
for lane in gotest samba wine fuzz netns field; do
	selected "$lane" && job_start "$lane" && lanes+=("$lane")
done
[ -z "${JOB_PID[packages]:-}" ] || lanes+=(packages)

# --- the code ---------------------------------------------------------------
# shellcheck disable=SC2016 # expanded by the step's own shell
selected gofmt && step gofmt bash -c '
	unformatted=$(gofmt -l $(git ls-files "*.go" 2>/dev/null || find . -name "*.go"))
	[ -z "$unformatted" ] || { echo "gofmt would change:"; echo "$unformatted"; exit 1; }'
selected vet && step vet nice -n 5 bash -c 'go vet ./... && GOOS=windows go vet ./...'
# shellcheck disable=SC2016
selected staticcheck && step staticcheck nice -n 5 bash -c '
	GOBIN="$TMPDIR/tools" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2 &&
	"$TMPDIR/tools/staticcheck" ./... && GOOS=windows "$TMPDIR/tools/staticcheck" ./...'
selected build && step build nice -n 5 bash -c 'go build -o /dev/null . && GOOS=windows GOARCH=amd64 go build -o /dev/null .'

lanes_ok=0
[ ${#lanes[@]} = 0 ] || job_wait "${lanes[@]}" || lanes_ok=1

if selected bench; then
	if [ -n "$needs_dc" ]; then
		# The bench needs the perf DC up and its users being created (the
		# signin measurement, last, waits for them); the rest measures now.
		d=$RUN/dc-perf
		while kill -0 "${JOB_PID[samba-perf]}" 2>/dev/null && [ ! -f "$d/bulk-users.pid" ] && [ ! -f "$d/bulk-users.done" ]; do
			sleep 0.5
		done
		[ ! -f "$d/env" ] || export PERF_ENV=$d/env
	fi
	if [ "$lanes_ok" = 0 ]; then
		# The measurements, with their goals, after the tests.
		step bench bench
	else
		echo "bench: not run, a step failed"
	fi
fi
# After a failure the cleanup stops the bulk-user creation; else wait for it.
[ -z "$needs_dc" ] || [ ${#failed[@]} -gt 0 ] || job_wait samba-perf || true

finish
