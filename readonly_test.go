//go:build !windows

package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/ptacheck/ptacheck/checks/checkstest"
	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
	"github.com/ptacheck/ptacheck/fixtures"
)

// tree lists every path under the roots (relative, with the root's index).
func tree(t *testing.T, roots ...string) []string {
	t.Helper()
	var out []string
	for i, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && p != root {
				rel, _ := filepath.Rel(root, p)
				out = append(out, string(rune('0'+i))+":"+rel)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// The tool is read-only: every command of the built binary, pointed at a
// tenant and a DC that record what they are asked, sends only reads (Graph
// GETs and sign-in token requests; LDAP binds, searches, StartTLS,
// unbinds), and leaves its working folder, HOME and TMPDIR as it found them
// apart from the report and bundle files it was asked to write.
func TestReadOnlyEverywhere(t *testing.T) {
	bin := builtBinary(t)
	sc, err := fixtures.Load("healthy")
	if err != nil {
		t.Fatal(err)
	}
	rt := checkstest.StartTenant(t, "healthy", nil)
	spec := *sc.Directory
	spec.RequireTLSBind = false // plain LDAP: this DC has no certificate
	dc, err := fixtures.StartDirectory(context.Background(), &spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)

	inputs := t.TempDir() // what the commands read
	write := func(name, content string) string {
		p := filepath.Join(inputs, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	snap := write("host.json", string(sc.Host))
	ca := write("ca.pem", string(rt.CAPEM))
	token := write("token", rt.Token)
	pw := write("ldap-pw", "fixture-password")
	logs := filepath.Join(inputs, "trace")
	os.Mkdir(logs, 0o755)
	f, _ := os.Create(filepath.Join(logs, "AzureADConnectAuthenticationAgent_trace.log"))
	tracelogtest.Generate(f, tracelogtest.Config{Size: 256 << 10, Seed: 5})
	f.Close()
	reports := filepath.Join(inputs, "reports")
	os.Mkdir(reports, 0o755)

	// The settings the commands share come from a config file: each
	// command takes those it has flags for.
	config, _ := json.Marshal(map[string]any{"host-snapshot": snap, "dns-server": nxdomainDNS(t), "probe-timeout": "300ms",
		"graph-url": rt.GraphURL, "login-url": rt.LoginURL, "token-file": token, "ca-file": ca, "tenant-id": rt.TenantID,
		"admin-upn": "admin@contoso.onmicrosoft.com",
		"dc":        dc.LDAPAddr, "domain": "corp.contoso.test", "ldap-security": "plain", "ldap-user": "svc@corp.contoso.test", "ldap-password-file": pw})
	common := []string{"--config", write("config.json", string(config))}
	work, home, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	before := tree(t, work, home, tmp)
	for _, tc := range []struct {
		args   []string
		output string // the one file the command was asked to write (in work)
	}{
		{append([]string{"install", "--report-file", "install.json", "-o", "json"}, common...), "install.json"},
		{append([]string{"register"}, common...), ""},
		{append([]string{"enable"}, common...), ""},
		{append([]string{"uninstall", "-o", "json", "--report-file", filepath.Join(reports, "u.json")}, common...), ""},
		{append([]string{"operate", "--logs", logs, "-o", "prometheus"}, common...), ""},
		{append([]string{"signin", "--user", "alice@contoso.com", "--user", "bob@contoso.com"}, common...), ""},
		{append([]string{"collect", "--out", "bundle.zip", "--phase", "all", "--logs", logs}, common...), "bundle.zip"},
		{[]string{"explain", "1326", "AADSTS80001"}, ""},
		{[]string{"logs", logs}, ""},
		{[]string{"dc-query"}, ""},
		{[]string{"list", "--endpoints"}, ""},
		{[]string{"fixtures"}, ""},
		{[]string{"version"}, ""},
		{[]string{"summarize", reports}, ""},
		{[]string{"install", "--fixture", "healthy"}, ""},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+tmp, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
		out, err := cmd.CombinedOutput()
		if os.Getenv("PTACHECK_SHOW") != "" {
			t.Logf("%s", out)
		}
		if code := cmd.ProcessState.ExitCode(); code == 2 || code < 0 {
			t.Fatalf("%s: exit %d (%v): %s", tc.args[0], code, err, out)
		}
		want := append([]string{}, before...)
		if tc.output != "" {
			want = append(want, "0:"+tc.output)
			sort.Strings(want)
		}
		if got := tree(t, work, home, tmp); !slices.Equal(got, want) {
			t.Errorf("%s changed the file system: %v, want %v", tc.args[0], got, want)
		}
		if tc.output != "" {
			os.Remove(filepath.Join(work, tc.output))
		}
	}
	// The servers saw the run, and only reads.
	var graphGets, tokens int
	for _, q := range rt.Requests() {
		switch {
		case q.Server == "graph" && q.Method == "GET":
			graphGets++
		case q.Server == "login":
			tokens++
		}
	}
	if graphGets == 0 {
		t.Errorf("the tenant saw no Graph read: the test proves nothing about the tenant")
	}
	if v := rt.Violations(); len(v) > 0 {
		t.Errorf("requests that are not reads: %+v", v)
	}
	ops := map[string]int{}
	for _, q := range dc.Requests() {
		ops[q.Op]++
	}
	if ops["search"] == 0 || ops["bind"] == 0 {
		t.Errorf("the DC saw %v: the test proves nothing about the directory", ops)
	}
	for op := range ops {
		if !slices.Contains([]string{"bind", "search", "starttls", "unbind", "abandon"}, op) {
			t.Errorf("LDAP operation %q (%d times): ptacheck sends only binds, searches, StartTLS and unbinds", op, ops[op])
		}
	}
	t.Logf("tenant: %d Graph reads, %d sign-in requests; DC: %v", graphGets, tokens, ops)
}
