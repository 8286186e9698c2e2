//go:build !windows

package main

import (
	"cmp"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
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
	rss    int64         // the child's peak resident set, bytes
	cpu    time.Duration // the child's CPU time (user + system): its own work, whatever the load
	checks map[string]struct{ Status, Message string }
	out    string
}

// peakRSS is a finished child's peak resident set in bytes (getrusage
// ru_maxrss: KiB on Linux, bytes on macOS).
func peakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) << 10
}

func runFault(t *testing.T, bin string, args ...string) faultRun {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(bin, append(args, "-o", "json")...)
	out, _ := cmd.Output()
	r := faultRun{code: cmd.ProcessState.ExitCode(), took: time.Since(start), rss: peakRSS(cmd.ProcessState), cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), checks: map[string]struct{ Status, Message string }{}, out: string(out)}
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
		limit  time.Duration // 0: 12 s
	}{
		{"stronger auth required", map[string]any{"bind": "strong-auth-required"}, 3, map[string]want{
			"ad.dc-reachable": {"error", "strongerAuthRequired"}, "ad.forest-membership": {"skip", "requires ad.dc-reachable"}}, 0},
		{"invalid credentials", map[string]any{"bind": "invalid-credentials"}, 3, map[string]want{
			"ad.dc-reachable": {"error", "invalid credentials"}, "ad.forest-membership": {"skip", "requires ad.dc-reachable"}}, 0},
		{"referral", map[string]any{"search": "referral"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "referral"}}, 0},
		{"connection closed mid-search", map[string]any{"search": "close"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", ""}}, 0},
		{"a search that never answers", map[string]any{"search": "hang"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", ""}}, 0},
		// Object bombs (issue 18 item 2): small on the wire per object,
		// huge once parsed. Each ends in an error naming the bound.
		{"8 MiB of empty values in one message", map[string]any{"search": "value-bomb"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "response too large: a message of 8388645 bytes, more than 4194304"}}, 5 * time.Second},
		{"16 MiB of empty values in one message", map[string]any{"search": "value-bomb-16m"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "response too large: a message of 16777257 bytes"}}, 5 * time.Second},
		{"1.5 million empty values under the message bound", map[string]any{"search": "values-flood"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "too many objects in the answer: more than 10000 values"}}, 5 * time.Second},
		{"20,000 entries in one answer", map[string]any{"search": "entry-flood"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "too many objects in the answer: more than 10000 messages for one operation"}}, 5 * time.Second},
		{"entries of 9,999 values without end", map[string]any{"search": "element-flood"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "too many objects in the answer: more than 250000 elements for one operation"}}, 5 * time.Second},
		{"an entry of 5,000 values every 50 ms", map[string]any{"search": "trickle"}, 3, map[string]want{
			"ad.dc-reachable": {"pass", ""}, "ad.forest-membership": {"error", "too many objects in the answer: more than 250000 elements for one operation"}}, 5 * time.Second},
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
			limit := tc.limit
			if limit == 0 {
				limit = 12 * time.Second
			}
			if r.took > limit {
				t.Errorf("took %s, want under %s", r.took, limit)
			}
			// The emulated DC runs inside the child: its peak covers both.
			if r.rss > 200<<20 {
				t.Errorf("peak RSS %d MiB, want under 200 MiB", r.rss>>20)
			}
			t.Logf("exit %d in %s, peak RSS %d MiB", r.code, r.took.Round(time.Millisecond), r.rss>>20)
		})
	}
}

// SIGTERM while the client reads and decodes a hostile answer (an entry of
// 5,000 values every 50 ms, for 2.5 s) stops the process within 750 ms:
// every message is parsed only after the guard bounded it, and the
// connection closes when the run's context ends. (It stops in under 30 ms on
// a quiet machine; 750 ms leaves room for a loaded 2-core CI machine, where
// 100 ms was missed by scheduling alone, and is still half of the 1.5 s the
// rest of the trickle would take.)
func TestDirectoryBombSignal(t *testing.T) {
	bin := builtBinary(t)
	dir := faultFixture(t, "directory.json", func(m map[string]any) { m["faults"] = map[string]any{"search": "trickle"} })
	for i := range 3 {
		var stdout strings.Builder
		cmd, took := signalSettled(t, func() *exec.Cmd {
			stdout.Reset()
			cmd := exec.Command(bin, "register", "--fixture", dir, "--only", "ad.dc-reachable,ad.forest-membership", "--timeout", "30s", "-o", "json")
			cmd.Stdout = &stdout
			return cmd
		}, time.Minute, time.Second, syscall.SIGTERM) // the forest read is decoding the trickle (it ends at 2.5 s)
		if code := cmd.ProcessState.ExitCode(); code != 143 {
			t.Fatalf("run %d: exit %d, want 143\n%s", i, code, stdout.String())
		}
		if took > 750*time.Millisecond {
			t.Errorf("run %d: exited %s after SIGTERM, want within 750 ms", i, took)
		}
		if !strings.Contains(stdout.String(), "interrupted (SIGTERM)") {
			t.Errorf("run %d: no partial report:\n%s", i, stdout.String())
		}
		t.Logf("run %d: exit 143 %s after SIGTERM, peak RSS %d MiB", i, took.Round(time.Millisecond), peakRSS(cmd.ProcessState)>>20)
	}
}

