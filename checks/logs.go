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
	window := c.Config.Window
	if window <= 0 {
		window = tracelog.DefaultRecentWindow
	}
	threshold := c.Config.Threshold
	if threshold <= 0 {
		threshold = defaultFailureThreshold
	}
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

// shortDuration renders 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	return s
}
