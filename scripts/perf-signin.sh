#!/usr/bin/env bash
# Performance goal of `ptacheck signin`, measured (never asserted in unit
# tests): 10,000 users (PERF_SIGNIN_USERS) diagnosed against the local Samba
# DC in under 10 s, the median of PERF_RUNS runs (default 3): batched, paged
# LDAP searches, not one search per user.
#
# Yardstick, measured in the same run, in turn with ptacheck: OpenLDAP's
# ldapsearch reading the same users over LDAPS with paged results (the
# least LDAP work that reads them all), one process too; the ratio per
# pair is printed.
#
# The users come from scripts/samba-bulk-users.sh: when the test command
# creates them in the background this waits for them (up to
# PERF_SIGNIN_WAIT seconds, default 900), otherwise it creates them.
# Output: "  ok|MISS|FAIL ..." lines. Exit 1 only when a result is wrong (a
# user not found, a wrong exit code, the yardstick failing) or nothing could
# be measured; a missed goal exits 0 unless BENCH_STRICT=1. As root without a
# DC it runs under a DC of its own (scripts/samba-dc.sh run); without root
# it says SKIP.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/ci-lib.sh"
ENVFILE=${PTACHECK_SAMBA_ENV:-/tmp/ptacheck-samba/env}
N=${PERF_SIGNIN_USERS:-10000}
RUNS=${PERF_RUNS:-3}
if [ ! -f "$ENVFILE" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: perf-signin needs a Samba AD DC, which needs root"; exit 0; }
	exec bash "$ROOT/scripts/samba-dc.sh" run bash "$0" "$@"
fi
# shellcheck source=/dev/null # the DC's env file
. "$ENVFILE"
if [ -n "${PTACHECK_SAMBA_NETNS:-}" ] && [ "$(ip netns identify 2>/dev/null)" != "$PTACHECK_SAMBA_NETNS" ]; then
	exec ip netns exec "$PTACHECK_SAMBA_NETNS" bash "$0" "$@"
fi
DCDIR=$(dirname "$ENVFILE")
MARKER=$DCDIR/bulk-users.done
work=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-perf-signin.XXXXXX")
trap 'kill_tree; rm -rf "$work"' EXIT

have_users() { [ -f "$MARKER" ] && [ "$(cat "$MARKER")" -ge "$N" ]; }
creating() { [ -f "$DCDIR/bulk-users.pid" ] && kill -0 "$(cat "$DCDIR/bulk-users.pid")" 2>/dev/null; }
waited=0
while ! have_users && creating; do
	if [ "$waited" -ge "${PERF_SIGNIN_WAIT:-900}" ]; then
		echo "  FAIL the $N bulk users were not ready after ${waited} s (scripts/samba-bulk-users.sh $N)"
		exit 1
	fi
	sleep 2
	waited=$((waited + 2))
done
[ "$waited" -gt 0 ] && echo "  waited ${waited} s for the bulk users"
if ! have_users; then
	bash "$ROOT/scripts/samba-bulk-users.sh" "$N" >"$work/bulk.log" 2>&1 || {
		echo "  FAIL creating the $N bulk users"
		cat "$work/bulk.log"
		exit 1
	}
	sed 's/^/  /' "$work/bulk.log"
fi

BIN=${PTACHECK:-$work/ptacheck}
[ -x "$BIN" ] || (cd "$ROOT" && go build -o "$BIN" .)
for i in $(seq 0 $((N - 1))); do printf 'perfuser%05d@%s\n' "$i" "$PTACHECK_SAMBA_DOMAIN"; done >"$work/users.txt"
export PTACHECK_LDAP_PASSWORD
PTACHECK_LDAP_PASSWORD=$(cat "$PTACHECK_SAMBA_ADMIN_PASSWORD_FILE")
ours=() theirs=() ratios=()
for _ in $(seq "$RUNS"); do
	start=$(date +%s%N)
	code=0
	"$BIN" signin --users-file "$work/users.txt" --domain "$PTACHECK_SAMBA_DOMAIN" --dns-server "$PTACHECK_SAMBA_DNS" \
		--ca-file "$PTACHECK_SAMBA_CA_FILE" --ldap-user "$PTACHECK_SAMBA_ADMIN_UPN" --machine-name pta01 -o json \
		>"$work/report.json" 2>"$work/stderr" || code=$?
	a=$((($(date +%s%N) - start) / 1000000))
	found=$(jq '[.checks[] | select(.id == "user.exists") | .details.found] | first' "$work/report.json" 2>/dev/null || echo "no report")
	# Exit 0 or 1 are verdicts (the bulk users have no password: some
	# per-user checks may fail); 2 and up are errors.
	if [ "$code" -ge 2 ] || [ "$found" != "$N" ]; then
		echo "  FAIL signin: exit $code, $found of $N users found"
		head -20 "$work/stderr"
		exit 1
	fi
	start=$(date +%s%N)
	LDAPTLS_CACERT=$PTACHECK_SAMBA_CA_FILE ldapsearch -LLL -H "$PTACHECK_SAMBA_LDAPS_URI" -x -D "$PTACHECK_SAMBA_ADMIN_DN" \
		-y "$PTACHECK_SAMBA_ADMIN_PASSWORD_FILE" -E pr=1000/noprompt -b "$PTACHECK_SAMBA_BASE_DN" \
		'(sAMAccountName=perfuser*)' userPrincipalName userAccountControl >"$work/yard.out" 2>&1 || true
	b=$((($(date +%s%N) - start) / 1000000))
	got=$(grep -c '^userPrincipalName: perfuser' "$work/yard.out" || true)
	if [ "$got" -lt "$N" ]; then
		echo "  FAIL the yardstick (ldapsearch, paged) read $got of $N users"
		tail -5 "$work/yard.out"
		exit 1
	fi
	ours+=("$a") theirs+=("$b") ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')")
	echo "  signin, $N users: ${a} ms (exit $code, $found found); ldapsearch of the same users: ${b} ms"
done
med=$(median "${ours[@]}")
echo "  info ldapsearch of the $N users, paged, over LDAPS (yardstick): $(stats "${theirs[@]}")"
line="signin, $N users: $(stats "${ours[@]}"), $(median "${ratios[@]}")x the yardstick (median of pairs); goal < 10000 ms"
if [ "$med" -lt 10000 ]; then
	echo "  ok   $line"
else
	echo "  MISS $line"
	[ "${BENCH_STRICT:-0}" = 1 ] && exit 1
fi
exit 0
