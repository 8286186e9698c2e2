#!/usr/bin/env bash
# samba-dc.sh: a real Samba AD domain controller on loopback for the
# directory integration tests (recipe: shared/reference/samba-ad-dc.md).
#
#   scripts/samba-dc.sh start    provision (first time) and start the DC; reuse a running one
#   scripts/samba-dc.sh status   exit 0 when the DC answers LDAPS, 1 otherwise
#   scripts/samba-dc.sh stop     stop the DC (and every process of it) and remove its directory
#   scripts/samba-dc.sh run CMD...
#                                a DC of its own for one command: a new network namespace and a
#                                new directory, CMD run inside the namespace with
#                                PTACHECK_SAMBA_ENV set, then the DC stopped and both removed
#                                (on every exit: success, failure, SIGTERM); exits with CMD's code
#
# PTACHECK_SAMBA_DIR (default /tmp/ptacheck-samba) is the DC's directory.
# Run it inside a network namespace of your own (`ip netns exec NS bash
# scripts/samba-dc.sh start`) when another DC or DNS server may use
# 127.0.0.1's ports; scripts/test.sh does. The env file then names the
# namespace (PTACHECK_SAMBA_NETNS) and the perf scripts enter it themselves.
#
# Exit status: 0 and the env file's path on stdout when the DC answers
# (LDAPS, the DC locator's SRV record and the DC's A record, checked);
# "SKIP: <reason>" and 0 only where a DC cannot exist here: not root, or the
# packages are missing and there is no apt-get; 1 with the last lines of the
# log for everything else (a failed install, provision or start, a DNS
# record that cannot be added): a DC that could run but does not is a
# failure, not a skip. Callers check for the env file, e.g.
#
#   scripts/samba-dc.sh start && PTACHECK_SAMBA_ENV=/tmp/ptacheck-samba/env \
#     go test ./checks/directory/...
#
# The env file (shell syntax, KEY=value) names the realm, the DC, the DNS
# server, the CA file and the administrator; the password is in a file of its
# own (mode 0600), never on a command line.
set -euo pipefail
. "$(dirname "$0")/ci-lib.sh"

DIR=${PTACHECK_SAMBA_DIR:-/tmp/ptacheck-samba}
# A second forest (the trust tests) overrides these, e.g. PTACHECK_SAMBA_DOMAIN=fabrikam.test
# PTACHECK_SAMBA_NETBIOS=FABRIKAM PTACHECK_SAMBA_HOST=dc2 PTACHECK_SAMBA_IP=127.0.0.2 PTACHECK_SAMBA_INTERFACES=127.0.0.2
# (two DCs must differ in host name: RPC finds a DC by its NetBIOS name).
DOMAIN=${PTACHECK_SAMBA_DOMAIN:-corp.contoso.test}
REALM=$(printf '%s' "$DOMAIN" | tr '[:lower:]' '[:upper:]')
NETBIOS=${PTACHECK_SAMBA_NETBIOS:-CORP}
HOST=${PTACHECK_SAMBA_HOST:-dc1}
FQDN=$HOST.$DOMAIN
IP=${PTACHECK_SAMBA_IP:-127.0.0.1}
INTERFACES=${PTACHECK_SAMBA_INTERFACES:-lo}
# The DNS server names outside the DC's zone go to (another DC, for a trust).
FORWARDER=${PTACHECK_SAMBA_DNS_FORWARDER:-$IP}
ENV_FILE=$DIR/env
PACKAGES=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind krb5-user ldap-utils dnsutils openssl)

log() { printf 'samba-dc: %s\n' "$*" >&2; }
skip() {
	printf 'SKIP: %s\n' "$*"
	exit 0
}
# fail MESSAGE [LOG...]: "FAIL: samba-dc: MESSAGE", the logs' last lines, exit 1.
fail() {
	local f
	printf 'FAIL: samba-dc: %s\n' "$1"
	shift
	for f; do log_tail "$f" 25; done
	exit 1
}

# port_open PORT: 0 when 127.0.0.1:PORT accepts a TCP connection.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$IP/$1" 2>/dev/null; }

# ms NANOSECONDS: "1.234 s"
ms() { printf '%d.%03d s' $(($1 / 1000000000)) $(($1 / 1000000 % 1000)); }

