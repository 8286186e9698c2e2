#!/usr/bin/env bash
# Creates N users (perfuser00000@<domain> ...) in the Samba DC of
# scripts/samba-dc.sh, for scripts/perf-signin.sh; existing ones are kept.
# Samba's Python bindings add about 70 users a second, so the test command
# starts this in the background right after the DC comes up and the perf
# script waits for it (the marker file says it is done).
#   samba-bulk-users.sh [N]     (default 10000)
set -euo pipefail
N=${1:-10000}
ENVFILE=${PTACHECK_SAMBA_ENV:-/tmp/ptacheck-samba/env}
MARKER=/tmp/ptacheck-samba/bulk-users.done
if [ ! -f "$ENVFILE" ]; then
	echo "SKIP: no Samba DC (scripts/samba-dc.sh start)"
	exit 0
fi
. "$ENVFILE"
rm -f "$MARKER"
start=$(date +%s)
/usr/bin/python3 - "$PTACHECK_SAMBA_SMB_CONF" "$N" "$PTACHECK_SAMBA_DOMAIN" <<'PY'
import sys
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
import ldb
lp = LoadParm(); lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), lp=lp, session_info=system_session())
base, n, domain = db.domain_dn(), int(sys.argv[2]), sys.argv[3]
have = set(str(m["sAMAccountName"]) for m in db.search(base, scope=ldb.SCOPE_SUBTREE,
    expression="(sAMAccountName=perfuser*)", attrs=["sAMAccountName"]))
todo = [i for i in range(n) if "perfuser%05d" % i not in have]
for s in range(0, len(todo), 1000):
    db.transaction_start()
    for i in todo[s:s+1000]:
        name = "perfuser%05d" % i
        db.add({"dn": "CN=%s,CN=Users,%s" % (name, base), "objectClass": "user",
                "sAMAccountName": name, "userPrincipalName": "%s@%s" % (name, domain)})
    db.transaction_commit()
print("created %d users (%d existed)" % (len(todo), n - len(todo)))
PY
echo "bulk users: $N ready in $(($(date +%s) - start)) s"
echo "$N" >"$MARKER"
