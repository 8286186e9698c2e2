#!/usr/bin/env bash
# Creates N users (perfuser00000@<domain> ...) in the Samba DC of
# scripts/samba-dc.sh, for scripts/perf-signin.sh; existing ones are kept.
# Samba's Python bindings add 70 to 200 users a second, so the test command
# starts this in the background once the Samba tests are done and the perf
# script waits for it (the marker file bulk-users.done next to the env file
# says it is done).
#   samba-bulk-users.sh [N]     (default 10000)
#
# It writes sam.ldb directly, one transaction per 1,000 users, and holds
# the database's write lock for each (seconds): a request of the DC that
# writes (a failed bind records badPwdCount; adding a user) waits for it, and
# with samba's single process model DNS and LDAP wait too. Do not run it
# while tests use the DC.
set -euo pipefail
. "$(dirname "$0")/ci-lib.sh"
N=${1:-10000}
ENVFILE=${PTACHECK_SAMBA_ENV:-/tmp/ptacheck-samba/env}
DCDIR=$(dirname "$ENVFILE")
MARKER=$DCDIR/bulk-users.done
if [ ! -f "$ENVFILE" ]; then
	echo "SKIP: no Samba DC (scripts/samba-dc.sh start)"
	exit 0
fi
# shellcheck source=/dev/null # the DC's env file
. "$ENVFILE"
rm -f "$MARKER"
# bulk-users.pid says "being created" to perf-signin.sh; on every exit it
# goes, and python with it when this script is ended by a signal.
echo $$ >"$DCDIR/bulk-users.pid"
trap 'kill_tree; rm -f "$DCDIR/bulk-users.pid"' EXIT
start=$(date +%s)
/usr/bin/python3 - "$PTACHECK_SAMBA_SMB_CONF" "$N" "$PTACHECK_SAMBA_DOMAIN" "${BULK_BATCH:-1000}" <<'PY'
import sys
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
import ldb
lp = LoadParm(); lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), lp=lp, session_info=system_session())
base, n, domain, batch = db.domain_dn(), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
have = set(str(m["sAMAccountName"]) for m in db.search(base, scope=ldb.SCOPE_SUBTREE,
    expression="(sAMAccountName=perfuser*)", attrs=["sAMAccountName"]))
todo = [i for i in range(n) if "perfuser%05d" % i not in have]
for s in range(0, len(todo), batch):
    db.transaction_start()
    for i in todo[s:s+batch]:
        name = "perfuser%05d" % i
        db.add({"dn": "CN=%s,CN=Users,%s" % (name, base), "objectClass": "user",
                "sAMAccountName": name, "userPrincipalName": "%s@%s" % (name, domain)})
    db.transaction_commit()
print("created %d users (%d existed)" % (len(todo), n - len(todo)))
PY
echo "bulk users: $N ready in $(($(date +%s) - start)) s"
echo "$N" >"$MARKER"
