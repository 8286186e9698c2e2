package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ptacheck/ptacheck/util/memo"
)

// DefaultRunTimeout is the deadline of a run (--timeout).
const DefaultRunTimeout = 2 * time.Minute

// ErrRunDeadline is the context cause of a run cut off by --timeout. Causes
// are shown to users ("cut off before the probe finished: <cause>").
var ErrRunDeadline = errors.New("the run deadline (--timeout) was exceeded")

// InterruptError is the context cause of a run stopped by a signal.
type InterruptError struct {
	Signal string // "SIGINT", "SIGTERM"
	Exit   int    // 130, 143
}

func (e InterruptError) Error() string { return "the run was interrupted (" + e.Signal + ")" }

// Interrupted returns the cause main cancels the run with on a signal.
func Interrupted(signal string, exit int) error { return InterruptError{signal, exit} }

// InterruptExit returns the exit code of a run ctx stopped by a signal (130
// when it was cancelled otherwise), and whether it was stopped at all.
func InterruptExit(ctx context.Context) (int, bool) {
	if ctx.Err() == nil {
		return 0, false
	}
	var ie InterruptError
	if errors.As(context.Cause(ctx), &ie) {
		return ie.Exit, true
	}
	return 130, true
}

// abandonGrace is how long the runner waits for a check that ignores its
// expired context before reporting it and moving on.
const abandonGrace = 250 * time.Millisecond

// DefaultParallel is how many checks may run at once. Checks that fan out
// (network probes) bound their own concurrency.
const DefaultParallel = 4

// RunOptions control one run.
type RunOptions struct {
	Timeout  time.Duration   // whole run; 0 means DefaultRunTimeout
	Skip     map[string]bool // reported as skip, not run
	Only     map[string]bool // when non-empty, other checks are left out of the run
	Ignore   map[string]bool // failures of these IDs ("all": every ID) become warnings
	Parallel int             // checks at once; 0 means DefaultParallel

	// Progress hooks, called one at a time (never concurrently).
	OnStart func(e Entry)
	OnDone  func(r Result)
}

// SelectEntries applies --only to a plan: checks not selected are left out.
func SelectEntries(plan []Entry, only map[string]bool) []Entry {
	if len(only) == 0 {
		return plan
	}
	var out []Entry
	for _, e := range plan {
		if only[e.ID()] {
			out = append(out, e)
		}
	}
	return out
}

// RunPlan runs the plan and returns one Result per selected check, in plan order.
// Independent checks run concurrently; a check that requires another waits for
// it and is skipped unless it passed or warned. Every check has its own
// deadline inside the run's; a panic becomes an error result; a cancelled ctx
// (Ctrl-C) ends the run with the unfinished checks reported as errors.
func RunPlan(ctx context.Context, env *Env, plan []Entry, opts RunOptions) []Result {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultRunTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrRunDeadline)
	defer cancel()
	ctx = memo.WithRun(ctx)
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}

	plan = SelectEntries(plan, opts.Only)
	index := map[string]int{}
	for i, e := range plan {
		index[e.ID()] = i
	}
	results := make([]Result, len(plan))
	done := make([]chan struct{}, len(plan))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var hookMu sync.Mutex
	hook := func(f func()) {
		hookMu.Lock()
		defer hookMu.Unlock()
		f()
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, e := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			meta := e.Check.Meta()
			if opts.Skip[meta.ID] {
				results[i] = Result{ID: meta.ID, Title: meta.Title, Status: StatusSkip, Message: "skipped by --skip", DocURL: meta.DocURL}
				hook(func() { callDone(opts.OnDone, results[i]) })
				return
			}
			if reason := waitRequires(ctx, e, index, done, results, opts.Skip); reason != "" {
				results[i] = Result{ID: meta.ID, Title: meta.Title, Status: StatusSkip, Message: reason, DocURL: meta.DocURL}
				hook(func() { callDone(opts.OnDone, results[i]) })
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = notRun(meta, ctx)
				hook(func() { callDone(opts.OnDone, results[i]) })
				return
			}
			hook(func() {
				if opts.OnStart != nil {
					opts.OnStart(e)
				}
			})
			r := runOne(ctx, env, e)
			<-sem
			results[i] = demote(r, opts.Ignore)
			hook(func() { callDone(opts.OnDone, results[i]) })
		}()
	}
	wg.Wait()
	return results
}

func callDone(f func(Result), r Result) {
	if f != nil {
		f(r)
	}
}

