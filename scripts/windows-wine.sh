#!/usr/bin/env bash
# Runs ptacheck's real windows/amd64 build under Wine 8 against a Wine prefix
# seeded to look like a Windows Server, scenario by scenario, and asserts
# what its live reader sees (`ptacheck snapshot`) and the verdicts of the host
# checks (install / register / uninstall). One scenario also feeds the
# snapshot taken under Wine to the Linux build (--host-snapshot) and requires
# the same report. See README "How the Windows build is tested".
#
# Self-contained and idempotent: installs wine64 and mingw-w64 when missing
# (root only), builds the bcryptprimitives.dll shim (the Go runtime needs
# ProcessPrng, which Wine 8 lacks) and a do-nothing service, creates one
# prefix, and resets it between scenarios by restoring its registry. Prints
# "SKIP: reason" and exits 0 only where it cannot run (not root, no apt-get
# for what is missing); a failed install, a Wine that does not start and any
# failed assertion exit 1. The network checks are not run here: Go's UDP does
# not work under Wine 8 (they are tested on Linux). On every exit (success,
# failure, SIGTERM) the prefix's wineserver and its processes are ended.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/ci-lib.sh"
SEEDS=$ROOT/scripts/wine
START=$(date +%s%N)

skip() { echo "SKIP: windows-wine: $*"; exit 0; }
fail() { echo "FAIL: windows-wine: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root to install wine64 and gcc-mingw-w64-x86-64 (CI is root)"

# Wine's crypt32 copies the host's CA bundle (/etc/ssl/certs) into the
# LocalMachine\Root store of every prefix. To control which roots a scenario
# has, the whole run happens in a private mount namespace where an empty
# directory hides that bundle; the roots are then seeded through the
# registry, as Windows keeps them.
if [ -z "${PTACHECK_WINE_NS:-}" ]; then
	if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
		PTACHECK_WINE_NS=1 exec unshare -m bash "$0" "$@"
	fi
	echo "NOTE: no mount namespace here: the host's CA bundle stays visible to Wine, so the missing-root scenario is skipped"
	PTACHECK_WINE_NS=none
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-wine.XXXXXX")
export WINEPREFIX=$WORK/prefix WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n,b;mscoree,mshtml="
# Wine's WinHTTP falls back to $http_proxy: keep the runner's out of the prefix.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
# cleanup: this prefix's wineserver ends every Windows process of the prefix
# (services.exe, the seeded services, a ptacheck.exe) and then itself; it
# detached from this script, so it is stopped by name of prefix, here.
cleanup() {
	kill_tree
	if [ -x "$WINESERVER" ] && [ -d "$WINEPREFIX" ]; then
		"$WINESERVER" -k 2>/dev/null || true
		timeout 10 "$WINESERVER" -w 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$PTACHECK_WINE_NS" = 1 ]; then
	mkdir -p "$WORK/no-host-certs"
	mount --bind "$WORK/no-host-certs" /etc/ssl/certs
fi

# --- tools -------------------------------------------------------------------
rc=0
apt_install wine64 gcc-mingw-w64-x86-64 jq || rc=$?
case $rc in
0) ;;
2) skip "no apt-get to install ${APT_MISSING:-}" ;;
*) fail "cannot install wine64 gcc-mingw-w64-x86-64 jq (apt-get's messages above)" ;;
esac

echo "windows-wine: building the shim, the service and ptacheck (windows/amd64, linux)"
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$WORK/bcryptprimitives.dll" "$SEEDS/bcryptprimitives.c" -ladvapi32
x86_64-w64-mingw32-gcc -O2 -s -o "$WORK/svc.exe" "$SEEDS/svc.c"
(cd "$ROOT" && GOOS=windows GOARCH=amd64 go build -o "$WORK/ptacheck.exe" . && go build -o "$WORK/ptacheck" .)

