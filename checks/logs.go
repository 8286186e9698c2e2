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

// limits are the window and threshold in effect: the defaults for unset
// ones. A threshold of 0 is set (any failure warns); the flags refuse a
// negative threshold and a window that is not positive.
func (c LogsConfig) limits() (window time.Duration, threshold int) {
	window, threshold = c.Window, defaultFailureThreshold
	if window <= 0 {
		window = tracelog.DefaultRecentWindow
	}
	if c.Threshold != nil {
		threshold = max(*c.Threshold, 0)
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
	if len(s.Files) == 0 {
		// Nothing was read: a folder without trace logs (a mistyped
		// --logs, the wrong folder) is no evidence of few failures.
		return Skipped("no agent trace log in %s (%s passed over)", strings.Join(c.Config.Paths, ", "), textfmt.Plural(s.Ignored, "file", "files"))
	}
	return recentFailuresVerdict(s, window, threshold)
}

// recentFailuresVerdict decides logs.recent-failures from what the trace
// logs said over the window: more failures than the threshold warn. It
// passes only on what it read: failures without a DateTime may all be
// recent, so they count against the threshold as if they were (a pass
// holds only when even then the count stays within it), and a trace file
// not read to the end leaves its failures unknown.
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
	var unread []string
	for _, f := range s.Files {
		if f.Skipped != "" {
			unread = append(unread, f.Path+": "+f.Skipped)
		}
	}
	details := map[string]any{"window": window.String(), "threshold": threshold, "failures": s.Failures, "records": s.Records, "reasons": reasons, "untimed": s.Untimed, "files": len(s.Files), "unread": len(unread)}
	msg := fmt.Sprintf("%s in the last %s", textfmt.Plural(s.Failures, "failed sign-in", "failed sign-ins"), textfmt.ShortDuration(window))
	if top != "" {
		msg += " (reasons " + top + ")"
	}
	untimed := ""
	if s.Untimed > 0 {
		untimed = fmt.Sprintf("%s without a DateTime (their time is unknown: they may all be recent)", textfmt.Plural(s.Untimed, "failed sign-in", "failed sign-ins"))
	}
	notRead := ""
	if len(unread) > 0 {
		notRead = fmt.Sprintf("%s not read to the end, its failures unknown (%s)", textfmt.Plural(len(unread), "trace file", "trace files"), strings.Join(firstN(unread, 3), "; "))
	}
	if s.Failures > threshold {
		// The timed failures alone exceed the threshold: a warning
		// whatever the rest holds.
		w := fmt.Sprintf("%s: more than the threshold of %d", msg, threshold)
		for _, more := range []string{untimed, notRead} {
			if more != "" {
				w += "; and " + more
			}
		}
		return Outcome{Warn: errors.New(w), Details: details}
	}
	var open []string
	if s.Untimed > 0 && s.Failures+s.Untimed > threshold {
		open = append(open, fmt.Sprintf("%s: with the %d timed ones that may be more than the threshold of %d", untimed, s.Failures, threshold))
	}
	if notRead != "" {
		open = append(open, notRead)
	}
	if len(open) > 0 {
		return Outcome{
			Err:         fmt.Errorf("%s, but the count is not known: %s", msg, strings.Join(open, "; ")),
			Remediation: "Look at the records with `ptacheck logs` (it lists the failures without a DateTime and the files it could not read); make the trace files readable, or raise --failure-threshold if these many failures are expected.",
			Details:     details,
		}
	}
	if s.Untimed > 0 {
		msg += fmt.Sprintf("; %d more without a DateTime, at most %d in all: within the threshold of %d", s.Untimed, s.Failures+s.Untimed, threshold)
	}
	return Outcome{Summary: msg, Details: details}
}

// firstN is the first n of list, with a count of the rest.
func firstN(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(list[:n:n], fmt.Sprintf("and %d more", len(list)-n))
}
