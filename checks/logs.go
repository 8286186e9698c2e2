package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/util/textfmt"
)

// limits are the window and threshold in effect: the defaults for unset ones.
func (c LogsConfig) limits() (window time.Duration, threshold int) {
	window, threshold = c.Window, c.Threshold
	if window <= 0 {
		window = tracelog.DefaultRecentWindow
	}
	if threshold <= 0 {
		threshold = defaultFailureThreshold
	}
	return window, threshold
}

const (
	defaultFailureThreshold = 100
	logsCheckTimeout        = 90 * time.Second
)

// RecentFailuresCheck reads the agent's trace logs and warns when more
// sign-ins failed in the last day than the threshold: a `ptacheck operate`
// run on a schedule turns it into monitoring.
type RecentFailuresCheck struct{ Config LogsConfig }

func (RecentFailuresCheck) Meta() Meta {
	return Meta{
		ID:          "logs.recent-failures",
		Title:       "Few failed sign-ins lately",
		Description: "failed Pass-through Authentication requests in the agent's trace logs over the last 24 hours (--failure-window) stay at or under --failure-threshold",
		Remediation: "Look at the reasons (`ptacheck logs --since 24h` lists them with their meaning): many 1326 are users' wrong passwords; 1311, 1355 or 1722 point at the DCs; 1331, 1909, 1330 at account states (`ptacheck signin --user`).",
		DocURL:      docTroubleshootAuth,
	}
}

func (c RecentFailuresCheck) Run(ctx context.Context, env *Env) Outcome {
	if len(c.Config.Paths) == 0 {
		return Skipped("no agent trace log here: pass --logs PATH (the agent's Trace folder, on the agent server %s)", tracelog.DefaultPaths()[0])
	}
	window, threshold := c.Config.limits()
	now := time.Now()
	if env.Now != nil {
		now = env.Now()
	}
	s, err := tracelog.RecentFailures(ctx, c.Config.Paths, now, window)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Outcome{Unevaluated: []string{"the trace logs (cut off while reading them)"}}
	}
	if err != nil {
		return Errored(fmt.Errorf("read the trace logs: %w", err), nil)
	}
	return recentFailuresVerdict(s, window, threshold)
}

// recentFailuresVerdict decides logs.recent-failures from what the trace
// logs said over the window: more failures than the threshold warn.
func recentFailuresVerdict(s *tracelog.Summary, window time.Duration, threshold int) Outcome {
	type reason struct {
		Code  int `json:"code"`
		Count int `json:"count"`
	}
	reasons := []reason{}
	top := ""
	for i, r := range s.Reasons {
		reasons = append(reasons, reason{r.Code, r.Count})
		if i < 3 {
			if top != "" {
				top += ", "
			}
			top += fmt.Sprintf("%d x%d", r.Code, r.Count)
		}
	}
	details := map[string]any{"window": window.String(), "threshold": threshold, "failures": s.Failures, "records": s.Records, "reasons": reasons, "untimed": s.Untimed}
	msg := fmt.Sprintf("%s in the last %s", textfmt.Plural(s.Failures, "failed sign-in", "failed sign-ins"), shortDuration(window))
	if top != "" {
		msg += " (reasons " + top + ")"
	}
	if s.Failures > threshold {
		return Outcome{Warn: fmt.Errorf("%s: more than the threshold of %d", msg, threshold), Details: details}
	}
	return Outcome{Summary: msg, Details: details}
}

// shortDuration renders 24h rather than 24h0m0s, 30m rather than 30m0s:
// only zero units go (trimming "0s" from 10s or "0m" from 30m would not).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