# Unix path -> the Z: drive path Wine gives it.
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# The certificates of LocalMachine\Root as Windows keeps them: one key per
# SHA-1 thumbprint whose Blob is the serialized context, here the single
# CERT_CERT_PROP_ID (32) property holding the DER certificate.
root_reg() { # root_reg PEM... > FILE.reg
	echo REGEDIT4
	local pem der thumb len
	for pem; do
		der=$(sed '/-----/d' "$pem" | base64 -d | od -An -v -tx1 | tr -d ' \n')
		thumb=$(sed '/-----/d' "$pem" | base64 -d | sha1sum | cut -c1-40 | tr a-f A-F)
		len=$((${#der} / 2))
		printf '\n[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SystemCertificates\\Root\\Certificates\\%s]\n"Blob"=hex:' "$thumb"
		printf '2000000001000000%02x%02x%02x%02x%s' $((len & 255)) $((len >> 8 & 255)) $((len >> 16 & 255)) $((len >> 24 & 255)) "$der" |
			sed 's/../&,/g; s/,$//'
		echo
	done
}
CERTS=$ROOT/checks/hostfacts/testdata
root_reg "$CERTS/DigiCert_Global_Root_G2.pem" "$CERTS/DigiCert_Global_Root_CA.pem" >"$WORK/roots-both.reg"
root_reg "$CERTS/DigiCert_Global_Root_G2.pem" >"$WORK/roots-g2-only.reg"

# --- the prefix, once --------------------------------------------------------
echo "windows-wine: creating the Wine prefix"
T0=$(date +%s%N)
"$WINE" wineboot -i >"$WORK/wineboot.log" 2>&1 || { log_tail "$WORK/wineboot.log" 30; fail "wineboot -i: Wine did not start"; }
"$WINESERVER" -w
cp "$WORK/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
mkdir -p "$WINEPREFIX/drive_c/ptacheck"
cp "$WORK/svc.exe" "$WORK/ptacheck.exe" "$WINEPREFIX/drive_c/ptacheck/"
cp "$WINEPREFIX/system.reg" "$WORK/system.reg.clean"
echo "windows-wine: prefix ready in $((($(date +%s%N) - T0) / 1000000)) ms"

PF="$WINEPREFIX/drive_c/Program Files"
AGENT_DIR="$PF/Microsoft Azure AD Connect Authentication Agent"
NETFX_CONFIG="$WINEPREFIX/drive_c/windows/Microsoft.NET/Framework64/v4.0.30319/Config"

# reset: the clean registry (which holds the services too), no program files.
reset() {
	"$WINESERVER" -k 2>/dev/null || true
	"$WINESERVER" -w
	cp "$WORK/system.reg.clean" "$WINEPREFIX/system.reg"
	rm -rf "$PF"/Microsoft* "$WINEPREFIX/drive_c/windows/Microsoft.NET"
	seed server2022.reg
}
seed() { # seed FILE.reg...: from scripts/wine, or an absolute path
	local f
	for f; do
		[ "${f#/}" != "$f" ] || f=$SEEDS/$f
		"$WINE" reg import "$(winpath "$f")" >/dev/null 2>&1 || { echo "FAIL reg import $f"; exit 1; }
	done
}
service() { # service NAME "DISPLAY NAME" auto|demand [start]
	"$WINE" sc create "$1" binPath= 'C:\ptacheck\svc.exe' DisplayName= "$2" start= "$3" >/dev/null
	if [ "${4:-}" = start ]; then
		"$WINE" sc start "$1" >/dev/null || { echo "FAIL sc start $1"; exit 1; }
	fi
}
install_agent_files() {
	mkdir -p "$AGENT_DIR"
	cp "$WORK/svc.exe" "$AGENT_DIR/AzureADConnectAuthenticationAgentService.exe"
}

# --- assertions ---------------------------------------------------------------
fails=0
checks=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		echo "  ok   $what"
	else
		echo "  FAIL $what"
		fails=$((fails + 1))
	fi
}
eq() { [ "$1" = "$2" ] || { echo "       got '$1', want '$2'"; return 1; }; }
has() { case "$1" in *"$2"*) return 0 ;; esac; echo "       '$1' does not contain '$2'"; return 1; }
lacks() { case "$1" in *"$2"*) echo "       '$1' contains '$2'"; return 1 ;; esac; }

