#!/usr/bin/env bash
# Performance goals of net.outbound-ports, measured (never asserted in unit
# tests):
#  1. every endpoint dropped: a whole run ends within --probe-timeout + 1 s,
#     whatever the number of endpoints (100, and 1,000, extra endpoints here);
#  2. every endpoint reachable on loopback: the check completes in < 100 ms.
# Goal 1 needs root for the network namespace (skipped otherwise); goal 2
# runs anywhere, against the healthy fixture.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
fails=0

echo "perf: all endpoints reachable on loopback (fixture healthy)"
BIN=$(mktemp -d)/ptacheck
(cd "$ROOT" && go build -o "$BIN" .)
best=999999
for _ in 1 2 3 4 5; do
	ms=$("$BIN" enable --fixture healthy --only net.outbound-ports -o json 2>/dev/null |
		sed -n 's/.*"duration_ms": \([0-9]*\).*/\1/p' | tail -1)
	echo "  net.outbound-ports took ${ms} ms"
	[ "$ms" -lt "$best" ] && best=$ms
done
if [ "$best" -lt 100 ]; then echo "  ok   best of 5: ${best} ms < 100 ms"; else echo "  FAIL best of 5: ${best} ms >= 100 ms"; fails=1; fi
rm -rf "$(dirname "$BIN")"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the dropped-endpoints goal needs root (network namespaces and iptables)"
	exit $fails
fi
. "$ROOT/scripts/netns-lib.sh"
ns_require perf-net
extra=()
for i in $(seq 100); do extra+=("e$i.perf.test"); done
ns_setup "${extra[@]}"
{
	printf '{"endpoints": ['
	for i in $(seq 100); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"host": "e%d.perf.test", "ports": [443], "protocol": "tls", "level": "required"}' "$i"
	done
	printf ']}\n'
} >"$WORK/perf.json"
ns_iptables -A OUTPUT -d 10.77.0.0/16 -p tcp -j DROP
for pt in 1 2; do
	ptacheck_ns install --only net.outbound-ports --dns-server 127.0.0.1:53 --tenant-id "$TENANT" --legacy \
		--endpoints-file "$WORK/perf.json" --probe-timeout ${pt}s
	n=$(jq '.checks[0].details.endpoints | length' "$WORK/report.json")
	filtered=$(jq '[.checks[0].details.endpoints[] | select(.outcome == "filtered")] | length' "$WORK/report.json")
	limit=$(((pt + 1) * 1000))
	if [ "$CODE" = 1 ] && [ "$MILLIS" -le "$limit" ] && [ "$n" = "$filtered" ]; then
		echo "  ok   $n endpoints dropped, --probe-timeout ${pt}s: ${MILLIS} ms <= ${limit} ms"
	else
		echo "  FAIL $n endpoints ($filtered filtered), --probe-timeout ${pt}s: exit $CODE in ${MILLIS} ms (limit ${limit} ms)"
		fails=1
	fi
done

echo "perf: 1,000 extra endpoints, all dropped"
{
	printf '{"endpoints": ['
	for i in $(seq 1000); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"host": "e%d.bulk.test", "ports": [443], "protocol": "tls", "level": "required"}' "$i"
	done
	printf ']}\n'
} >"$WORK/bulk.json"
ptacheck_ns install --only net.outbound-ports --dns-server 127.0.0.1:53 --tenant-id "$TENANT" --endpoints-file "$WORK/bulk.json" --probe-timeout 1s
n=$(jq '.checks[0].details.endpoints | length' "$WORK/report.json")
filtered=$(jq '[.checks[0].details.endpoints[] | select(.outcome == "filtered")] | length' "$WORK/report.json")
status=$(jq -r '.checks[0].status' "$WORK/report.json")
if [ "$CODE" = 1 ] && [ "$status" = fail ] && [ "$MILLIS" -le 2000 ] && [ "$n" = "$filtered" ]; then
	echo "  ok   $n endpoints dropped, --probe-timeout 1s: fail in ${MILLIS} ms <= 2000 ms"
else
	echo "  FAIL $n endpoints ($filtered filtered), --probe-timeout 1s: exit $CODE, $status in ${MILLIS} ms (limit 2000 ms)"
	fails=1
fi
exit $fails
