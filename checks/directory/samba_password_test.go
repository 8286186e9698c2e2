package directory

import (
	"context"
	"encoding/base64"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// TestSambaPasswordCheck settles what a real DC (Samba 4.17) answers to the
// one bind of CheckPassword, account by account, and so which Win32 reason
// the agent's LogonUser would log:
//
//   - the right password binds; a wrong one is data 52e (1326), and raises
//     badPwdCount by exactly one (one attempt, never retried);
//   - an unknown name is data 52e too: Samba squashes NT_STATUS_NO_SUCH_USER
//     into NT_STATUS_LOGON_FAILURE before it writes the sub-code
//     (ldapsrv_bind_error_msg), where AD may answer 525 (1317);
//   - disabled 533 (1331), expired account 701 (1793), must change 773
//     (1907), password expired 532 (1330), outside logon hours 530 (1328):
//     each only for the right password (a wrong one is 52e);
//   - locked 775 (1909) for the right and the wrong password;
//   - "Log On To" 531 (1329) checks the DC's own NetBIOS name: a bind is a
//     logon at the DC, so a list that names the DC (and not the agent's
//     server) lets the bind through.
func TestSambaPasswordCheck(t *testing.T) {
	e := sambaDC(t)
	pw := randomPassword(t)
	wrong := "Wrong-" + pw
	now := time.Now().UTC()
	past := FileTimeOf(now.Add(-24 * time.Hour))
	netbiosDC := strings.ToUpper(strings.SplitN(e.DC, ".", 2)[0])
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dc := e.dc(t)
	opts := Options{RootCAs: e.roots}

	upn := map[string]string{
		"ok":       e.testUser(t, "pw-ok", pw),
		"counted":  e.testUser(t, "pw-counted", pw),
		"disabled": e.testUser(t, "pw-disabled", pw, "replace: userAccountControl\nuserAccountControl: 514"),
		"expired":  e.testUser(t, "pw-expired", pw, fmt.Sprintf("replace: accountExpires\naccountExpires: %d", past)),
		"change":   e.testUser(t, "pw-mustchange", pw, "replace: pwdLastSet\npwdLastSet: 0"),
		"locked":   e.testUser(t, "pw-locked", pw, fmt.Sprintf("replace: lockoutTime\nlockoutTime: %d", FileTimeOf(now))),
		"hours":    e.testUser(t, "pw-hours", pw, "replace: logonHours\nlogonHours:: "+base64.StdEncoding.EncodeToString(make([]byte, 21))),
		"ws":       e.testUser(t, "pw-ws", pw, "replace: userWorkstations\nuserWorkstations: PTA1,PTA2"),
		"ws-dc":    e.testUser(t, "pw-wsdc", pw, "replace: userWorkstations\nuserWorkstations: PTA1,"+netbiosDC),
		"pwexpire": e.expiredPasswordUser(t, "pw-pwexpired", pw),
	}
	check := func(user, password string, sec Security) PasswordAnswer {
		o := opts
		o.Security = sec
		a := CheckPassword(ctx, []DC{dc}, o, user, password)
		if !a.Sent || a.DC != dc.String() || a.Security != sec {
			t.Fatalf("bind as %s: sent=%v dc=%s security=%v", user, a.Sent, a.DC, a.Security)
		}
		if a.Err != nil && strings.Contains(a.Err.Error(), password) {
			t.Fatalf("the error shows the password: %v", a.Err)
		}
		return a
	}
	want := func(name, user, password string, subCode uint32) {
		t.Helper()
		a := check(user, password, LDAPS)
		got, ok := BindSubCode(a.Err)
		switch {
		case subCode == 0 && a.Err != nil:
			t.Errorf("%s: %v, want success", name, a.Err)
		case subCode != 0 && (!ok || got != subCode):
			t.Errorf("%s: %v, want data %x", name, a.Err, subCode)
		default:
			t.Logf("%s: %v", name, a.Err)
		}
	}
	want("right password", upn["ok"], pw, 0)
	if a := check(upn["ok"], pw, StartTLS); a.Err != nil {
		t.Errorf("over StartTLS: %v", a.Err)
	}
	want("wrong password", upn["ok"], wrong, 0x52e)
	// badPwdCount counts only under a lockout threshold (Samba's default
	// is none): the user gets a PSO with one.
	e.pso(t, "pw-counted", "CN=pw-counted,CN=Users,"+e.BaseDN, "msDS-LockoutThreshold: 5")
	before := e.badPwdCount(t, "pw-counted")
	want("wrong password, counted", upn["counted"], wrong, 0x52e)
	if after := e.badPwdCount(t, "pw-counted"); after != before+1 {
		t.Errorf("badPwdCount %d -> %d after one wrong password: want exactly one attempt", before, after)
	}
	want("unknown name (Samba squashes 525)", "nobody-"+strconv.FormatInt(now.UnixNano(), 36)+"@"+e.Domain, pw, 0x52e)
	for _, c := range []struct {
		name string
		code uint32
	}{{"disabled", 0x533}, {"expired", 0x701}, {"change", 0x773}, {"pwexpire", 0x532}, {"hours", 0x530}, {"ws", 0x531}} {
		want(c.name+", right password", upn[c.name], pw, c.code)
		want(c.name+", wrong password", upn[c.name], wrong, 0x52e)
	}
	want("locked, right password", upn["locked"], pw, 0x775)
	want("locked, wrong password", upn["locked"], wrong, 0x775)
	want("Log On To lists the DC", upn["ws-dc"], pw, 0)
}

// pso gives the user dn a PSO of its own with the settings given (LDIF
// lines) and Samba's defaults for the rest; it is deleted at the end.
func (e *sambaEnv) pso(t *testing.T, name, dn string, settings ...string) {
	t.Helper()
	pso := "CN=ptacheck-" + name + ",CN=Password Settings Container,CN=System," + e.BaseDN
	lines := map[string]string{
		"msDS-PasswordSettingsPrecedence": "7", "msDS-PasswordReversibleEncryptionEnabled": "FALSE", "msDS-PasswordHistoryLength": "0",
		"msDS-PasswordComplexityEnabled": "FALSE", "msDS-MinimumPasswordLength": "0", "msDS-MinimumPasswordAge": "0",
		"msDS-MaximumPasswordAge": "-3628800000000", "msDS-LockoutThreshold": "0", "msDS-LockoutObservationWindow": "-18000000000",
		"msDS-LockoutDuration": "-18000000000",
	}
	for _, s := range settings {
		k, v, _ := strings.Cut(s, ": ")
		lines[k] = v
	}
	ldif := "dn: " + pso + "\nchangetype: add\nobjectClass: msDS-PasswordSettings\nmsDS-PSOAppliesTo: " + dn + "\n"
	for _, k := range []string{"msDS-PasswordSettingsPrecedence", "msDS-PasswordReversibleEncryptionEnabled", "msDS-PasswordHistoryLength",
		"msDS-PasswordComplexityEnabled", "msDS-MinimumPasswordLength", "msDS-MinimumPasswordAge", "msDS-MaximumPasswordAge",
		"msDS-LockoutThreshold", "msDS-LockoutObservationWindow", "msDS-LockoutDuration"} {
		ldif += k + ": " + lines[k] + "\n"
	}
	e.ldapModify(t, "dn: "+pso+"\nchangetype: delete\n", true)
	e.ldapModify(t, ldif, false)
	t.Cleanup(func() { e.ldapModify(t, "dn: "+pso+"\nchangetype: delete\n", true) })
}

// badPwdCount reads the user's bad-password count as Administrator.
func (e *sambaEnv) badPwdCount(t *testing.T, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := e.dial(t, ctx, e.opts(LDAPS))
	entries, _, err := s.search(ctx, search{base: "CN=" + name + ",CN=Users," + e.BaseDN, scope: ldap.ScopeBaseObject, filter: "(objectClass=user)", attrs: []string{"badPwdCount"}})
	if err != nil || len(entries) != 1 {
		t.Fatalf("badPwdCount of %s: %v", name, err)
	}
	n, err := strconv.Atoi(entries[0].GetAttributeValue("badPwdCount"))
	if err != nil {
		t.Fatalf("badPwdCount of %s: %v", name, err)
	}
	return n
}

// expiredPasswordUser makes a user whose password expired: a PSO with a
// maximum age of two days (Samba treats a day or less as "never") applies to
// it, and its pwdLastSet is three days back. LDAP accepts only 0 and -1 for
// pwdLastSet, so the value is written to the DC's own database with Samba's
// Python bindings, bypassing the password_hash module.
func (e *sambaEnv) expiredPasswordUser(t *testing.T, name, password string) string {
	t.Helper()
	upn := e.testUser(t, name, password)
	dn := "CN=" + name + ",CN=Users," + e.BaseDN
	e.pso(t, name, dn, "msDS-MaximumPasswordAge: -1728000000000", "msDS-LockoutThreshold: 0")
	const script = `import sys, ldb, samba.dsdb
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
lp = LoadParm(); lp.load(sys.argv[1])
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
m = ldb.Message(); m.dn = ldb.Dn(db, sys.argv[2])
m["pwdLastSet"] = ldb.MessageElement(sys.argv[3], ldb.FLAG_MOD_REPLACE, "pwdLastSet")
db.modify(m, controls=["relax:0", "local_oid:%s:0" % samba.dsdb.DSDB_CONTROL_BYPASS_PASSWORD_HASH_OID])
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	old := FileTimeOf(time.Now().Add(-72 * time.Hour))
	// Debian's samba-tool runs on /usr/bin/python3, where the bindings are.
	out, err := exec.CommandContext(ctx, "/usr/bin/python3", "-c", script, e.SMBConf, dn, strconv.FormatInt(int64(old), 10)).CombinedOutput()
	if err != nil {
		t.Fatalf("back-date pwdLastSet of %s: %v\n%s", name, err, out)
	}
	return upn
}
