#!/usr/bin/env bash
# End-to-end test of net.outbound-ports with real packets: the built binary
# runs inside a network namespace with a real DNS server (dnsmasq), real TLS
# listeners and iptables DROP / REJECT rules, and the exit codes and
# per-endpoint outcomes are asserted. Needs root (CI is root); skips otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/netns-lib.sh"
ns_require e2e-netns
ns_setup

fails=0
check() { # check DESCRIPTION CONDITION...
	local what=$1
	shift
	if "$@"; then
		echo "  ok   $what"
	else
		echo "  FAIL $what"
		fails=$((fails + 1))
	fi
}
eq() { [ "$1" = "$2" ] || { echo "       got '$1', want '$2'"; return 1; }; }
le() { [ "$1" -le "$2" ] || { echo "       got $1, want <= $2"; return 1; }; }

NET=(--dns-server 127.0.0.1:53 --tenant-id "$TENANT")
LOGIN=login.microsoftonline.com
REG=$TENANT.registration.msappproxy.net

echo "e2e-netns: all endpoints reachable"
ptacheck_ns enable "${NET[@]}" --probe-timeout 2s
check "exit 0" eq "$CODE" 0
check "every endpoint ok" eq "$(jq -r '[.checks[0].details.endpoints[].outcome] | unique | join(",")' "$WORK/report.json")" ok
check "TLS chain verified" eq "$(jq -r '.checks[0].details.endpoints[] | select(.host == "login.microsoftonline.com") | .tls.verified' "$WORK/report.json")" true
check "net.tls-inspection passes" eq "$(jq -r '.checks[1].status' "$WORK/report.json")" pass

echo "e2e-netns: every port dropped"
ns_iptables -A OUTPUT -d 10.77.0.0/16 -p tcp -j DROP
ptacheck_ns install --only net.outbound-ports --dns-server 127.0.0.1:53 --probe-timeout 2s
check "exit 1" eq "$CODE" 1
check "finished in under 3 s (took ${MILLIS} ms)" le "$MILLIS" 3000
check "every endpoint filtered" eq "$(jq -r '[.checks[0].details.endpoints[].outcome] | unique | join(",")' "$WORK/report.json")" filtered
check "each endpoint named in the findings" eq "$(jq -r '[.checks[0].findings[] | select(test(": filtered: "))] | length' "$WORK/report.json")" \
	"$(jq -r '.checks[0].details.endpoints | length' "$WORK/report.json")"
ptacheck_ns install --only net.outbound-ports "${NET[@]}" --probe-timeout 2s
check "with --tenant-id: the registration host is filtered too" eq "$(outcome "$REG:443")" filtered
check "with --tenant-id: still under 3 s (took ${MILLIS} ms)" le "$MILLIS" 3000
ns_flush

echo "e2e-netns: mixed dropped and refused"
ns_iptables -A OUTPUT -d "$(ip_of $LOGIN)" -p tcp --dport 443 -j DROP
ns_iptables -A OUTPUT -d "$(ip_of login.windows.net)" -p tcp --dport 443 -j REJECT --reject-with tcp-reset
ns_iptables -A OUTPUT -d "$(ip_of crl3.digicert.com)" -p tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
ns_iptables -A OUTPUT -d "$(ip_of crl2.microsoft.com)" -p tcp --dport 80 -j DROP
ptacheck_ns enable "${NET[@]}" --probe-timeout 1s
check "exit 1" eq "$CODE" 1
check "$LOGIN:443 filtered" eq "$(outcome $LOGIN:443)" filtered
check "login.windows.net:443 refused (TCP reset)" eq "$(outcome login.windows.net:443)" refused
check "crl3.digicert.com:80 refused (ICMP port unreachable)" eq "$(outcome crl3.digicert.com:80)" refused
check "optional crl2.microsoft.com:80 filtered" eq "$(outcome crl2.microsoft.com:80)" filtered
check "crl4.digicert.com:80 still ok" eq "$(outcome crl4.digicert.com:80)" ok
check "$REG:443 still ok" eq "$(outcome "$REG:443")" ok
check "an optional endpoint only warns" eq "$(jq -r '.checks[0].findings[] | select(contains("crl2.microsoft.com:80"))' "$WORK/report.json" | cut -c1-8)" "warning:"
check "the fix names each outcome once" eq "$(jq -r '.checks[0].remediation | [match("filtered:|refused:"; "g").string] | join(",")' "$WORK/report.json")" "filtered:,refused:"
ns_flush

echo "e2e-netns: DNS failure"
# Dropped on the way in, as by a remote firewall: the client hears nothing.
ns_iptables -A INPUT -p udp --dport 53 -j DROP
ns_iptables -A INPUT -p tcp --dport 53 -j DROP
ptacheck_ns enable "${NET[@]}" --probe-timeout 1s
check "exit 1" eq "$CODE" 1
check "every endpoint dns-timeout" eq "$(jq -r '[.checks[0].details.endpoints[].outcome] | unique | join(",")' "$WORK/report.json")" dns-timeout
check "net.tls-inspection skips: nothing to inspect" eq "$(jq -r '.checks[1].status' "$WORK/report.json")" skip
ns_flush
# Blocked on the way out by this host's own firewall: the OS refuses to send.
ns_iptables -A OUTPUT -p udp --dport 53 -j DROP
ns_iptables -A OUTPUT -p tcp --dport 53 -j DROP
ptacheck_ns enable "${NET[@]}" --probe-timeout 1s
check "local firewall: exit 1" eq "$CODE" 1
check "local firewall: every endpoint blocked-local" eq "$(jq -r '[.checks[0].details.endpoints[].outcome] | unique | join(",")' "$WORK/report.json")" blocked-local
ns_flush
cat >"$WORK/extra.json" <<EOF
{"endpoints": [{"host": "gone.invalid", "ports": [443], "protocol": "tls", "level": "required", "purpose": "e2e: a name that does not exist"}]}
EOF
ptacheck_ns enable "${NET[@]}" --probe-timeout 1s --endpoints-file "$WORK/extra.json"
check "a missing name: exit 1" eq "$CODE" 1
check "gone.invalid:443 dns-nxdomain" eq "$(outcome gone.invalid:443)" dns-nxdomain

echo "e2e-netns: TLS interception"
ns_endpoints intercept
ptacheck_ns enable "${NET[@]}" --probe-timeout 1s
check "exit 1" eq "$CODE" 1
check "net.tls-inspection fails" eq "$(jq -r '.checks[1].status' "$WORK/report.json")" fail
check "names the intercepting issuer" eq "$(jq -r '.checks[1].message | test("Contoso Firewall TLS Inspection CA")' "$WORK/report.json")" true

if [ "$fails" -gt 0 ]; then
	echo "e2e-netns: $fails assertion(s) failed"
	exit 1
fi
echo "e2e-netns: all passed"