samba_pid() {
	local pid
	[[ -f $DIR/samba.pid ]] || return 1
	pid=$(<"$DIR/samba.pid")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

running() { samba_pid >/dev/null && port_open 636 && [[ -f $ENV_FILE ]]; }

# A DC binds ports below 1024 and runs as root: without root there is none.
ensure_packages() {
	((EUID == 0)) || skip "a Samba AD DC needs root (ports 53, 88, 389, 636; its database is root's)"
	local rc=0
	apt_install "${PACKAGES[@]}" || rc=$?
	case $rc in
	0) ;;
	2) skip "no apt-get to install ${APT_MISSING:-}" ;;
	*) fail "cannot install ${PACKAGES[*]} (apt-get's messages above)" ;;
	esac
}

# make_certs: a small test CA and a DC certificate whose name is in the
# subjectAltName. Samba's own certificate has the name only in the CN, which
# Go's crypto/x509 refuses for host-name verification. The IP address is in
# the SAN too, so OpenLDAP's tools (ldapmodify -H ldaps://127.0.0.1) verify
# the certificate without a hosts entry; ptacheck connects by host name.
make_certs() {
	local t=$DIR/tls
	mkdir -p "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ptacheck test CA" \
		-keyout "$t/ca.key" -out "$t/ca.pem" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$FQDN" -keyout "$t/dc.key" -out "$t/dc.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s,IP:'"$IP"'\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$FQDN" >"$t/dc.ext"
	openssl x509 -req -in "$t/dc.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
		-days 30 -extfile "$t/dc.ext" -out "$t/dc.pem" 2>/dev/null
	chmod 600 "$t/dc.key" "$t/ca.key"
}

# provision: every path of the DC lives under $DIR, its local RPC sockets included (their
# defaults, /run/samba/ncalrpc and /run/samba/winbindd, are shared by every samba on the
# host: a second DC would take over the first one's local RPC endpoints).
provision() {
	local pass
	rm -rf "$DIR"
	mkdir -p "$DIR"/{etc,private,state,cache,lock,run}
	chmod 700 "$DIR"
	# A strong password that satisfies the default complexity rules. It is
	# kept in a file; it never appears on a command line or in a log.
	pass="Pta-$(openssl rand -hex 12)-Xy9"
	(umask 077 && printf '%s' "$pass" >"$DIR/admin.pass")
	# provision takes the password only as an argument: it is visible in the
	# process list for the few seconds provisioning runs. Acceptable for a
	# throw-away loopback test DC; the tests read it from the file.
	samba-tool domain provision --realm="$REALM" --domain="$NETBIOS" --server-role=dc \
		--dns-backend=SAMBA_INTERNAL --adminpass="$pass" --host-name="$HOST" --host-ip="$IP" \
		--option="private dir=$DIR/private" --option="state directory=$DIR/state" \
		--option="cache directory=$DIR/cache" --option="lock dir=$DIR/lock" \
		--option="pid directory=$DIR/run" --option="interfaces=$INTERFACES" \
		--option="bind interfaces only=yes" --option="dns forwarder=$FORWARDER" \
		--option="ncalrpc dir=$DIR/ncalrpc" --option="winbindd socket directory=$DIR/winbindd" \
		--option="ntp signd socket directory=$DIR/ntp_signd" \
		--targetdir="$DIR" >"$DIR/provision.log" 2>&1 || return 1
	make_certs
}

# rpc_ports: the port range for Samba's RPC services. They listen on ports
# of `rpc server dynamic port range`, 49152-65535 by default, which lies
# inside Linux's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999
# by default), the ports the kernel hands to outgoing connections. When any
# socket of the machine holds 49152 as samba starts, samba logs "Failed to
# listen on 127.0.0.1:49152 - NT_STATUS_ADDRESS_ALREADY_ASSOCIATED" and runs
# without that RPC service: the DNS management service that `samba-tool dns
# add` calls was the one lost, so the DC's A record could not be added. A
# range just below the ephemeral one is never handed out by the kernel.
# PTACHECK_SAMBA_RPC_PORTS=LOW-HIGH overrides it.
rpc_ports() {
	local low high
	if [[ -n ${PTACHECK_SAMBA_RPC_PORTS:-} ]]; then
		echo "$PTACHECK_SAMBA_RPC_PORTS"
		return
	fi
	read -r low high </proc/sys/net/ipv4/ip_local_port_range
	if ((low >= 1224)); then
		echo "$((low - 200))-$((low - 101))"
	elif ((high <= 65435)); then
		echo "$((high + 1))-$((high + 100))"
	else
		echo "49152-65535" # every port is ephemeral here: nothing better exists
	fi
}

