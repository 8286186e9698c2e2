#!/usr/bin/env bash
# release.sh: build the release binaries, sign the Windows ones, write SHA256SUMS.
#
#   scripts/release.sh [--out DIR] [--version V] [--commit SHA] [--date RFC3339] [--require-cert]
#
# Builds, with the version stamped in (`ptacheck version` shows version, commit and date):
#   ptacheck-windows-amd64.exe  ptacheck-windows-arm64.exe  ptacheck-linux-amd64
# (CGO_ENABLED=0, -trimpath, -ldflags "-s -w -X main.version=... -X main.commit=... -X main.date=...").
#
# Signing (Authenticode, osslsigncode, SHA-256) of the two .exe files:
#   real certificate:  PTACHECK_SIGN_PKCS12=/path/to/codesign.pfx
#                      PTACHECK_SIGN_PASSWORD_FILE=/path/to/password.txt (read by osslsigncode
#                      itself with -readpass: the password is never in a flag, the environment or
#                      the log; omit the variable for a PKCS#12 file without password)
#   otherwise:         a THROW-AWAY TEST certificate: a test CA and a code-signing certificate
#                      (EKU codeSigning) made with openssl in a temporary folder; the CA's
#                      certificate is left in DIR/test-ca.pem for `osslsigncode verify -CAfile`,
#                      its key is deleted. Such binaries are for CI, never for distribution;
#                      --require-cert refuses to fall back to it.
#   PTACHECK_SIGN_TIMESTAMP_URL=https://...  optional RFC 3161 time-stamping server (-ts); without
#                      it the signature carries no timestamp (CI has no internet) and Windows
#                      stops trusting it when the certificate expires.
#
# Then DIR/SHA256SUMS (sha256sum format: `cd DIR && sha256sum -c SHA256SUMS`). DIR defaults to a
# new temporary folder; its path is printed last. Defaults: version from `git describe --tags
# --always --dirty` (a leading v dropped), commit from `git rev-parse HEAD`, date the commit's
# time in UTC (or SOURCE_DATE_EPOCH), so a rebuild of one commit gives the same stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() { printf 'release.sh: %s\n' "$*" >&2; exit 1; }
die_usage() { printf 'release.sh: %s (run scripts/release.sh --help)\n' "$*" >&2; exit 2; }

out='' version='' commit='' date='' require_cert=false
while [ $# -gt 0 ]; do
	case $1 in
	--out) [ $# -ge 2 ] || die_usage "--out needs a DIR"; out=$2; shift 2 ;;
	--version) [ $# -ge 2 ] || die_usage "--version needs a value"; version=$2; shift 2 ;;
	--commit) [ $# -ge 2 ] || die_usage "--commit needs a value"; commit=$2; shift 2 ;;
	--date) [ $# -ge 2 ] || die_usage "--date needs a value"; date=$2; shift 2 ;;
	--require-cert) require_cert=true; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die_usage "unknown argument $1" ;;
	esac
done

command -v go >/dev/null || die "go not found"
command -v osslsigncode >/dev/null || die "osslsigncode not found (Debian: apt-get install osslsigncode)"
command -v sha256sum >/dev/null || die "sha256sum not found"

