#!/usr/bin/env bash
# Runs every test of ptacheck, installing what the tests need first.
#   gofmt, go vet and staticcheck (linux and GOOS=windows), the Windows build, go test -race,
#   the end-to-end network-namespace test and the performance goals.
# As root (CI) it installs missing Debian packages (gcc for -race, iptables,
# dnsmasq-base, jq); without root the root-only parts say SKIP and why.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
	echo "installing $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

step() { printf '\n== %s\n' "$*"; }

# Tools the tests call, installed once when root (CI starts from a fresh
# machine with only Go).
missing=()
command -v jq >/dev/null || missing+=(jq)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
	apt_install "${missing[@]}" || echo "NOTE: could not install ${missing[*]} (not root?): the parts that need them skip"
fi

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet (linux, windows)"
go vet ./...
GOOS=windows go vet ./...

step "staticcheck (linux, windows)"
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
GOBIN="$tools" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
"$tools/staticcheck" ./...
GOOS=windows "$tools/staticcheck" ./...

step "build (linux, windows)"
go build -o /dev/null .
GOOS=windows GOARCH=amd64 go build -o /dev/null .

step "go test"
race=-race
if ! command -v gcc >/dev/null; then
	echo "NOTE: no C compiler, so no race detector: running go test without -race"
	race=
fi
go test $race -count=1 ./...

step "a real AD DC: Samba on loopback (directory client and the ad.* checks of the built binary)"
bash scripts/samba-dc.sh start
bulk_pid=
if [ -f /tmp/ptacheck-samba/env ]; then
	# The 10,000 users of the signin goal take minutes to create: in the
	# background, while the other steps run; perf-signin.sh waits for them.
	bash scripts/samba-bulk-users.sh 10000 >/tmp/ptacheck-bulk-users.log 2>&1 &
	bulk_pid=$!
	# The many-user lookup test creates its users once per DC: keep CI's
	# share small here; scripts/bench.sh measures the 10,000-user goal.
	PTACHECK_SAMBA_ENV=/tmp/ptacheck-samba/env PTACHECK_SAMBA_BULK_USERS=${PTACHECK_SAMBA_BULK_USERS:-500} \
		go test $race -count=1 ./checks/directory/ -run 'Samba'
	PTACHECK_SAMBA_ENV=/tmp/ptacheck-samba/env go test -count=1 -run 'Samba' .
else
	echo "SKIP: no Samba DC here (see the line above); the directory checks were tested against the fixture DC only"
fi

step "the Windows build under Wine: the live host reader against seeded prefixes"
bash scripts/windows-wine.sh

step "fuzz every parser for a short time"
bash scripts/fuzz.sh

step "end to end: network namespace, dnsmasq, TLS listeners, iptables"
bash scripts/e2e-netns.sh

step "the field scripts: gates, Ansible, release signing (scripts/test-field.sh)"
bash scripts/test-field.sh

step "performance goals (scripts/bench.sh: one line per measurement)"
if [ -n "$bulk_pid" ]; then
	wait "$bulk_pid" || { cat /tmp/ptacheck-bulk-users.log; exit 1; }
	tail -1 /tmp/ptacheck-bulk-users.log
fi
bash scripts/bench.sh

printf '\nall tests passed\n'