# configure: the settings samba reads at start, in [global], rewritten on
# every start (a reused directory gets them too): the test CA's certificate
# (Samba's own is CN-only, which Go's crypto/x509 refuses) and the RPC ports.
configure() {
	local conf=$DIR/etc/smb.conf
	sed -i '/^[[:space:]]*\(tls enabled\|tls keyfile\|tls certfile\|tls cafile\|rpc server dynamic port range\)[[:space:]]*=/d' "$conf"
	sed -i "/^\[global\]/a\\
	tls enabled = yes\\
	tls keyfile = $DIR/tls/dc.key\\
	tls certfile = $DIR/tls/dc.pem\\
	tls cafile = $DIR/tls/ca.pem\\
	rpc server dynamic port range = $(rpc_ports)" "$conf"
}

# add_host_record: provisioning with --host-ip=127.0.0.1 registers the SRV
# records but no A record for the DC (Samba leaves loopback addresses out of
# DNS), so the locator would find a name that does not resolve. Add it
# through the DNS management RPC service, retrying while that service is not
# up yet (it starts after LDAP and DNS), for at most 60 s; then check that
# the record answers over UDP and TCP. PASSWD_FILE keeps the password off
# the command line.
add_host_record() {
	local deadline=$((SECONDS + 60)) tries=0
	while ! has_host_record; do
		if ((SECONDS >= deadline)); then
			fail "cannot add the A record for $FQDN: samba-tool dns add failed $tries times in 60 s" \
				"$DIR/dns-add.log" "$DIR/samba.log"
		fi
		tries=$((tries + 1))
		if PASSWD_FILE=$DIR/admin.pass timeout 30 samba-tool dns add "$IP" "$DOMAIN" "$HOST" A "$IP" \
			-U Administrator -s "$DIR/etc/smb.conf" >>"$DIR/dns-add.log" 2>&1; then
			has_host_record && break
			echo "samba-tool dns add succeeded, but $FQDN does not resolve yet" >>"$DIR/dns-add.log"
		fi
		sleep 1
	done
	dig +tcp +short +time=2 +tries=2 @"$IP" A "$FQDN" | grep -qx "$IP" ||
		fail "$FQDN resolves over UDP but not over TCP" "$DIR/samba.log"
}
has_host_record() { dig +short +time=1 +tries=2 @"$IP" A "$FQDN" 2>/dev/null | grep -qx "$IP"; }

write_env() {
	local base ns
	base="DC=${DOMAIN//./,DC=}"
	ns=$(ip netns identify 2>/dev/null || true)
	cat >"$ENV_FILE.tmp" <<ENV
PTACHECK_SAMBA_DOMAIN=$DOMAIN
PTACHECK_SAMBA_REALM=$REALM
PTACHECK_SAMBA_NETBIOS=$NETBIOS
PTACHECK_SAMBA_DC=$FQDN
PTACHECK_SAMBA_DNS=$IP:53
PTACHECK_SAMBA_CA_FILE=$DIR/tls/ca.pem
PTACHECK_SAMBA_BASE_DN=$base
PTACHECK_SAMBA_ADMIN_DN=CN=Administrator,CN=Users,$base
PTACHECK_SAMBA_ADMIN_UPN=Administrator@$DOMAIN
PTACHECK_SAMBA_ADMIN_PASSWORD_FILE=$DIR/admin.pass
PTACHECK_SAMBA_SMB_CONF=$DIR/etc/smb.conf
PTACHECK_SAMBA_LDAPS_URI=ldaps://$IP
PTACHECK_SAMBA_NETNS=$ns
ENV
	mv "$ENV_FILE.tmp" "$ENV_FILE"
}