SNAP=$WORK/snap.json
REPORT=$WORK/report.json
snapshot() { # the live reader, as JSON in $SNAP
	"$WINE" 'C:\ptacheck\ptacheck.exe' snapshot >"$SNAP" 2>"$WORK/snapshot.err" || { cat "$WORK/snapshot.err"; echo "FAIL snapshot"; exit 1; }
}
snap() { jq -r "$1" "$SNAP"; }
# phase PHASE [FLAGS...]: the Windows build's host checks, live; exit code in $CODE.
HOST_ONLY=(--skip "net.outbound-ports,net.tls-inspection")
phase() {
	CODE=0
	"$WINE" 'C:\ptacheck\ptacheck.exe' "$@" "${HOST_ONLY[@]}" -o json >"$REPORT" 2>"$WORK/phase.err" || CODE=$?
	jq -e .checks "$REPORT" >/dev/null 2>&1 || { cat "$WORK/phase.err" "$REPORT"; echo "FAIL ptacheck $* wrote no report"; exit 1; }
}
status() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .status' "$REPORT"; }
text() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | [.message] + .findings | join(" | ")' "$REPORT"; }
detail() { jq -c --arg id "$1" ".checks[] | select(.id == \$id) | .details$2" "$REPORT"; }
scenario() {
	S0=$(date +%s%N)
	echo "windows-wine: $*"
	reset
}
took() { echo "       ($((($(date +%s%N) - S0) / 1000000)) ms)"; }

# --- scenarios ------------------------------------------------------------------
scenario "healthy Windows Server 2022, both roots"
seed "$WORK/roots-both.reg"
snapshot
check "build 20348, Server" eq "$(snap '[.os.build, .os.installation_type, .os.product_name] | join(",")')" "20348,Server,Windows Server 2022 Datacenter"
check "nothing unread" eq "$(snap '.warnings | length')" 0
check "lists are arrays, never null" eq "$(snap '[.services, .uninstall_entries, .files, .warnings] | map(type) | unique | join(",")')" array
check "both DigiCert roots read from LocalMachine\\Root" eq "$(snap '[.trusted_roots[].sha1] | join(",")')" \
	df3c24f9bfd666761b268073fe06d1cc8d4f82a4,a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436
check "no agent proxy, WinHTTP direct" eq "$(snap '[.agent_proxy, .winhttp_proxy.direct] | tostring')" '[null,true]'
phase install
check "install: exit 0" eq "$CODE" 0
check "install: every host check passes" eq "$(jq -r '[.checks[] | select(.id | startswith("host.")) | .status] | unique | join(",")' "$REPORT")" pass
check "install: host.trusted-roots ran" eq "$(status host.trusted-roots)" pass
phase register
check "register: no agent installed fails" has "$(status host.existing-agent): $(text host.existing-agent)" "fail: no PTA agent is installed"
took

scenario "App Proxy connector installed and running"
seed connector.reg "$WORK/roots-both.reg"
service WAPCSvc "Microsoft AAD Application Proxy Connector" auto start
service WAPCUpdaterSvc "Microsoft AAD Application Proxy Connector Updater" demand
snapshot
check "WAPCSvc running, auto, with its binary path (base config read alone)" eq \
	"$(snap '.services[] | select(.name == "WAPCSvc") | [.state, .start_type, .binary_path] | join(",")')" 'running,auto,C:\ptacheck\svc.exe'
check "WAPCUpdaterSvc stopped, manual" eq "$(snap '.services[] | select(.name == "WAPCUpdaterSvc") | [.state, .start_type] | join(",")')" stopped,manual
check "Wine's missing QueryServiceConfig2 level 3 is a warning, not dropped" has "$(snap '.warnings | join("|")')" \
	"service WAPCSvc: QueryServiceConfig2 level 3 (delayed auto-start): "
