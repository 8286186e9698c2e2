package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/util/redact"
)

// Prometheus writes the report in the Prometheus text exposition format
// (version 0.0.4), for the windows_exporter textfile collector or
// node_exporter's: write it to a *.prom file from a scheduled run. Every
// status and verdict gets a series (1 for the one that holds, 0 for the
// others), so alerts can match status="fail" without absent() tricks.
func Prometheus(w io.Writer, r *Report, _ Options) error {
	verdict, code := r.Verdict()
	phase := promLabel(r.Command)
	base := `phase="` + phase + `"`
	if r.Fixture != "" {
		// The one label from outside (a fixture directory's name) is masked
		// before it is escaped; IDs and phases are ptacheck's own words.
		base += `,fixture="` + promLabel(redact.String(r.Fixture)) + `"`
	}
	var b strings.Builder
	metric := func(name, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
	}
	one := func(ok bool) int {
		if ok {
			return 1
		}
		return 0
	}
	metric("ptacheck_verdict", "Verdict of the last ptacheck run of this phase: 1 for the verdict reached, 0 for the others.")
	for _, v := range []string{VerdictReady, VerdictNotReady, VerdictInconclusive} {
		fmt.Fprintf(&b, "ptacheck_verdict{%s,verdict=%q} %d\n", base, v, one(v == verdict))
	}
	metric("ptacheck_exit_code", "Exit code of the last run (0 ready, 1 not ready, 3 inconclusive, 130/143 interrupted).")
	fmt.Fprintf(&b, "ptacheck_exit_code{%s} %d\n", base, code)
	metric("ptacheck_check_status", "Status of one check in the last run: 1 for the status it ended with, 0 for the others.")
	statuses := []checks.Status{checks.StatusPass, checks.StatusWarn, checks.StatusFail, checks.StatusSkip, checks.StatusError}
	for _, res := range r.Results {
		for _, s := range statuses {
			fmt.Fprintf(&b, "ptacheck_check_status{%s,check=\"%s\",status=%q} %d\n", base, promLabel(res.ID), s, one(res.Status == s))
		}
	}
	metric("ptacheck_checks", "Number of checks of the last run by status.")
	sum := r.Summary()
	for _, s := range []struct {
		name string
		n    int
	}{{"pass", sum.Pass}, {"warn", sum.Warn}, {"fail", sum.Fail}, {"skip", sum.Skip}, {"error", sum.Error}} {
		fmt.Fprintf(&b, "ptacheck_checks{%s,status=%q} %d\n", base, s.name, s.n)
	}
	metric("ptacheck_last_run_timestamp_seconds", "When the last run started (Unix time): alert when it is old, the schedule stopped.")
	fmt.Fprintf(&b, "ptacheck_last_run_timestamp_seconds{%s} %d\n", base, r.StartedAt.Unix())
	metric("ptacheck_run_duration_seconds", "How long the last run took.")
	fmt.Fprintf(&b, "ptacheck_run_duration_seconds{%s} %.3f\n", base, r.Duration.Seconds())
	_, err := io.WriteString(w, b.String())
	return err
}

// promLabel escapes a label value: backslash, double quote and line feed.
func promLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
