#!/usr/bin/env bash
# End-to-end test of net.outbound-ports with real packets: the built binary
# runs inside a network namespace with a real DNS server (dnsmasq), real TLS
# listeners and iptables DROP / REJECT rules, and the exit codes and
# per-endpoint outcomes are asserted. Needs root (CI is root); skips otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/netns-lib.sh"
ns_require e2e-netns
ns_setup proxy.corp.e2e.test

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
# A DNS server that is not listening: ICMP port unreachable at once, one
# cause naming it, never a timeout.
ptacheck_ns enable --dns-server 127.0.0.1:5399 --tenant-id "$TENANT" --probe-timeout 1s
check "resolver not listening: exit 1" eq "$CODE" 1
check "resolver not listening: every endpoint dns-unreachable" eq "$(jq -r '[.checks[0].details.endpoints[].outcome] | unique | join(",")' "$WORK/report.json")" dns-unreachable
check "resolver not listening: one finding names the server" eq "$(jq -r '[.checks[0].findings[] | select(startswith("the DNS server 127.0.0.1:5399 is not listening"))] | length' "$WORK/report.json")" 1

echo "e2e-netns: names resolved as the agent resolves them (namespace hosts file and search list)"
# ip netns exec bind-mounts /etc/netns/NAME/{hosts,resolv.conf} over /etc:
# the binary's system resolver reads them as it would on the server.
NSDIR=/etc/netns/$NS
mkdir -p "$NSDIR"
printf 'nameserver 127.0.0.1\nsearch corp.e2e.test\noptions timeout:1 attempts:1\n' >"$NSDIR/resolv.conf"
printf '127.0.0.1 localhost\n' >"$NSDIR/hosts"
for a in 10.77.251.9 10.77.251.10 10.77.251.11; do ip netns exec "$NS" ip addr add "$a/32" dev lo; done
PROXY=$(ip_of proxy.corp.e2e.test)
start_proxy() { # start_proxy MODE: an HTTP proxy on proxy.corp.e2e.test:3128
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null || true
	fi
	: >"$WORK/proxy.out"
	ip netns exec "$NS" "$WORK/netns-endpoints" -listen "" -proxy "$PROXY:3128" -proxy-mode "$1" >"$WORK/proxy.out" 2>&1 &
	PROXY_PID=$!
	local n
	for n in $(seq 100); do
		grep -q ready "$WORK/proxy.out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "FAIL: the proxy did not start"
	cat "$WORK/proxy.out"
	exit 1
}
endpoints() { jq -r "[.checks[0].details.endpoints[] | $1] | unique | join(\",\")" "$WORK/report.json"; }
field() { # field HOST:PORT JQ-EXPR
	jq -r --arg a "$1" ".checks[0].details.endpoints[] | select((.host + \":\" + (.port|tostring)) == \$a) | $2" "$WORK/report.json"
}
has() { grep -qF -- "$2" <<<"$1" || { echo "       '$1' lacks '$2'"; return 1; }; }

start_proxy tunnel
ptacheck_ns enable --tenant-id "$TENANT" --proxy http://proxy:3128 --probe-timeout 2s
check "a short proxy name through the search list: exit 0" eq "$CODE" 0
check "every endpoint ok through the proxy" eq "$(endpoints .outcome)" ok
check "the proxy name resolved by the system, to proxy.corp.e2e.test's address" eq "$(endpoints '.resolved + " " + (.addresses | join(","))')" "system $PROXY"
check "details say names resolve through the system" eq "$(jq -r '.checks[0].details.resolver' "$WORK/report.json")" system

start_proxy bad-gateway
ptacheck_ns enable --only net.outbound-ports --tenant-id "$TENANT" --proxy http://proxy:3128 --probe-timeout 2s
n=$(jq '.checks[0].details.endpoints | length' "$WORK/report.json")
check "a proxy answering 502 to everything: exit 1" eq "$CODE" 1
check "one finding for the proxy" eq "$(jq '.checks[0].findings | length' "$WORK/report.json")" 1
check "it names the proxy and the count" has "$(jq -r '.checks[0].findings[0]' "$WORK/report.json")" \
	"the proxy http://proxy:3128 answered HTTP 502 to every endpoint through it: the proxy itself fails (its own outbound access, DNS or health), not the endpoints (required): proxy-bad-gateway: $n endpoints ("
check "every endpoint still in the details" eq "$(endpoints .outcome)" proxy-bad-gateway
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null || true