check "the connector's program and key" eq "$(snap '[.uninstall_entries[0].display_version, (.registry | keys | map(select(contains("App Proxy"))) | length)] | join(",")')" 1.5.1975.0,1
phase install
check "install: exit 1" eq "$CODE" 1
check "install: host.app-proxy-connector fails naming the running service" has "$(status host.app-proxy-connector): $(text host.app-proxy-connector)" \
	"fail: App Proxy connector present (service WAPCSvc, service WAPCUpdaterSvc, program \"Microsoft AAD Application Proxy Connector\")"
check "install: the unread service detail is in its details" has "$(detail host.app-proxy-connector .warnings)" "QueryServiceConfig2 level 3"
check "install: findings say running" has "$(text host.app-proxy-connector)" "service WAPCSvc (Microsoft AAD Application Proxy Connector) is installed, running"
phase install --agent-version 1.5.2482.0
check "install --agent-version 1.5.2482.0: coexistence passes" eq "$(status host.app-proxy-connector)" pass
took

scenario "App Proxy connector installed but stopped"
seed connector.reg "$WORK/roots-both.reg"
service WAPCSvc "Microsoft AAD Application Proxy Connector" demand
snapshot
check "WAPCSvc stopped, manual, binary path" eq "$(snap '.services[] | select(.name == "WAPCSvc") | [.state, .start_type, .binary_path] | join(",")')" 'stopped,manual,C:\ptacheck\svc.exe'
check "a manual service asks no optional level: nothing unread" eq "$(snap '.warnings | length')" 0
phase install
check "install: a stopped connector still fails" has "$(status host.app-proxy-connector): $(text host.app-proxy-connector)" "fail: "
check "install: findings say stopped" has "$(text host.app-proxy-connector)" "is installed, stopped"
took

scenario "PTA agent installed and registered, with its Updater (both Uninstall views)"
seed agent.reg updater.reg "$WORK/roots-both.reg"
install_agent_files
service AzureADConnectAuthenticationAgent "Microsoft Azure AD Connect Authentication Agent" auto start
service AzureADConnectAgentUpdater "Microsoft Azure AD Connect Agent Updater" auto start
snapshot
check "agent service running" eq "$(snap '.services[] | select(.name == "AzureADConnectAuthenticationAgent") | .state')" running
check "Updater entry read from the 32-bit view" has "$(snap '.uninstall_entries[] | select(.display_name | contains("Updater")) | .key')" 'WOW6432Node'
check "agent folder and exe" eq "$(snap '.files | length')" 2
check "Agent ID read" eq "$(snap '.registry[] | select(has("InstanceID")) | .InstanceID')" 0a1b2c3d-0000-4000-8000-000000000001
phase install
check "install: one agent per server fails" has "$(status host.existing-agent): $(text host.existing-agent)" "fail: PTA agent 1.5.2482.0 (service AzureADConnectAuthenticationAgent, running) agent ID 0a1b2c3d"
phase register
check "register: already registered warns" has "$(status host.existing-agent): $(text host.existing-agent)" "warn: "
check "register: says registered" has "$(text host.existing-agent)" "is already registered"
phase uninstall
check "uninstall: identifies the agent and names its Updater" has "$(status host.existing-agent): $(text host.existing-agent)" \
	"pass: installed: PTA agent 1.5.2482.0 (service AzureADConnectAuthenticationAgent, running) agent ID 0a1b2c3d-0000-4000-8000-000000000001 tenant 84841066-274d-4ec0-a5c1-276be684bdd3; uninstall its Agent Updater (service AzureADConnectAgentUpdater, running"
check "uninstall: exit 0" eq "$CODE" 0
took

scenario "only the Agent Updater is left over"
seed updater.reg "$WORK/roots-both.reg"
service AzureADConnectAgentUpdater "Microsoft Azure AD Connect Agent Updater" auto
phase install
check "install: a leftover Updater warns" has "$(status host.existing-agent): $(text host.existing-agent)" \
	"warn: no PTA agent is installed, but an Agent Updater remains (service AzureADConnectAgentUpdater, stopped, program \"Microsoft Azure AD Connect Agent Updater\" 1.5.2482.0)"
