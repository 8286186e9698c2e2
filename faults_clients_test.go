//go:build !windows

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// faultFixture copies the healthy scenario into a directory and lets edit
// change one of its JSON files (name -> decoded object).
func faultFixture(t *testing.T, file string, edit func(map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("fixtures", "scenarios", "healthy")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == file {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			data, _ = json.Marshal(m)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	return dir
}

type faultRun struct {
	code   int
	took   time.Duration
	checks map[string]struct{ Status, Message string }
	out    string
}

func runFault(t *testing.T, bin string, args ...string) faultRun {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(bin, append(args, "-o", "json")...)
	out, _ := cmd.Output()
	r := faultRun{code: cmd.ProcessState.ExitCode(), took: time.Since(start), checks: map[string]struct{ Status, Message string }{}, out: string(out)}
	var rep struct {
		Checks []struct{ ID, Status, Message string }
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v: report: %v\n%s", args, err, out)
	}
	for _, c := range rep.Checks {
		r.checks[c.ID] = struct{ Status, Message string }{c.Status, c.Message}
	}
	return r
}

// The directory family's fault matrix: the built binary against a DC that
// misbehaves one way at a time. Per fault: the exit code, each check's status
// and message, and that the run ends inside its deadline.
func TestDirectoryFaultMatrix(t *testing.T) {
	bin := builtBinary(t)
	type want struct{ status, message string }
	for _, tc := range []struct {
		name   string
		faults map[string]any
		code   int
		checks map[string]want
	}{
		{"stronger auth required", map[string]any{"bind": "strong-auth-required"}, 3, map[string]want{
			"ad.dc-reachable": {"error", "strongerAuthRequired"}, "ad.forest-membership": {"skip", "requires ad.dc-reachable"}}},
		{"invalid credentials", map[string]any{"bind": "invalid-credentials"}, 3, map[string]want{
			"ad.dc-reachable": {"error", "invalid credentials"}, "ad.forest-membership": {"skip", "requires ad.dc-reachable"}}},
		{"referral", map[string]any{"search": "referral"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "referral"}}},
		{"connection closed mid-search", map[string]any{"search": "close"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", ""}}},
		{"a search that never answers", map[string]any{"search": "hang"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := faultFixture(t, "directory.json", func(m map[string]any) { m["faults"] = tc.faults })
			r := runFault(t, bin, "register", "--fixture", dir, "--only", "ad.dc-reachable,ad.forest-membership,ad.time-skew", "--timeout", "30s")
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r.out)
			}
			for id, w := range tc.checks {
				got := r.checks[id]
				if got.Status != w.status || !strings.Contains(got.Message, w.message) {
					t.Errorf("%s: %s %q, want %s containing %q", id, got.Status, got.Message, w.status, w.message)
				}
			}
			// The directory client's own gather deadline (8 s) bounds a DC
			// that never answers, well inside --timeout.
			if r.took > 12*time.Second {
				t.Errorf("took %s, want under 12s", r.took)
			}
		})
	}
}

// The tenant family's fault matrix: Graph answers that fail one way at a
// time on the call of tenant.managed-domains.
func TestTenantFaultMatrix(t *testing.T) {
	bin := builtBinary(t)
	for _, tc := range []struct {
		name    string
		fault   map[string]any
		code    int
		status  string
		message string
		limit   time.Duration
	}{
		{"401", map[string]any{"status": 401}, 3, "error", "401", 3 * time.Second},
		{"403", map[string]any{"status": 403}, 3, "error", "Domain.Read.All", 3 * time.Second},
		{"404", map[string]any{"status": 404}, 3, "error", "404", 3 * time.Second},
		{"429 once, with Retry-After", map[string]any{"status": 429, "retryAfter": "1", "times": 1}, 0, "pass", "", 4 * time.Second},
		{"429 once, without Retry-After", map[string]any{"status": 429, "times": 1}, 0, "pass", "", 4 * time.Second},
		{"429 always", map[string]any{"status": 429, "retryAfter": "1"}, 3, "error", "429", 8 * time.Second},
		{"500", map[string]any{"status": 500}, 3, "error", "500", 3 * time.Second},
		{"503 always", map[string]any{"status": 503, "retryAfter": "1"}, 3, "error", "503", 8 * time.Second},
		{"HTML body", map[string]any{"body": "html"}, 3, "error", "malformed response", 3 * time.Second},
		{"truncated JSON", map[string]any{"body": "truncated"}, 3, "error", "", 3 * time.Second},
		{"malformed JSON", map[string]any{"body": "malformed"}, 3, "error", "", 3 * time.Second},
		{"100 MiB body", map[string]any{"body": "huge"}, 3, "error", "too large", 5 * time.Second},
		{"a body that never ends", map[string]any{"body": "endless"}, 3, "error", "too large", 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fault["path"] = "/v1.0/domains"
			dir := faultFixture(t, "tenant.json", func(m map[string]any) { m["faults"] = []any{tc.fault} })
			r := runFault(t, bin, "enable", "--fixture", dir, "--only", "tenant.managed-domains", "--timeout", "90s")
			got := r.checks["tenant.managed-domains"]
			if r.code != tc.code || got.Status != tc.status || !strings.Contains(got.Message, tc.message) {
				t.Errorf("exit %d, %s %q; want exit %d, %s containing %q", r.code, got.Status, got.Message, tc.code, tc.status, tc.message)
			}
			if r.took > tc.limit {
				t.Errorf("took %s, want under %s", r.took, tc.limit)
			}
		})
	}
}
