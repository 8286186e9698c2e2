# shellcheck shell=bash
# shellcheck disable=SC2034 # CODE, MILLIS, WORK... are read by the sourcing script
# Shared set-up for scripts/e2e-netns.sh and scripts/perf-net.sh (sourced;
# the sourcing script sets ROOT, the repository's top).
#
# ns_setup builds the ptacheck binary and a network namespace that stands in
# for a server behind a firewall: loopback only, the catalogue's host names
# resolved by a real dnsmasq on 127.0.0.1:53 to addresses 10.77.x.y on the
# namespace's loopback, and real TLS/TCP listeners on :443, :80 and :8080
# that answer for every name. Tests then add iptables rules inside the
# namespace. Nothing outside the namespace is touched.

# shellcheck source=ci-lib.sh disable=SC2153
. "$ROOT/scripts/ci-lib.sh"
TENANT=84841066-274d-4ec0-a5c1-276be684bdd3

# ns_require NAME: SKIP (exit 0) without root; as root, install what is
# missing or FAIL (exit 1): a tool apt can install is never a reason to skip.
ns_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: $1 needs root (network namespaces and iptables)"
		exit 0
	fi
	local rc=0
	apt_install iptables dnsmasq-base jq iproute2 || rc=$?
	case $rc in
	0) ;;
	2) echo "SKIP: $1: no apt-get to install ${APT_MISSING:-}"; exit 0 ;;
	*) echo "FAIL: $1: cannot install iptables dnsmasq-base jq iproute2"; exit 1 ;;
	esac
	# iptables must work in a namespace (the kernel's netfilter modules).
	local probe=ptacheck-probe-$$-$RANDOM err
	if ! err=$(ip netns add "$probe" 2>&1 && ip netns exec "$probe" iptables -A OUTPUT -d 10.77.0.1 -j DROP 2>&1); then
		echo "FAIL: $1: iptables does not work in a network namespace here: $err"
		ip netns del "$probe" 2>/dev/null
		exit 1
	fi
	ip netns del "$probe"
}

# Names unique per run (pid and a random number), so runs at the same time
# never share a namespace or a directory; ns_cleanup runs on every exit.
ns_setup() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-netns.XXXXXX")
	NS=ptacheck-$$-$RANDOM
	trap ns_cleanup EXIT
	(cd "$ROOT" && go build -o "$WORK/ptacheck" . && go build -o "$WORK/netns-endpoints" ./scripts/netns-endpoints)
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up

	# One address per catalogue host (plus any extra names given), so
	# iptables rules can pick endpoints.
	local hosts i=10 args=()
	hosts=$("$WORK/ptacheck" list --endpoints --tenant-id "$TENANT" -o json | jq -r '.expanded.targets[].host' | sort -u)
	: >"$WORK/hosts"
	for h in $hosts "$@"; do
		i=$((i + 1))
		local a="10.77.$((i / 250)).$((i % 250 + 1))"
		echo "$h $a" >>"$WORK/hosts"
		ip netns exec "$NS" ip addr add "$a/32" dev lo
		args+=("--address=/$h/$a")
	done
	# Names under .invalid answer NXDOMAIN; every name under .bulk.test
	# resolves to one address (load tests with many endpoints).
	args+=("--address=/invalid/" "--address=/bulk.test/10.77.250.1")
	ip netns exec "$NS" ip addr add 10.77.250.1/32 dev lo
	ip netns exec "$NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
		--listen-address=127.0.0.1 --bind-interfaces --port=53 --user=root \
		--pid-file="$WORK/dnsmasq.pid" "${args[@]}" 2>"$WORK/dnsmasq.log" &
	ns_endpoints answer
	local n
	for n in $(seq 100); do
		ip netns exec "$NS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/53' 2>/dev/null && return 0
		sleep 0.05
	done
	echo "FAIL: the namespace's DNS server (dnsmasq) did not start"
	log_tail "$WORK/dnsmasq.log"
	exit 1
}

# ns_endpoints BEHAVIOR (re)starts the listeners on :443, :80 and :8080 with
# a fixture behaviour (answer, intercept, untrusted, ...) and waits for them.
ns_endpoints() {
	if [ -n "${ENDPOINTS_PID:-}" ]; then
		kill "$ENDPOINTS_PID" 2>/dev/null
		wait "$ENDPOINTS_PID" 2>/dev/null || true
	fi
	: >"$WORK/endpoints.out"
	ip netns exec "$NS" "$WORK/netns-endpoints" -behavior "$1" -ca-out "$WORK/ca.pem" >"$WORK/endpoints.out" 2>&1 &
	ENDPOINTS_PID=$!
	local n
	for n in $(seq 100); do
		grep -q ready "$WORK/endpoints.out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "FAIL: the namespace's listeners did not start"
	cat "$WORK/endpoints.out"
	exit 1
}

# ns_cleanup: every process in the namespace (dnsmasq, the listeners, a
# ptacheck under test), every child of this script, the namespace, the files.
ns_cleanup() {
	kill_tree
	if [ -n "${NS:-}" ]; then
		ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
		sleep 0.1
		ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$NS" 2>/dev/null
		rm -rf "/etc/netns/$NS" # a namespace hosts file or resolv.conf a test wrote
	fi
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
}

# ip_of HOST prints the namespace address of a host.
ip_of() { awk -v h="$1" '$1 == h { print $2 }' "$WORK/hosts"; }

# ns_iptables ARGS... adds a rule inside the namespace; ns_flush removes all.
ns_iptables() { ip netns exec "$NS" iptables "$@"; }
ns_flush() { ip netns exec "$NS" iptables -F OUTPUT && ip netns exec "$NS" iptables -F INPUT; }

# ptacheck_ns ARGS... runs the real binary inside the namespace, trusting the
# listeners' CA, resolving through the namespace's dnsmasq. It sets CODE and
# MILLIS and leaves the JSON report in $WORK/report.json.
ptacheck_ns() {
	local start end
	start=$(date +%s%N)
	set +e
	ip netns exec "$NS" env SSL_CERT_FILE="$WORK/ca.pem" SSL_CERT_DIR=/nonexistent HTTPS_PROXY= HTTP_PROXY= https_proxy= http_proxy= \
		"$WORK/ptacheck" "$@" -o json --no-color >"$WORK/report.json" 2>"$WORK/stderr"
	CODE=$?
	set -e
	end=$(date +%s%N)
	MILLIS=$(((end - start) / 1000000))
}

# outcome HOST:PORT prints the outcome of one endpoint in the last report.
outcome() {
	jq -r --arg a "$1" '.checks[] | select(.id == "net.outbound-ports") | .details.endpoints[] | select((.host + ":" + (.port|tostring)) == $a) | .outcome' "$WORK/report.json"
}
