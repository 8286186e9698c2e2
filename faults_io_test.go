//go:build !windows

package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// runBuilt runs the built binary with a deadline and returns its exit code,
// output, wall time and peak RSS (asserted under maxChildRSSMB).
func runBuilt(t *testing.T, bin string, args ...string) (code int, stdout, stderr string, took time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	guard := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer guard.Stop()
	start := time.Now()
	cmd.Run()
	took = time.Since(start)
	rss := assertChildRSS(t, args[0], cmd.ProcessState)
	t.Logf("exit %d in %s, peak RSS %.1f MB", cmd.ProcessState.ExitCode(), took.Round(time.Millisecond), rss)
	return cmd.ProcessState.ExitCode(), out.String(), errb.String(), took
}

// Host snapshots that must not decide a verdict by chance: names Windows
// treats as one (exit 2 naming both, the same on every run), evidence lists
// that are absent or null (the checks that read them error, exit 3, naming
// the field), and a missing trusted root under each Automatic Root
// Certificates Update policy (off: fail; on: warn; not recorded: error).
func TestHostSnapshotFaults(t *testing.T) {
	bin := builtBinary(t)
	const os_ = `"os": {"product_name": "Windows Server 2022 Datacenter", "build": 20348, "installation_type": "Server"}`
	const registry = `"registry": {
		"HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full": {"Release": 528449},
		"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319": {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1},
		"HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319": {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1}}`
	const roots = `"trusted_roots": [{"subject": "DigiCert Global Root G2", "sha1": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4"},
		{"subject": "DigiCert Global Root CA", "sha1": "a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436"}]`
	const oneRoot = `"trusted_roots": [{"subject": "DigiCert Global Root G2", "sha1": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4"}]`
	const lists = `"services": [], "uninstall_entries": [], "files": []`
	hostChecks := "host.os,host.existing-agent,host.app-proxy-connector,host.tls12,host.dotnet,host.trusted-roots"
	for _, tc := range []struct {
		name   string
		snap   string
		code   int
		id     string // a check and its status (json), or the stderr line (exit 2)
		status string
		want   string
	}{
		{"complete", strings.Join([]string{os_, lists, registry, roots}, ", "), 0, "host.existing-agent", "pass", "no PTA agent installed"},
		{"registry keys differing in case", strings.Join([]string{os_, lists, roots,
			`"registry": {"HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect Agents\\Azure AD Connect Authentication Agent": {"InstanceId": "a"},
			 "HKLM\\SOFTWARE\\MICROSOFT\\Azure AD Connect Agents\\Azure AD Connect Authentication Agent": {}}`}, ", "), 2, "", "",
			`registry keys "HKLM\\SOFTWARE\\MICROSOFT\\Azure AD Connect Agents\\Azure AD Connect Authentication Agent" and "HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect Agents\\Azure AD Connect Authentication Agent" differ only in case`},
		{"value names differing in case", strings.Join([]string{os_, lists, roots,
			`"registry": {"HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full": {"Release": 528449, "RELEASE": 1}}`}, ", "), 2, "", "",
			`value names "RELEASE" and "Release" differ only in case`},
		{"services differing in case", strings.Join([]string{os_, registry, roots, `"uninstall_entries": [], "files": [], "services": [{"name": "WAPCSvc"}, {"name": "wapcsvc"}]`}, ", "), 2, "", "",
			`services "WAPCSvc" and "wapcsvc" differ only in case`},
		{"no services list", strings.Join([]string{os_, registry, roots, `"uninstall_entries": [], "files": []`}, ", "), 3, "host.existing-agent", "error", `has no \"services\"`},
		{"null uninstall list", strings.Join([]string{os_, registry, roots, `"services": [], "uninstall_entries": null, "files": []`}, ", "), 3, "host.app-proxy-connector", "error", `has no \"uninstall_entries\"`},
		{"no files list", strings.Join([]string{os_, registry, roots, `"services": [], "uninstall_entries": []`}, ", "), 3, "host.existing-agent", "error", `has no \"files\"`},
		{"no registry", strings.Join([]string{os_, lists, roots}, ", "), 3, "host.dotnet", "error", `has no \"registry\"`},
		{"no installation type", strings.Join([]string{`"os": {"product_name": "Windows Server 2022 Datacenter", "build": 20348}`, lists, registry, roots}, ", "), 3, "host.os", "error", "no os.installation_type"},
		{"root missing, auto update off", strings.Join([]string{os_, lists, registry, oneRoot, `"authroot_policy": {"disable_root_auto_update": 1}`}, ", "), 1, "host.trusted-roots", "fail", "Automatic Root Certificates Update is turned off"},
		{"root missing, auto update on", strings.Join([]string{os_, lists, registry, oneRoot, `"authroot_policy": {"disable_root_auto_update": null}`}, ", "), 0, "host.trusted-roots", "warn", "Windows fetches it from Windows Update"},
		{"root missing, policy not recorded", strings.Join([]string{os_, lists, registry, oneRoot}, ", "), 3, "host.trusted-roots", "error", "whether Windows fetches it on demand is unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := filepath.Join(t.TempDir(), "host.json")
			if err := os.WriteFile(snap, []byte(`{"schema_version": "1", `+tc.snap+`}`), 0o600); err != nil {
				t.Fatal(err)
			}
			// The same snapshot decides the same way every time (the
			// reported 33 of 40 runs: map order).
			for run := 0; run < 5; run++ {
				code, stdout, stderr, took := runBuilt(t, bin, "install", "--host-snapshot", snap, "--only", hostChecks, "-o", "json")
				if code != tc.code {
					t.Fatalf("run %d: exit %d, want %d\n%s%s", run, code, tc.code, stdout, stderr)
				}
				if took > 5*time.Second {
					t.Errorf("took %s", took)
				}
				if tc.code == 2 {
					if !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
						t.Fatalf("stderr %q, want one line with %q", stderr, tc.want)
					}
					continue
				}
				var rep struct {
					Checks []struct {
						ID, Status, Message string
						Findings            []string
					}
				}
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, c := range rep.Checks {
					if c.ID == tc.id {
						found = true
						all, _ := json.Marshal(c)
						if c.Status != tc.status || !strings.Contains(string(all), tc.want) {
							t.Fatalf("%s: %s", c.ID, all)
						}
					}
				}
				if !found {
					t.Fatalf("no %s in %s", tc.id, stdout)
				}
			}
		})
	}
}

