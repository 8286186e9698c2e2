package checks

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptacheck/ptacheck/util/memo"
)

// Through the runner: a check whose deadline is shorter than the fetch
// reports its deadline, and the check that waits longer gets the facts.
func TestMemoThroughTheRunner(t *testing.T) {
	var table memo.Table
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
			return memo.Do(ctx, &table, "shared", time.Minute, fetch)
		}}, Phases: []Phase{PhaseInstall}, Timeout: timeout}
	}
	results := RunPlan(context.Background(), &Env{}, []Entry{use("a.short", 30*time.Millisecond), use("b.patient", 5*time.Second)}, RunOptions{Parallel: 2})
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