start() {
	local t0 t1 pid i
	if running; then
		log "reusing the running DC (pid $(samba_pid)); env file $ENV_FILE"
		echo "$ENV_FILE"
		return 0
	fi
	mkdir -p "$(dirname "$DIR")"
	ensure_packages
	stop_samba
	t0=$(date +%s%N)
	if [[ ! -f $DIR/etc/smb.conf || ! -f $DIR/tls/dc.pem || ! -f $DIR/admin.pass ]]; then
		provision || fail "samba-tool domain provision failed" "$DIR/provision.log"
	fi
	configure
	t1=$(date +%s%N)
	rm -f "$ENV_FILE" "$DIR/dns-add.log"
	# Process model "single": one process serves LDAP, DNS, Kerberos and RPC,
	# the lightest DC for a 2-core test machine. Its consequence: while a
	# request waits for sam.ldb's write lock (a failed bind records
	# badPwdCount, a test adds users), DNS and LDAP wait with it. Whoever
	# writes holds that lock, scripts/samba-bulk-users.sh for a whole
	# transaction of 1,000 users (seconds): never run it while tests use the
	# DC (scripts/test.sh starts it after the Samba tests).
	# In the background, in a session of its own so stop ends exactly this
	# process group; -i keeps it in the foreground, logging to samba.log.
	setsid samba -s "$DIR/etc/smb.conf" -i -M single </dev/null >"$DIR/samba.log" 2>&1 &
	pid=$!
	echo "$pid" >"$DIR/samba.pid"
	# Ready: LDAPS answers and the DNS server gives the locator's SRV record.
	# Up to 120 s: on a loaded 2-core machine samba takes 2 to 20 s.
	for ((i = 0; ; i++)); do
		kill -0 "$pid" 2>/dev/null || fail "samba exited during start" "$DIR/samba.log"
		if port_open 636 && dig +short +time=1 +tries=1 @"$IP" SRV "_ldap._tcp.dc._msdcs.$DOMAIN" 2>/dev/null | grep -q "$FQDN"; then
			break
		fi
		((i < 1200)) || fail "samba did not answer LDAPS on $IP:636 and the SRV record within 120 s" "$DIR/samba.log"
		sleep 0.1
	done
	# A service that could not listen stays lost for the DC's lifetime.
	if grep -q 'Failed to listen' "$DIR/samba.log"; then
		fail "samba could not listen on every port (another process holds one)" "$DIR/samba.log"
	fi
	add_host_record
	write_env
	log "provisioned in $(ms $((t1 - t0))), started in $(ms $(($(date +%s%N) - t1))); env file $ENV_FILE"
	echo "$ENV_FILE"
}

# stop_samba: ends samba's process group, then whatever else still runs on
# this DC's configuration file: smbd and winbindd (each in a session of its
# own), a bulk-user creation. The path is this DC's own, no one else's.
stop_samba() {
	local pid pids i
	if pid=$(samba_pid); then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	for ((i = 1; i <= 30; i++)); do
		pids=$(pgrep -f -- "$DIR/etc/smb.conf" || true)
		[[ -n $pids ]] || break
		# shellcheck disable=SC2086 # a list of pids
		if ((i < 30)); then kill -TERM $pids 2>/dev/null || true; else kill -KILL $pids 2>/dev/null || true; fi
		sleep 0.1
	done
	rm -f "$DIR/samba.pid"
}

# run_with_dc CMD...: see "run" above.
run_with_dc() {
	local rc=0 ns work
	((EUID == 0)) || skip "a Samba AD DC needs root (ports 53, 88, 389, 636; its database is root's)"
	ns=ptacheck-dc-$$-$RANDOM
	work=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-dc.XXXXXX")
	DIR=$work/samba
	# shellcheck disable=SC2064 # expanded now: these names are this run's
	trap "kill_tree; DIR='$DIR' stop_samba; ip netns del '$ns' 2>/dev/null; rm -rf '$work'" EXIT
	ip netns add "$ns"
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" env PTACHECK_SAMBA_DIR="$DIR" bash "$0" start >"$work/start.out" || {
		cat "$work/start.out"
		exit 1
	}
	if [[ ! -f $DIR/env ]]; then
		cat "$work/start.out" # its SKIP line
		exit 0
	fi
	ip netns exec "$ns" env PTACHECK_SAMBA_ENV="$DIR/env" "$@" || rc=$?
	exit "$rc"
}

case ${1:-} in
start) start ;;
run)
	shift
	(($# > 0)) || { echo "usage: $0 run CMD [ARG...]" >&2; exit 2; }
	run_with_dc "$@"
	;;
status)
	if running; then
		echo "running (pid $(samba_pid)); env file $ENV_FILE"
	else
		echo "not running"
		exit 1
	fi
	;;
stop)
	stop_samba
	rm -rf "$DIR"
	echo "stopped"
	;;
*)
	echo "usage: $0 start|status|stop|run CMD..." >&2
	exit 2
	;;
esac
