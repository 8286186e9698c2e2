//go:build !windows

package main

import (
	"os"
	"strings"
	"testing"
)

// DC names resolve as the agent resolves them, against the real Samba DC:
// --dc localhost binds through the hosts file (DNS has no such name), and
// without --dns-server the DC locator asks the system's DNS servers while
// the DC's host name goes through the system resolver. (The DC's
// certificate names dc1.<domain>, not localhost: verification is skipped
// for that one run, knowingly.)
func TestDCNamesResolveAsTheAgentDoesAgainstSamba(t *testing.T) {
	s := sambaEnv(t)
	pw, err := os.ReadFile(s["ADMIN_PASSWORD_FILE"])
	if err != nil {
		t.Skipf("no admin password: %v", err)
	}
	creds := []string{"PTACHECK_LDAP_PASSWORD=" + strings.TrimSpace(string(pw))}
	r := runBin(t, creds, "install", "--only", "ad.dc-reachable", "--dc", "localhost", "--ldap-insecure-skip-verify", "--ldap-user", s["ADMIN_UPN"])
	if st, text := r.check("ad.dc-reachable"); r.code != 0 || st != "pass" || !strings.Contains(text, "localhost bound over ldaps") {
		t.Errorf("--dc localhost: exit %d, %s %s\n%s", r.code, st, text, r.stderr)
	}
	// The same DC through DNS only (--dns-server): localhost does not exist
	// there, and the report says so.
	r = runBin(t, creds, "install", "--only", "ad.dc-reachable", "--dc", "localhost", "--ldap-insecure-skip-verify", "--ldap-user", s["ADMIN_UPN"],
		"--dns-server", s["DNS"], "--timeout", "30s")
	if st, text := r.check("ad.dc-reachable"); st == "pass" || !strings.Contains(text, "resolve localhost") {
		t.Errorf("--dc localhost --dns-server: %s %s", st, text)
	}
}