// waitRequires waits for e's prerequisites and returns a skip reason when one
// of them did not pass or warn. Prerequisites outside the plan (--only) or
// skipped by --skip do not gate: the user asked for this check explicitly.
func waitRequires(ctx context.Context, e Entry, index map[string]int, done []chan struct{}, results []Result, skip map[string]bool) string {
	for _, req := range e.Requires {
		j, ok := index[req]
		if !ok || skip[req] {
			continue
		}
		select {
		case <-done[j]:
		case <-ctx.Done():
			return ""
		}
		if st := results[j].Status; st != StatusPass && st != StatusWarn {
			return fmt.Sprintf("requires %s, which ended %s", req, st)
		}
	}
	return ""
}

// stopReason explains why ctx ended.
func stopReason(ctx context.Context) string {
	cause := context.Cause(ctx)
	var cd checkDeadline
	switch {
	case errors.As(cause, &cd):
		return cd.Error()
	case errors.Is(cause, ErrRunDeadline):
		return ErrRunDeadline.Error()
	case errors.As(cause, new(InterruptError)):
		return cause.Error()
	case errors.Is(cause, context.Canceled):
		return "the run was interrupted"
	case cause != nil:
		return cause.Error()
	}
	return "cancelled"
}

type checkDeadline struct{ d time.Duration }

func (c checkDeadline) Error() string {
	return fmt.Sprintf("the check's deadline of %s was exceeded", c.d)
}

func notRun(meta Meta, ctx context.Context) Result {
	return Result{
		ID: meta.ID, Title: meta.Title, Status: StatusError, DocURL: meta.DocURL,
		Message:     "not run: " + stopReason(ctx),
		Findings:    []string{"not run: " + stopReason(ctx)},
		Remediation: "Re-run the check; raise --timeout if the run deadline cut it off.",
	}
}

// runOne runs a single check under its own deadline, turning a panic or a
// missed deadline into an error result.
func runOne(ctx context.Context, env *Env, e Entry) Result {
	meta := e.Check.Meta()
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultRunTimeout
	}
	cctx, cancel := context.WithTimeoutCause(ctx, timeout, checkDeadline{timeout})
	defer cancel()
	start := time.Now()
	ch := make(chan Outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- Outcome{Err: fmt.Errorf("internal error in check %s: panic: %v", meta.ID, p)}
			}
		}()
		ch <- runWithNeeds(cctx, env, e.Check)
	}()
	var out Outcome
	select {
	case out = <-ch:
	case <-cctx.Done():
		select {
		case out = <-ch:
		case <-time.After(abandonGrace):
			out = Outcome{Err: fmt.Errorf("%s and the check did not stop", stopReason(cctx))}
		}
	}
	r := toResult(meta, out, time.Since(start))
	r.Start = start
	// A check cut off by a deadline or a signal keeps a definite failure
	// (a refused port stays refused), but cannot pass or warn on evidence
	// it did not finish gathering: it becomes an error that keeps what it
	// found. (A dropped probe and a probe that ran out of run time look the
	// same; the network client tells them apart from the deadlines.)
	if cctx.Err() != nil {
		reason := stopReason(cctx)
		switch r.Status {
		case StatusPass, StatusWarn, StatusError:
			if r.Status != StatusError {
				r.Remediation = "Raise --timeout (or lower --probe-timeout), or look at the details for what was still running."
			}
			r.Status = StatusError
			if !strings.Contains(strings.Join(r.Findings, " "), reason) {
				r.Findings = append([]string{reason + " before the check finished"}, r.Findings...)
			}
			r.Message = r.Findings[0]
			if n := len(r.Findings); n > 1 {
				r.Message = fmt.Sprintf("%s (and %d more)", r.Message, n-1)
			}
		case StatusFail:
			r.Findings = append(r.Findings, "not evaluated: the rest of the check ("+reason+")")
		}
	}
	if r.Status == StatusError && r.Remediation == "" {
		r.Remediation = "The check could not be evaluated; see the message, fix the cause and re-run."
	}
	return r
}

// demote turns an ignored failure into a warning: never hidden (kubeadm's
// --ignore-preflight-errors).
func demote(r Result, ignore map[string]bool) Result {
	if r.Status != StatusFail || !(ignore["all"] || ignore[strings.ToLower(r.ID)]) {
		return r
	}
	r.Status = StatusWarn
	r.Ignored = true
	parts := make([]Part, len(r.Parts))
	for i, p := range r.Parts {
		if p.Status == StatusFail {
			p.Status = StatusWarn
		}
		parts[i] = p
	}
	r.Parts = parts
	r.Message = "failure ignored (--ignore-failures): " + r.Message
	return r
}