// The tenant family's fault matrix: Graph answers that fail one way at a
// time, on the call of tenant.managed-domains unless a case names another
// path and check. Hostile answers within the size limit (object bombs, {}
// answers, duplicate keys) end in an error inside the deadline with the
// child's peak RSS under 200 MB (issue 18: an 8 MiB page of 2.8 million {}
// reached 1.57 GB).
func TestTenantFaultMatrix(t *testing.T) {
	bin := builtBinary(t)
	const (
		mfaPath = "/beta/users/6be4b305-b75e-4efc-bfcc-31bd3b53a5f8/authentication/requirements"
		sdPath  = "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
		maxRSS  = 200 << 20
		// bomb: the answers the child spends CPU on (decoding, or the
		// emulator producing pages). Their bound is on the child's CPU
		// time, which the load of the machine hardly changes; the wall
		// clock only has to stay well inside the check's 60 s deadline,
		// since 24 of these run at once and a loaded 2-core CI machine
		// stretched 1.5 s of work to 8.3 s.
		bomb = 30 * time.Second
	)
	for _, tc := range []struct {
		name    string
		fault   map[string]any
		code    int
		status  string
		message string
		limit   time.Duration // wall clock
		cpu     time.Duration // the child's CPU time (set for the bombs, whose wall limit is bomb)
		path    string        // default /v1.0/domains
		check   string        // default tenant.managed-domains (enable); tenant.agent-limit runs in install
	}{
		{"401", map[string]any{"status": 401}, 3, "error", "401", 3 * time.Second, 0, "", ""},
		{"403", map[string]any{"status": 403}, 3, "error", "Domain.Read.All", 3 * time.Second, 0, "", ""},
		{"404", map[string]any{"status": 404}, 3, "error", "404", 3 * time.Second, 0, "", ""},
		{"429 once, with Retry-After", map[string]any{"status": 429, "retryAfter": "1", "times": 1}, 0, "pass", "", 4 * time.Second, 0, "", ""},
		{"429 once, without Retry-After", map[string]any{"status": 429, "times": 1}, 0, "pass", "", 4 * time.Second, 0, "", ""},
		{"429 always", map[string]any{"status": 429, "retryAfter": "1"}, 3, "error", "429", 8 * time.Second, 0, "", ""},
		{"500", map[string]any{"status": 500}, 3, "error", "500", 3 * time.Second, 0, "", ""},
		{"503 always", map[string]any{"status": 503, "retryAfter": "1"}, 3, "error", "503", 8 * time.Second, 0, "", ""},
		{"HTML body", map[string]any{"body": "html"}, 3, "error", "malformed response", 3 * time.Second, 0, "", ""},
		{"truncated JSON", map[string]any{"body": "truncated"}, 3, "error", "", 3 * time.Second, 0, "", ""},
		{"malformed JSON", map[string]any{"body": "malformed"}, 3, "error", "", 3 * time.Second, 0, "", ""},
		{"100 MiB body", map[string]any{"body": "huge"}, 3, "error", "too large", bomb, 5 * time.Second, "", ""},
		{"a body that never ends", map[string]any{"body": "endless"}, 3, "error", "too large", bomb, 5 * time.Second, "", ""},
		// Bounds on objects, not only bytes.
		{"8 MiB page of 2.8M {}", map[string]any{"body": "object-bomb"}, 3, "error", "item 1: malformed response: a field the checks read is missing: id is not in the answer", bomb, 3 * time.Second, "", ""},
		{"8 MiB pages of 2.8M {} for ever", map[string]any{"body": "object-bomb-pages"}, 3, "error", "id is not in the answer", bomb, 3 * time.Second, "", ""},
		{"8 MiB answer nesting 2.8M {}", map[string]any{"body": "nested-bomb"}, 3, "error", "more than 100000 objects and arrays in one answer", bomb, 3 * time.Second, "", ""},
		{"8 MiB page of real items", map[string]any{"body": "item-bomb"}, 3, "error", "too many items: more than 5000 in one page", bomb, 3 * time.Second, "", ""},
		{"pages of 4000 real items for ever", map[string]any{"body": "item-bomb-pages"}, 3, "error", "too many items: more than 50000 in the collection", bomb, 8 * time.Second, "", ""},
		// No pass without evidence; strict JSON.
		{"{} for the domains", map[string]any{"body": "empty-object"}, 3, "error", `malformed response: no "value" array`, 3 * time.Second, 0, "", ""},
		{"duplicate keys in the domains", map[string]any{"body": "duplicate-keys"}, 3, "error", `duplicate key "@odata.context"`, 3 * time.Second, 0, "", ""},
		{"{} for the per-user MFA state", map[string]any{"body": "empty-object"}, 3, "error", "graph GET " + mfaPath + ": 200 ok: malformed response: a field the checks read is missing: perUserMfaState is not in the answer", 5 * time.Second, 0, mfaPath, "tenant.admin-account"},
		{"{} for the security defaults", map[string]any{"body": "empty-object"}, 3, "error", "graph GET " + sdPath + ": 200 ok: malformed response: a field the checks read is missing: isEnabled is not in the answer", 5 * time.Second, 0, sdPath, "tenant.admin-account"},
		{"duplicate keys in the MFA state", map[string]any{"body": "duplicate-keys"}, 3, "error", `duplicate key`, 5 * time.Second, 0, mfaPath, "tenant.admin-account"},
		{"object bomb for the agents", map[string]any{"body": "object-bomb"}, 3, "error", "machineName is not in the answer", bomb, 3 * time.Second, "/beta/onPremisesPublishingProfiles/authentication/agents", "tenant.agent-limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, check := cmp.Or(tc.path, "/v1.0/domains"), cmp.Or(tc.check, "tenant.managed-domains")
			tc.fault["path"] = path
			dir := faultFixture(t, "tenant.json", func(m map[string]any) { m["faults"] = []any{tc.fault} })
			phase := "enable"
			if check == "tenant.agent-limit" {
				phase = "install"
			}
			r := runFault(t, bin, phase, "--fixture", dir, "--only", check, "--timeout", "90s")
			got := r.checks[check]
			if r.code != tc.code || got.Status != tc.status || !strings.Contains(got.Message, tc.message) {
				t.Errorf("exit %d, %s %q; want exit %d, %s containing %q", r.code, got.Status, got.Message, tc.code, tc.status, tc.message)
			}
			if r.took > tc.limit {
				t.Errorf("took %s, want under %s", r.took, tc.limit)
			}
			if tc.cpu > 0 && r.cpu > tc.cpu {
				t.Errorf("the child used %s of CPU, want under %s", r.cpu, tc.cpu)
			}
			if r.rss > maxRSS || r.rss == 0 {
				t.Errorf("peak RSS %d MB, want under %d MB", r.rss>>20, maxRSS>>20)
			}
			t.Logf("%s in %s (CPU %s), peak RSS %d MB", got.Status, r.took.Round(time.Millisecond), r.cpu.Round(time.Millisecond), r.rss>>20)
		})
	}
}

