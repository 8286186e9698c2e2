package checks

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A check that gives up waiting (its deadline is short) does not cancel the
// fetch the others wait for: they get the value, and it is fetched once.
func TestMemoWaiterGivingUpKeepsTheFetch(t *testing.T) {
	var table memoTable
	var fetches atomic.Int32
	release := make(chan struct{})
	fetch := func(ctx context.Context) (string, error) {
		fetches.Add(1)
		select {
		case <-release:
			return "facts", nil
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}
	run := withRunContext(context.Background())
	short, cancel := context.WithTimeout(run, 20*time.Millisecond)
	defer cancel()
	if _, err := memo(short, &table, "k", time.Minute, fetch); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the impatient caller: err %v, want its own deadline", err)
	}
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	v, err := memo(run, &table, "k", time.Minute, fetch)
	if err != nil || v != "facts" {
		t.Fatalf("the patient caller: %q %v; the first caller's deadline spoilt the shared fetch", v, err)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

// The shared fetch ends with the run (a signal, the run deadline) and with
// its own deadline, whichever comes first.
func TestMemoFetchFollowsTheRunAndItsDeadline(t *testing.T) {
	wait := func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", context.Cause(ctx)
	}
	run, stop := context.WithCancelCause(context.Background())
	var table memoTable
	errc := make(chan error, 1)
	go func() {
		_, err := memo(withRunContext(run), &table, "run", time.Minute, wait)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	stop(errors.New("interrupted"))
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("no error after the run ended")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the shared fetch outlived the run")
	}

	start := time.Now()
	_, err := memo(withRunContext(context.Background()), &table, "deadline", 50*time.Millisecond, wait)
	if err == nil || !strings.Contains(err.Error(), "the deadline of 50ms for facts several checks share") {
		t.Fatalf("err %v, want the fetch's own deadline", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s", took)
	}
}

// A panic in a shared fetch is that fetch's error, for every caller.
func TestMemoFetchPanicIsAnError(t *testing.T) {
	var table memoTable
	for range 2 {
		_, err := memo(context.Background(), &table, "p", 0, func(context.Context) (int, error) { panic("boom") })
		if err == nil || !strings.Contains(err.Error(), "panic: boom") {
			t.Fatalf("err %v", err)
		}
	}
}

// Through the runner: a check whose deadline is shorter than the fetch
// reports its deadline, and the check that waits longer gets the facts.
func TestMemoThroughTheRunner(t *testing.T) {
	var table memoTable
	var fetches atomic.Int32
	fetch := func(ctx context.Context) (string, error) {
		fetches.Add(1)
		select {
		case <-time.After(200 * time.Millisecond):
			return "facts", nil
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}
	use := func(id string, timeout time.Duration) Entry {
		return Entry{Check: memoCheck{id: id, get: func(ctx context.Context) (string, error) {
			return memo(ctx, &table, "shared", time.Minute, fetch)
		}}, Phases: []Phase{PhaseInstall}, Timeout: timeout}
	}
	results := Run(context.Background(), &Env{}, []Entry{use("a.short", 30*time.Millisecond), use("b.patient", 5*time.Second)}, RunOptions{Parallel: 2})
	if results[0].Status != StatusError {
		t.Errorf("the short check: %s %s", results[0].Status, results[0].Message)
	}
	if results[1].Status != StatusPass || !strings.Contains(results[1].Message, "facts") {
		t.Errorf("the patient check: %s %q; the short check's deadline spoilt the shared facts", results[1].Status, results[1].Message)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

type memoCheck struct {
	id  string
	get func(context.Context) (string, error)
}

func (m memoCheck) Meta() Meta { return Meta{ID: m.id, Title: m.id} }

func (m memoCheck) Run(ctx context.Context, _ *Env) Outcome {
	v, err := m.get(ctx)
	if err != nil {
		return Outcome{Err: err}
	}
	return Outcome{Summary: "got " + v}
}
