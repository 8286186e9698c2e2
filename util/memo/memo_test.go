package memo

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
func TestWaiterGivingUpKeepsTheFetch(t *testing.T) {
	var table Table
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
	run := WithRun(context.Background())
	short, cancel := context.WithTimeout(run, 20*time.Millisecond)
	defer cancel()
	if _, err := Do(short, &table, "k", time.Minute, fetch); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the impatient caller: err %v, want its own deadline", err)
	}
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	v, err := Do(run, &table, "k", time.Minute, fetch)
	if err != nil || v != "facts" {
		t.Fatalf("the patient caller: %q %v; the first caller's deadline spoilt the shared fetch", v, err)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

// The shared fetch ends with the run (a signal, the run deadline) and with
// its own deadline, whichever comes first.
func TestFetchFollowsTheRunAndItsDeadline(t *testing.T) {
	wait := func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", context.Cause(ctx)
	}
	run, stop := context.WithCancelCause(context.Background())
	var table Table
	errc := make(chan error, 1)
	go func() {
		_, err := Do(WithRun(run), &table, "run", time.Minute, wait)
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
	_, err := Do(WithRun(context.Background()), &table, "deadline", 50*time.Millisecond, wait)
	if err == nil || !strings.Contains(err.Error(), "the deadline of 50ms for facts several checks share") {
		t.Fatalf("err %v, want the fetch's own deadline", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s", took)
	}
}

// A panic in a shared fetch is that fetch's error, for every caller.
func TestFetchPanicIsAnError(t *testing.T) {
	var table Table
	for range 2 {
		_, err := Do(context.Background(), &table, "p", 0, func(context.Context) (int, error) { panic("boom") })
		if err == nil || !strings.Contains(err.Error(), "panic: boom") {
			t.Fatalf("err %v", err)
		}
	}
}
