package checks

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// oneTraceFile is a Summary's Files for one trace file read to the end.
var oneTraceFile = []tracelog.FileInfo{{Path: "AzureADConnectAuthenticationAgent.log"}}

// Verdicts of logs.recent-failures over what the trace logs said (a
// tracelog.Summary), no files.
func TestRecentFailuresVerdicts(t *testing.T) {
	reasons := []tracelog.Reason{{Code: 1326, Count: 90}, {Code: 1909, Count: 7}, {Code: 1331, Count: 3}, {Code: 1330, Count: 1}}
	for _, tc := range []struct {
		name      string
		summary   tracelog.Summary
		window    time.Duration
		threshold int
		status    Status
		message   string
	}{
		{name: "no failure", summary: tracelog.Summary{Records: 500}, window: 24 * time.Hour, threshold: 100,
			status: StatusPass, message: "0 failed sign-ins in the last 24h"},
		{name: "one failure, singular", summary: tracelog.Summary{Records: 500, Failures: 1, Reasons: []tracelog.Reason{{Code: 1326, Count: 1}}},
			window: 24 * time.Hour, threshold: 100, status: StatusPass, message: "1 failed sign-in in the last 24h (reasons 1326 x1)"},
		{name: "at the threshold passes", summary: tracelog.Summary{Records: 900, Failures: 100, Reasons: reasons[:1]}, window: 24 * time.Hour, threshold: 100,
			status: StatusPass, message: "100 failed sign-ins in the last 24h (reasons 1326 x90)"},
		{name: "over the threshold warns, top three reasons", summary: tracelog.Summary{Records: 900, Failures: 101, Reasons: reasons}, window: 24 * time.Hour, threshold: 100,
			status: StatusWarn, message: "101 failed sign-ins in the last 24h (reasons 1326 x90, 1909 x7, 1331 x3): more than the threshold of 100"},
		{name: "a threshold of 5 over an hour", summary: tracelog.Summary{Records: 40, Failures: 6, Reasons: reasons[1:2]}, window: time.Hour, threshold: 5,
			status: StatusWarn, message: "6 failed sign-ins in the last 1h (reasons 1909 x7): more than the threshold of 5"},
		{name: "a window of 90 minutes", summary: tracelog.Summary{Records: 40, Failures: 2, Reasons: reasons[2:3]}, window: 90 * time.Minute, threshold: 5,
			status: StatusPass, message: "2 failed sign-ins in the last 1h30m (reasons 1331 x3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.summary
			if s.Files == nil {
				s.Files = oneTraceFile
			}
			out := recentFailuresVerdict(&s, tc.window, tc.threshold)
			r := RunPlan(context.Background(), &Env{}, []Entry{{Check: fakeCheck{id: "logs.recent-failures", out: out}}}, RunOptions{})[0]
			if r.Status != tc.status || r.Message != tc.message {
				t.Fatalf("%s %q, want %s %q", r.Status, r.Message, tc.status, tc.message)
			}
			d := out.Details.(map[string]any)
			if d["failures"] != tc.summary.Failures || d["threshold"] != tc.threshold || d["window"] != tc.window.String() || d["records"] != tc.summary.Records {
				t.Fatalf("details %v", d)
			}
			if n := reflect.ValueOf(d["reasons"]).Len(); n != len(tc.summary.Reasons) {
				t.Fatalf("%d reasons in the details, want every one (%d)", n, len(tc.summary.Reasons))
			}
		})
	}

	t.Run("the window as people write it", func(t *testing.T) {
		for d, want := range map[time.Duration]string{24 * time.Hour: "24h", 90 * time.Minute: "1h30m", 30 * time.Minute: "30m",
			time.Minute: "1m", 10 * time.Second: "10s", 90 * time.Second: "1m30s", 2*time.Hour + 5*time.Second: "2h0m5s"} {
			if got := textfmt.ShortDuration(d); got != want {
				t.Errorf("ShortDuration(%v) = %q, want %q", d, got, want)
			}
		}
	})

	t.Run("untimed failures are counted in the details", func(t *testing.T) {
		out := recentFailuresVerdict(&tracelog.Summary{Files: oneTraceFile, Records: 10, Failures: 2, Untimed: 3}, 24*time.Hour, 100)
		if out.Details.(map[string]any)["untimed"] != 3 || out.Warn != nil || out.Err != nil {
			t.Fatalf("%+v", out)
		}
	})

	// Failures without a DateTime may all be recent: a pass holds only
	// when even counting them the threshold holds; otherwise the count is
	// unknown (error), unless the timed ones alone exceed it (warn).
	// A trace file not read to the end leaves its failures unknown.
	for _, tc := range []struct {
		name    string
		summary tracelog.Summary
		status  Status
		want    []string
	}{
		{"untimed within the threshold even if recent", tracelog.Summary{Files: oneTraceFile, Records: 60, Failures: 40, Untimed: 60},
			StatusPass, []string{"40 failed sign-ins in the last 24h; 60 more without a DateTime, at most 100 in all: within the threshold of 100"}},
		{"untimed could exceed the threshold", tracelog.Summary{Files: oneTraceFile, Records: 500, Untimed: 500},
			StatusError, []string{"0 failed sign-ins in the last 24h, but the count is not known", "500 failed sign-ins without a DateTime", "may be more than the threshold of 100"}},
		{"timed alone exceed: warn naming the untimed", tracelog.Summary{Files: oneTraceFile, Records: 700, Failures: 101, Untimed: 500},
			StatusWarn, []string{"101 failed sign-ins in the last 24h: more than the threshold of 100; and 500 failed sign-ins without a DateTime"}},
		{"a file not read to the end", tracelog.Summary{Files: []tracelog.FileInfo{{Path: "a.log"}, {Path: "b.log", Skipped: "open: permission denied"}}, Records: 5, Failures: 1},
			StatusError, []string{"1 trace file not read to the end", "b.log: open: permission denied"}},
		{"a file not read, timed over the threshold: warn", tracelog.Summary{Files: []tracelog.FileInfo{{Path: "b.log", Skipped: "read: EIO"}}, Records: 200, Failures: 150},
			StatusWarn, []string{"more than the threshold of 100; and 1 trace file not read to the end"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.summary
			out := recentFailuresVerdict(&s, 24*time.Hour, 100)
			r := RunPlan(context.Background(), &Env{}, []Entry{{Check: fakeCheck{id: "logs.recent-failures", out: out}}}, RunOptions{})[0]
			if r.Status != tc.status {
				t.Fatalf("%s %q, want %s", r.Status, r.Message, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Message, w) {
					t.Errorf("%q lacks %q", r.Message, w)
				}
			}
		})
	}

	t.Run("a folder without a trace log skips, naming it", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "b.json"), []byte("{}"), 0o644)
		empty := t.TempDir()
		for path, want := range map[string]string{dir: "no agent trace log in " + dir + " (2 files passed over)", empty: "no agent trace log in " + empty + " (0 files passed over)"} {
			r := RunPlan(context.Background(), &Env{}, []Entry{{Check: RecentFailuresCheck{Config: LogsConfig{Paths: []string{path}}}}}, RunOptions{})[0]
			if r.Status != StatusSkip || r.Message != want {
				t.Errorf("%s: %s %q, want skip %q", path, r.Status, r.Message, want)
			}
		}
	})

	t.Run("defaults: 24 h and 100; a threshold of 0 is set", func(t *testing.T) {
		for _, c := range []LogsConfig{{}, {Window: -time.Hour}} {
			if w, n := c.limits(); w != 24*time.Hour || n != 100 {
				t.Fatalf("%+v: %v, %d", c, w, n)
			}
		}
		seven, zero := 7, 0
		if w, n := (LogsConfig{Window: time.Hour, Threshold: &seven}).limits(); w != time.Hour || n != 7 {
			t.Fatalf("%v, %d", w, n)
		}
		if _, n := (LogsConfig{Threshold: &zero}).limits(); n != 0 {
			t.Fatalf("--failure-threshold 0 became %d", n)
		}
	})

	t.Run("a threshold of 0 warns on one failure", func(t *testing.T) {
		out := recentFailuresVerdict(&tracelog.Summary{Files: oneTraceFile, Records: 10, Failures: 1, Reasons: []tracelog.Reason{{Code: 1326, Count: 1}}}, time.Hour, 0)
		if out.Warn == nil || !strings.Contains(out.Warn.Error(), "more than the threshold of 0") {
			t.Fatalf("%+v", out)
		}
		if out := recentFailuresVerdict(&tracelog.Summary{Files: oneTraceFile, Records: 10}, time.Hour, 0); out.Warn != nil {
			t.Fatalf("no failure warned: %+v", out)
		}
	})

	t.Run("no trace log here: skip naming the flag", func(t *testing.T) {
		r := RunPlan(context.Background(), &Env{}, []Entry{{Check: RecentFailuresCheck{}}}, RunOptions{})[0]
		if r.Status != StatusSkip || !strings.Contains(r.Message, "pass --logs PATH") {
			t.Fatalf("%s %q", r.Status, r.Message)
		}
	})
}
