package checks

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
)

// fakeCheck returns a canned outcome, optionally after a delay or a panic.
type fakeCheck struct {
	id        string
	out       Outcome
	delay     time.Duration
	panicMsg  string
	ignoreCtx bool          // sleep through the deadline
	release   chan struct{} // with ignoreCtx: wake early when closed (test cleanup)
	ran       *atomic.Int32
	order     *[]string
	mu        *sync.Mutex
}

func (f fakeCheck) Meta() Meta {
	return Meta{ID: f.id, Title: "title of " + f.id, Remediation: "fix " + f.id, DocURL: "https://example.invalid/" + f.id}
}

func (f fakeCheck) Run(ctx context.Context, _ *Env) Outcome {
	if f.ran != nil {
		f.ran.Add(1)
	}
	if f.order != nil {
		f.mu.Lock()
		*f.order = append(*f.order, f.id)
		f.mu.Unlock()
	}
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	if f.delay > 0 {
		if f.ignoreCtx {
			select {
			case <-time.After(f.delay):
			case <-f.release:
			}
		} else {
			select {
			case <-time.After(f.delay):
			case <-ctx.Done():
				// Like the network client: a cut-off is not a finding.
				return Outcome{Fail: f.out.Fail, Unevaluated: []string{"probe cut off"}}
			}
		}
	}
	return f.out
}

func entry(c fakeCheck, requires ...string) Entry {
	return Entry{Check: c, Phases: []Phase{PhaseInstall}, Requires: requires, Timeout: time.Second}
}

func statuses(rs []Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.ID+"="+string(r.Status))
	}
	return strings.Join(s, " ")
}

func TestRunEveryStatusInPlanOrder(t *testing.T) {
	plan := []Entry{
		// The slowest check comes first: results must still be in plan order.
		entry(fakeCheck{id: "t.pass", delay: 50 * time.Millisecond}),
		entry(fakeCheck{id: "t.warn", out: Outcome{Warn: errors.New("careful")}}),
		entry(fakeCheck{id: "t.fail", out: Outcome{Fail: errors.New("broken")}}),
		entry(fakeCheck{id: "t.skip", out: Skipped("not here: %s", "linux")}),
		entry(fakeCheck{id: "t.error", out: Outcome{Err: errors.New("cannot tell")}}),
	}
	rs := RunPlan(context.Background(), &Env{}, plan, RunOptions{})
	if got, want := statuses(rs), "t.pass=pass t.warn=warn t.fail=fail t.skip=skip t.error=error"; got != want {
		t.Fatalf("statuses = %s, want %s", got, want)
	}
	if rs[2].Message != "broken" || rs[2].Remediation != "fix t.fail" || rs[2].DocURL == "" {
		t.Errorf("fail result = %+v", rs[2])
	}
	if rs[3].Message != "not here: linux" || rs[3].Remediation != "" {
		t.Errorf("skip result = %+v", rs[3])
	}
	if rs[0].Remediation != "" {
		t.Errorf("a pass carries no remediation: %+v", rs[0])
	}
	if rs[0].Duration < 50*time.Millisecond {
		t.Errorf("duration %s not measured", rs[0].Duration)
	}
}

func TestRunManyFindings(t *testing.T) {
	var fail, warn error = joinErrs("a", "b"), errors.New("w")
	rs := RunPlan(context.Background(), &Env{}, []Entry{entry(fakeCheck{id: "t.multi", out: Outcome{Fail: fail, Warn: warn}})}, RunOptions{})
	r := rs[0]
	if r.Status != StatusFail || strings.Join(r.Findings, "|") != "a|b|warning: w" {
		t.Fatalf("result = %+v", r)
	}
	if r.Message != "a (and 2 more)" {
		t.Errorf("message = %q", r.Message)
	}
}

func TestRunPanicBecomesErrorNamingTheCheck(t *testing.T) {
	plan := []Entry{
		entry(fakeCheck{id: "t.boom", panicMsg: "nil map"}),
		entry(fakeCheck{id: "t.after"}),
	}
	rs := RunPlan(context.Background(), &Env{}, plan, RunOptions{})
	if rs[0].Status != StatusError || !strings.Contains(rs[0].Message, "t.boom") || !strings.Contains(rs[0].Message, "panic: nil map") {
		t.Fatalf("panic result = %+v", rs[0])
	}
	if rs[1].Status != StatusPass {
		t.Fatalf("a panic must not hide the next check: %+v", rs[1])
	}
}