phase uninstall
check "uninstall: the Updater is named" has "$(status host.existing-agent): $(text host.existing-agent)" "warn: no PTA agent is installed, but its Agent Updater remains"
took

scenario "Entra Connect (ADSync) on the agent's server"
seed agent.reg "$WORK/roots-both.reg"
service AzureADConnectAuthenticationAgent "Microsoft Azure AD Connect Authentication Agent" auto start
service ADSync "Microsoft Azure AD Sync" auto start
snapshot
check "ADSync collected" eq "$(snap '.services[] | select(.name == "ADSync") | .state')" running
phase uninstall
check "uninstall: warns that Entra Connect runs here" has "$(status host.existing-agent): $(text host.existing-agent)" \
	"warn: installed: PTA agent 1.5.2482.0"
check "uninstall: names Entra Connect" has "$(text host.existing-agent)" "this server runs Microsoft Entra Connect (service ADSync, running)"
took

scenario "Windows Server 2012 R2"
seed server2012r2.reg "$WORK/roots-both.reg"
snapshot
check "RtlGetVersion build 9600" eq "$(snap .os.build)" 9600
phase install
check "install: host.os warns" has "$(status host.os): $(text host.os)" "warn: Windows Server 2012 R2 Standard (build 9600) is Windows Server 2012 R2"
took

scenario "Server Core"
seed servercore.reg "$WORK/roots-both.reg"
phase install
check "install: host.os fails" has "$(status host.os): $(text host.os)" "fail: Windows Server 2022 Datacenter (build 20348) is a Server Core installation"
check "install: exit 1" eq "$CODE" 1
took

scenario "SCHANNEL TLS 1.2 client disabled"
seed tls12-client-disabled.reg "$WORK/roots-both.reg"
phase install
check "install: host.tls12 fails" has "$(status host.tls12): $(text host.tls12)" "fail: SCHANNEL TLS 1.2 Client is disabled (Enabled=0)"
took

scenario ".NET Framework 4.6.2"
seed dotnet462.reg "$WORK/roots-both.reg"
phase install
check "install: host.dotnet warns" has "$(status host.dotnet): $(text host.dotnet)" "warn: .NET Framework 4.6.2 (Release 394802) is older than 4.7.2"
check "install: exit 0 (warnings only)" eq "$CODE" 0
took

scenario "a WinHTTP proxy"
seed winhttp-proxy.reg "$WORK/roots-both.reg"
snapshot
check "WinHttpGetDefaultProxyConfiguration" eq "$(snap '.winhttp_proxy | [.direct, .proxy, .bypass] | map(tostring) | join(",")')" "false,proxy.contoso.com:8080,<local>"
check "not the agent's proxy" eq "$(snap .agent_proxy)" null
took

scenario "the agent's own proxy: exe.config over machine.config"
seed agent.reg "$WORK/roots-both.reg"
install_agent_files
mkdir -p "$NETFX_CONFIG"
cp "$SEEDS/machine.config" "$NETFX_CONFIG/machine.config"
cp "$SEEDS/agent-proxy.exe.config" "$AGENT_DIR/AzureADConnectAuthenticationAgentService.exe.config"
snapshot
check "source: the agent config" eq "$(snap '.agent_proxy | [.source, .file] | join(",")')" \
	'agent config,C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe.config'
check "its address, without the credentials" eq "$(snap '.agent_proxy | [.proxy_address, .credentials_dropped, .use_default_credentials, .bypass_on_local] | map(tostring) | join(",")')" \
	"http://agentproxy.contoso.com:3128,true,true,true"
check "machine.config's bypass list inherited" eq "$(snap '.agent_proxy.bypass | join(",")')" 'contoso\.com$'
check "the dropped credentials are a warning" has "$(snap '.warnings | join("|")')" "the proxy address carries credentials; they are not recorded"
check "no password anywhere in the snapshot" lacks "$(cat "$SNAP")" S3cretPw
rm "$AGENT_DIR/AzureADConnectAuthenticationAgentService.exe.config"
snapshot
check "without the agent's file: machine.config" eq "$(snap '.agent_proxy | [.source, .proxy_address] | join(",")')" \
	'machine.config,http://machineproxy.contoso.com:8080'
