#!/usr/bin/env bash
# test-field.sh: tests of the field-use scripts (issue 11), run for real.
#
#   bash scripts/test-field.sh
#
#   1. shellcheck on every bash script of scripts/ (settings: scripts/.shellcheckrc);
#   2. scripts/release.sh: the three builds with a stamped version, the test-certificate and the
#      PKCS#12 ("real certificate") signing flows, osslsigncode verify against the right CA
#      (and failing against a tampered copy and the wrong CA), SHA256SUMS, the PE machine types,
#      `version -o json` of the Linux build; the release's Linux binary is what the next steps run;
#   3. scripts/gate.sh against fixtures: ready 0, not ready 1, inconclusive 3, usage error 2, the
#      gate's own usage errors, SIGTERM to the gate and to its process group (143, partial
#      report), SIGINT to the group (130);
#   4. scripts/ansible: ansible.windows available offline, --syntax-check (and that it catches a
#      misspelt Windows module), ansible-lint, the Windows command line the role builds, the
#      Linux fixture-matrix run, a not-ready host failing the play, a wrong expectation failing;
#   5. scripts/Invoke-PtaCheck.ps1: run with pwsh when there is one (not on Debian 12 here);
#      otherwise only that the flags it passes exist in ptacheck's help.
#
# As root it installs what is missing (ansible, ansible-lint, shellcheck, osslsigncode, jq) with
# apt, and a failed install is a FAIL; without root (or apt-get) a part whose tool is missing
# prints "SKIP: reason", as does the PowerShell part where there is no pwsh (Debian has none).
# Every assertion prints ok or FAIL; the last lines are "N passed, N failed, N skipped" and the
# time taken. Exit 1 on any FAIL. Nothing it starts outlives it (an EXIT trap, SIGTERM included).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$SECONDS
. scripts/ci-lib.sh

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
skip() { skipped=$((skipped + 1)); printf 'SKIP: %s\n' "$*"; }
step() { printf '\n== %s (%ss)\n' "$*" $((SECONDS - start)); }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-field.XXXXXX")
bg_pids=()
cleanup() {
	local p
	# The gates of the signal tests run in sessions of their own: end their groups.
	for p in "${bg_pids[@]}"; do kill -9 -- "-$p" 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
	kill_tree
	rm -rf "$work"
}
trap cleanup EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"

# json FILE KEY.PATH: one value of a JSON file ("" when absent); booleans as true/false.
json() {
	python3 - "$1" "$2" <<-'EOF'
		import json, sys
		v = json.load(open(sys.argv[1], encoding="utf-8"))
		for k in sys.argv[2].split("."):
		    v = v.get(k) if isinstance(v, dict) else None
		print("" if v is None else json.dumps(v) if not isinstance(v, str) else v)
	EOF
}

step "tools"
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v osslsigncode >/dev/null || missing+=(osslsigncode)
command -v openssl >/dev/null || missing+=(openssl)
command -v jq >/dev/null || missing+=(jq)
command -v ansible-playbook >/dev/null || missing+=(ansible)
command -v ansible-lint >/dev/null || missing+=(ansible-lint)
if [ ${#missing[@]} -gt 0 ]; then
	rc=0
	apt_install "${missing[@]}" || rc=$?
	case $rc in
	0) ;;
	2) echo "NOTE: cannot install ${missing[*]} here (not root, or no apt-get): the parts that need them skip" ;;
	*) bad "installing ${missing[*]} (apt-get's messages above)"; exit 1 ;;
	esac
fi
command -v python3 >/dev/null || { echo "SKIP: no python3: cannot read the reports"; exit 0; }
strip_ansi() { sed 's/\x1b\[[0-9;]*m//g; s/\x1b\]8;[^\\]*\\//g'; }
{
	go version
	osslsigncode --version 2>&1 | sed -n 1p
	openssl version
	if command -v shellcheck >/dev/null; then echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p')"; fi
	if command -v ansible-playbook >/dev/null; then ansible-playbook --version | sed -n 1p; fi
	if command -v ansible-lint >/dev/null; then ansible-lint --version 2>/dev/null | sed -n 1p | strip_ansi; fi
	if command -v jq >/dev/null; then jq --version; fi
} | sed 's/^/  /'