func TestRunCheckDeadline(t *testing.T) {
	t.Run("check honours ctx", func(t *testing.T) {
		e := entry(fakeCheck{id: "t.slow", delay: time.Minute})
		e.Timeout = 50 * time.Millisecond
		rs := RunPlan(context.Background(), &Env{}, []Entry{e}, RunOptions{})
		// Nothing definite was found before the cut-off: an error, never
		// a failure and never a pass.
		if rs[0].Status != StatusError || !strings.Contains(rs[0].Message, "deadline of 50ms") || !strings.Contains(strings.Join(rs[0].Findings, "|"), "probe cut off") {
			t.Fatalf("result = %+v", rs[0])
		}
	})
	t.Run("cut off with a definite failure", func(t *testing.T) {
		e := entry(fakeCheck{id: "t.partial", delay: time.Minute, out: Outcome{Fail: errors.New("login.windows.net:443 refused")}})
		e.Timeout = 50 * time.Millisecond
		rs := RunPlan(context.Background(), &Env{}, []Entry{e}, RunOptions{})
		got := strings.Join(rs[0].Findings, "|")
		if rs[0].Status != StatusFail || !strings.Contains(got, "refused") || !strings.Contains(got, "not evaluated: probe cut off") ||
			!strings.Contains(got, "deadline of 50ms") {
			t.Fatalf("result = %+v", rs[0])
		}
	})
	t.Run("returned pass after the deadline", func(t *testing.T) {
		e := entry(fakeCheck{id: "t.late", delay: 100 * time.Millisecond, ignoreCtx: true})
		e.Timeout = 50 * time.Millisecond
		rs := RunPlan(context.Background(), &Env{}, []Entry{e}, RunOptions{})
		if rs[0].Status != StatusError || !strings.Contains(rs[0].Message, "deadline of 50ms was exceeded before the check finished") {
			t.Fatalf("a pass on unfinished evidence: %+v", rs[0])
		}
	})
	t.Run("check ignores ctx", func(t *testing.T) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		e := entry(fakeCheck{id: "t.stuck", delay: 3 * time.Second, ignoreCtx: true, release: release})
		e.Timeout = 50 * time.Millisecond
		start := time.Now()
		rs := RunPlan(context.Background(), &Env{}, []Entry{e}, RunOptions{})
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("runner waited %s for a stuck check", took)
		}
		if rs[0].Status != StatusError || !strings.Contains(rs[0].Message, "did not stop") {
			t.Fatalf("result = %+v", rs[0])
		}
	})
}

