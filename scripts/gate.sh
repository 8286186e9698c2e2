#!/usr/bin/env bash
# gate.sh: run one ptacheck phase as a pipeline gate.
#
#   gate.sh [--bin PATH] [--report FILE] PHASE [ptacheck flags...]
#
# Runs `ptacheck PHASE [flags...] -o json --report-file FILE`, keeps the JSON
# report in FILE (--report, or a new temporary file whose path is printed),
# prints ONE summary line to stderr and exits with ptacheck's own exit code:
#
#   0 ready, 1 not ready, 2 usage or input error, 3 inconclusive,
#   130 / 143 interrupted by SIGINT / SIGTERM (the partial report is kept)
#
# Summary line (stderr), for example:
#   ptacheck install: not-ready (exit 1): 12 passed, 0 warnings, 1 failed, 0 skipped, 1 errors, 0 ignored; failing: net.outbound-ports; errors: net.tls-inspection; report: /tmp/ptacheck-install.Xy12ab.json
#   ptacheck install: usage error (exit 2): ptacheck: install: unknown flag: --bogus (run 'ptacheck install --help')
#
# Right after the installer and the registration, `gate.sh verify --tenant-id GUID` confirms the
# agent runs and the tenant lists it active (exit 0), or says what is wrong (exit 1).
#
# ptacheck's own stderr (the fixture note, -v progress, a device-code prompt)
# passes through as it comes; stdout stays empty (the report is in FILE).
#
# Options (before PHASE):
#   --bin PATH      the ptacheck binary (default: $PTACHECK_BIN, else `ptacheck` on PATH)
#   --report FILE   where the JSON report goes (default: a new temporary file, kept)
#   -h, --help      this text
# -o/--output, --report-file and --report-format belong to the gate and are refused after PHASE.
#
# The summary is read from the report with jq, else python3 (PTACHECK_GATE_PARSER=jq|python3|none
# picks one); without either the line carries only the verdict and the exit code.
#
# Signals: SIGINT / SIGTERM sent to the gate, or to its whole process group (Ctrl-C, a CI
# cancellation, `timeout`), reach ptacheck exactly once, so it winds down, writes its partial
# report and exits 130 / 143, which the gate passes on. (ptacheck runs in its own session via
# setsid where setsid exists; elsewhere a signal sent to the whole group arrives twice, and
# ptacheck's rule "a second signal ends the process at once" then drops the partial report.)
set -euo pipefail

prog=gate.sh
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die_usage() { printf '%s: %s (run %s --help)\n' "$prog" "$1" "$prog" >&2; exit 2; }

bin=${PTACHECK_BIN:-}
report=
while [ $# -gt 0 ]; do
	case $1 in
	--bin) [ $# -ge 2 ] || die_usage "--bin needs a PATH"; bin=$2; shift 2 ;;
	--bin=*) bin=${1#--bin=}; shift ;;
	--report) [ $# -ge 2 ] || die_usage "--report needs a FILE"; report=$2; shift 2 ;;
	--report=*) report=${1#--report=}; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) die_usage "unknown gate option $1 (gate options come before PHASE)" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || die_usage "missing PHASE (install, register, verify, enable, uninstall, operate)"
phase=$1
shift
for a in "$@"; do
	case $a in
	-o | -o* | --output | --output=* | --report-file | --report-file=* | --report-format | --report-format=*)
		die_usage "$a is set by the gate (-o json --report-file FILE); use --report FILE before PHASE" ;;
	esac
done
# A phase is a ptacheck command name; it also names the temporary report.
[[ $phase =~ ^[a-z][a-z-]*$ ]] || die_usage "not a phase: '$phase' (install, register, verify, enable, uninstall, operate)"

if [ -z "$bin" ]; then
	bin=$(command -v ptacheck 2>/dev/null) || die_usage "no ptacheck binary: give --bin PATH or set PTACHECK_BIN"
fi
if [ ! -x "$bin" ] && ! command -v "$bin" >/dev/null 2>&1; then
	die_usage "ptacheck binary not found or not executable: $bin"
fi

temp_report=false
if [ -z "$report" ]; then
	report=$(mktemp "${TMPDIR:-/tmp}/ptacheck-$phase.XXXXXX.json" 2>/dev/null) ||
		report=$(mktemp "${TMPDIR:-/tmp}/ptacheck-report.XXXXXX")
	temp_report=true
