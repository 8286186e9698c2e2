#!/usr/bin/env bash
# Performance goal of the directory checks, measured (never asserted in unit
# tests): a whole `ptacheck install --only ad.*` process (DC locator, LDAPS
# bind, rootDSE, forest, DC port probes, clock) against the local Samba AD DC
# takes under 300 ms (median of PERF_RUNS runs, default 5).
#
# Yardstick, measured in the same run, in turn with ptacheck (A B A B ...):
# OpenLDAP's ldapsearch binding over LDAPS and reading the rootDSE, one
# process too; the ratio per pair is printed, so a slow machine shows as a
# slow yardstick, not as a slow ptacheck.
#
# Output: "  ok|MISS|FAIL ..." lines. Exit 1 only when a result is wrong (the
# ad.* checks do not pass against the DC, the yardstick fails) or nothing
# could be measured; a missed goal exits 0 unless BENCH_STRICT=1.
# Needs the DC of scripts/samba-dc.sh (PTACHECK_SAMBA_ENV); as root without
# one, it runs under a DC of its own (scripts/samba-dc.sh run); without root
# it says SKIP.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/ci-lib.sh"
ENVFILE=${PTACHECK_SAMBA_ENV:-/tmp/ptacheck-samba/env}
if [ ! -f "$ENVFILE" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: perf-ad needs a Samba AD DC, which needs root"; exit 0; }
	exec bash "$ROOT/scripts/samba-dc.sh" run bash "$0" "$@"
fi
# shellcheck source=/dev/null # the DC's env file
. "$ENVFILE"
# The DC may live in a network namespace of its own: measure from inside it.
if [ -n "${PTACHECK_SAMBA_NETNS:-}" ] && [ "$(ip netns identify 2>/dev/null)" != "$PTACHECK_SAMBA_NETNS" ]; then
	exec ip netns exec "$PTACHECK_SAMBA_NETNS" bash "$0" "$@"
fi
RUNS=${PERF_RUNS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-perf-ad.XXXXXX")
trap 'kill_tree; rm -rf "$work"' EXIT
BIN=${PTACHECK:-$work/ptacheck}
[ -x "$BIN" ] || (cd "$ROOT" && go build -o "$BIN" .)
export PTACHECK_LDAP_PASSWORD
PTACHECK_LDAP_PASSWORD=$(cat "$PTACHECK_SAMBA_ADMIN_PASSWORD_FILE")

ours=() theirs=() ratios=()
for _ in $(seq "$RUNS"); do
	start=$(date +%s%N)
	code=0
	"$BIN" install --only ad.dc-reachable,ad.forest-membership,ad.time-skew --domain "$PTACHECK_SAMBA_DOMAIN" \
		--dns-server "$PTACHECK_SAMBA_DNS" --ca-file "$PTACHECK_SAMBA_CA_FILE" --ldap-user "$PTACHECK_SAMBA_ADMIN_UPN" \
		--upn-suffix "$PTACHECK_SAMBA_DOMAIN" -o json >"$work/report.json" 2>"$work/stderr" || code=$?
	a=$((($(date +%s%N) - start) / 1000000))
	statuses=$(jq -r '[.checks[].status] | join(",")' "$work/report.json" 2>/dev/null || true)
	if [ "$code" != 0 ] || [ "$statuses" != "pass,pass,pass" ]; then
		echo "  FAIL the ad.* checks did not pass against the Samba DC (exit $code, statuses '$statuses')"
		cat "$work/stderr"
		jq -r '.checks[] | "    \(.id): \(.status): \(.message)"' "$work/report.json" 2>/dev/null || true
		exit 1
	fi
	start=$(date +%s%N)
	if ! LDAPTLS_CACERT=$PTACHECK_SAMBA_CA_FILE ldapsearch -LLL -H "$PTACHECK_SAMBA_LDAPS_URI" -x -D "$PTACHECK_SAMBA_ADMIN_DN" \
		-y "$PTACHECK_SAMBA_ADMIN_PASSWORD_FILE" -b '' -s base defaultNamingContext >"$work/yard.out" 2>&1 ||
		! grep -q "^defaultNamingContext: $PTACHECK_SAMBA_BASE_DN" "$work/yard.out"; then
		echo "  FAIL the yardstick (ldapsearch over LDAPS) did not read the rootDSE"
		cat "$work/yard.out"
		exit 1
	fi
	b=$((($(date +%s%N) - start) / 1000000))
	ours+=("$a") theirs+=("$b") ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')")
	echo "  ad.* run: ${a} ms ($statuses); ldapsearch bind + rootDSE: ${b} ms"
done
med=$(median "${ours[@]}")
echo "  info ldapsearch bind + rootDSE over LDAPS (yardstick): $(stats "${theirs[@]}")"
line="ad.* whole process: $(stats "${ours[@]}"), $(median "${ratios[@]}")x the yardstick (median of pairs); goal < 300 ms"
if [ "$med" -lt 300 ]; then
	echo "  ok   $line"
else
	echo "  MISS $line"
	[ "${BENCH_STRICT:-0}" = 1 ] && exit 1
fi
exit 0