func TestRunRunDeadlineAndInterrupt(t *testing.T) {
	plan := []Entry{entry(fakeCheck{id: "t.slow", delay: time.Minute})}
	plan[0].Timeout = time.Minute
	rs := RunPlan(context.Background(), &Env{}, plan, RunOptions{Timeout: 50 * time.Millisecond})
	if rs[0].Status != StatusError || !strings.Contains(strings.Join(rs[0].Findings, "|"), "run deadline") {
		t.Fatalf("run deadline: %+v", rs[0])
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs = RunPlan(ctx, &Env{}, plan, RunOptions{})
	if rs[0].Status != StatusError || !strings.Contains(strings.Join(rs[0].Findings, "|"), "interrupted") {
		t.Fatalf("interrupt: %+v", rs[0])
	}
}

func TestRunRequires(t *testing.T) {
	var ran atomic.Int32
	plan := []Entry{
		entry(fakeCheck{id: "t.base", out: Outcome{Fail: errors.New("no")}, delay: 20 * time.Millisecond}),
		entry(fakeCheck{id: "t.dependent", ran: &ran}, "t.base"),
		entry(fakeCheck{id: "t.warnbase", out: Outcome{Warn: errors.New("meh")}}),
		entry(fakeCheck{id: "t.dependent2", ran: &ran}, "t.warnbase"),
	}
	rs := RunPlan(context.Background(), &Env{}, plan, RunOptions{})
	if got, want := statuses(rs), "t.base=fail t.dependent=skip t.warnbase=warn t.dependent2=pass"; got != want {
		t.Fatalf("statuses = %s, want %s", got, want)
	}
	if rs[1].Message != "requires t.base, which ended fail" {
		t.Errorf("message = %q", rs[1].Message)
	}
	if ran.Load() != 1 {
		t.Errorf("dependent checks ran %d times, want 1 (only the one whose prerequisite warned)", ran.Load())
	}

	// A prerequisite the user skipped or left out does not gate.
	rs = RunPlan(context.Background(), &Env{}, plan[:2], RunOptions{Skip: map[string]bool{"t.base": true}})
	if got, want := statuses(rs), "t.base=skip t.dependent=pass"; got != want {
		t.Fatalf("with --skip: %s, want %s", got, want)
	}
	rs = RunPlan(context.Background(), &Env{}, plan[:2], RunOptions{Only: map[string]bool{"t.dependent": true}})
	if got, want := statuses(rs), "t.dependent=pass"; got != want {
		t.Fatalf("with --only: %s, want %s", got, want)
	}
}

func TestRunSkipOnlyIgnore(t *testing.T) {
	var ran atomic.Int32
	plan := []Entry{
		entry(fakeCheck{id: "t.a", out: Outcome{Fail: errors.New("a broke")}, ran: &ran}),
		entry(fakeCheck{id: "t.b", out: Outcome{Fail: errors.New("b broke")}, ran: &ran}),
		entry(fakeCheck{id: "t.c", out: Outcome{Err: errors.New("c unknown")}, ran: &ran}),
	}
	rs := RunPlan(context.Background(), &Env{}, plan, RunOptions{Skip: map[string]bool{"t.a": true}})
	if got := statuses(rs); got != "t.a=skip t.b=fail t.c=error" || rs[0].Message != "skipped by --skip" {
		t.Fatalf("--skip: %s (%q)", got, rs[0].Message)
	}
	if ran.Load() != 2 {
		t.Errorf("a skipped check ran")
	}
	rs = RunPlan(context.Background(), &Env{}, plan, RunOptions{Only: map[string]bool{"t.b": true}})
	if got := statuses(rs); got != "t.b=fail" {
		t.Fatalf("--only: %s", got)
	}
	rs = RunPlan(context.Background(), &Env{}, plan, RunOptions{Ignore: map[string]bool{"t.b": true}})
	if got := statuses(rs); got != "t.a=fail t.b=warn t.c=error" {
		t.Fatalf("--ignore-failures t.b: %s", got)
	}
	if !strings.HasPrefix(rs[1].Message, "failure ignored") || rs[1].Findings[0] != "b broke" {
		t.Errorf("a demoted failure keeps its findings and says so: %+v", rs[1])
	}
	rs = RunPlan(context.Background(), &Env{}, plan, RunOptions{Ignore: map[string]bool{"all": true}})
	if got := statuses(rs); got != "t.a=warn t.b=warn t.c=error" {
		t.Fatalf("--ignore-failures all: %s (errors are not failures and stay errors)", got)
	}
}

// barrierCheck passes only if all its siblings are running at the same time.
type barrierCheck struct {
	id      string
	arrived *atomic.Int32
	all     chan struct{}
	n       int32
}

func (b barrierCheck) Meta() Meta { return Meta{ID: b.id} }

func (b barrierCheck) Run(ctx context.Context, _ *Env) Outcome {
	if b.arrived.Add(1) == b.n {
		close(b.all)
	}
	select {
	case <-b.all:
		return Outcome{}
	case <-ctx.Done():
		return Outcome{Err: errors.New("siblings never ran alongside")}
	}
}

func TestRunIndependentChecksRunConcurrently(t *testing.T) {
	var arrived atomic.Int32
	all := make(chan struct{})
	var plan []Entry
	for _, id := range []string{"t.1", "t.2", "t.3", "t.4"} {
		plan = append(plan, Entry{Check: barrierCheck{id: id, arrived: &arrived, all: all, n: 4}, Timeout: 5 * time.Second})
	}
	rs := RunPlan(context.Background(), &Env{}, plan, RunOptions{Parallel: 4})
	if got := statuses(rs); got != "t.1=pass t.2=pass t.3=pass t.4=pass" {
		t.Fatalf("independent checks did not run concurrently: %s", got)
	}
}

func TestRunHooksAreSerialised(t *testing.T) {
	var plan []Entry
	for _, id := range []string{"t.1", "t.2", "t.3", "t.4", "t.5", "t.6"} {
		plan = append(plan, entry(fakeCheck{id: id}))
	}
	var inHook atomic.Int32
	var started, done int
	check := func() {
		if inHook.Add(1) != 1 {
			t.Error("hooks ran concurrently")
		}
		time.Sleep(time.Millisecond)
		inHook.Add(-1)
	}
	RunPlan(context.Background(), &Env{}, plan, RunOptions{
		OnStart: func(Entry) { check(); started++ },
		OnDone:  func(Result) { check(); done++ },
	})
	if started != 6 || done != 6 {
		t.Fatalf("started %d, done %d", started, done)
	}
}

func joinErrs(msgs ...string) error {
	var m *multierror.Error
	for _, s := range msgs {
		m = multierror.Append(m, errors.New(s))
	}
	return m.ErrorOrNil()
}

func TestErrorRemediationIsNotTheFailureFix(t *testing.T) {
	rs := RunPlan(context.Background(), &Env{}, []Entry{entry(fakeCheck{id: "t.err", out: Outcome{Err: errors.New("access denied")}})}, RunOptions{})
	if rs[0].Remediation == "fix t.err" || rs[0].Remediation == "" {
		t.Fatalf("remediation = %q", rs[0].Remediation)
	}
	rs = RunPlan(context.Background(), &Env{}, []Entry{entry(fakeCheck{id: "t.err", out: Outcome{Err: errors.New("x"), Remediation: "run elevated"}})}, RunOptions{})
	if rs[0].Remediation != "run elevated" {
		t.Fatalf("remediation = %q", rs[0].Remediation)
	}
}