// SIGTERM while a Graph answer is being read and decoded stops the built
// binary within 100 ms plus a load yardstick (issue 18: 4.7 s during the
// decode of an object bomb), with the partial report written and the check
// not passed: a page whose bytes trickle in, and pages of real items
// decoded for seconds.
func TestSignalDuringGraphDecode(t *testing.T) {
	bin := builtBinary(t)
	for _, body := range []string{"trickle", "item-bomb-pages"} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			dir := faultFixture(t, "tenant.json", func(m map[string]any) {
				m["faults"] = []any{map[string]any{"path": "/v1.0/domains", "body": body}}
			})
			var stdout strings.Builder
			mk := func() *exec.Cmd {
				stdout.Reset()
				cmd := exec.Command(bin, "enable", "--fixture", dir, "--only", "tenant.managed-domains", "-o", "json", "--timeout", "90s")
				cmd.Stdout = &stdout
				return cmd
			}
			// 100 ms plus twice what this machine takes now to end a
			// process that only waits (the yardstick of
			// TestSignalsWhileReadingInputs), under 1 s: the failure
			// this catches took 4.7 s.
			// Up to three runs, each held to the exit code and the
			// report; the time is the best of them: a decode that does
			// not watch the signal misses the bound every time, while a
			// burst of load on a 2-core CI machine (161 ms once) does not
			// last three runs.
			var cmd *exec.Cmd
			var took time.Duration
			for attempt := 1; attempt <= 3; attempt++ {
				bound := min(100*time.Millisecond+2*signalYardstick(t, syscall.SIGTERM), time.Second)
				cmd, took = signalSettled(t, mk, time.Minute, 600*time.Millisecond, syscall.SIGTERM) // the first pages are in, the decode goes on
				if code := cmd.ProcessState.ExitCode(); code != 143 {
					t.Fatalf("exit %d, want 143 (the run ended before the signal?)", code)
				}
				if took <= bound {
					break
				}
				if attempt == 3 {
					t.Errorf("stopped %s after SIGTERM in the best of 3 runs, want within %s", took, bound)
				} else {
					t.Logf("run %d stopped %s after SIGTERM (bound %s): again", attempt, took, bound)
				}
			}
			var rep struct {
				Interrupted bool
				Checks      []struct{ ID, Status string }
			}
			if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil || !rep.Interrupted || len(rep.Checks) != 1 || rep.Checks[0].Status == "pass" {
				t.Errorf("report %+v (%v)", rep, err)
			}
			t.Logf("stopped %s after SIGTERM, peak RSS %d MB", took.Round(time.Millisecond), peakRSS(cmd.ProcessState)>>20)
		})
	}
}
