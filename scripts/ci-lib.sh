# shellcheck shell=bash
# ci-lib.sh: helpers shared by the test scripts (sourced, never run).
#
#   apt_install PKG...   install the Debian packages that are missing
#   kill_tree [PID]      end every descendant of PID (default: this shell)
#   log_tail FILE [N]    the last N lines of a log, framed, for a failure message
#   now_ms               a monotonic-enough clock in milliseconds
#   stats LABEL N...     "LABEL: median X ms (min Y, max Z, n runs)" of numbers
#   median N...          the median of numbers (the lower middle for an even count)
#
# The policy every script follows (docs/testing.md): as root with apt-get,
# a tool that can be installed and started must work, so a failed install is
# a failure (exit 1 with the log's last lines), never a SKIP. SKIP is for what
# this machine cannot have: no root (nothing can be installed, no network
# namespace), no apt-get, or software Debian does not ship (pwsh).

# apt_install PKG...: 0 when every package is installed (installing the missing
# ones); 2 when some are missing and cannot be installed here (not root, no
# apt-get): the caller says SKIP; 1 when the installation failed: the caller
# fails, the apt log's last lines are on stderr. apt-get waits up to 10 minutes
# for the dpkg lock, so scripts running at the same time (and the test
# command's own install of everything at start) queue instead of failing.
apt_install() {
	local missing=() p log rc=0
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	if ((EUID != 0)) || ! command -v apt-get >/dev/null; then
		# shellcheck disable=SC2034 # read by the caller
		APT_MISSING=${missing[*]}
		return 2
	fi
	log=$(mktemp "${TMPDIR:-/tmp}/ptacheck-apt.XXXXXX")
	echo "installing ${missing[*]}" >&2
	local apt=(apt-get -o DPkg::Lock::Timeout=600 -y --no-install-recommends)
	export DEBIAN_FRONTEND=noninteractive
	if ! "${apt[@]}" install "${missing[@]}" >"$log" 2>&1; then
		# Package lists missing or stale (a fresh machine): update once, retry.
		{ apt_update && "${apt[@]}" install "${missing[@]}"; } >>"$log" 2>&1 || rc=1
	fi
	if ((rc != 0)); then
		echo "apt-get install ${missing[*]} failed:" >&2
		log_tail "$log" 25 >&2
	fi
	rm -f "$log"
	return $rc
}

# apt_update: apt-get update, waiting for a concurrent one to finish (the
# lists lock is not covered by DPkg::Lock::Timeout in every apt version).
apt_update() {
	local i
	for i in 1 2 3 4 5 6; do
		apt-get -o DPkg::Lock::Timeout=600 update -qq && return 0
		sleep $((i * 5))
	done
	return 1
}

# kill_tree [PID]: SIGTERM to every descendant of PID (default: this shell),
# deepest first, then SIGKILL to those still there after 3 s. An EXIT trap
# calls it so that a script ended by SIGTERM leaves none of its children
# behind (bash runs the EXIT trap on SIGTERM, but does not end its
# foreground child). Processes that detached themselves (a daemon's double
# fork, wineserver, samba started with setsid by another script) are not
# descendants: each script stops those by their pid or prefix.
kill_tree() {
	local root=${1:-$$} pids p i
	pids=$(_descendants "$root")
	[ -n "$pids" ] || return 0
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for i in $(seq 30); do
		local alive=
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1 && break; done
		[ -n "$alive" ] || return 0
		sleep 0.1
	done
	for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
}
# _descendants PID: the pids under PID, children after their own children.
# The subshell running this function is one of them: it is left out.
_descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		[ "$c" = "$BASHPID" ] && continue
		_descendants "$c"
		echo "$c"
	done
}

# log_tail FILE [N]: the last N (default 20) lines of FILE, framed.
log_tail() {
	local n=${2:-20}
	echo "---- last $n lines of $1 ----"
	if [ -f "$1" ]; then tail -n "$n" "$1"; else echo "(no such file)"; fi
	echo "----"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# median N...: the middle value (the lower of the two middle ones for an
# even count), which one slow or one lucky run does not move.
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# stats N...: "median X ms (min Y, max Z, n runs)".
stats() {
	local sorted
	sorted=$(printf '%s\n' "$@" | sort -n)
	printf 'median %s ms (min %s, max %s, %s runs)' "$(median "$@")" "$(echo "$sorted" | head -1)" "$(echo "$sorted" | tail -1)" "$#"
}