in_git=false
git rev-parse --git-dir >/dev/null 2>&1 && in_git=true
if [ -z "$version" ]; then
	$in_git || die "not a git checkout: give --version, --commit and --date"
	version=$(git describe --tags --always --dirty)
	version=${version#v}
fi
if [ -z "$commit" ]; then
	$in_git || die "not a git checkout: give --commit"
	commit=$(git rev-parse HEAD)
fi
if [ -z "$date" ]; then
	if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
		date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
	else
		$in_git || die "not a git checkout: give --date"
		date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
	fi
fi
# They go into -ldflags, which splits on spaces: allow only what a version, a hash and a
# timestamp need.
for v in "$version" "$commit" "$date"; do
	[[ $v =~ ^[0-9A-Za-z][0-9A-Za-z.+:_-]*$ ]] || die_usage "unsafe stamp value: '$v' (letters, digits, . + : _ - only)"
done

if [ -n "${PTACHECK_SIGN_PKCS12:-}" ]; then
	[ -r "$PTACHECK_SIGN_PKCS12" ] || die "PTACHECK_SIGN_PKCS12: cannot read $PTACHECK_SIGN_PKCS12"
	if [ -n "${PTACHECK_SIGN_PASSWORD_FILE:-}" ] && [ ! -r "$PTACHECK_SIGN_PASSWORD_FILE" ]; then
		die "PTACHECK_SIGN_PASSWORD_FILE: cannot read $PTACHECK_SIGN_PASSWORD_FILE"
	fi
elif $require_cert; then
	die "--require-cert: set PTACHECK_SIGN_PKCS12 (and PTACHECK_SIGN_PASSWORD_FILE) to sign a release"
fi

if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-release.XXXXXX")
else
	mkdir -p "$out"
fi
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ptacheck-release-work.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

start=$SECONDS
echo "release $version (commit $commit, date $date) into $out"

ldflags="-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date"
targets=(windows/amd64 windows/arm64 linux/amd64)
files=()
for t in "${targets[@]}"; do
	goos=${t%/*} goarch=${t#*/}
	ext=
	[ "$goos" = windows ] && ext=.exe
	f=ptacheck-$goos-$goarch$ext
	t0=$SECONDS
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "$ldflags" -o "$out/$f" .
	echo "built $f ($(stat -c %s "$out/$f") bytes, $((SECONDS - t0))s)"
	files+=("$f")
done

# --- signing ---------------------------------------------------------------------------------
sign_args=(-h sha256 -n ptacheck -i https://github.com/ptacheck/ptacheck)
if [ -n "${PTACHECK_SIGN_PKCS12:-}" ]; then
	echo "signing with the certificate in PTACHECK_SIGN_PKCS12"
	sign_args+=(-pkcs12 "$PTACHECK_SIGN_PKCS12")
	[ -z "${PTACHECK_SIGN_PASSWORD_FILE:-}" ] || sign_args+=(-readpass "$PTACHECK_SIGN_PASSWORD_FILE")
	rm -f "$out/test-ca.pem"
else
	command -v openssl >/dev/null || die "openssl not found (needed for the test certificate)"
	echo "signing with a THROW-AWAY TEST certificate (set PTACHECK_SIGN_PKCS12 for a real one): not for distribution"
	cat >"$work/ca.cnf" <<-'EOF'
		[req]
		distinguished_name = dn
		x509_extensions = ext
		prompt = no
		[dn]
		CN = ptacheck throw-away test CA
		O = ptacheck CI
		[ext]
		basicConstraints = critical, CA:TRUE
		keyUsage = critical, keyCertSign, cRLSign
		subjectKeyIdentifier = hash
	EOF
	cat >"$work/leaf.cnf" <<-'EOF'
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature
		extendedKeyUsage = codeSigning
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	# Chained with &&: set -e does not apply inside a command whose status is tested.
	if ! (cd "$work" &&
		openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 7 -config ca.cnf -keyout ca.key -out ca.pem &&
		openssl req -new -newkey rsa:3072 -nodes -sha256 -subj "/CN=ptacheck test code signing/O=ptacheck CI" \
			-keyout sign.key -out sign.csr &&
		openssl x509 -req -sha256 -days 7 -in sign.csr -CA ca.pem -CAkey ca.key \
			-set_serial "0x$(openssl rand -hex 8)" -extfile leaf.cnf -out sign.pem) >"$work/openssl.log" 2>&1; then
		cat "$work/openssl.log" >&2
		die "could not make the test certificate with openssl"
	fi
	cp "$work/ca.pem" "$out/test-ca.pem"
	sign_args+=(-certs "$work/sign.pem" -key "$work/sign.key")
fi
if [ -n "${PTACHECK_SIGN_TIMESTAMP_URL:-}" ]; then
	echo "time-stamping with $PTACHECK_SIGN_TIMESTAMP_URL"
	sign_args+=(-ts "$PTACHECK_SIGN_TIMESTAMP_URL")
fi
for f in "${files[@]}"; do
	case $f in *.exe) ;; *) continue ;; esac
	# osslsigncode cannot sign in place.
	osslsigncode sign "${sign_args[@]}" -in "$out/$f" -out "$work/$f" >"$work/sign.log" 2>&1 || {
		cat "$work/sign.log" >&2
		die "osslsigncode could not sign $f"
	}
	mv -f "$work/$f" "$out/$f"
	echo "signed $f"
done

(cd "$out" && sha256sum "${files[@]}" >SHA256SUMS)
echo "wrote SHA256SUMS ($((SECONDS - start))s in all)"
echo "$out"