check "machine.config found through GetSystemWindowsDirectory" has "$(snap .agent_proxy.file)" 'Microsoft.NET\Framework64\v4.0.30319\Config\machine.config'
took

if [ "$PTACHECK_WINE_NS" = 1 ]; then
	scenario "DigiCert Global Root CA missing from LocalMachine\\Root"
	seed "$WORK/roots-g2-only.reg"
	snapshot
	check "only G2 read" eq "$(snap '[.trusted_roots[].subject] | join(",")')" "DigiCert Global Root G2"
	check "no root auto-update policy set" eq "$(snap '.authroot_policy.disable_root_auto_update')" null
	phase install
	check "install: with Automatic Root Certificates Update on, the missing root warns" has "$(status host.trusted-roots): $(text host.trusted-roots)" \
		"warn: DigiCert Global Root CA (SHA-1 a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436) is not in LocalMachine\\Root; Windows fetches it from Windows Update"
	check "install: exit 0 (a warning)" eq "$CODE" 0
	seed authroot-off.reg
	snapshot
	check "the policy read: DisableRootAutoUpdate 1" eq "$(snap '.authroot_policy.disable_root_auto_update')" 1
	phase install
	check "install: with it turned off, host.trusted-roots fails naming the missing root" has "$(status host.trusted-roots): $(text host.trusted-roots)" \
		"fail: DigiCert Global Root CA (SHA-1 a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436) is not in LocalMachine\\Root"
	check "install: ... and says Windows will not fetch it" has "$(text host.trusted-roots)" "Automatic Root Certificates Update is turned off (DisableRootAutoUpdate=1)"
	check "install: exit 1" eq "$CODE" 1
	took
else
	echo "SKIP: windows-wine: missing-root scenario (no mount namespace to hide the host's CA bundle from Wine)"
fi

scenario "live under Wine vs the Linux build fed the Wine snapshot"
seed connector.reg agent.reg updater.reg server2012r2.reg dotnet462.reg authroot-off.reg "$WORK/roots-g2-only.reg"
install_agent_files
service WAPCSvc "Microsoft AAD Application Proxy Connector" auto start
service AzureADConnectAuthenticationAgent "Microsoft Azure AD Connect Authentication Agent" auto start
service AzureADConnectAgentUpdater "Microsoft Azure AD Connect Agent Updater" demand
snapshot
cp "$SNAP" "$WORK/wine-snapshot.json"
# Everything but timings must match: verdicts, messages, findings, details.
norm='del(.duration_ms, .started_at) | .checks |= map(del(.duration_ms))'
for p in install register uninstall; do
	phase "$p" --agent-version 1.5.3000.0
	jq -S "$norm" "$REPORT" >"$WORK/live.$p.json"
	LCODE=0
	"$WORK/ptacheck" "$p" --agent-version 1.5.3000.0 --host-snapshot "$WORK/wine-snapshot.json" "${HOST_ONLY[@]}" -o json >"$WORK/linux.raw.json" 2>/dev/null || LCODE=$?
	jq -S "$norm" "$WORK/linux.raw.json" >"$WORK/linux.$p.json"
	check "$p: same report live and from the snapshot ($(jq -r '[.checks[] | .id + "=" + .status] | join(" ")' "$WORK/live.$p.json"))" \
		diff -u "$WORK/live.$p.json" "$WORK/linux.$p.json"
	check "$p: same exit code ($CODE)" eq "$LCODE" "$CODE"
done
check "the comparison covered every host verdict" eq "$(jq -r '[.checks[].status] | unique | join(",")' "$WORK/live.install.json")" fail,pass,skip,warn
took

total=$((($(date +%s%N) - START) / 1000000))
echo "windows-wine: $checks checks, $fails failed, in $((total / 1000)).$((total % 1000 / 100)) s"
[ "$fails" = 0 ] || exit 1