# The hosts file: an entry that sends a catalogue host where a firewall
# rejects it, one that pins a catalogue host to an address that answers,
# and one for a name DNS lacks.
printf '127.0.0.1 localhost\n10.77.251.9 login.microsoftonline.com\n10.77.251.10 login.windows.net # pinned\n10.77.251.11 hostsonly.invalid\n' >"$NSDIR/hosts"
ns_iptables -A OUTPUT -d 10.77.251.9 -p tcp --dport 443 -j REJECT --reject-with tcp-reset
echo '{"endpoints": [{"host": "hostsonly.invalid", "ports": [443], "protocol": "tls", "level": "required", "purpose": "e2e: a site name only the hosts file has"}]}' >"$WORK/hostsonly.json"
ptacheck_ns enable --tenant-id "$TENANT" --probe-timeout 2s --endpoints-file "$WORK/hostsonly.json"
findings=$(jq -r '.checks[0].findings | join(" | ")' "$WORK/report.json")
check "hosts file: exit 1" eq "$CODE" 1
check "$LOGIN:443 refused at the hosts-file address" eq "$(field $LOGIN:443 '.outcome + " " + (.addresses | join(",")) + " " + .source')" "refused 10.77.251.9 hosts"
check "the failure names the entry and DNS's answer" has "$findings" "$LOGIN:443 (required): refused: $LOGIN -> 10.77.251.9 from the hosts file (/etc/hosts); DNS answers $(ip_of $LOGIN): "
check "login.windows.net pinned to an address that answers: ok" eq "$(field login.windows.net:443 '.outcome + " " + .address')" "ok 10.77.251.10:443"
check "... and warned" has "$findings" "warning: login.windows.net -> 10.77.251.10 from the hosts file (/etc/hosts); DNS answers $(ip_of login.windows.net): the agent connects to this fixed address"
check "a name DNS lacks resolves from the hosts file: ok" eq "$(field hostsonly.invalid:443 '.outcome + " " + .source + " " + .hosts_file')" "ok hosts /etc/hosts"
check "... DNS's answer recorded (NXDOMAIN)" has "$(field hostsonly.invalid:443 .dns_error)" "NXDOMAIN"
check "... and no finding of its own" eq "$(grep -c hostsonly <<<"$findings" || true)" 0
check "a name DNS answers: resolved by the system, no source" eq "$(field crl3.digicert.com:80 '.resolved + " " + (.source // "-")')" "system -"
check "the fix starts with the hosts file" eq "$(jq -r '.checks[0].remediation' "$WORK/report.json" | cut -c1-11)" "hosts-file:"

ptacheck_ns enable "${NET[@]}" --probe-timeout 2s
check "--dns-server: the hosts file is not consulted ($LOGIN ok through DNS)" eq "$(field $LOGIN:443 '.outcome + " " + .resolved + " " + (.source // "-")')" "ok dns-server -"
check "--dns-server: said in the headline" has "$(jq -r '.checks[0].message' "$WORK/report.json")" "names resolved only by --dns-server 127.0.0.1:53, not as the agent resolves them"
ns_flush
printf '127.0.0.1 localhost\n' >"$NSDIR/hosts"

echo '{"endpoints": [{"host": "gone.invalid", "ports": [443], "protocol": "tls", "level": "required", "purpose": "e2e: a name that does not exist"}]}' >"$WORK/gone.json"
ptacheck_ns enable --tenant-id "$TENANT" --probe-timeout 2s --endpoints-file "$WORK/gone.json"
check "a missing name through the system: dns-nxdomain" eq "$(outcome gone.invalid:443)" dns-nxdomain
check "... diagnosed by asking the server directly" has "$(field gone.invalid:443 .error)" \
	"resolve gone.invalid: the system resolver found no such host; asked directly: gone.invalid (A) via 127.0.0.1:53: NXDOMAIN"
ns_iptables -A INPUT -p udp --dport 53 -j DROP
ns_iptables -A INPUT -p tcp --dport 53 -j DROP
ptacheck_ns enable --only net.outbound-ports --tenant-id "$TENANT" --probe-timeout 2s
check "a silent DNS server: exit 1" eq "$CODE" 1
check "every endpoint dns-timeout" eq "$(endpoints .outcome)" dns-timeout
check "... the error names the server that did not answer" has "$(field $LOGIN:443 .error)" "asked directly: $LOGIN (A) via 127.0.0.1:53: no answer in time"
check "... within one probe timeout (took ${MILLIS} ms)" le "$MILLIS" 3500
ns_flush
rm -rf "$NSDIR"

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
