//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptacheck/ptacheck/checks/checkstest"
)

// A device-code sign-in asks a person to act: it happens only when a
// selected check needs Graph to decide (checks' Needs.Tenant). signin with
// --skip user.cloud-upn runs user.exists, user.account-state and
// user.password, which use Graph when a token is there and decide without
// one: no device-code request reaches the tenant. The same run without the
// --skip does sign in (the test can see a sign-in). --device-code stands in
// for a terminal, so no pty is needed.
func TestSignInOnlyWhenAChecksNeedsGraph(t *testing.T) {
	bin := builtBinary(t)
	_, dc := startPlainDC(t)
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("fixture-password\n"), 0o600)
	for _, k := range []string{"PTACHECK_GRAPH_TOKEN", "HTTPS_PROXY", "HTTP_PROXY"} {
		t.Setenv(k, "")
	}
	for _, tc := range []struct {
		name   string
		args   []string
		signIn bool
	}{
		// ad.dc-reachable is skipped in each case: this loopback DC has no
		// Kerberos port, and the user checks it gates must run (and
		// would read Graph if they had a token).
		{"--skip user.cloud-upn", []string{"--skip", "user.cloud-upn,ad.dc-reachable"}, false},
		{"--only user.exists,user.account-state", []string{"--only", "user.exists,user.account-state"}, false},
		{"every signin check", []string{"--skip", "ad.dc-reachable"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := checkstest.StartTenant(t, "healthy", nil)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			os.WriteFile(ca, rt.CAPEM, 0o600)
			args := append([]string{"signin", "--user", "alice@contoso.com", "--device-code",
				"--login-url", rt.LoginURL, "--graph-url", rt.GraphURL, "--ca-file", ca, "--tenant-id", rt.TenantID,
				"--dc", dc.LDAPAddr, "--domain", "corp.contoso.test", "--ldap-security", "plain",
				"--ldap-user", "svc@corp.contoso.test", "--ldap-password-file", pw, "-o", "json"}, tc.args...)
			code, stdout, stderr, _ := runBuilt(t, bin, args...)
			r := cliResult{code, stdout, stderr}
			var deviceCode []string
			for _, q := range rt.Requests() {
				if q.Server == "login" && (strings.HasSuffix(q.Path, "/devicecode") || strings.Contains(q.GrantType, "device_code")) {
					deviceCode = append(deviceCode, q.Method+" "+q.Path)
				}
			}
			if got := len(deviceCode) > 0; got != tc.signIn {
				t.Fatalf("device-code requests %v, want a sign-in: %v (exit %d)\n%s\n%s", deviceCode, tc.signIn, r.code, r.stdout, r.stderr)
			}
			if !tc.signIn && strings.Contains(r.stderr, "FIXTURE1") {
				t.Errorf("the prompt was shown: %s", r.stderr)
			}
			j := parseJSON(t, r.stdout)
			for _, c := range j.Checks {
				t.Logf("%s %s %s", c.ID, c.Status, c.Message)
			}
			// The user checks ran and decided (with or without Graph).
			if st := j.status("user.exists"); st != "pass" {
				t.Errorf("user.exists %s: %s", st, r.stdout)
			}
		})
	}
}
