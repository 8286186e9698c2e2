package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/internal/textfmt"
	"github.com/ptacheck/ptacheck/report"
)

// toRetry lists the checks a retry runs again: those that failed or ended
// in error, and those skipped because such a check was their prerequisite.
// Passes, warnings (demoted failures too) and deliberate skips stand.
func toRetry(results []checks.Result) map[string]bool {
	ids := map[string]bool{}
	for _, r := range results {
		switch {
		case r.Status == checks.StatusFail, r.Status == checks.StatusError:
			ids[r.ID] = true
		case r.Status == checks.StatusSkip && strings.HasPrefix(r.Message, "requires "):
			ids[r.ID] = true
		}
	}
	return ids
}

// retry re-runs the checks that do not pass, every --sleep, until they do
// or --retry-timeout (counted from the first run's start) runs out: the
// gate waits for a firewall change or a service restart to take effect.
// Each attempt gathers afresh: new clients, and on a live host new host
// facts. The report holds each check's latest result and the attempts made.
func retry(ctx context.Context, inv *invocation, in *phaseInputs, sc *fixtures.Scenario, host hostfacts.Source, rep *report.Report) *report.Report {
	o := inv.o
	deadline := rep.StartedAt.Add(o.retryTimeout)
	rep.Attempts = 1
	for {
		again := toRetry(rep.Results)
		if len(again) == 0 || ctx.Err() != nil || rep.Interrupted {
			return rep
		}
		next := time.Now().Add(o.sleep)
		if next.After(deadline) {
			fmt.Fprintf(inv.stderr, "ptacheck: --retry-timeout %s reached after %s; %s still not passing\n", o.retryTimeout, textfmt.Plural(rep.Attempts, "attempt", "attempts"), idList(again))
			return rep
		}
		fmt.Fprintf(inv.stderr, "ptacheck: attempt %d: %s not passing (%s); next attempt at %s, giving up at %s\n",
			rep.Attempts, textfmt.Plural(len(again), "check", "checks"), idList(again), next.Format("15:04:05"), deadline.Format("15:04:05"))
		select {
		case <-ctx.Done():
			rep.Interrupted = true
			if code, stopped := checks.InterruptExit(ctx); stopped {
				rep.InterruptExit = code
			}
			return rep
		case <-time.After(o.sleep):
		}
		src := host
		if host == inv.sys.Host && inv.sys.NewHost != nil {
			src = inv.sys.NewHost() // the live host: read it again
		}
		env, stop, err := wire(ctx, inv, sc, src, in)
		if err != nil {
			fmt.Fprintf(inv.stderr, "ptacheck: attempt %d could not start: %v\n", rep.Attempts+1, err)
			return rep
		}
		results := runPlan(ctx, inv, env, in, again)
		stop()
		rep.Attempts++
		for _, r := range results {
			for i := range rep.Results {
				if rep.Results[i].ID == r.ID {
					rep.Results[i] = r
				}
			}
		}
		rep.Duration = time.Since(rep.StartedAt)
		if code, stopped := checks.InterruptExit(ctx); stopped {
			rep.Interrupted, rep.InterruptExit = true, code
		}
	}
}

func idList(ids map[string]bool) string {
	var out []string
	for _, id := range checks.KnownIDs() {
		if ids[id] {
			out = append(out, id)
		}
	}
	return strings.Join(out, ", ")
}
