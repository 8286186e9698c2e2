#!/usr/bin/env bash
# samba-dc.sh: a real Samba AD domain controller on loopback for the
# directory integration tests (recipe: shared/reference/samba-ad-dc.md).
#
#   scripts/samba-dc.sh start    provision (first time) and start the DC; reuse a running one
#   scripts/samba-dc.sh status   exit 0 when the DC answers LDAPS, 1 otherwise
#   scripts/samba-dc.sh stop     stop the DC and remove its directory
#
# When it cannot run (not root, packages not installable) it prints
# "SKIP: <reason>" and exits 0; callers check for the env file, e.g.
#
#   scripts/samba-dc.sh start && PTACHECK_SAMBA_ENV=/tmp/ptacheck-samba/env \
#     go test ./checks/directory/...
#
# The env file (shell syntax, KEY=value) names the realm, the DC, the DNS
# server, the CA file and the administrator; the password is in a file of its
# own (mode 0600), never on a command line.
set -euo pipefail

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

ensure_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	if ((EUID != 0)); then
		skip "not root and packages missing: ${missing[*]}"
	fi
	command -v apt-get >/dev/null || skip "no apt-get to install: ${missing[*]}"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$DIR.apt.log" 2>&1; then
		log "install failed; running apt-get update once"
		if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } >>"$DIR.apt.log" 2>&1; then
			skip "cannot install ${missing[*]} (see $DIR.apt.log)"
		fi
	fi
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
	if ! samba-tool domain provision --realm="$REALM" --domain="$NETBIOS" --server-role=dc \
		--dns-backend=SAMBA_INTERNAL --adminpass="$pass" --host-name="$HOST" --host-ip="$IP" \
		--option="private dir=$DIR/private" --option="state directory=$DIR/state" \
		--option="cache directory=$DIR/cache" --option="lock dir=$DIR/lock" \
		--option="pid directory=$DIR/run" --option="interfaces=$INTERFACES" \
		--option="bind interfaces only=yes" --option="dns forwarder=$FORWARDER" \
		--option="ncalrpc dir=$DIR/ncalrpc" --option="winbindd socket directory=$DIR/winbindd" \
		--option="ntp signd socket directory=$DIR/ntp_signd" \
		--targetdir="$DIR" >"$DIR/provision.log" 2>&1; then
		tail -20 "$DIR/provision.log" >&2
		return 1
	fi
	make_certs
	# TLS settings go into [global], before samba starts.
	sed -i "/^\[global\]/a\\
	tls enabled = yes\\
	tls keyfile = $DIR/tls/dc.key\\
	tls certfile = $DIR/tls/dc.pem\\
	tls cafile = $DIR/tls/ca.pem" "$DIR/etc/smb.conf"
}

# add_host_record: provisioning with --host-ip=127.0.0.1 registers the SRV
# records but no A record for the DC (Samba leaves loopback addresses out of
# DNS), so the locator would find a name that does not resolve. Add it.
# PASSWD_FILE keeps the password off the command line.
add_host_record() {
	if dig +short +time=1 +tries=2 @"$IP" A "$FQDN" | grep -qx "$IP"; then
		return 0
	fi
	PASSWD_FILE=$DIR/admin.pass samba-tool dns add "$IP" "$DOMAIN" "$HOST" A "$IP" \
		-U Administrator -s "$DIR/etc/smb.conf" >>"$DIR/provision.log" 2>&1 ||
		skip "cannot add the A record for $FQDN (see $DIR/provision.log)"
}

write_env() {
	local base
	base="DC=${DOMAIN//./,DC=}"
	cat >"$ENV_FILE.tmp" <<EOF
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
EOF
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
		provision || skip "samba-tool domain provision failed (see $DIR/provision.log)"
	fi
	t1=$(date +%s%N)
	rm -f "$ENV_FILE"
	# Foreground process model "single", in the background, in its own
	# session so stop can end exactly this process group.
	setsid samba -s "$DIR/etc/smb.conf" -i -M single </dev/null >"$DIR/samba.log" 2>&1 &
	pid=$!
	echo "$pid" >"$DIR/samba.pid"
	for ((i = 0; i < 600; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -20 "$DIR/samba.log" >&2
			skip "samba exited during start (see $DIR/samba.log)"
		fi
		if port_open 636 && dig +short +time=1 +tries=1 @"$IP" SRV "_ldap._tcp.dc._msdcs.$DOMAIN" 2>/dev/null | grep -q "$FQDN"; then
			break
		fi
		sleep 0.1
	done
	port_open 636 || skip "samba did not listen on $IP:636 within 60 s (see $DIR/samba.log)"
	add_host_record
	write_env
	log "provisioned in $(ms $((t1 - t0))), started in $(ms $(($(date +%s%N) - t1))); env file $ENV_FILE"
	echo "$ENV_FILE"
}

stop_samba() {
	local pid i
	pid=$(samba_pid) || return 0
	# samba -i -M single runs in its own session (setsid): end its group.
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$DIR/samba.pid"
}

case ${1:-} in
start) start ;;
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
	rm -rf "$DIR" "$DIR.apt.log"
	echo "stopped"
	;;
*)
	echo "usage: $0 start|status|stop" >&2
	exit 2
	;;
esac