// summarize recomputes each report's verdict, exit code and counts from its
// checks: an edited or damaged report is an input error naming the file
// (exit 2), never counted as it claims. Every CSV cell a report supplies,
// the header's check IDs included, is guarded against formula injection.
func TestSummarizeDistrustsReports(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	if code, _, stderr, _ := runBuilt(t, bin, "install", "--fixture", "healthy", "-o", "json", "--report-file", ready); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	notReady := filepath.Join(dir, "not-ready.json")
	if code, _, stderr, _ := runBuilt(t, bin, "install", "--fixture", "app-proxy-present", "-o", "json", "--report-file", notReady); code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	load := func(path string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(mustRead(t, path), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	checksOf := func(m map[string]any) []any { return m["checks"].([]any) }
	setCheck := func(m map[string]any, id, key string, v any) {
		for _, c := range checksOf(m) {
			if c.(map[string]any)["id"] == id {
				c.(map[string]any)[key] = v
			}
		}
	}
	for _, tc := range []struct {
		name string
		base string
		edit func(m map[string]any)
		want string
	}{
		{"unknown verdict", ready, func(m map[string]any) { m["verdict"] = "great" }, `unknown verdict "great"`},
		{"a failed check under ready", ready, func(m map[string]any) {
			setCheck(m, "host.os", "status", "fail")
			s := m["summary"].(map[string]any)
			s["pass"], s["fail"] = s["pass"].(float64)-1, 1.0
		}, `verdict "ready" contradicts its checks`},
		{"exit code not the verdict's", ready, func(m map[string]any) { m["exit_code"] = 1.0 }, "exit_code 1 contradicts its verdict ready"},
		{"not-ready said ready", notReady, func(m map[string]any) { m["verdict"], m["exit_code"] = "ready", 0.0 }, `verdict "ready" contradicts its checks`},
		{"unknown status", ready, func(m map[string]any) { setCheck(m, "host.os", "status", "passed") }, `check "host.os": unknown status "passed"`},
		{"summary that lies", ready, func(m map[string]any) { m["summary"].(map[string]any)["pass"] = 99.0 }, "summary (99 pass"},
		{"a check twice", ready, func(m map[string]any) { m["checks"] = append(checksOf(m), checksOf(m)[0]) }, "appears twice"},
		{"an ignored failure that is not a warning", notReady, func(m map[string]any) { setCheck(m, "host.app-proxy-connector", "ignored", true) }, "an ignored failure is a warning"},
		{"interrupted with exit 0", ready, func(m map[string]any) { m["interrupted"] = true }, "an interrupted run exits 130 or 143"},
		{"not a phase", ready, func(m map[string]any) { m["command"] = "=cmd|' /C calc'!A0" }, "is not a checklist phase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := load(tc.base)
			tc.edit(m)
			data, _ := json.Marshal(m)
			bad := filepath.Join(t.TempDir(), "edited.json")
			os.WriteFile(bad, data, 0o600)
			for _, format := range []string{"text", "json", "csv"} {
				code, stdout, stderr, took := runBuilt(t, bin, "summarize", "-o", format, ready, bad)
				if code != 2 || !strings.Contains(stderr, bad) || !strings.Contains(stderr, tc.want) {
					t.Fatalf("-o %s: exit %d, stderr %q; want 2 naming %s and %q\n%s", format, code, stderr, bad, tc.want, stdout)
				}
				if took > 5*time.Second {
					t.Errorf("took %s", took)
				}
			}
		})
	}
	// Formula injection: a host name, a file name and a check ID that a
	// spreadsheet would run. The report stays consistent (its verdict is
	// recomputed the same), so it is read, and every cell is text.
	m := load(ready)
	m["host"] = "=HYPERLINK(\"http://x\")"
	setCheck(m, "host.os", "id", "+cmd|' /C calc'!A0")
	data, _ := json.Marshal(m)
	evil := filepath.Join(t.TempDir(), "@evil.json")
	os.WriteFile(evil, data, 0o600)
	code, stdout, stderr, _ := runBuilt(t, bin, "summarize", "-o", "csv", evil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("csv: %v\n%s", err, stdout)
	}
	for _, rec := range records {
		for _, cell := range rec {
			if r, _ := utf8.DecodeRuneInString(cell); strings.ContainsRune("=+-@\t\r\uFF1D\uFF0B\uFF0D\uFF20", r) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
	if !slices.Contains(records[0], "'+cmd|' /C calc'!A0") || !slices.Contains(records[1], `'=HYPERLINK("http://x")`) {
		t.Errorf("the hostile cells are not kept as text: %q", records)
	}
}
