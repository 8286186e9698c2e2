//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// untimedFailures is a trace log of n failed requests without a DateTime
// footer: their time is unknown.
func untimedFailures(n int) string {
	const rec = "AzureADConnectAuthenticationAgentService.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '1328'.\n"
	return strings.Repeat(rec, n)
}

// Logs that were not read, or whose failures have no time, are no
// evidence of few failures: from the real process, logs.recent-failures
// skips a --logs folder without a trace log (naming it; the run, with
// nothing evaluated, is inconclusive) and is an error on 500 untimed
// failures that could exceed the threshold; `ptacheck logs` on a folder
// without a trace log says so and exits 3, never "no failed request".
func TestNothingReadIsNoVerdict(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	empty, junk, untimed := filepath.Join(dir, "empty"), filepath.Join(dir, "junk"), filepath.Join(dir, "untimed")
	for _, d := range []string{empty, junk, untimed} {
		os.Mkdir(d, 0o755)
	}
	os.WriteFile(filepath.Join(junk, "a.txt"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(junk, "b.json"), []byte(`{"schema_version": "1"}`), 0o644)
	os.WriteFile(filepath.Join(untimed, "a.log"), []byte(untimedFailures(500)), 0o644)

	for _, tc := range []struct {
		logs   string
		extra  []string
		code   int
		status string
		want   string
	}{
		{empty, nil, 3, "skip", "no agent trace log in " + empty + " (0 files passed over)"},
		{junk, nil, 3, "skip", "no agent trace log in " + junk + " (2 files passed over)"},
		{untimed, []string{"--failure-threshold", "10"}, 3, "error", "500 failed sign-ins without a DateTime"},
		{untimed, nil, 3, "error", "may be more than the threshold of 100"},
		{untimed, []string{"--failure-threshold", "500"}, 0, "pass", "500 more without a DateTime, at most 500 in all: within the threshold of 500"},
	} {
		args := append([]string{"operate", "--logs", tc.logs, "--only", "logs.recent-failures", "-o", "json"}, tc.extra...)
		code, stdout, stderr, _ := runBuilt(t, bin, args...)
		var rep struct {
			Checks []struct{ Status, Message string }
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Checks) != 1 {
			t.Fatalf("%q: %v\n%s\n%s", args, err, stdout, stderr)
		}
		if c := rep.Checks[0]; code != tc.code || c.Status != tc.status || !strings.Contains(c.Message, tc.want) {
			t.Errorf("%q: exit %d, %s %q; want exit %d, %s %q", args, code, c.Status, c.Message, tc.code, tc.status, tc.want)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"logs", empty}, 3, "\nno agent trace log found in " + empty + " (0 files passed over)\n"},
		{[]string{"logs", junk}, 3, "\nno agent trace log found in " + junk + " (2 files passed over)\n"},
		{[]string{"logs", "-o", "json", junk}, 3, `"passed_over": [`},
		{[]string{"logs", untimed}, 0, "1328 ERROR_INVALID_LOGON_HOURS"},
	} {
		code, stdout, _, _ := runBuilt(t, bin, tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.want) || strings.Contains(stdout, "no failed Pass-through") {
			t.Errorf("%q: exit %d\n%s\nwant exit %d and %q", tc.args, code, stdout, tc.code, tc.want)
		}
	}
}

// Review 22's polish, from the real process: a fixture path that is a FIFO
// or a device is "not a directory" (never "not found", and a FIFO is not
// opened); summarize's "file too large" names the file; the exit-code help
// says what 3 means in full; an --ignore-failures default from the
// environment may name another phase's check (a shared default), only the
// command line is held to the phase.
func TestReview22Polish(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, bytes.Repeat([]byte(" "), 33<<20), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"install", "--fixture", fifo}, 2, "fixture directory " + fifo + ": not a directory (a FIFO)"},
		{[]string{"install", "--fixture", "/dev/null"}, 2, "fixture directory /dev/null: not a directory (a device)"},
		{[]string{"summarize", big}, 2, "summarize: " + big + ": file too large: more than 32 MiB"},
	} {
		code, _, stderr, took := runBuilt(t, bin, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || took > 5*time.Second {
			t.Errorf("%q: exit %d in %s, %q; want %d and %q", tc.args, code, took, stderr, tc.code, tc.want)
		}
	}
	_, stdout, _, _ := runBuilt(t, bin, "--help")
	if !strings.Contains(stdout, "nothing was evaluated or a check could not be evaluated") {
		t.Errorf("--help: the exit code 3 line is cut short:\n%s", stdout)
	}
	cmd := exec.Command(bin, "install", "--fixture", "healthy", "--only", "host.os")
	cmd.Env = append(os.Environ(), "PTACHECK_IGNORE_FAILURES=tenant.other-agents")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("PTACHECK_IGNORE_FAILURES naming an uninstall check: %v\n%s", err, out)
	}
}