# --- 1. shellcheck -----------------------------------------------------------------------------
step "shellcheck"
if command -v shellcheck >/dev/null; then
	for f in scripts/*.sh; do
		check "shellcheck $f" shellcheck -x "$f"
	done
else
	skip "shellcheck not installed"
fi

# --- 2. release --------------------------------------------------------------------------------
step "release: build, sign, SHA256SUMS"
bin=
rel_version=9.8.7-fieldtest
rel_commit=$(git rev-parse HEAD 2>/dev/null || echo 0000000)
rel_date=2026-01-02T03:04:05Z
dist=$work/dist
if ! command -v osslsigncode >/dev/null || ! command -v openssl >/dev/null; then
	skip "release: osslsigncode or openssl missing"
elif bash scripts/release.sh --out "$dist" --version "$rel_version" --commit "$rel_commit" --date "$rel_date" >"$work/release.log" 2>&1; then
	ok "release.sh with the test certificate ($(grep -o '[0-9]*s in all' "$work/release.log"))"
	for f in ptacheck-windows-amd64.exe ptacheck-windows-arm64.exe ptacheck-linux-amd64 SHA256SUMS test-ca.pem; do
		check "dist has $f" test -s "$dist/$f"
	done
	check "the log says the test certificate is not for distribution" grep -q 'THROW-AWAY TEST certificate' "$work/release.log"
	check "sha256sum -c SHA256SUMS" bash -c "cd '$dist' && sha256sum --quiet -c SHA256SUMS"
	check "SHA256SUMS lists exactly the three binaries" test "$(awk '{print $2}' "$dist/SHA256SUMS" | sort | tr '\n' ' ')" = \
		"ptacheck-linux-amd64 ptacheck-windows-amd64.exe ptacheck-windows-arm64.exe "
	cp -r "$dist" "$work/dist-tampered"
	printf 'x' >>"$work/dist-tampered/ptacheck-linux-amd64"
	check "sha256sum -c fails for a changed binary" bash -c "! (cd '$work/dist-tampered' && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1)"
	"$dist/ptacheck-linux-amd64" version -o json >"$work/version.json"
	check "version -o json: version $rel_version" test "$(json "$work/version.json" version)" = "$rel_version"
	check "version -o json: commit $rel_commit" test "$(json "$work/version.json" commit)" = "$rel_commit"
	check "version -o json: date $rel_date" test "$(json "$work/version.json" date)" = "$rel_date"
	for f in ptacheck-windows-amd64.exe ptacheck-windows-arm64.exe; do
		check "$f carries the stamped version" grep -aq "$rel_version" "$dist/$f"
	done
	# PE machine type at e_lfanew + 4: 0x8664 amd64, 0xaa64 arm64.
	pe_machine() {
		local off
		off=$(od -An -tu4 -j60 -N4 "$1" | tr -d ' ')
		od -An -tx2 -j$((off + 4)) -N2 "$1" | tr -d ' '
	}
	check "ptacheck-windows-amd64.exe is a PE for amd64" test "$(pe_machine "$dist/ptacheck-windows-amd64.exe")" = 8664
	check "ptacheck-windows-arm64.exe is a PE for arm64" test "$(pe_machine "$dist/ptacheck-windows-arm64.exe")" = aa64
	for f in ptacheck-windows-amd64.exe ptacheck-windows-arm64.exe; do
		check "osslsigncode verify -CAfile test-ca.pem $f" \
			bash -c "osslsigncode verify -CAfile '$dist/test-ca.pem' -in '$dist/$f' >'$work/verify-$f.log' 2>&1"
	done
	cp "$dist/ptacheck-windows-amd64.exe" "$work/tampered.exe"
	printf '\x90' | dd of="$work/tampered.exe" bs=1 seek=8192 conv=notrunc 2>/dev/null
	check "a tampered copy fails osslsigncode verify" \
		bash -c "! osslsigncode verify -CAfile '$dist/test-ca.pem' -in '$work/tampered.exe' >'$work/verify-tampered.log' 2>&1"
	check "the tampered copy fails on its digest (MISMATCH)" grep -q MISMATCH "$work/verify-tampered.log"
	check "verify fails against the system CAs (the chain is checked)" \
		bash -c "! osslsigncode verify -CAfile /etc/ssl/certs/ca-certificates.crt -in '$dist/ptacheck-windows-amd64.exe' >/dev/null 2>&1"
	bin=$dist/ptacheck-linux-amd64

	# The "real certificate" flow: a PKCS#12 file and a password file, as a CI secret would give them.
	pk=$work/pkcs12
	mkdir -p "$pk"
	password="field-$RANDOM-$RANDOM-secret"
	printf '%s\n' "$password" >"$pk/password.txt"
	if (cd "$pk" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ptacheck field test root" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.pem &&
		openssl req -new -newkey rsa:2048 -nodes -subj "/CN=ptacheck field test publisher" -keyout sign.key -out sign.csr &&
		printf 'extendedKeyUsage = codeSigning\nkeyUsage = critical, digitalSignature\n' >ext.cnf &&
		openssl x509 -req -days 2 -in sign.csr -CA ca.pem -CAkey ca.key -set_serial 7 -extfile ext.cnf -out sign.pem &&
		openssl pkcs12 -export -inkey sign.key -in sign.pem -passout "file:password.txt" -out sign.pfx) >"$pk/openssl.log" 2>&1; then
		if PTACHECK_SIGN_PKCS12=$pk/sign.pfx PTACHECK_SIGN_PASSWORD_FILE=$pk/password.txt \
			bash scripts/release.sh --out "$work/dist-real" --version "$rel_version" --commit "$rel_commit" \
			--date "$rel_date" --require-cert >"$work/release-real.log" 2>&1; then
			ok "release.sh --require-cert with PTACHECK_SIGN_PKCS12 and PTACHECK_SIGN_PASSWORD_FILE"
			check "the PKCS#12-signed exe verifies against its own CA" \
				bash -c "osslsigncode verify -CAfile '$pk/ca.pem' -in '$work/dist-real/ptacheck-windows-amd64.exe' >/dev/null 2>&1"
			check "... and not against the test CA" \
				bash -c "! osslsigncode verify -CAfile '$dist/test-ca.pem' -in '$work/dist-real/ptacheck-windows-amd64.exe' >/dev/null 2>&1"
			check "no test-ca.pem next to a release signed with a real certificate" test ! -e "$work/dist-real/test-ca.pem"
			check "the password never appears in the release log" bash -c "! grep -qF '$password' '$work/release-real.log'"
		else
			bad "release.sh with a PKCS#12 certificate: $(tail -n 3 "$work/release-real.log")"
		fi
	else
		skip "could not make a PKCS#12 test certificate: $(tail -n 1 "$pk/openssl.log")"
	fi
	check "release.sh --require-cert without a certificate fails" \
		bash -c "! env -u PTACHECK_SIGN_PKCS12 bash scripts/release.sh --out '$work/dist-none' --require-cert >/dev/null 2>&1"
else
	bad "release.sh: $(tail -n 5 "$work/release.log")"
fi
if [ -z "$bin" ]; then
	echo "building ptacheck for the next steps"
	go build -o "$work/ptacheck" .
	bin=$work/ptacheck
fi

# --- 3. gate.sh --------------------------------------------------------------------------------
step "gate.sh"
gate=scripts/gate.sh
# run_gate NAME ARGS...: runs the gate with stdout, stderr and the exit code in $work/NAME.*
run_gate() {
	local name=$1
	shift
	local code=0
	bash "$gate" --bin "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err" || code=$?
	echo "$code" >"$work/$name.code"
}
summary() { grep '^ptacheck [a-z]*: ' "$work/$1.err" | tail -n 1; }
report_of() { summary "$1" | sed -n 's/.*; report: //p'; }

run_gate ready install --fixture healthy
check "ready: exit 0" test "$(cat "$work/ready.code")" = 0
check "ready: summary line" grep -q '^ptacheck install: ready (exit 0): 14 passed, 0 warnings, 0 failed' "$work/ready.err"
check "ready: nothing on stdout" test ! -s "$work/ready.out"
r=$(report_of ready)
check "ready: the report named in the summary is ptacheck's JSON" test "$(json "$r" verdict)" = ready
check "ready: the temporary report lives in TMPDIR" test "$(dirname "$r")" = "$TMPDIR"
check "ready: ptacheck's own stderr passes through" grep -q 'fixture mode "healthy"' "$work/ready.err"

run_gate notready --report "$work/notready.json" install --fixture ports-blocked --probe-timeout 1s
check "not ready: exit 1" test "$(cat "$work/notready.code")" = 1
check "not ready: summary names the failing check" \
	grep -q '^ptacheck install: not-ready (exit 1): .* failed.*; failing: net.outbound-ports; report: '"$work/notready.json"'$' "$work/notready.err"
check "not ready: --report FILE holds the report" test "$(json "$work/notready.json" exit_code)" = 1

# verify, right after the installer and the registration: did the registration work?
run_gate verified verify --fixture registered
check "verify, registered: exit 0" test "$(cat "$work/verified.code")" = 0
check "verify, registered: summary line" grep -q '^ptacheck verify: ready (exit 0): 3 passed, 0 warnings, 0 failed' "$work/verified.err"
run_gate stopped verify --fixture agent-stopped
check "verify, agent stopped: exit 1" test "$(cat "$work/stopped.code")" = 1
check "verify, agent stopped: the service and the tenant's listing fail" \
	grep -q '^ptacheck verify: not-ready (exit 1): .*; failing: host.agent-running,tenant.this-agent-active; report: ' "$work/stopped.err"
check "verify, agent stopped: the report says the service is stopped" \
	grep -q 'service AzureADConnectAuthenticationAgent is stopped, not running' "$(report_of stopped)"
run_gate othertenant verify --fixture registered-other-tenant
check "verify, registered to another tenant: exit 1" test "$(cat "$work/othertenant.code")" = 1
check "verify, registered to another tenant: the registry's tenant and the tenant's listing fail" \
	grep -q '^ptacheck verify: not-ready (exit 1): .*; failing: host.agent-registered,tenant.this-agent-active; report: ' "$work/othertenant.err"

run_gate inconclusive install --fixture healthy --only host.os --skip host.os
check "inconclusive: exit 3" test "$(cat "$work/inconclusive.code")" = 3
check "inconclusive: summary with why" grep -q '^ptacheck install: inconclusive (exit 3): .*; why: no check was evaluated' "$work/inconclusive.err"

before=$(find "$TMPDIR" -maxdepth 1 -name 'ptacheck-install.*' | wc -l)
# A flag nothing is near (--bogus would draw a suggestion: did you mean --logs?).
run_gate usage install --fixture healthy --no-such-flag
check "usage error: exit 2" test "$(cat "$work/usage.code")" = 2
check "usage error: summary carries ptacheck's own error line" \
	grep -qx "ptacheck install: usage error (exit 2): ptacheck: install: unknown flag --no-such-flag (run 'ptacheck install --help')" "$work/usage.err"
check "usage error: no empty temporary report left" test "$(find "$TMPDIR" -maxdepth 1 -name 'ptacheck-install.*' | wc -l)" = "$before"

run_gate nophase
check "gate without PHASE: exit 2" test "$(cat "$work/nophase.code")" = 2
run_gate ownflag install -o text
check "gate refuses -o after PHASE: exit 2" test "$(cat "$work/ownflag.code")" = 2
check "... and says why" grep -q 'is set by the gate' "$work/ownflag.err"
code=0
bash "$gate" --bin "$work/no-such-binary" install >/dev/null 2>"$work/nobin.err" || code=$?
check "gate with a missing binary: exit 2" test "$code" = 2

if command -v jq >/dev/null; then
	PTACHECK_GATE_PARSER=python3 run_gate notready-py --report "$work/notready.json" install --fixture ports-blocked --probe-timeout 1s
	check "the python3 fallback prints the same summary as jq" test "$(summary notready-py)" = "$(summary notready)"
else
	skip "jq not installed: only the python3 summary was tested"
fi

no_process() { command -v pgrep >/dev/null || return 0; ! pgrep -f -- "$1" >/dev/null; }
# wait_started NAME: until ptacheck has started (its fixture note is on stderr), at most 10 s.
wait_started() {
	local _
	for _ in $(seq 100); do
		grep -q 'fixture mode' "$work/$1.err" 2>/dev/null && { sleep 0.3; return 0; }
		sleep 0.1
	done
	return 1
}
# signal_test NAME SIGNAL TARGET EXPECTED_CODE: TARGET "pid" signals the gate only, "group" its whole
# process group (as Ctrl-C or a CI cancellation does).
signal_test() {
	local name=$1 sig=$2 target=$3 expect=$4 pid code=0 t0
	setsid env --default-signal=INT bash "$gate" --bin "$bin" --report "$work/$name.json" \
		install --fixture ports-blocked --probe-timeout 1m >"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	bg_pids+=("$pid")
	if ! wait_started "$name"; then
		bad "$name: ptacheck did not start"
		return
	fi
	t0=$SECONDS
	if [ "$target" = group ]; then kill -s "$sig" -- "-$pid"; else kill -s "$sig" "$pid"; fi
	wait "$pid" || code=$?
	check "$name: exit $expect within 5 s of SIG$sig (got $code after $((SECONDS - t0)) s)" \
		test "$code" = "$expect" -a $((SECONDS - t0)) -le 5
	check "$name: partial report with interrupted true, exit_code $expect" \
		test "$(json "$work/$name.json" interrupted) $(json "$work/$name.json" exit_code)" = "true $expect"
	check "$name: summary says interrupted" grep -q "^ptacheck install: .*, interrupted (exit $expect): " "$work/$name.err"
	# "[-]-": the pattern does not match itself (a check through bash -c would find its own shell).
	check "$name: no ptacheck left running" no_process "[-]-report-file $work/$name.json"
}
if command -v setsid >/dev/null; then
	signal_test sigterm-gate TERM pid 143
	signal_test sigterm-group TERM group 143
	signal_test sigint-group INT group 130
else
	skip "no setsid: the signal tests need a process group of their own"
fi

# --- 4. ansible --------------------------------------------------------------------------------
step "ansible"
if ! command -v ansible-playbook >/dev/null; then
	skip "ansible not installed"
else
	export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_NOCOLOR=1
	export ANSIBLE_LOCAL_TEMP=$work/ansible-tmp ANSIBLE_REMOTE_TEMP=$work/ansible-remote-tmp
	ansible_dir=$root/scripts/ansible
	check "the ansible.windows collection is installed (offline)" \
		bash -c "ansible-galaxy collection list ansible.windows 2>/dev/null | grep -q '^ansible.windows '"
	check "ansible-doc knows ansible.windows.win_command" bash -c "ansible-doc ansible.windows.win_command >/dev/null 2>&1"
	for p in windows.yml linux-fixtures.yml; do
		check "ansible-playbook --syntax-check $p" \
			bash -c "cd '$ansible_dir' && ansible-playbook --syntax-check $p >'$work/syntax-$p.log' 2>&1"
	done
	# The syntax check has to see the Windows tasks: a misspelt module must fail it.
	cp -r "$ansible_dir" "$work/ansible-misspelt"
	sed -i 's/ansible.windows.win_command:/ansible.windows.win_comand:/' "$work/ansible-misspelt/roles/ptacheck_gate/tasks/windows.yml"
	check "--syntax-check catches a misspelt Windows module" \
		bash -c "cd '$work/ansible-misspelt' && ! ansible-playbook --syntax-check windows.yml >/dev/null 2>&1"

	if command -v ansible-lint >/dev/null; then
		if (cd "$ansible_dir" && XDG_CACHE_HOME=$work/lint-cache ansible-lint --offline --nocolor \
			windows.yml linux-fixtures.yml inventory.example.yml roles/ptacheck_gate >"$work/lint.log" 2>&1); then
			ok "ansible-lint: $(tail -n 1 "$work/lint.log" | strip_ansi)"
		else
			bad "ansible-lint: $(grep -v '^WARNING  Unable to load module' "$work/lint.log" | tail -n 15)"
		fi
	else
		skip "ansible-lint not installed"
	fi

	# The command line the role builds for a Windows host (the Windows modules cannot run here).
	cat >"$work/winargv.yml" <<-'EOF'
		- name: Render the Windows command line of ptacheck_gate
		  hosts: localhost
		  connection: local
		  gather_facts: false
		  vars:
		    ptacheck_gate_platform: windows
		    ptacheck_gate_binary: /dist/ptacheck-windows-amd64.exe
		    ptacheck_gate_phase: uninstall
		    ptacheck_gate_args: [--tenant-id, 84841066-274d-4ec0-a5c1-276be684bdd3]
		  tasks:
		    - name: Paths
		      ansible.builtin.include_role:
		        name: ptacheck_gate
		        tasks_from: paths
		    - name: Show
		      ansible.builtin.copy:
		        content: "{{ ptacheck_gate_argv | to_json }}"
		        dest: "{{ out }}"
		        mode: "0644"
	EOF
	if ANSIBLE_ROLES_PATH=$ansible_dir/roles ansible-playbook "$work/winargv.yml" -e "out=$work/winargv.json" >"$work/winargv.log" 2>&1; then
		want_argv='["C:\\ProgramData\\ptacheck\\ptacheck.exe", "uninstall", "-o", "text", "--report-file", "C:\\ProgramData\\ptacheck\\ptacheck-uninstall.json", "--report-format", "json", "--tenant-id", "84841066-274d-4ec0-a5c1-276be684bdd3"]'
		check "the Windows command line: $(cat "$work/winargv.json")" test "$(cat "$work/winargv.json")" = "$want_argv"
	else
		bad "rendering the Windows command line: $(tail -n 5 "$work/winargv.log")"
	fi

	# The Linux fixture-matrix run, for real.
	t0=$SECONDS
	code=0
	(cd "$ansible_dir" && ansible-playbook -f 10 linux-fixtures.yml -e "ptacheck_gate_binary=$bin" \
		-e "ptacheck_fixture_workdir=$work/matrix" >"$work/matrix.log" 2>&1) || code=$?
	# The hosts of the recap, less localhost (which built them).
	hosts=$(grep -Ec '^[a-z0-9.-]+ +: ok=' "$work/matrix.log" || true)
	hosts=$((hosts - 1))
	rows_ok=$(grep -c '"msg": "ok: ptacheck ' "$work/matrix.log" || true)
	check "linux-fixtures.yml over the matrix: exit 0 ($((SECONDS - t0)) s)" test "$code" = 0
	[ "$code" = 0 ] || grep -E -A6 '^(fatal|failed):' "$work/matrix.log" | sed 's/^/      /' | head -n 60
	check "linux-fixtures.yml: every host asserted its row ($rows_ok of $hosts)" test "$rows_ok" = "$hosts" -a "$hosts" -ge 27
	# Every fixture of a gate phase (signin is a diagnosis: TestFixtureMatrix runs those).
	"$bin" fixtures -o json >"$work/fixtures.json"
	fixtures=$(python3 -c 'import json,sys; print(" ".join(sorted(f["name"] for f in json.load(open(sys.argv[1]))["fixtures"] if f.get("phase") != "signin")))' "$work/fixtures.json")
	# The fixture of each run, from its fetched report (a host name cannot be split: ready-to-register-register).
	covered=$(python3 -c 'import glob, json, sys; print(" ".join(sorted({json.load(open(f)).get("fixture", "?") for f in glob.glob(sys.argv[1] + "/*.json")})))' "$work/matrix/reports")
	check "linux-fixtures.yml covers every built-in fixture of a gate phase" test "$covered" = "$fixtures"
	for p in install register verify enable uninstall operate; do
		check "linux-fixtures.yml runs $p, ready and not ready" bash -c \
			"grep -q '\"msg\": \"ok: ptacheck $p on .*: ready (exit 0)' '$work/matrix.log' && grep -q '\"msg\": \"ok: ptacheck $p on .*: not-ready (exit 1)' '$work/matrix.log'"
	done
	for c in 0 1 2 3; do
		check "linux-fixtures.yml covers exit $c" grep -q "\"msg\": \"ok: ptacheck .*(exit $c)" "$work/matrix.log"
	done
	fetched=$(find "$work/matrix/reports" -name '*.json' 2>/dev/null | wc -l)
	check "linux-fixtures.yml fetched a report from every host but the usage error ($fetched)" test "$fetched" = $((hosts - 1))

	# The gate behaviour of windows.yml, shown on fixtures: a not-ready host fails the play.
	code=0
	(cd "$ansible_dir" && ansible-playbook -f 5 linux-fixtures.yml -e "ptacheck_gate_binary=$bin" \
		-e "ptacheck_fixture_workdir=$work/gate" -e ptacheck_matrix_gate=true \
		-e '{"ptacheck_matrix_only": ["ports-blocked/install", "healthy/install"]}' >"$work/gatemode.log" 2>&1) || code=$?
	check "gate mode: ansible-playbook fails (exit 2, got $code)" test "$code" = 2
	check "gate mode: the not-ready host failed, naming its failing check" \
		grep -q '^fatal: \[ports-blocked-install\]: FAILED! .*failing: net.outbound-ports' "$work/gatemode.log"
	check "gate mode: the ready host passed" grep -Eq '^healthy-install +: ok=[0-9]+ .* failed=0 ' "$work/gatemode.log"

	# A wrong expectation must fail the matrix run.
	python3 - "$root/fixtures/matrix.json" "$work/matrix-wrong.json" <<-'EOF'
		import json, sys
		m = json.load(open(sys.argv[1]))
		for r in m["rows"]:
		    if r["fixture"] == "healthy" and r["phase"] == "install":
		        r["exit"], r["failing"] = 1, ["host.os"]
		json.dump(m, open(sys.argv[2], "w"))
	EOF
	code=0
	(cd "$ansible_dir" && ansible-playbook linux-fixtures.yml -e "ptacheck_gate_binary=$bin" \
		-e "ptacheck_fixture_workdir=$work/wrong" -e "ptacheck_matrix_file=$work/matrix-wrong.json" \
		-e '{"ptacheck_matrix_only": ["healthy/install"]}' >"$work/wrong.log" 2>&1) || code=$?
	check "a wrong expected exit code fails the matrix run (exit 2, got $code)" test "$code" = 2
	check "... saying what was expected" grep -q 'expected exit 1 failing host.os, got ptacheck install on healthy-install: ready (exit 0)' "$work/wrong.log"
fi

# --- 5. PowerShell -----------------------------------------------------------------------------
step "Invoke-PtaCheck.ps1"
"$bin" install --help >"$work/help.txt" 2>&1 || true
# The flags the PowerShell gate, the bash gate and the role put on ptacheck's command line.
flags=$({
	grep -oE "'--?[a-z][a-z-]*'" scripts/Invoke-PtaCheck.ps1 | tr -d "'"
	printf '%s\n' -o --report-file --report-format --fixture --probe-timeout --only --skip
} | sort -u)
for flag in $flags; do
	check "ptacheck install knows $flag (used by the gates and the role)" grep -qE -- "(^|[ ,])$flag([ ,=]|$)" "$work/help.txt"
done
check "gate.sh --help prints its usage" bash -c "bash '$gate' --help | grep -q 'gate.sh \[--bin PATH\] \[--report FILE\] PHASE'"
check "Invoke-PtaCheck.ps1 has comment-based help with examples" \
	bash -c "grep -q '^.SYNOPSIS' scripts/Invoke-PtaCheck.ps1 && test \$(grep -c '^.EXAMPLE' scripts/Invoke-PtaCheck.ps1) -ge 3"
if command -v pwsh >/dev/null; then
	ps1=$root/scripts/Invoke-PtaCheck.ps1
	# pwsh_code ARGS...: the exit code of the script with -PassThruExitCode.
	pwsh_code() {
		local code=0
		pwsh -NoProfile -NonInteractive -File "$ps1" -Path "$bin" -PassThruExitCode "$@" >/dev/null 2>&1 || code=$?
		echo "$code"
	}
	check "pwsh: ready exits 0" test "$(pwsh_code install -ArgumentList --fixture,healthy)" = 0
	check "pwsh: not ready exits 1" test "$(pwsh_code install -ArgumentList --fixture,ports-blocked,--probe-timeout,1s)" = 1
	check "pwsh: inconclusive exits 3" test "$(pwsh_code install -ArgumentList --fixture,healthy,--only,host.os,--skip,host.os)" = 3
	check "pwsh: usage error exits 2" test "$(pwsh_code install -ArgumentList --fixture,healthy,--bogus)" = 2
	check "pwsh: -IgnoreFailures passes through" \
		test "$(pwsh_code install -IgnoreFailures net.outbound-ports -ArgumentList --fixture,ports-blocked,--probe-timeout,1s)" = 0
	code=0
	pwsh -NoProfile -NonInteractive -Command "
		try { & '$ps1' install -Path '$bin' -ArgumentList '--fixture','ports-blocked','--probe-timeout','1s' | Out-Null; exit 10 }
		catch { if (\$_.TargetObject.verdict -eq 'not-ready' -and \$_.Exception.Data['ExitCode'] -eq 1) { exit 42 } else { exit 43 } }
	" >"$work/pwsh-throw.log" 2>&1 || code=$?
	check "pwsh: not ready throws, with the report as TargetObject and the code in Data (got $code)" test "$code" = 42
else
	skip "no PowerShell (pwsh) here: Invoke-PtaCheck.ps1 was reviewed, not run"
fi

printf '\n%s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
printf 'test-field.sh took %ss\n' $((SECONDS - start))
[ "$failed" = 0 ]