fi
errlog=$(mktemp "${TMPDIR:-/tmp}/ptacheck-gate-stderr.XXXXXX")
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() { rm -f "$errlog"; }
trap cleanup EXIT

# ptacheck's stderr goes to the terminal as it comes and into errlog (for the
# exit-2 line). tee ignores INT and TERM so that a signal to the whole process
# group cannot close the pipe under ptacheck while it writes its partial report.
exec 3> >(trap '' INT TERM; exec tee -a "$errlog" >&2)
tee_pid=$!

# A signal that arrives before ptacheck has started is passed on once it has.
child=
pending=
forward() {
	if [ -n "$child" ]; then kill -s "$1" "$child" 2>/dev/null || true; else pending=$1; fi
}
trap 'forward INT' INT
trap 'forward TERM' TERM

launcher=()
command -v setsid >/dev/null 2>&1 && launcher=(setsid)
# A background job of a non-interactive shell is not a process-group leader, so
# setsid execs ptacheck directly: $! is ptacheck's own PID.
"${launcher[@]}" "$bin" "$phase" -o json --report-file "$report" "$@" <&0 >/dev/null 2>&3 &
child=$!
[ -z "$pending" ] || forward "$pending"

# wait returns early (status > 128) when a trapped signal arrives; wait again
# until ptacheck itself has ended and its status is known.
while :; do
	code=0
	wait "$child" || code=$?
	kill -0 "$child" 2>/dev/null || break
done
trap - INT TERM
exec 3>&-
wait "$tee_pid" 2>/dev/null || true

if [ "$code" = 2 ]; then
	line=$(grep -v '^ptacheck: fixture mode' "$errlog" | tail -n 1 || true)
	[ -n "$line" ] || line="(ptacheck printed no error line)"
	if $temp_report && [ ! -s "$report" ]; then rm -f "$report"; fi
	printf 'ptacheck %s: usage error (exit 2): %s\n' "$phase" "$line" >&2
	exit 2
fi

# One line from the report: verdict, counts, failing and erroring check IDs.
summary_jq='"\(.verdict // "no verdict")\(if .interrupted then ", interrupted" else "" end) (exit \(.exit_code // "?")): \(.summary.pass // 0) passed, \(.summary.warn // 0) warnings, \(.summary.fail // 0) failed, \(.summary.skip // 0) skipped, \(.summary.error // 0) errors, \(.summary.ignored // 0) ignored\([.checks[]? | select(.status == "fail") | .id] | if length > 0 then "; failing: " + join(",") else "" end)\([.checks[]? | select(.status == "error") | .id] | if length > 0 then "; errors: " + join(",") else "" end)\(if (.why // "") != "" then "; why: " + .why else "" end)"'
summary_py='
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
s = d.get("summary") or {}
ids = lambda st: [c.get("id", "?") for c in d.get("checks") or [] if c.get("status") == st]
out = "%s%s (exit %s): %d passed, %d warnings, %d failed, %d skipped, %d errors, %d ignored" % (
    d.get("verdict") or "no verdict", ", interrupted" if d.get("interrupted") else "",
    d.get("exit_code", "?"), s.get("pass", 0), s.get("warn", 0), s.get("fail", 0),
    s.get("skip", 0), s.get("error", 0), s.get("ignored", 0))
if ids("fail"): out += "; failing: " + ",".join(ids("fail"))
if ids("error"): out += "; errors: " + ",".join(ids("error"))
if d.get("why"): out += "; why: " + d["why"]
print(out)
'
parser=${PTACHECK_GATE_PARSER:-}
if [ -z "$parser" ]; then
	if command -v jq >/dev/null 2>&1; then parser=jq
	elif command -v python3 >/dev/null 2>&1; then parser=python3
	else parser=none; fi
fi
text=
if [ -s "$report" ]; then
	case $parser in
	jq) text=$(jq -r "$summary_jq" "$report" 2>/dev/null) || text= ;;
	python3) text=$(python3 -c "$summary_py" "$report" 2>/dev/null) || text= ;;
	none) text="exit $code (no jq or python3 to read the report)" ;;
	*) text="exit $code (unknown PTACHECK_GATE_PARSER=$parser)" ;;
	esac
	[ -n "$text" ] || text="exit $code (the report could not be read)"
else
	text="exit $code (no report was written)"
fi
printf 'ptacheck %s: %s; report: %s\n' "$phase" "$text" "$report" >&2
exit "$code"
