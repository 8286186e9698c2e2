package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// operate's thresholds (issue 20 item 8): --failure-threshold 0 is a
// threshold (one failed sign-in warns), not "unset"; a negative threshold
// and a window that is not positive are usage errors naming the flag.
func TestOperateThresholds(t *testing.T) {
	logs := filepath.Join(t.TempDir(), "AzureADConnectAuthenticationAgent_trace.log")
	// One failure an hour before the fixture's clock (2026-11-25T12:00:00Z).
	rec := "AzureADConnectAuthenticationAgentService.exe Error: 0 : Passthrough Authentication request failed. RequestId: 'df63f4a4-68b9-44ae-8d81-6ad2d844d84e'. Reason: '1326'.\r\n" +
		"    ThreadId=5\r\n    DateTime=2026-11-25T11:00:00Z\r\n"
	if err := os.WriteFile(logs, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"operate", "--fixture", "healthy", "--only", "logs.recent-failures", "--logs", logs, "-o", "json"}
	for _, tc := range []struct {
		extra  []string
		status string
	}{
		{nil, "pass"}, // the default threshold, 100
		{[]string{"--failure-threshold", "1"}, "pass"},
		{[]string{"--failure-threshold", "0"}, "warn"},
		{[]string{"--failure-threshold=0", "--failure-window", "30m"}, "pass"}, // the failure is outside the last 30 minutes
	} {
		r := runCLI(t, append(append([]string{}, base...), tc.extra...)...)
		rep := parseJSON(t, r.stdout)
		if got := rep.status("logs.recent-failures"); got != tc.status {
			t.Errorf("%v: logs.recent-failures %s, want %s (exit %d)\n%s", tc.extra, got, tc.status, r.code, r.stdout)
		}
	}
	for _, tc := range []struct {
		extra []string
		flag  string
	}{
		{[]string{"--failure-threshold", "-1"}, "--failure-threshold -1"},
		{[]string{"--failure-window", "0s"}, "--failure-window 0s"},
		{[]string{"--failure-window", "-5m"}, "--failure-window -5m0s"},
	} {
		r := runCLI(t, append(append([]string{}, base...), tc.extra...)...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "ptacheck: "+tc.flag+": ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming %s", tc.extra, r.code, r.stdout, r.stderr, tc.flag)
		}
	}
}
